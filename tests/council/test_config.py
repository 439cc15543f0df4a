"""Bad council files: a message naming the file and field, exit code 2, nothing written."""

import pytest
import yaml


def _edit(path, change):
    document = yaml.safe_load(path.read_text())
    change(document)
    path.write_text(yaml.safe_dump(document))
    return path


CASES = {
    "unknown top-level field": (lambda d: d.update(judges=3), "field 'judges': unknown field"),
    "unknown member field": (lambda d: d["members"][1].update(modle="x"), "field 'members.1.modle': unknown field"),
    "unknown pairing": (lambda d: d.update(judge={"pairing": "round_robin"}), "field 'judge.pairing'"),
    "unknown reference member": (
        lambda d: d.update(judge={"pairing": "reference", "reference": "omega"}),
        "field 'judge.reference': unknown reference member 'omega'",
    ),
    "missing api key variable": (
        lambda d: d["members"][2].update(api_key_env="COUNCIL_TEST_UNSET_KEY"),
        "field 'members.2.api_key_env': environment variable COUNCIL_TEST_UNSET_KEY is not set",
    ),
    "duplicate member names": (lambda d: d["members"][1].update(name="alpha"), "repeated: alpha"),
    "bad type": (lambda d: d["test_set"].update(items_per_author="many"), "field 'test_set.items_per_author'"),
    "missing seeds file": (lambda d: d["test_set"].update(seeds="nope.jsonl"), "field 'test_set.seeds'"),
    "unknown local model": (
        lambda d: d["members"][0].update(model="local/nonesuch", api_base=None),
        "field 'members.0.model': unknown local model 'nonesuch'",
    ),
    "seeds and items both given": (
        lambda d: d["test_set"].update(items="items.jsonl"), "field 'test_set': Value error, give exactly one",
    ),
    "sampled without a count": (lambda d: d.update(judge={"pairing": "sampled"}), "field 'judge.pairs_per_item'"),
    "unknown adaptive choice": (
        lambda d: d.update(judge={"pairing": "adaptive", "adaptive": {"choose": "greedy"}}),
        "field 'judge.adaptive.choose'",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_council_file(cli, council_file, provider, tmp_path, monkeypatch, case):
    monkeypatch.delenv("COUNCIL_TEST_UNSET_KEY", raising=False)
    change, expected = CASES[case]
    path = _edit(council_file(), change)
    run_dir = tmp_path / "run"
    result = cli("run", path, "--run-dir", run_dir)
    assert result.exit_code == 2, result.output
    assert "council.yaml" in result.stderr and expected in result.stderr, result.stderr
    assert "Traceback" not in result.output
    assert not run_dir.exists(), "nothing may be written for a bad council file"
    assert provider.count() == 0


def test_invalid_yaml_names_the_line(cli, tmp_path):
    path = tmp_path / "council.yaml"
    path.write_text("name: x\nmembers: [\n  - oops: : :\n")
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "council.yaml:" in result.stderr and "YAML" in result.stderr


def test_bad_seed_file_names_its_line(cli, council_file, tmp_path):
    path = council_file()
    (tmp_path / "seeds.jsonl").write_text('{"id": "a", "text": "fine"}\n{"id": "a/b", "text": "slash"}\n')
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "seeds.jsonl:2:" in result.stderr and "field 'id'" in result.stderr
    assert not (tmp_path / "run").exists()


def test_api_key_comes_from_the_named_variable(council_file, monkeypatch):
    from council.config import load_config
    from council.providers.params import completion_params

    monkeypatch.setenv("COUNCIL_TEST_KEY", "sk-from-env")
    config = load_config(council_file(members=["alpha", {"name": "beta", "api_key_env": "COUNCIL_TEST_KEY"}]))
    assert completion_params(config.member("beta"))["api_key"] == "sk-from-env"
    assert "sk-from-env" not in config.model_dump_json()


def test_plan_prints_calls_per_stage_and_member(cli, council_file, provider):
    members = [{"name": n, "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
               for n in ("alpha", "beta", "gamma")]
    result = cli("plan", council_file(members=members), "--json")
    assert result.exit_code == 0, result.output
    import json

    plan = json.loads(result.stdout)
    calls = {(r["stage"], r["member"]): r["calls"] for r in plan["rows"]}
    assert calls[("compose", "alpha")] == 2 and calls[("respond", "beta")] == 6 and calls[("judge", "gamma")] == 12
    assert plan["total"]["calls"] == 60 and plan["total"]["cost_usd"] > 0
    assert provider.count() == 0, "planning spends nothing"


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: a\nbudget:\n  max_usd: 1\nbudget:\n  max_usd: 1000\n",
         "council.yaml:4: key 'budget' is given twice (first on line 2)"),
        ("name: a\nmembers:\n  - name: x\n    model: m\n    model: n\n", "council.yaml:5: key 'model' is given twice"),
    ],
)
def test_repeated_yaml_keys_are_refused_with_their_line(cli, tmp_path, text, message):
    path = tmp_path / "council.yaml"
    path.write_text(text)
    result = cli("plan", path)
    assert result.exit_code == 2 and message in result.output


def test_a_council_file_that_is_not_utf8_is_bad_input(cli, tmp_path):
    path = tmp_path / "council.yaml"
    path.write_bytes("name: caf\xe9\n".encode("latin-1"))
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "council.yaml:1: not UTF-8 text" in result.output
    assert not (tmp_path / "run").exists()


def test_base_dir_is_not_a_field_of_the_file(cli, council_file):
    result = cli("plan", council_file(base_dir="/elsewhere"))
    assert result.exit_code == 2 and "field 'base_dir': unknown field" in result.output


@pytest.mark.parametrize("section, field, value", [
    ("respond", "word_limit", 10**12), ("test_set", "items_per_author", 10**9),
])
def test_numbers_have_upper_bounds(cli, council_file, section, field, value):
    sections = {"respond": {"word_limit": 40}, "test_set": {"seeds": "seeds.jsonl", "items_per_author": 2}}
    sections[section][field] = value
    result = cli("plan", council_file(**sections))
    assert result.exit_code == 2
    assert f"field '{section}.{field}': Input should be less than or equal to" in result.output


def test_plan_needs_no_api_key(cli, council_file, monkeypatch, provider):
    monkeypatch.delenv("COUNCIL_TEST_UNSET_KEY", raising=False)
    path = council_file(members=["alpha", {"name": "beta", "api_key_env": "COUNCIL_TEST_UNSET_KEY"}, "gamma"])
    assert cli("plan", path).exit_code == 0, "a plan spends nothing"
    run = cli("run", path, "--run-dir", path.parent / "run")
    assert run.exit_code == 2 and "COUNCIL_TEST_UNSET_KEY is not set" in run.output


def test_switching_a_run_directory_between_frozen_items_and_seeds_is_explained(cli, council_file, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    assert cli("dilemmas", "freeze", run_dir, "--out", tmp_path / "items.jsonl").exit_code == 0
    frozen = council_file(name="frozen.yaml", test_set={"items": "items.jsonl"})
    result = cli("run", frozen, "--run-dir", run_dir)
    assert result.exit_code == 2
    assert "holds items composed from seeds" in result.output and "new --run-dir" in result.output
    other = tmp_path / "frozen-run"
    assert cli("run", frozen, "--run-dir", other).exit_code == 0
    back = cli("run", council_file(), "--run-dir", other)
    assert back.exit_code == 2 and "holds a frozen item set" in back.output

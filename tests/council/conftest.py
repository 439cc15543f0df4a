from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_VOTES = ROOT / "examples" / "lmc-sample" / "votes.csv"


def run_council(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run the real command line in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "council", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


@pytest.fixture
def council_cli():
    return run_council


@pytest.fixture
def write_votes(tmp_path):
    """Write rows (dicts) as a votes file of the given suffix; returns its path."""

    def write(rows: list[dict], suffix: str = ".jsonl", name: str = "votes") -> Path:
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".jsonl":
            path.write_text("".join(json.dumps(row) + "\n" for row in rows))
        elif suffix == ".csv":
            import csv

            with path.open("w", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        elif suffix == ".parquet":
            import polars as pl

            pl.DataFrame(rows).write_parquet(path)
        return path

    return write


SEEDS = [
    {"id": "s01", "text": "My friend forgot my birthday again.", "category": "friends"},
    {"id": "s02", "text": "My boss takes credit for my work.", "category": "work"},
    {"id": "s03", "text": "My partner wants to move abroad.", "category": "partners"},
    {"id": "s04", "text": "My brother keeps borrowing money.", "category": "family"},
    {"id": "s05", "text": "A stranger yelled at my child.", "category": "strangers"},
    {"id": "s06", "text": "My flatmate never cleans up.", "category": "friends"},
]


@pytest.fixture
def provider():
    """A fresh fake provider per test, with a realistic strength order."""
    from tests.fake_provider import FakeProvider, Faults

    fake = FakeProvider(Faults(strengths={"alpha": 1.0, "beta": 0.3, "gamma": -0.3, "delta": -1.0})).start()
    yield fake
    fake.stop()


@pytest.fixture
def council_file(tmp_path, provider):
    """Write seeds and a council file against the fake provider; returns its path.

    Keyword arguments override top-level sections; ``members`` is a list of names or
    of dicts merged over the defaults.
    """
    import yaml

    (tmp_path / "seeds.jsonl").write_text("".join(json.dumps(s) + "\n" for s in SEEDS))

    def write(members=("alpha", "beta", "gamma"), name="council.yaml", **sections) -> Path:
        listed = []
        for member in members:
            fields = {"name": member} if isinstance(member, str) else dict(member)
            fields.setdefault("model", f"openai/{fields['name']}")
            fields.setdefault("api_base", provider.url)
            fields.setdefault("timeout", 5)
            listed.append(fields)
        document = {
            "name": "test-council",
            "seed": 0,
            "members": listed,
            "test_set": {"seeds": "seeds.jsonl", "items_per_author": 2},
            "respond": {"word_limit": 40},
            "retry": {"max_attempts": 4, "base_delay": 0.01, "max_delay": 0.2},
        }
        document.update(sections)
        path = tmp_path / name
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return write


@pytest.fixture
def cli():
    """The real click command, invoked in this process (litellm is imported once)."""
    from click.testing import CliRunner

    from council.cli import main

    def invoke(*args):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke

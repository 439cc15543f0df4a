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

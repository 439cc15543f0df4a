"""Shared fixtures: where the paper's reference data lives, and how to load it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT.parent / "shared" / "reference" / "lmc"
LLMBAR = ROOT.parent / "shared" / "reference" / "llmbar"


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    if not (REFERENCE / "lmc_ei_sample_judgments.jsonl").exists():
        pytest.skip(f"the paper's reference data is not beside this clone ({REFERENCE} is absent)")
    return REFERENCE


@pytest.fixture(scope="session")
def reference_outputs(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "lmc_ei_sample_reference_outputs.json").read_text())


@pytest.fixture(scope="session")
def lmc_votes():
    """The 1,000 real judgments as shipped in examples/ (structured fields only)."""
    from council.inputs.votes import read_votes

    return read_votes(ROOT / "examples" / "lmc-sample" / "votes.csv").votes


@pytest.fixture(scope="session")
def llmbar_dir() -> Path:
    """LLMBar's human-labelled pairs with LLM judges' verdicts (public; not ours to ship)."""
    if not (LLMBAR / "natural" / "gold.jsonl").exists():
        pytest.skip(f"the LLMBar reference data is not beside this clone ({LLMBAR} is absent)")
    return LLMBAR

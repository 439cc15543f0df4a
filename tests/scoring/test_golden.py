"""Golden cases in the style of choix: small JSON files, each with expected estimates
that follow from the description by hand."""

import json
from pathlib import Path

import numpy as np
import pytest

from scoring import ScoringSettings, make_votes, rank_models

CASES = sorted((Path(__file__).parent / "golden").glob("*.json"))


def test_there_are_golden_cases():
    assert len(CASES) >= 8


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_golden_case(path):
    case = json.loads(path.read_text())
    columns = list(zip(*case["votes"]))
    votes = make_votes(*columns)
    board = rank_models(votes, ScoringSettings(rounds=50, **case["settings"]))
    expected = case["expected"]
    for field in ("strength", "score"):
        for model, value in expected.get(field, {}).items():
            got = getattr(board, field)[board.models.index(model)]
            assert got == pytest.approx(value, abs=1e-6), f"{field} of {model}"
    for count in ("n_votes", "n_unscored", "n_self_excluded"):
        if count in expected:
            assert getattr(board, count) == expected[count]
    assert np.all(np.diff(board.strength) <= 0), "models run best first"

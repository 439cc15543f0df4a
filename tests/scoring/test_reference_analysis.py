"""The paper code's analysis outputs on Chatbot Arena EQ (judged by gpt-4o-mini),
recomputed with our functions: separability from its bootstrap draws, polarization from
its scores, and the word-count table from the real responses."""

import json
from collections import defaultdict

import numpy as np
import pytest

from scoring import (
    ELO_PER_STRENGTH,
    length_summary,
    percentile_intervals,
    polarization,
    separability,
    win_rate_percent,
    word_count,
)

COUNCILS = {
    "council.no_agg.json": "council (no aggregation)",
    "council.majority.json": "council (by majority vote)",
    "council.mean_pooling.json": "council (by mean pooling)",
    "individual_judges/gpt-4o-mini.json": "gpt-4o-mini",
}


@pytest.fixture(scope="module")
def analysis(reference_dir):
    return reference_dir / "chatbot_arena_eq" / "reference_analysis"


def _ranking(path):
    data = json.loads(path.read_text())
    keys = sorted(data["model"], key=int)
    elo_draws = np.array([data["results"][k] for k in keys]).T  # rounds × models, reference at 1000
    scores = np.array([data["score"][k] for k in keys])
    return elo_draws, scores


@pytest.mark.parametrize("votes", ["all_votes", "only_consistent_votes"])
@pytest.mark.parametrize("file", sorted(COUNCILS))
def test_separability_from_the_bootstrap_draws(analysis, votes, file):
    elo_draws, _ = _ranking(analysis / votes / "rankings_and_separability" / file)
    assert elo_draws.shape == (100, 9)
    win_rates = win_rate_percent((elo_draws - 1000.0) / ELO_PER_STRENGTH)
    lower, upper = percentile_intervals(win_rates, 0.95)
    expected = json.loads((analysis / votes / "rankings_and_separability" / "separability.json").read_text())
    assert separability(lower, upper) == pytest.approx(expected["separability"][COUNCILS[file]], abs=1e-6)


@pytest.mark.parametrize("votes,want", [("all_votes", 48.69), ("only_consistent_votes", 61.22)])
def test_polarization_from_the_scores(analysis, votes, want):
    _, scores = _ranking(analysis / votes / "rankings_and_separability" / "council.no_agg.json")
    assert float(polarization(scores)) == pytest.approx(want, abs=1e-9)
    reported = json.loads((analysis / votes / "rankings_and_separability" / "judge_polarization.json").read_text())
    assert all(entry["polarization"] == want for entry in reported.values())


def test_word_counts_of_the_real_responses(reference_dir, analysis):
    words = defaultdict(list)
    with open(reference_dir / "chatbot_arena_eq" / "responses.jsonl", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            words[row["llm_responder"]].append(word_count(row["response_string"]))
    expected = json.loads((analysis / "all_votes" / "length_bias" / "completer_token_counts.json").read_text())
    assert set(words) == set(expected)
    for responder, table in expected.items():
        ours = length_summary(words[responder])
        for field, value in table.items():
            assert ours[field] == pytest.approx(value, abs=1e-6), (responder, field)

"""The paper's code on its own data: our reference mode must give its numbers."""

import json

import numpy as np
import pytest

from scoring import consistent_votes, make_votes, rank_models, scoring_settings

REFERENCE_MODEL = "qwen1.5-32B-Chat"


@pytest.fixture(scope="module")
def paper_votes(reference_dir):
    text = (reference_dir / "lmc_ei_sample_judgments.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    return make_votes(
        [r["emobench_id"] for r in rows],
        [r["llm_judge"] for r in rows],
        [r["first_completion_by"] for r in rows],
        [r["second_completion_by"] for r in rows],
        [r["pairwise_choice"] for r in rows],
    )


@pytest.mark.parametrize(
    "aggregation, key",
    [("none", "no_agg_mle"), ("majority", "majority_mle"), ("mean", "mean_pooling_mle_paper_era_tie_handling")],
)
def test_reference_mode_reproduces_the_paper_code(paper_votes, reference_outputs, aggregation, key):
    board = rank_models(paper_votes, scoring_settings("reference", reference=REFERENCE_MODEL, aggregation=aggregation))
    expected = reference_outputs[key]
    assert set(board.models) == set(expected) and len(expected) == 20
    for i, model in enumerate(board.models):
        assert board.score[i] == pytest.approx(expected[model]["win_rate_vs_ref"], abs=0.01), model
        assert board.elo[i] == pytest.approx(expected[model]["elo"], abs=0.01), model


def test_pooled_row_counts_match(paper_votes, reference_outputs):
    for aggregation, key in (("majority", "majority_num_rows"), ("mean", "mean_pooling_num_rows")):
        settings = scoring_settings("reference", reference=REFERENCE_MODEL, aggregation=aggregation)
        board = rank_models(paper_votes, settings)
        assert board.n_votes == reference_outputs[key]


def test_consistency_filters_keep_the_papers_counts(paper_votes, reference_outputs):
    assert len(consistent_votes(paper_votes, "strict")) == reference_outputs["consistent_votes_strict"] == 992
    assert len(consistent_votes(paper_votes, "sidewise")) == reference_outputs["consistent_votes_sidewise"] == 994


def test_vote_bootstrap_is_comparable_in_distribution(paper_votes, reference_outputs):
    """The paper's seeded bootstrap depends on library versions; widths must agree roughly."""
    table = reference_outputs["no_agg_bootstrap_seed42"]["table"]
    theirs = {row["model"]: row["upper"] - row["lower"] for row in table}
    board = rank_models(paper_votes, scoring_settings("reference", reference=REFERENCE_MODEL, rounds=1000))
    ours = {m: board.score_upper[i] - board.score_lower[i] for i, m in enumerate(board.models)}
    ratio = np.array([ours[m] / theirs[m] for m in theirs if m != REFERENCE_MODEL])
    assert 0.8 < np.median(ratio) < 1.25
    assert abs(board.separability - reference_outputs["no_agg_bootstrap_seed42"]["separability_pct"]) < 10


def test_shipped_example_is_the_reference_sample(lmc_votes, paper_votes):
    assert len(lmc_votes) == len(paper_votes) == 1000
    assert lmc_votes.models == paper_votes.models and lmc_votes.judges == paper_votes.judges
    assert np.array_equal(lmc_votes.outcome, paper_votes.outcome)

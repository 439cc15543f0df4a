"""Agreement with human labels: self-agreement is perfect, chance labels agree by chance."""

import numpy as np
import pytest

from scoring import ScoringSettings, Votes, human_agreement, simulate_council


@pytest.fixture(scope="module")
def council():
    return simulate_council(n_models=5, n_items=24, n_judges=4, strength_sd=0.8, seed=21).votes


def _as_humans(votes: Votes, outcome=None) -> Votes:
    return Votes(item=votes.item, judge=np.zeros(len(votes), dtype=np.int32), model_a=votes.model_a,
                 model_b=votes.model_b, outcome=votes.outcome if outcome is None else outcome, items=votes.items,
                 judges=("annotator",), models=votes.models)


def test_a_judge_agrees_perfectly_with_itself_as_human(council):
    humans = _as_humans(council.select(council.judge == 1))
    result = human_agreement(council, humans, ScoringSettings(), rounds=30)
    assert result.agreement[1] == 1.0 and result.kappa[1] == pytest.approx(1.0)
    assert np.all(result.kappa[[0, 2, 3]] < 1.0)
    assert result.n_shared[1] == (council.judge == 1).sum()


def test_the_council_correlates_with_humans_who_voted_like_it(council):
    humans = _as_humans(council)
    result = human_agreement(council, humans, ScoringSettings(include_self=True), rounds=50)
    assert result.spearman == pytest.approx(1.0) and result.kendall == pytest.approx(1.0)
    assert result.spearman_lower <= 1.0 <= result.spearman_upper + 1e-12


def test_random_humans_agree_by_chance_only(council):
    kappas = []
    for seed in range(10):
        noise = np.random.default_rng(seed).choice(np.array([-1, 1]), size=len(council)).astype(np.int8)
        result = human_agreement(council, _as_humans(council, noise), rounds=2)
        kappas.append(result.council_kappa)
    # ~400 shared keys: one κ has a standard error near 0.05; the mean of ten, 0.016.
    assert abs(np.mean(kappas)) < 0.05
    assert result.to_dict()["council"]["n_shared"] > 300


def test_perfect_agreement_with_people_is_not_certain_agreement(council):
    # Judge 1 as the only human: on its 24 items it agrees with itself every time.
    humans = _as_humans(council.select(council.judge == 1))
    result = human_agreement(council, humans, ScoringSettings(), rounds=400)
    assert result.agreement[1] == 1.0 and result.agreement_upper[1] == 1.0
    assert 0.8 < result.agreement_lower[1] < 0.97
    assert result.kappa_lower[1] < 0.97
    plain = human_agreement(council, humans, ScoringSettings(prior_items=0), rounds=400)
    assert plain.agreement_lower[1] == 1.0, "the percentile bootstrap alone collapses"

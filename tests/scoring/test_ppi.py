"""The prediction-powered leaderboard of human preference (`scoring.ppi`)."""

import json
from pathlib import Path

import numpy as np
import pytest

from scoring import ScoringSettings, make_votes
from scoring.ppi import rank_human_preference

MODELS = ("m0", "m1", "m2", "m3")


def _one_pair_per_item(seed: int, n_items: int = 300, n_labelled: int = 60):
    """Each item compares one random pair: three judges in both orders (the jury), and
    on the first items one person (the labels); the jury leans towards m3."""
    rng = np.random.default_rng(seed)
    truth = np.array([0.8, 0.2, -0.3, -0.7])
    jury_bias = np.array([0.0, 0.0, 0.0, 1.0])
    jury, human = [], []
    for i in range(n_items):
        a, b = rng.choice(4, size=2, replace=False)
        quality = truth[a] - truth[b] + rng.normal(0, 0.5)
        for judge in ("j1", "j2", "j3"):
            lean = quality + jury_bias[a] - jury_bias[b] + rng.normal(0, 0.7)
            jury.append((f"i{i}", judge, MODELS[a], MODELS[b], "A>B" if lean > 0 else "B>A"))
            jury.append((f"i{i}", judge, MODELS[b], MODELS[a], "B>A" if lean > 0 else "A>B"))
        if i < n_labelled:
            human.append((f"i{i}", "ann", MODELS[a], MODELS[b], "A>B" if quality + rng.logistic() > 0 else "B>A"))
    return make_votes(*zip(*jury)), make_votes(*zip(*human))


def _oracle(jury_votes, human_votes, lam):
    """ppi-python's PPI++ logistic regression on one row per key, m0's column left out."""
    ppi_py = pytest.importorskip("ppi_py")
    from scoring.ppi import key_shares

    settings = ScoringSettings(include_self=True, prior_items=0)

    def rows(votes):
        shares = key_shares(votes, settings)
        names = [votes.models[m] for m in shares.first], [votes.models[m] for m in shares.second]
        x = np.zeros((len(shares.share), 3))
        for k, (first, second) in enumerate(zip(*names)):
            for name, sign in ((first, 1.0), (second, -1.0)):
                if name != "m0":
                    x[k, MODELS.index(name) - 1] = sign
        return [votes.items[i] for i in shares.item], x, shares.share

    items, x_all, f_all = rows(jury_votes)
    labelled_items, x_lab, y = rows(human_votes)
    f_lab = np.array([f_all[items.index(item)] for item in labelled_items])
    theta = ppi_py.ppi_logistic_pointestimate(x_lab, y, f_lab, x_all, f_all, lam=lam)
    return dict(zip(MODELS, np.concatenate([[0.0], theta])))


@pytest.mark.filterwarnings("ignore::FutureWarning")  # scikit-learn's, inside ppi-python
@pytest.mark.parametrize("lam", [0.0, 0.4, None])
def test_the_point_is_ppi_pythons_ppi_plus_plus_logistic_regression(lam):
    jury_votes, human_votes = _one_pair_per_item(seed=1)
    settings = ScoringSettings(reference="m0", alpha=0.0, prior_items=0, rounds=20)
    result = rank_human_preference(jury_votes, human_votes, settings, tuning=lam)
    expected = _oracle(jury_votes, human_votes, result.tuning)
    board = result.leaderboard
    for model in MODELS:
        assert board.strength[board.models.index(model)] == pytest.approx(expected[model], abs=2e-4), (model, lam)
    if lam is None:
        # ppi-python's own λ pools the jury's variance over labelled and unlabelled
        # samples, ours keeps them apart (they differ once labels cluster in items), and
        # ours takes the gradients at the projected λ = 1 fit (`_usable`).
        import ppi_py.ppi as reference

        chosen = {}
        original = reference._calc_lam_glm

        def spy(*args, **kwargs):
            chosen["lam"] = original(*args, **kwargs)
            return chosen["lam"]

        reference._calc_lam_glm = spy
        try:
            _oracle(jury_votes, human_votes, None)
        finally:
            reference._calc_lam_glm = original
        assert 0.0 < result.tuning < 1.0 and result.tuning == pytest.approx(chosen["lam"], abs=0.06)


def test_labels_correct_a_biased_jury_and_say_what_they_are():
    jury_votes, human_votes = _one_pair_per_item(seed=2)
    result = rank_human_preference(jury_votes, human_votes, ScoringSettings(rounds=300))
    assert result.n_human_votes == 60 and result.n_human_items == 60 and result.n_human_unmatched == 0
    # The jury puts m3 (truly last) above m2; the rectified board does not.
    jury = result.jury_only
    assert jury.elo[jury.models.index("m3")] > jury.elo[jury.models.index("m2")]
    human = result.leaderboard
    assert human.elo[human.models.index("m3")] < human.elo[human.models.index("m2")]
    as_json = result.to_dict()
    assert as_json["estimand"] == "human" and as_json["tuning"] == result.tuning
    assert set(as_json["jury_only"]) >= {"models", "separability"} and "human_only" in as_json


def test_labels_on_comparisons_the_jury_never_made_are_counted_and_left_out():
    jury_votes, human_votes = _one_pair_per_item(seed=3)
    extra = make_votes(["elsewhere"], ["ann"], ["m0"], ["m1"], ["A>B"])
    rows = [(human_votes.items[i], "ann", human_votes.models[a], human_votes.models[b], "A>B" if o > 0 else "B>A")
            for i, a, b, o in zip(human_votes.item, human_votes.model_a, human_votes.model_b, human_votes.outcome)]
    both = make_votes(*zip(*(rows + [("elsewhere", "ann", "m0", "m1", "A>B")])))
    assert len(extra) == 1
    result = rank_human_preference(jury_votes, both, ScoringSettings(rounds=50))
    assert result.n_human_unmatched == 1 and result.n_human_votes == 60


@pytest.mark.slow
def test_the_human_leaderboard_covers_peoples_strengths_where_the_jury_alone_does_not():
    """`benchmarks/bench_human.py` in small: 20 councils whose jury favours two models."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_human import measure

    summary = measure(councils=20, bias=0.8, rounds=300)
    for row in summary["shares"]:
        print(row)
        assert row["coverage"]["ppi"] >= 0.90, row
        assert row["coverage"]["jury_only"] < 0.5, row
    ten = next(row for row in summary["shares"] if row["labelled_share"] == 0.10)
    assert ten["ppi_width_over_human_only"] <= 0.85, ten


@pytest.mark.slow
def test_labels_chosen_where_the_jury_splits_are_weighted_back_and_still_cover():
    from scoring import simulate_labelled_council
    from scoring.ppi import _vote_codes, key_shares, labelling_chances, labelling_order

    covered = []
    for seed in range(20):
        council = simulate_labelled_council(seed=seed)
        n = len(council.jury.models)
        jury = key_shares(council.jury, ScoringSettings())
        codes, chances = jury.codes(n), labelling_chances(jury.share)
        chosen = np.sort(labelling_order(chances, np.random.default_rng(seed).random(len(codes)))[: len(codes) // 10])
        human = council.human.select(np.isin(_vote_codes(council.human, n), codes[chosen]))
        selection = chances[chosen][np.searchsorted(codes[chosen], _vote_codes(human, n))]
        board = rank_human_preference(council.jury, human, ScoringSettings(rounds=300, seed=seed),
                                      selection=selection).leaderboard
        index = [board.models.index(m) for m in council.jury.models]
        truth = council.human_strengths
        covered.extend((board.strength_lower[index] <= truth) & (truth <= board.strength_upper[index]))
    assert chances.max() / chances.min() > 2, "the order does favour split juries"
    assert np.mean(covered) >= 0.90


GOLDEN = sorted((Path(__file__).parent / "golden_ppi").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN, ids=[p.stem for p in GOLDEN])
def test_golden_case(path):
    case = json.loads(path.read_text())
    result = rank_human_preference(make_votes(*zip(*case["jury"])), make_votes(*zip(*case["human"])),
                                   ScoringSettings(rounds=20, **case["settings"]), tuning=case["tuning"])
    board = result.leaderboard
    for model, value in case["expected"].items():
        assert board.strength[board.models.index(model)] == pytest.approx(value, abs=1e-6), model


def test_there_are_golden_cases():
    assert len(GOLDEN) >= 3


def test_a_pair_corrected_below_zero_is_projected_onto_possible_wins():
    """At λ = 1 on this sample the rectifier leaves negative wins on some pairs: the fit
    and its intervals stay finite and of the data's size instead of running off."""
    from scoring.ppi import _usable

    wins = np.array([[0.0, -0.5], [2.0, 0.0]])
    np.testing.assert_allclose(_usable(wins), [[0.0, 0.0], [1.5, 0.0]])
    jury_votes, human_votes = _one_pair_per_item(seed=1)
    result = rank_human_preference(jury_votes, human_votes, ScoringSettings(reference="m0", rounds=200), tuning=1.0)
    board = result.leaderboard
    assert np.all(np.abs(board.strength) < 3) and np.all(board.strength_upper - board.strength_lower < 3)

"""Simulated councils with known truth: do nominal 95% intervals cover it?"""

import numpy as np
import pytest

from scoring import ScoringSettings, make_votes, point_ranks, rank_models, simulate_council

N_COUNCILS = 40


def _coverage(resample: str) -> float:
    covered = []
    for seed in range(N_COUNCILS):
        council = simulate_council(n_models=8, n_items=40, seed=seed)
        truth = council.population_strengths()
        board = rank_models(council.votes, ScoringSettings(resample=resample, rounds=500, seed=seed))
        order = [council.votes.models.index(m) for m in board.models]
        target = truth[order]
        covered.extend((board.strength_lower <= target) & (target <= board.strength_upper))
    return float(np.mean(covered))


@pytest.fixture(scope="module")
def coverage():
    return {resample: _coverage(resample) for resample in ("item", "vote")}


def test_item_bootstrap_covers_the_population_strengths(coverage):
    print(f"coverage of nominal 95% intervals over {N_COUNCILS} councils: {coverage}")
    assert coverage["item"] >= 0.90


def test_vote_bootstrap_undercovers_on_the_same_data(coverage):
    # What the paper's code does: intervals far too narrow once votes cluster by item.
    assert coverage["vote"] < 0.75
    assert coverage["vote"] < coverage["item"] - 0.2


def test_population_strengths_are_what_many_items_estimate():
    council = simulate_council(n_models=5, n_items=1500, seed=11)
    board = rank_models(council.votes, ScoringSettings(rounds=20))
    truth = council.population_strengths()
    order = [council.votes.models.index(m) for m in board.models]
    np.testing.assert_allclose(board.strength, truth[order], atol=0.05)


def test_paper_design_with_ties_and_strong_votes_is_covered_too():
    """Every model against a reference in both orders, with ties and strong votes."""
    covered = []
    for seed in range(N_COUNCILS):
        council = simulate_council(n_models=10, n_items=40, reference=0, tie_margin=0.4, strong_margin=2.0, seed=seed)
        settings = ScoringSettings(rounds=500, seed=seed, strong_weight=2.0)
        truth = council.population_strengths(strong_weight=2.0)
        board = rank_models(council.votes, settings)
        target = truth[[council.votes.models.index(m) for m in board.models]]
        covered.extend((board.strength_lower <= target) & (target <= board.strength_upper))
    assert np.mean(covered) >= 0.90


#: Small test sets whose best and worst models win and lose ~95% of their votes.
BOUNDARY_COUNCILS = (
    (6, (4.0, 1.0, 0.0, -1.0, -4.0)),
    (8, (3.5, 1.0, 0.3, -0.3, -1.0, -3.5)),
    (10, (4.0, 1.5, 0.5, -0.5, -1.5, -4.0)),
)


def _boundary_coverage(prior_items: float) -> tuple[float, float, float]:
    """Coverage overall, coverage of the best and worst models, and their win share."""
    covered, extreme_covered, shares = [], [], []
    for n_items, strengths in BOUNDARY_COUNCILS:
        for seed in range(N_COUNCILS):
            council = simulate_council(n_models=len(strengths), n_items=n_items, strengths=strengths, seed=seed)
            board = rank_models(council.votes, ScoringSettings(rounds=500, seed=seed, prior_items=prior_items))
            index = [council.votes.models.index(m) for m in board.models]
            target = council.population_strengths()[index]
            hit = (board.strength_lower <= target) & (target <= board.strength_upper)
            covered.extend(hit)
            extreme_covered.extend(hit[[0, -1]])
            votes = council.votes.select(~council.votes.is_self)
            for model, wins_when in ((index[0], 1), (index[-1], -1)):
                first, second = votes.model_a == model, votes.model_b == model
                won = (first & (wins_when * votes.outcome > 0)) | (second & (wins_when * votes.outcome < 0))
                shares.append(won.sum() / (first | second).sum())
    return float(np.mean(covered)), float(np.mean(extreme_covered)), float(np.mean(shares))


def test_small_test_sets_with_near_certain_winners_and_losers_are_covered():
    overall, extremes, share = _boundary_coverage(prior_items=1.0)
    plain_overall, plain_extremes, _ = _boundary_coverage(prior_items=0.0)
    print(f"boundary regime (best/worst win/lose {100 * share:.0f}% of their votes): coverage {overall:.3f} overall, "
          f"{extremes:.3f} best and worst; percentile bootstrap alone: {plain_overall:.3f}, {plain_extremes:.3f}")
    assert share >= 0.93
    assert overall >= 0.90 and extremes >= 0.90
    # What the prior is for: the plain percentile intervals miss the extremes.
    assert plain_extremes < 0.8


def test_simulated_votes_have_the_asked_shape():
    council = simulate_council(n_models=6, n_items=7, n_judges=4, pairs_per_item=5, tie_margin=0.5, seed=2)
    votes = council.votes
    assert len(votes) == 4 * 7 * 5
    assert set(votes.outcome) <= {-2, -1, 0, 1, 2} and (votes.outcome == 0).any()
    assert len(votes.judges) == 4 and len(votes.models) == 6
    assert votes.is_self.any()


JUDGE_METRICS_CHECKED = (
    "position_consistency", "position_bias_first", "position_bias_second", "conviction", "agreement",
    "contrarianism", "self_enhancement_bias",
)


@pytest.mark.slow
def test_judge_metric_intervals_cover_the_population_values():
    # One simulated council, items split: 2,000 give each metric's population value
    # (what infinitely many items would show), 25 disjoint test sets of 20 items each
    # give a judge_metrics run whose intervals should hold it ~95% of the time.
    from scoring import judge_metrics

    truth_items, sets, size = 2000, 25, 20
    votes = simulate_council(n_models=5, n_items=truth_items + sets * size, n_judges=5, self_preference=0.5,
                             position_bias=0.4, seed=3).votes
    settings = ScoringSettings(include_self=True)
    truth = judge_metrics(votes.select(votes.item < truth_items), settings, rounds=1, separability_rounds=0)
    hits = {name: [] for name in JUDGE_METRICS_CHECKED}
    for k in range(sets):
        start = truth_items + k * size
        test_set = votes.select((votes.item >= start) & (votes.item < start + size))
        metrics = judge_metrics(test_set, settings, rounds=100, separability_rounds=0, seed=k)
        for name in JUDGE_METRICS_CHECKED:
            _, lower, upper = metrics.metric(name)
            target = truth.metric(name)[0]
            hits[name].extend((lower <= target) & (target <= upper))
    coverage = {name: float(np.mean(h)) for name, h in hits.items()}
    print(f"coverage of nominal 95% judge-metric intervals over {sets} test sets × 5 judges: {coverage}")
    assert all(value >= 0.85 for value in coverage.values()), coverage


def _perfectly_ordered(models: int, items: int):
    """Every judge prefers the better answer, always: the issue's four temperature-0
    members on two rounds (8 items, 192 votes)."""
    names = [f"m{k}" for k in range(models)]
    rows = []
    for item in range(items):
        for judge in names:
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    if judge not in (a, b):
                        rows += [(f"i{item}", judge, a, b, "A>B"), (f"i{item}", judge, b, a, "B>A")]
    return make_votes(*zip(*rows))


def test_models_whose_score_intervals_overlap_never_get_rank_intervals_apart():
    board = rank_models(_perfectly_ordered(4, 8), ScoringSettings(rounds=1000, seed=0))
    assert board.n_votes == 192
    for i in range(4):
        assert board.rank_lower[i] <= board.rank_ub[i], "the rank interval holds every rank the interval allows"
        for j in range(4):
            overlap = board.score_lower[i] <= board.score_upper[j] and board.score_lower[j] <= board.score_upper[i]
            if overlap:
                assert board.rank_lower[i] <= board.rank_upper[j] and board.rank_lower[j] <= board.rank_upper[i], (
                    f"{board.models[i]} and {board.models[j]} overlap in score, not in rank")


def test_rank_intervals_cover_the_true_ranks_in_small_ordered_councils_and_large_noisy_ones():
    covered = []
    for seed in range(N_COUNCILS):
        for council in (simulate_council(n_models=8, n_items=40, seed=seed),
                        simulate_council(n_models=4, n_items=8, strengths=[3.0, 1.0, -1.0, -3.0], seed=seed)):
            truth = council.population_strengths()
            board = rank_models(council.votes, ScoringSettings(rounds=500, seed=seed))
            true_rank = point_ranks(truth)[[council.votes.models.index(m) for m in board.models]]
            covered.extend((board.rank_lower <= true_rank) & (true_rank <= board.rank_upper))
    print(f"rank intervals cover the true rank {np.mean(covered):.3f} of the time")
    assert np.mean(covered) >= 0.90


def test_the_monte_carlo_error_of_interval_ends_matches_their_spread_between_seeds():
    """Each end's stated Monte Carlo error against how far it actually moves when only
    the seed changes (40 seeds, 400 rounds each): the same size, end by end pooled."""
    votes = simulate_council(n_models=6, n_items=30, seed=3).votes
    boards = [rank_models(votes, ScoringSettings(rounds=400, seed=seed)) for seed in range(40)]
    order = boards[0].models
    ends = np.array([[b.elo_lower[b.models.index(m)] for m in order] + [b.elo_upper[b.models.index(m)] for m in order]
                     for b in boards])
    stated = np.array([[b.elo_lower_mcse[b.models.index(m)] for m in order]
                       + [b.elo_upper_mcse[b.models.index(m)] for m in order] for b in boards])
    ratio = np.sqrt(np.mean(stated ** 2)) / np.sqrt(np.mean(ends.std(axis=0, ddof=1) ** 2))
    print(f"stated / actual Monte Carlo error of the interval ends: {ratio:.2f}")
    assert 0.7 <= ratio <= 1.4


def test_auto_rounds_draw_until_every_end_is_within_the_tolerance():
    votes = simulate_council(n_models=6, n_items=30, seed=3).votes
    board = rank_models(votes, ScoringSettings(rounds=250, mc_tolerance=3.0, seed=0))
    assert board.mc_tolerance_met and board.mc_error_elo <= 3.0
    assert board.settings.rounds > 250 and board.settings.rounds % 250 == 0, "doubled from the start"
    fewer = rank_models(votes, ScoringSettings(rounds=board.settings.rounds // 2, seed=0))
    assert fewer.mc_error_elo > 3.0, "it stopped at the first doubling within the tolerance"
    again = rank_models(votes, board.settings.replace(mc_tolerance=None))
    np.testing.assert_array_equal(again.elo_lower, board.elo_lower)  # reproducible from its settings


def test_every_point_lies_strictly_inside_its_interval_in_a_perfectly_ordered_council():
    board = rank_models(_perfectly_ordered(4, 8), ScoringSettings(rounds=1000, seed=0))
    assert np.all(board.elo_lower < board.elo) and np.all(board.elo < board.elo_upper), (
        board.elo_lower, board.elo, board.elo_upper)
    # The maximum-likelihood point of these votes sits on its interval's edge, where
    # the ridge alone puts it (the 2362 Elo from 192 votes).
    plain = rank_models(_perfectly_ordered(4, 8), ScoringSettings(rounds=1000, seed=0, prior_items=0))
    assert plain.elo[0] > board.elo[0] + 500
    assert np.any(plain.elo <= plain.elo_lower) or np.any(plain.elo >= plain.elo_upper)


def test_the_perfectly_ordered_councils_judges_are_not_certain_either():
    from scoring import judge_metrics

    metrics = judge_metrics(_perfectly_ordered(4, 8), ScoringSettings(include_self=True), rounds=300,
                            separability_rounds=0)
    # The figures: consistency 1.0 [1.0, 1.0], agreement 1.0 [1.0, 1.0],
    # contrarianism 0 [0, 0], polarization 1758.98 [1758.98, 1758.98].
    for name in ("position_consistency", "agreement", "polarization"):
        estimate, lower, _ = metrics.metric(name)
        assert np.all(lower < estimate - 0.03 * np.abs(estimate)), name
    assert np.all(metrics.metric("position_consistency")[1] < 0.97)
    assert np.all(metrics.metric("contrarianism")[2] > 0.1)
    assert np.all(metrics.metric("polarization")[0] < 1000)


def test_far_from_the_boundary_the_point_is_the_maximum_likelihood_one():
    votes = simulate_council(n_models=8, n_items=300, seed=1).votes
    board = rank_models(votes, ScoringSettings(rounds=200))
    plain = rank_models(votes, ScoringSettings(rounds=200, prior_items=0))
    shift = np.abs(board.elo - plain.elo[[plain.models.index(m) for m in board.models]])
    # Within the default Monte Carlo tolerance of an interval end (2 Elo).
    assert shift.max() < 1.0


BOUNDARY_JUDGE_METRICS = JUDGE_METRICS_CHECKED + ("polarization",)


def _boundary_judge_coverage(prior_items: float, sets: int = 30, size: int = 8) -> tuple[dict, float]:
    """Four nearly faultless judges of four far-apart models on test sets of 8 items:
    a third of them are consistent on every couplet of a test set."""
    from scoring import judge_metrics

    truth_items = 3000
    votes = simulate_council(n_models=4, n_items=truth_items + sets * size, strengths=(6.0, 2.0, -2.0, -6.0),
                             item_sd=0.3, judge_sd=0.3, taste_sd=0.1, position_bias=0.0, strong_margin=6.0,
                             seed=5).votes
    settings = ScoringSettings(include_self=True, prior_items=prior_items)
    truth = judge_metrics(votes.select(votes.item < truth_items), settings, rounds=1, separability_rounds=0)
    hits: dict[str, list] = {name: [] for name in BOUNDARY_JUDGE_METRICS}
    perfect = []
    for k in range(sets):
        start = truth_items + k * size
        metrics = judge_metrics(votes.select((votes.item >= start) & (votes.item < start + size)), settings,
                                rounds=200, separability_rounds=0, seed=k)
        perfect.extend(metrics.metric("position_consistency")[0] == 1.0)
        for name in BOUNDARY_JUDGE_METRICS:
            _, lower, upper = metrics.metric(name)
            target = truth.metric(name)[0]
            hits[name].extend(((lower <= target) & (target <= upper))[np.isfinite(lower)])
    return {name: float(np.mean(h)) for name, h in hits.items()}, float(np.mean(perfect))


@pytest.mark.slow
def test_judge_metric_intervals_cover_nearly_faultless_judges_too():
    coverage, perfect = _boundary_judge_coverage(prior_items=1.0)
    plain, _ = _boundary_judge_coverage(prior_items=0.0)
    print(f"judges consistent on every couplet: {perfect:.2f}; coverage {coverage}; percentile bootstrap alone {plain}")
    assert perfect >= 0.25
    assert all(value >= 0.90 for value in coverage.values()), coverage
    # What the prior is for: the plain intervals of the shares collapse at 0 and 1.
    assert plain["position_consistency"] < 0.8 and plain["position_bias_first"] < 0.8

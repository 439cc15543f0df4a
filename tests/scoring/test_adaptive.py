"""Adaptive judging's rule (`scoring.adaptive`): its start design connects every model,
its choices go where the leaderboard is in doubt and do not depend on how slots are
listed, it stops when settled, and intervals from the votes it chose stay honest."""

import numpy as np
import pytest

from scoring import ScoringSettings, make_votes, rank_models, simulate_council
from scoring.adaptive import (
    Refit,
    adaptive_step,
    compare_designs,
    random_design,
    replay_adaptive,
    start_design,
    unchanged,
)

MODELS = [f"m{i}" for i in range(12)]


def _connected(edges, models) -> bool:
    reached, frontier = {models[0]}, [models[0]]
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == node and y not in reached:
                    reached.add(y)
                    frontier.append(y)
    return reached == set(models)


def test_the_start_design_connects_every_model_within_a_few_items_and_never_asks_a_self_judgment():
    items = [f"item-{k}" for k in range(12)]
    design = start_design(MODELS, MODELS, items, pairs=2, seed=3)
    slots = [s for item in items for s in design[item]]
    assert len(slots) == 2 * len(items)
    assert _connected([(a, b) for a, b, _ in slots], MODELS)
    assert all(judge not in (a, b) for a, b, judge in slots)
    assert all(MODELS.index(a) < MODELS.index(b) for a, b, _ in slots), "pairs keep the models' order"
    assert design == start_design(MODELS, MODELS, items[::-1], pairs=2, seed=3), "the items' order is no input"
    assert design != start_design(MODELS, MODELS, items, pairs=2, seed=4)


@pytest.mark.parametrize("members", [3, 12, 20, 40])
@pytest.mark.parametrize("items", [1, 2, 5, 10, 20, 200])
def test_the_start_design_covers_every_edge_of_the_ring_before_judging_one_twice(members, items):
    """With 20 members, 20 items and 2 pairs per item, dealing edges out at a hashed
    offset per item left edges unjudged and split the models in two (the crash of 7 of
    8 simulated 20-member councils); dealt out in blocks, every edge is covered."""
    models = [f"m{i}" for i in range(members)]
    names = [f"item-{k}" for k in range(items)]
    design = start_design(models, models, names, pairs=2, seed=3)
    pairs = [frozenset((a, b)) for item in names for a, b, _ in design[item]]
    edges = members if members > 2 else 1
    assert len(set(pairs)) == edges, "every ring edge is judged"
    counts = [pairs.count(pair) for pair in set(pairs)]
    assert max(counts) - min(counts) <= 1, "no edge judged twice before every edge is judged once"
    assert all(len(design[item]) >= min(2, edges) for item in names)
    assert _connected([tuple(pair) for pair in pairs], models)


def test_a_refit_whose_votes_do_not_connect_the_models_first_asks_what_connects_them():
    rng = np.random.default_rng(0)
    two_groups = {"a": 1.0, "b": 0.0}, {"c": 0.5, "d": -0.5}
    rows = []
    for group in two_groups:  # no vote compares a model of one group with the other's
        rows += _votes_rows(group, 4, rng)
    votes = make_votes(*zip(*rows))
    slots = _all_slots(["a", "b", "c", "d", "e"], [f"i{k}" for k in range(6)], ["x", "y"])
    step = adaptive_step(votes, *zip(*slots), 10, settings=ScoringSettings(rounds=200, seed=0), seed=1)
    chosen = [slots[k] for k in step.chosen]
    assert step.stopped is None and step.separated == frozenset() and step.untried
    groups = [{"a", "b"}, {"c", "d"}, {"e"}]
    joined = [next(g for g, members in enumerate(groups) if m in members) for _, a, b, _ in chosen for m in (a, b)]
    assert len(chosen) == 2, "two slots join three groups"
    assert all(joined[2 * k] != joined[2 * k + 1] for k in range(len(chosen)))
    cut = adaptive_step(votes, *zip(*[s for s in slots if {s[1], s[2]} <= {"a", "b"}]), 10,
                        settings=ScoringSettings(rounds=200, seed=0))
    assert cut.stopped == "exhausted" and len(cut.chosen) == 0, "nothing can join them: said, not a crash"


@pytest.mark.parametrize(("members", "items"), [(3, 5), (3, 200), (20, 5), (20, 20), (40, 5), (40, 20)])
def test_adaptive_judging_never_crashes_on_councils_of_3_to_40_members_and_5_to_200_items(members, items):
    council = simulate_council(n_models=members, n_items=items, n_judges=min(members, 4), seed=members + items)
    used, stopped, refits = replay_adaptive(council.votes, batch_calls=400, max_calls=4000, seed=3,
                                            settings=ScoringSettings(rounds=50, seed=3))
    assert stopped in ("settled", "exhausted", "max_calls") and refits >= 1
    rank_models(council.votes.select(used), ScoringSettings(rounds=50))  # the design it stopped at can be ranked


def _votes_rows(strengths: dict[str, float], items: int, rng: np.random.Generator) -> list[tuple]:
    """Every pair on every item in both orders, judged by one outside judge."""
    rows = []
    models = list(strengths)
    for k in range(items):
        for i, a in enumerate(models):
            for b in models[i + 1:]:
                p = 1 / (1 + np.exp(strengths[b] - strengths[a]))
                win = rng.random() < p
                rows += [(f"i{k}", "j", a, b, "A>B" if win else "B>A"), (f"i{k}", "j", b, a, "B>A" if win else "A>B")]
    return rows


def _votes_between(strengths: dict[str, float], items: int, rng: np.random.Generator):
    return make_votes(*zip(*_votes_rows(strengths, items, rng)))


def _all_slots(models, items, judges):
    return [(item, a, b, j) for item in items for i, a in enumerate(models) for b in models[i + 1:] for j in judges]


def test_choices_go_to_pairs_in_doubt_new_items_first_whatever_the_order_of_the_slots():
    rng = np.random.default_rng(0)
    strengths = {"top": 4.0, "a": 0.1, "b": 0.0, "bottom": -4.0}
    votes = _votes_between(strengths, 6, rng)
    slots = _all_slots(list(strengths), [f"i{k}" for k in range(12)], ["x", "y"])
    settings = ScoringSettings(rounds=200, seed=0)
    step = adaptive_step(votes, *zip(*slots), 8, settings=settings, seed=5)
    assert step.stopped is None and step.doubtful
    doubtful = {frozenset(pair) for pair in step.doubtful}
    assert frozenset(("top", "bottom")) not in doubtful, "pairs far apart need no more evidence"
    chosen = [slots[k] for k in step.chosen]
    assert len(chosen) == 8 and all(frozenset(s[1:3]) in doubtful for s in chosen)
    assert all(int(s[0][1:]) >= 6 for s in chosen), "items never judged for the pair before more judges on old ones"
    assert len({(s[0], s[1], s[2]) for s in chosen}) == 8, "one slot per new cell before a second judge"

    shuffled = [slots[k] for k in np.random.default_rng(1).permutation(len(slots))]
    again = adaptive_step(votes, *zip(*shuffled), 8, settings=settings, seed=5)
    assert sorted(shuffled[k] for k in again.chosen) == sorted(chosen)


def test_the_random_choice_draws_from_every_open_slot_whatever_their_order():
    rng = np.random.default_rng(0)
    votes = _votes_between({"top": 4.0, "a": 0.1, "b": 0.0, "bottom": -4.0}, 6, rng)
    slots = _all_slots(["top", "a", "b", "bottom"], [f"i{k}" for k in range(12)], ["x", "y"])
    settings = ScoringSettings(rounds=200, seed=0)
    everything = adaptive_step(votes, *zip(*slots), len(slots), settings=settings, seed=5, choose="random")
    assert sorted(everything.chosen.tolist()) == list(range(len(slots))), "not only the pairs in doubt"
    step = adaptive_step(votes, *zip(*slots), 8, settings=settings, seed=5, choose="random")
    shuffled = [slots[k] for k in np.random.default_rng(1).permutation(len(slots))]
    again = adaptive_step(votes, *zip(*shuffled), 8, settings=settings, seed=5, choose="random")
    assert sorted(shuffled[k] for k in again.chosen) == sorted(slots[k] for k in step.chosen)
    doubt = adaptive_step(votes, *zip(*slots), 8, settings=settings, seed=5)
    assert (step.stopped, step.doubtful) == (doubt.stopped, doubt.doubtful), "the same refit and stop rule"


def test_a_design_whose_pairs_are_all_far_apart_is_settled():
    rng = np.random.default_rng(1)
    votes = _votes_between({"a": 6.0, "b": 0.0, "c": -6.0}, 30, rng)
    step = adaptive_step(votes, ["i99"], ["a"], ["b"], ["x"], 10, settings=ScoringSettings(rounds=200, seed=0))
    assert step.stopped == "settled" and len(step.chosen) == 0 and len(step.separated) == 3


def test_unchanged_needs_patience_plus_one_equal_refits_that_gave_every_doubtful_pair_a_judgment():
    one, two = frozenset({("a", "b")}), frozenset()
    assert not unchanged([Refit(one, 100 * k, 5) for k in range(3)], 3)
    assert unchanged([Refit(two, 0, 5)] + [Refit(one, 100 * k, 5) for k in range(1, 5)], 3)
    assert not unchanged([Refit(one, 0, 5), Refit(one, 100, 5), Refit(two, 200, 5), Refit(one, 300, 5)], 3)
    # the doubtful pairs had no room for another judgment each in the window: not settled
    assert not unchanged([Refit(two, 100 * k, 190) for k in range(4)], 3)
    # pairs in doubt never judged: not settled
    assert not unchanged([Refit(one, 200 * k, 190, 150) for k in range(4)], 3)
    assert unchanged([Refit(one, 200 * k, 190, 0) for k in range(4)], 3)
    # nothing separated yet: standing still is no sign of being settled (a 12-member
    # council "settled" at 3% of its calls with none of its 10 true separations found)
    assert not unchanged([Refit(two, 200 * k, 190, 0) for k in range(4)], 3)


def test_the_replay_is_deterministic_and_never_asks_self_judgments():
    votes = simulate_council(n_models=6, n_items=10, seed=2).votes
    first = replay_adaptive(votes, batch_calls=60, seed=1)
    assert np.array_equal(first[0], replay_adaptive(votes, batch_calls=60, seed=1)[0])
    assert first[1] in ("settled", "exhausted", "max_calls") and first[2] >= 1
    assert not (votes.is_self & first[0]).any()
    assert not (votes.is_self & random_design(votes, 100, seed=1)).any()
    capped = replay_adaptive(votes, batch_calls=60, max_calls=150, seed=1)
    assert capped[0].sum() <= 150 and capped[1] == "max_calls"


def test_compare_designs_counts_kept_reversed_and_extra_pairs():
    full = frozenset({("a", "b"), ("a", "c"), ("b", "c")})
    got = frozenset({("a", "b"), ("c", "b"), ("a", "d")})
    comparison = compare_designs(full, got)
    assert (comparison.separated_full, comparison.reversed, comparison.extra) == (3, 1, 1)
    assert comparison.recall == pytest.approx(1 / 3)


N_COUNCILS = 40


def test_intervals_from_adaptively_chosen_votes_cover_the_population_strengths():
    """As `test_simulation_coverage` for the full design: 40 councils of 8 members and 40
    items, the rule choosing and stopping on its own; nominal 95% intervals must cover
    the truth ≥ 90% of the time."""
    covered, shares = [], []
    for seed in range(N_COUNCILS):
        council = simulate_council(n_models=8, n_items=40, seed=seed)
        used, _, _ = replay_adaptive(council.votes, batch_calls=400, seed=seed,
                                     settings=ScoringSettings(rounds=200, seed=seed))
        shares.append(used.sum() / len(council.votes))
        board = rank_models(council.votes.select(used), ScoringSettings(rounds=500, seed=seed))
        target = council.population_strengths()[[council.votes.models.index(m) for m in board.models]]
        covered.extend((board.strength_lower <= target) & (target <= board.strength_upper))
    print(f"coverage {np.mean(covered):.3f} at {np.mean(shares):.2f} of the calls on average")
    assert np.mean(covered) >= 0.90
    assert np.mean(shares) < 0.6, "the rule stopped on its own well before the full design"

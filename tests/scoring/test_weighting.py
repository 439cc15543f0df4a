"""Judges weighed by people (`scoring.weighting`): on adversarial pairs where pooling
every judge is near chance, the weighted jury matches the best judge."""

import numpy as np
import pytest

from scoring import make_votes
from scoring.weighting import judge_sides, judge_weighting, weigh_judges


def _adversarial(seed: int = 0, n_items: int = 300, good: int = 3, fooled: int = 12):
    """LLMBar-style pairs: on half the items (the traps) a superficially better output
    fools most judges; a few judges see through them."""
    rng = np.random.default_rng(seed)
    rows, gold = [], []
    for i in range(n_items):
        better = "output_1" if rng.random() < 0.5 else "output_2"
        worse = "output_2" if better == "output_1" else "output_1"
        gold.append((f"p{i}", "expert", better, worse, "A>B"))
        trap = rng.random() < 0.5
        for j in range(good + fooled):
            right = rng.random() < (0.85 if j < good else (0.15 if trap else 0.8))
            winner = better if right else worse
            for first, second in (("output_1", "output_2"), ("output_2", "output_1")):
                rows.append((f"p{i}", f"judge-{j:02d}", first, second, "A>B" if winner == first else "B>A"))
    return make_votes(*zip(*rows)), make_votes(*zip(*gold))


def test_on_adversarial_pairs_the_weighted_jury_matches_the_best_judge_where_pooling_fails():
    jury, gold = _adversarial()
    result = judge_weighting(jury, gold, folds=5, rounds=400)
    print(result.to_dict()["held_out_agreement"])
    assert result.mean_pooling.estimate < 0.62, "pooling every judge is near chance"
    assert result.matches_best_judge and result.weighted.estimate >= 0.85
    good = [result.weights[result.judges.index(f"judge-{j:02d}")] for j in range(3)]
    fooled = [result.weights[result.judges.index(f"judge-{j:02d}")] for j in range(3, 15)]
    assert min(good) > 3 * max(np.abs(fooled))
    assert result.weighted.lower < result.weighted.estimate < result.weighted.upper


def test_sides_follow_both_orders_and_ties():
    jury = make_votes(["i1"] * 4, ["a", "a", "b", "b"], ["x", "y", "x", "y"], ["y", "x", "y", "x"],
                      ["A>B", "B>A", "A>B", "A>B"])  # a: x twice; b: x once, y once (a tie of orders)
    gold = make_votes(["i1"], ["person"], ["y"], ["x"], ["B>A"])
    sides, human, item = judge_sides(jury, gold)
    assert sides.tolist() == [[1.0, 0.0]] and human.tolist() == [1.0] and item.tolist() == [0]


def test_weights_are_a_penalised_logistic_regression_without_intercept():
    scipy_optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(1)
    sides = rng.choice([-1.0, 0.0, 1.0], size=(80, 4))
    human = np.sign(sides @ np.array([1.5, -0.5, 0.0, 0.8]) + rng.logistic(size=80))
    human[human == 0] = 1.0

    def loss(w):
        margin = human * (sides @ w)
        return np.logaddexp(0, -margin).sum() + 0.5 * (w**2).sum()

    expected = scipy_optimize.minimize(loss, np.zeros(4), method="BFGS", options={"gtol": 1e-10}).x
    np.testing.assert_allclose(weigh_judges(sides, human), expected, atol=1e-5)


@pytest.mark.parametrize("subset", ["natural", "mt-bench", "llmeval2", "faireval"])
def test_on_llmbars_expert_labels_the_weighted_jury_matches_the_best_judge(llmbar_dir, subset):
    """Data nobody here wrote: each set's judge configurations against its experts."""
    from council.inputs.votes import read_votes

    jury = read_votes(llmbar_dir / subset / "judges.jsonl").votes
    gold = read_votes(llmbar_dir / subset / "gold.jsonl").votes
    result = judge_weighting(jury, gold, folds=5, rounds=500)
    print(subset, result.to_dict()["held_out_agreement"])
    assert result.matches_best_judge
    assert result.weighted.estimate >= result.mean_pooling.estimate - 0.01
    if subset == "natural":  # GPT-4's published accuracy there is 95.5%
        assert result.best_judge.estimate >= 0.95

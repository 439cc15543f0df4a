"""Scoring speed: Council's full scoring against the paper's procedure, in one run.

(a) Council: Bradley–Terry on win counts, 1000 item-bootstrap rounds, separability,
    rank intervals and tiers (`scoring.rank_models`).
(b) The Language Model Council's code / Arena-Hard-Auto v0.1, re-implemented: one
    logistic-regression row per vote (strong votes repeated 3 times, ties as a win
    each way), scikit-learn's LogisticRegression, 100 rounds resampling vote rows.

Both on the same council-shaped synthetic votes: 20 models, 100 items, 20 judges,
every model against a reference in both orders (76,000 votes). Then the large case,
1,000,000 votes of 50 models, timed in a child process whose peak memory is read.

Run: ``python benchmarks/bench_scoring.py`` (needs ``pip install ".[bench]"``).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from scoring import ScoringSettings, rank_models, scoring_settings, simulate_council


def _best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def paper_procedure(votes, rounds: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Arena-Hard v0.1's compute_mle_elo + get_bootstrap_result on vote rows.

    Returns the point Elo ratings (mean 1000 is not enforced) and the bootstrap draws.
    """
    from sklearn.linear_model import LogisticRegression

    n = len(votes.models)
    outcome = votes.outcome.astype(int)
    # Battle rows as the paper's code builds them: A>>B repeated 3 times, A=B as a
    # win for each side.
    repeat = np.where(np.abs(outcome) == 2, 3, np.where(outcome == 0, 2, 1))
    rows = np.repeat(np.arange(len(outcome)), repeat)
    first = votes.model_a[rows]
    second = votes.model_b[rows]
    tie_second_copy = (outcome[rows] == 0) & (np.r_[False, rows[1:] == rows[:-1]])
    a_won = (outcome[rows] > 0) | ((outcome[rows] == 0) & ~tie_second_copy)
    rng = np.random.default_rng(seed)

    def fit(index: np.ndarray) -> np.ndarray:
        x = np.zeros((len(index), n))
        x[np.arange(len(index)), first[index]] = np.log(10.0)
        x[np.arange(len(index)), second[index]] = -np.log(10.0)
        model = LogisticRegression(fit_intercept=False, C=1e6, tol=1e-6, max_iter=1000)
        model.fit(x, a_won[index].astype(int))
        return 400.0 * model.coef_[0] + 1000.0

    point = fit(np.arange(len(rows)))
    draws = [fit(rng.integers(0, len(rows), len(rows))) for _ in range(rounds)]
    return point, np.array(draws)


def council_case() -> dict:
    council = simulate_council(n_models=20, n_items=100, reference=0, seed=0)
    votes = council.votes
    ours = _best_of(3, lambda: rank_models(votes, ScoringSettings(rounds=1000, seed=0)))
    result = {}
    theirs = _best_of(1, lambda: result.update(paper=paper_procedure(votes)))
    # The baseline is only a fair one if it computes the same thing: compare its point
    # Elo with Council's reference mode, which follows the paper's conventions.
    paper_elo = result["paper"][0]
    board = rank_models(votes, scoring_settings("reference", reference=votes.models[0], rounds=10))
    ours_elo = np.array([board.elo[board.models.index(m)] for m in votes.models])
    gap = np.abs((paper_elo - paper_elo[0] + 1000.0) - ours_elo).max()
    return {"votes": len(votes), "council_s": ours, "paper_s": theirs, "ratio": theirs / ours, "elo_gap": gap}


def large_case() -> dict:
    council = simulate_council(n_models=50, n_items=400, pairs_per_item=50, seed=1)
    start = time.perf_counter()
    rank_models(council.votes, ScoringSettings(rounds=1000, seed=0))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"votes": len(council.votes), "models": 50, "seconds": seconds, "peak_rss_mb": peak_mb}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["all", "large"], default="all")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.case == "large":
        print(json.dumps(large_case()))
        return 0
    council = council_case()
    child = subprocess.run(
        [sys.executable, __file__, "--case", "large"], capture_output=True, text=True, check=True
    )
    large = json.loads(child.stdout)
    print(f"76,000 votes, 20 models, 100 items, 20 judges ({council['votes']} votes)")
    print(f"  (a) Council, fit + 1000 item-bootstrap rounds + ranks + tiers: {council['council_s']:.3f} s")
    print(f"  (b) paper / Arena-Hard v0.1, logistic regression, 100 vote rounds: {council['paper_s']:.3f} s")
    print(f"  ratio (b)/(a): {council['ratio']:.0f}x   [targets: (a) <= 1 s, ratio >= 20x]")
    print(f"  (b)'s point Elo vs Council's reference mode: largest gap {council['elo_gap']:.4f} Elo")
    print(f"{large['votes']:,} votes, {large['models']} models, 1000 item-bootstrap rounds")
    print(f"  Council: {large['seconds']:.2f} s, peak memory {large['peak_rss_mb']:.0f} MB (whole process)"
          "   [targets: <= 10 s, < 1 GB]")
    missed = council["council_s"] > 1 or council["ratio"] < 20 or large["seconds"] > 10 or large["peak_rss_mb"] >= 1024
    if missed:
        print("target missed")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

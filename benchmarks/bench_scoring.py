"""Scoring speed: Council's full scoring against the paper's procedure, in one run.

(a) Council: Bradley–Terry on win counts, 1000 item-bootstrap rounds, separability,
    rank intervals and tiers (`scoring.rank_models`).
(b) The Language Model Council's code / Arena-Hard-Auto v0.1, re-implemented: one
    logistic-regression row per vote (strong votes repeated 3 times, ties as a win
    each way), scikit-learn's LogisticRegression, 100 rounds resampling vote rows.

Both on the same council-shaped synthetic votes: 20 models, 100 items, 20 judges,
every model against a reference in both orders (76,000 votes). Then the large case,
1,000,000 votes of 50 models, timed in a child process whose peak memory is read.

Reading votes files: the same 76,000 votes as JSONL read by `council.read_votes`
against polars' own ``read_ndjson`` of the file; and 45,000 votes whose item ids are
2,000-character prompts (AlpacaEval's shape: 805 prompts × 57 models), read in a child
process whose peak memory is compared with the same votes under short ids.

Run: ``python benchmarks/bench_scoring.py`` (needs ``pip install ".[bench]"``).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from scoring import ScoringSettings, rank_models, scoring_settings, simulate_council


def peak_memory_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over fork and exec, so a child would report its parent's peak."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


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
    peak_mb = peak_memory_mb()
    return {"votes": len(council.votes), "models": 50, "seconds": seconds, "peak_rss_mb": peak_mb}


def write_jsonl(votes, path: Path, item_names=None) -> None:
    from scoring import label_of

    items = item_names or votes.items
    with path.open("w", encoding="utf-8") as out:
        for k in range(len(votes)):
            out.write(json.dumps({
                "item": items[votes.item[k]], "judge": votes.judges[votes.judge[k]],
                "model_a": votes.models[votes.model_a[k]], "model_b": votes.models[votes.model_b[k]],
                "verdict": label_of(int(votes.outcome[k])),
            }) + "\n")


def reading_case(folder: Path) -> dict:
    import polars as pl

    from council.inputs.votes import read_votes

    path = folder / "votes.jsonl"
    write_jsonl(simulate_council(n_models=20, n_items=100, reference=0, seed=0).votes, path)
    ours = _best_of(5, lambda: read_votes(path))
    theirs = _best_of(5, lambda: pl.read_ndjson(path))
    return {"votes": len(read_votes(path).votes), "council_s": ours, "polars_s": theirs, "ratio": ours / theirs}


def memory_case(path: str) -> dict:
    from council.inputs.votes import read_votes

    votes = read_votes(path).votes
    return {"votes": len(votes), "peak_rss_mb": peak_memory_mb()}


def long_id_files(folder: Path) -> tuple[Path, Path]:
    """45,000 votes: 805 items × 57 models against one baseline, one judge; the items
    named by 2,000-character prompts, and by short ids."""
    council = simulate_council(n_models=58, n_items=805, n_judges=1, reference=0, seed=2)
    votes = council.votes
    votes = votes.select(votes.model_b == 0)  # 805 × 57 = 45,885 votes against the baseline
    letters = "abcdefghijklmnopqrstuvwxyz     "
    rng = random.Random(0)
    prompts = tuple(f"{k:04d} " + "".join(rng.choice(letters) for _ in range(1995)) for k in range(len(votes.items)))
    long_path, short_path = folder / "long_ids.jsonl", folder / "short_ids.jsonl"
    write_jsonl(votes, long_path, prompts)
    write_jsonl(votes, short_path)
    return long_path, short_path


def _child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=["all", "large", "memory"], default="all")
    parser.add_argument("--file", help="the votes file of the memory case")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args()
    if args.case == "large":
        print(json.dumps(large_case()))
        return 0
    if args.case == "memory":
        print(json.dumps(memory_case(args.file)))
        return 0
    council = council_case()
    large = _child("--case", "large")
    with tempfile.TemporaryDirectory() as folder:
        reading = reading_case(Path(folder))
        long_path, short_path = long_id_files(Path(folder))
        long_ids = _child("--case", "memory", "--file", str(long_path))
        short_ids = _child("--case", "memory", "--file", str(short_path))
    print(f"76,000 votes, 20 models, 100 items, 20 judges ({council['votes']} votes)")
    print(f"  (a) Council, fit + 1000 item-bootstrap rounds + ranks + tiers: {council['council_s']:.3f} s")
    print(f"  (b) paper / Arena-Hard v0.1, logistic regression, 100 vote rounds: {council['paper_s']:.3f} s")
    print(f"  ratio (b)/(a): {council['ratio']:.0f}x   [targets: (a) <= 1 s, ratio >= 20x]")
    print(f"  (b)'s point Elo vs Council's reference mode: largest gap {council['elo_gap']:.4f} Elo")
    print(f"{large['votes']:,} votes, {large['models']} models, 1000 item-bootstrap rounds")
    print(f"  Council: {large['seconds']:.2f} s, peak memory {large['peak_rss_mb']:.0f} MB (whole process)"
          "   [targets: <= 10 s, < 1 GB]")
    print(f"reading {reading['votes']:,} votes from JSONL: council.read_votes {reading['council_s']:.3f} s, "
          f"polars.read_ndjson {reading['polars_s']:.3f} s (ratio {reading['ratio']:.1f})   [target: <= 0.15 s]")
    print(f"reading {long_ids['votes']:,} votes whose item ids are 2,000-character prompts: peak "
          f"{long_ids['peak_rss_mb']:.0f} MB (short ids: {short_ids['peak_rss_mb']:.0f} MB; whole process)"
          "   [target: < 250 MB]")
    missed = (council["council_s"] > 1 or council["ratio"] < 20 or large["seconds"] > 10 or large["peak_rss_mb"] >= 1024
              or reading["council_s"] > 0.15 or long_ids["peak_rss_mb"] >= 250)
    if missed:
        print("target missed")
    return 1 if (missed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())

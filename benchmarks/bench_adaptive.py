"""Adaptive judging against the full design and a random design of the same size.

``--replay VOTES``: a complete all-pairs votes file (what `council score` reads) is
replayed — a call returns its recorded vote, nothing else is visible — by the rule a
council run uses (`scoring.adaptive.replay_adaptive`: the same start design, refits and
stop). The leaderboard it stops at is compared with the full design's: the share of the
full design's separated pairs it keeps (recall), pairs it separates the other way round,
pairs it separates that the full design does not, and the recall of a random design with
as many calls (same seed, self-judgments never asked). Without ``--replay``: simulated
councils (`scoring.simulate_council`) of 8, 12 and 20 members.

The comparison bootstraps 2,000 rounds: at 200, the full design compared with itself
under another seed lost up to 12% of its separated pairs to the draws alone, which would
be charged to the design. The issue's goal — at most 20% of the calls with recall ≥ 0.95,
0 reversed, extra ≤ 2% of all pairs, and above random — is printed as met or not.

Run: ``python benchmarks/bench_adaptive.py [--replay VOTES] [--json] [--seed N]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

COMPARISON_ROUNDS = 2000
FIELDS = ("calls_full", "calls_used", "separated_full", "recall", "reversed", "extra", "random_recall",
          "rank_spearman")


def evaluate(votes, seed: int = 0) -> dict:
    """The issue's fields for one complete votes set, plus why the rule stopped."""
    from scipy.stats import spearmanr

    from scoring import ScoringSettings, rank_models
    from scoring.adaptive import compare_designs, random_design, replay_adaptive, separated_pairs

    compare = ScoringSettings(rounds=COMPARISON_ROUNDS, seed=seed)
    full_board = rank_models(votes, compare)
    full = separated_pairs(full_board)
    used, stopped, refits = replay_adaptive(votes, seed=seed, settings=ScoringSettings(rounds=200, seed=seed))
    board = rank_models(votes.select(used), compare)
    adaptive = compare_designs(full, separated_pairs(board))
    random_board = rank_models(votes.select(random_design(votes, int(used.sum()), seed)), compare)
    baseline = compare_designs(full, separated_pairs(random_board))
    strength = dict(zip(board.models, board.strength))
    rho = spearmanr([strength[m] for m in full_board.models], full_board.strength).statistic
    n = len(votes.models)
    return {"calls_full": int((~votes.is_self).sum()), "calls_used": int(used.sum()),
            "separated_full": adaptive.separated_full, "recall": round(adaptive.recall, 4),
            "reversed": adaptive.reversed, "extra": adaptive.extra, "random_recall": round(baseline.recall, 4),
            "rank_spearman": round(float(rho), 4), "stopped": stopped, "refits": refits,
            "all_pairs": n * (n - 1) // 2}


def meets_goal(result: dict) -> bool:
    return (result["calls_used"] <= 0.2 * result["calls_full"] and result["recall"] >= 0.95
            and result["reversed"] == 0 and result["extra"] <= 0.02 * result["all_pairs"]
            and result["recall"] > result["random_recall"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", metavar="VOTES", help="A complete all-pairs votes file.")
    parser.add_argument("--json", action="store_true", help="Print JSON: the issue's fields, exactly.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.replay:
        from council.errors import BadInput
        from council.inputs.votes import read_votes

        try:
            votes = read_votes(args.replay).votes
        except BadInput as error:
            sys.exit(f"error: {error}")
        result = evaluate(votes, args.seed)
        if args.json:
            print(json.dumps({k: result[k] for k in FIELDS}))
        else:
            _show(args.replay, result)
        return
    from scoring import simulate_council

    rows = []
    for members in (8, 12, 20):
        for council_seed in (1, 2, 3):
            started = time.perf_counter()
            # calls_full counts what a council asks: self-judgments are not asked
            votes = simulate_council(n_models=members, n_items=20, strength_sd=0.6, seed=council_seed).votes
            rows.append({"members": members, "council_seed": council_seed, **evaluate(votes, args.seed),
                         "seconds": round(time.perf_counter() - started, 1)})
    if args.json:
        print(json.dumps([{k: r[k] for k in ("members", "council_seed", *FIELDS)} for r in rows]))
        return
    for r in rows:
        _show(f"{r['members']} members (council seed {r['council_seed']})", r)
    met = sum(meets_goal(r) for r in rows)
    share = sum(r["calls_used"] for r in rows) / sum(r["calls_full"] for r in rows)
    print(f"goal (≤ 20% of the calls, recall ≥ 0.95, 0 reversed, extra ≤ 2% of pairs, above random) met on "
          f"{met} of {len(rows)}; calls used {100 * share:.0f}% of the full design's over all cases; mean recall "
          f"{sum(r['recall'] for r in rows) / len(rows):.3f}, random at the same calls "
          f"{sum(r['random_recall'] for r in rows) / len(rows):.3f}")


def _show(name: str, r: dict) -> None:
    took = f" ({r['seconds']} s)" if "seconds" in r else ""
    print(f"{name}: {r['calls_used']}/{r['calls_full']} calls ({100 * r['calls_used'] / r['calls_full']:.0f}%, "
          f"{r['refits']} refits, stopped: {r['stopped']}), recall {r['recall']:.2f} vs random "
          f"{r['random_recall']:.2f}, reversed {r['reversed']}, extra {r['extra']} of {r['separated_full']} "
          f"separated, spearman {r['rank_spearman']:.2f}{took}"
          f" — goal {'met' if meets_goal(r) else 'not met'}")


if __name__ == "__main__":
    main()

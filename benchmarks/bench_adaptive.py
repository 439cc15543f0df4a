"""Adaptive judging against the truth, the full design and a random design of the same size.

``--truth``: simulated councils (`scoring.simulate_council`: judges with their own noise,
taste, position bias and self-preference) of 8, 12, 16 and 20 members on 20 items,
``--councils`` of each size, whose true strengths are known. For each: the separated
pairs of the full design, of the adaptive design under each slot choice
(``judge.adaptive.choose``: ``doubt`` and ``random``, replayed by the rule a council run
uses) and of a random design with as many calls as each adaptive one, counted as correct
(the truly stronger model above) or wrong-way. Pooled over the councils: calls as a
share of the full design's, and true separations found as a share of the full design's.
The issue's numbers: over 12–20 members, ≤ 20% of the calls, ≥ 0.93 of the full design's
true separations, ≥ 0.03 above the random design of the same size, none wrong-way.

``--replay VOTES``: a complete all-pairs votes file (what `council score` reads) is
replayed — a call returns its recorded vote, nothing else is visible — by the rule a
council run uses (`scoring.adaptive.replay_adaptive`: the same start design, refits and
stop). The leaderboard it stops at is compared with the full design's: the share of the
full design's separated pairs it keeps (recall), pairs it separates the other way round,
pairs it separates that the full design does not, and the recall of a random design with
as many calls. Without either: that comparison on simulated councils of 8, 12 and 20
members. Recall against the full design is noisy at the full design's own boundary (a
subsample differs from it by the noise of the votes it leaves out), which is why the
truth mode exists.

Every comparison bootstraps 2,000 rounds: at 200, the full design compared with itself
under another seed lost up to 12% of its separated pairs to the draws alone.

Run: ``python benchmarks/bench_adaptive.py [--truth [--councils N]] [--replay VOTES] [--json] [--seed N]``.
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


TRUTH_SIZES = (8, 12, 16, 20)
CHOICES = ("doubt", "random")


def against_truth(council, seed: int = 0) -> dict:
    """One simulated council judged against its known strengths: the correct and wrong
    separations of the full design, of the adaptive design under each slot choice, and
    of a random design with as many calls as each adaptive one."""
    from scoring import ScoringSettings, rank_models
    from scoring.adaptive import random_design, replay_adaptive, separated_pairs

    votes = council.votes
    truth = dict(zip(votes.models, council.strengths))
    compare = ScoringSettings(rounds=COMPARISON_ROUNDS, seed=seed)

    def tally(mask) -> tuple[int, int]:
        got = separated_pairs(rank_models(votes if mask is None else votes.select(mask), compare))
        right = sum(bool(truth[above] > truth[below]) for above, below in got)
        return right, len(got) - right

    n = len(votes.models)
    row = {"members": n, "pairs": n * (n - 1) // 2, "calls_full": int((~votes.is_self).sum())}
    row["full_correct"], row["full_wrong"] = tally(None)
    for choose in CHOICES:
        used, stopped, refits = replay_adaptive(votes, seed=seed, choose=choose,
                                                settings=ScoringSettings(rounds=200, seed=seed))
        row[f"{choose}_calls"] = int(used.sum())
        row[f"{choose}_stopped"] = stopped
        row[f"{choose}_correct"], row[f"{choose}_wrong"] = tally(used)
        row[f"{choose}_random_correct"], row[f"{choose}_random_wrong"] = tally(
            random_design(votes, int(used.sum()), seed + 1))
    return row


def truth_summary(rows: list[dict], sizes: tuple[int, ...]) -> dict:
    """Pooled over the councils of ``sizes``: calls as a share of the full design's, and
    true separations found as a share of the full design's (adaptive, and random at the
    same calls), per slot choice."""
    rows = [r for r in rows if r["members"] in sizes]
    full = sum(r["full_correct"] for r in rows) or 1
    out: dict = {"councils": len(rows), "members": list(sizes), "full_correct": full,
                 "full_wrong": sum(r["full_wrong"] for r in rows)}
    for choose in CHOICES:
        out[choose] = {
            "calls_share": round(sum(r[f"{choose}_calls"] / r["calls_full"] for r in rows) / len(rows), 4),
            "found": round(sum(r[f"{choose}_correct"] for r in rows) / full, 4),
            "wrong": sum(r[f"{choose}_wrong"] for r in rows),
            "random_found": round(sum(r[f"{choose}_random_correct"] for r in rows) / full, 4),
            "random_wrong": sum(r[f"{choose}_random_wrong"] for r in rows),
        }
    return out


def run_truth(councils: int, items: int, seed: int, as_json: bool, sizes: tuple[int, ...] = TRUTH_SIZES) -> None:
    """``councils`` simulated councils of each of ``sizes`` members, pooled."""
    from scoring import simulate_council

    rows = []
    for members in sizes:
        for council_seed in range(councils):
            started = time.perf_counter()
            council = simulate_council(n_models=members, n_items=items, strength_sd=0.6,
                                       seed=1000 * members + council_seed)
            rows.append({**against_truth(council, seed), "seconds": round(time.perf_counter() - started, 1)})
            if not as_json:
                r = rows[-1]
                print(f"{members} members, council {council_seed}: full {r['full_correct']} correct "
                      f"{r['full_wrong']} wrong; " + "; ".join(
                          f"{c} {100 * r[f'{c}_calls'] / r['calls_full']:.0f}% of the calls ({r[f'{c}_stopped']}) "
                          f"{r[f'{c}_correct']}/{r[f'{c}_wrong']}, random {r[f'{c}_random_correct']}/"
                          f"{r[f'{c}_random_wrong']}" for c in CHOICES) + f" ({r['seconds']} s)", flush=True)
    summaries = [truth_summary(rows, sizes)]
    if set(sizes) - {12, 16, 20} and set(sizes) & {12, 16, 20}:
        summaries.append(truth_summary(rows, tuple(n for n in sizes if n in (12, 16, 20))))
    if as_json:
        print(json.dumps({"councils": rows, "pooled": summaries}))
        return
    for summary in summaries:
        print(f"\npooled over {summary['councils']} councils of {summary['members']} members "
              f"(full design: {summary['full_correct']} true separations, {summary['full_wrong']} wrong-way):")
        for choose in CHOICES:
            c = summary[choose]
            print(f"  choose={choose}: {100 * c['calls_share']:.0f}% of all-pairs calls, true separations found "
                  f"{c['found']:.3f} of the full design's ({c['wrong']} wrong-way); random design of the same size "
                  f"{c['random_found']:.3f} ({c['random_wrong']} wrong-way); ahead of random by "
                  f"{c['found'] - c['random_found']:+.3f}")


def meets_goal(result: dict) -> bool:
    return (result["calls_used"] <= 0.2 * result["calls_full"] and result["recall"] >= 0.95
            and result["reversed"] == 0 and result["extra"] <= 0.02 * result["all_pairs"]
            and result["recall"] > result["random_recall"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replay", metavar="VOTES", help="A complete all-pairs votes file.")
    parser.add_argument("--json", action="store_true", help="Print JSON: the issue's fields, exactly.")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--truth", action="store_true",
                        help="Judge designs against the known strengths of simulated councils, pooled.")
    parser.add_argument("--councils", type=int, default=8, help="With --truth: councils per size (default 8).")
    parser.add_argument("--items", type=int, default=20, help="With --truth: items per council (default 20).")
    parser.add_argument("--sizes", default=",".join(map(str, TRUTH_SIZES)),
                        help="With --truth: council sizes, comma-separated (default 8,12,16,20).")
    args = parser.parse_args()
    if args.truth:
        run_truth(args.councils, args.items, args.seed, args.json, tuple(int(n) for n in args.sizes.split(",")))
        return
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

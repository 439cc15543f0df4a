"""The prediction-powered leaderboard of human preference against the truth.

Simulated councils (`scoring.simulate.simulate_labelled_council`: 6 models, 200 items,
4 judges in both orders) whose jury prefers two models more than people do; one
person's labels exist on every pair of every item, and a random 5%, 10% or 20% of the
items are taken as labelled. For each council and share, three leaderboards of the
same draws' settings: the prediction-powered one (`scoring.ppi.rank_human_preference`),
the same estimator on the labels alone (λ = 0, the human-only fit), and the jury's own
(`rank_models`). Coverage: the share of models whose 95% interval holds people's
population strength; width: the mean interval width, and the prediction-powered width
as a share of the human-only width. ``--bias 0`` gives an unbiased jury (what the
width target is about: an informative jury, agreeing with people on ~70% of pairs).

The issue's numbers: coverage ≥ 0.90 at each share with a biased jury (the jury-only
coverage beside it), and with an informative jury and 10% labelled, intervals ≥ 15%
narrower than the human-only fit on the same labels.

``--labelling``: which comparisons to label. The target width is the human-only fit's
with every comparison of a random 20% of the items labelled (``--baseline comparisons``:
a random 20% of the comparisons); the labelling page's
order (`scoring.ppi.labelling_order`: comparisons where the jury splits first, by
sequential Poisson sampling, weighted back in the estimate) and a uniformly random
order of comparisons, each with the prediction-powered leaderboard, are grown until
their mean interval width reaches it. The issue's number: the page's order needs
≤ 70% of the labels of the 20% baseline.

``--speed``: the issue's speed target instead — ``council score`` of 100,000 jury votes
with 5,000 human labels, whole process, against the same command without labels
(the baseline, in the same run); the target is ≤ 5 s.

Run: ``python benchmarks/bench_human.py [--councils N] [--bias B] [--rounds R] [--json] [--speed]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from scoring import ScoringSettings  # noqa: E402
from scoring.ppi import rank_human_preference  # noqa: E402
from scoring.simulate import simulate_labelled_council  # noqa: E402

SHARES = (0.05, 0.10, 0.20)


def _agreement(council) -> float:
    """Share of labelled keys on which the jury's majority side is the person's."""
    from scoring.ppi import key_shares

    settings = ScoringSettings(include_self=True)
    jury, human = key_shares(council.jury, settings), key_shares(council.human, settings)
    n = len(council.jury.models)
    order = np.searchsorted(jury.codes(n), human.codes(n))
    decided = jury.share[order] != 0.5
    return float(np.mean((jury.share[order] > 0.5)[decided] == (human.share > 0.5)[decided]))


def measure(councils: int, bias: float, rounds: int, n_items: int = 200) -> dict:
    rows = {share: {"covered": {"ppi": [], "human_only": [], "jury_only": []},
                    "width": {"ppi": [], "human_only": [], "jury_only": []}, "tuning": []} for share in SHARES}
    agreement = []
    for seed in range(councils):
        council = simulate_labelled_council(n_items=n_items, jury_bias=[0, 0, 0, 0, bias, bias], seed=seed)
        agreement.append(_agreement(council))
        rng = np.random.default_rng(1000 + seed)
        for share in SHARES:
            labelled = rng.choice(n_items, size=max(2, round(share * n_items)), replace=False)
            human = council.human.select(np.isin(council.human.item, labelled))
            result = rank_human_preference(council.jury, human, ScoringSettings(rounds=rounds, seed=seed))
            row = rows[share]
            row["tuning"].append(result.tuning)
            for name, board in (("ppi", result.leaderboard), ("human_only", result.human_only),
                                ("jury_only", result.jury_only)):
                index = [board.models.index(m) for m in council.jury.models]
                lower, upper = board.strength_lower[index], board.strength_upper[index]
                row["covered"][name].extend((lower <= council.human_strengths) & (council.human_strengths <= upper))
                row["width"][name].append(float(np.mean(upper - lower)))
    summary = {"councils": councils, "bias": bias, "rounds": rounds, "n_items": n_items,
               "jury_agreement_with_people": float(np.mean(agreement)), "shares": []}
    for share, row in rows.items():
        width = {name: float(np.mean(values)) for name, values in row["width"].items()}
        summary["shares"].append({
            "labelled_share": share,
            "coverage": {name: float(np.mean(values)) for name, values in row["covered"].items()},
            "width": width,
            "ppi_width_over_human_only": width["ppi"] / width["human_only"],
            "mean_tuning": float(np.mean(row["tuning"])),
        })
    return summary


def _width(council, codes_to_label, selection=None, rounds: int = 300, seed: int = 0) -> float:
    from scoring.ppi import _vote_codes

    n = len(council.human.models)
    keep = np.isin(_vote_codes(council.human, n), codes_to_label)
    human = council.human.select(keep)
    chosen = None if selection is None else selection[np.searchsorted(codes_to_label, _vote_codes(human, n))]
    result = rank_human_preference(council.jury, human, ScoringSettings(rounds=rounds, seed=seed), selection=chosen)
    board = result.leaderboard
    return float(np.mean(board.strength_upper - board.strength_lower)), float(
        np.mean(result.human_only.strength_upper - result.human_only.strength_lower))


def labelling(councils: int, rounds: int, n_items: int = 200, bias: float = 0.8, person_noise: float = 1.0,
              baseline: str = "items") -> dict:
    """Labels each order needs to reach the human-only width of 20% random items."""
    from scoring.ppi import key_shares, labelling_chances, labelling_order

    rows = []
    for seed in range(councils):
        council = simulate_labelled_council(n_items=n_items, jury_bias=[0, 0, 0, 0, bias, bias],
                                            person_noise=person_noise, seed=seed)
        n = len(council.jury.models)
        jury = key_shares(council.jury, ScoringSettings())
        codes = jury.codes(n)
        rng = np.random.default_rng(500 + seed)
        if baseline == "items":  # every comparison of a random 20% of the items
            baseline_items = rng.choice(n_items, size=n_items // 5, replace=False)
            baseline_codes = np.sort(codes[np.isin(jury.item, baseline_items)])
        else:  # a random 20% of the comparisons
            baseline_codes = np.sort(rng.choice(codes, size=len(codes) // 5, replace=False))
        _, target = _width(council, baseline_codes, rounds=rounds, seed=seed)
        chances = labelling_chances(jury.share)
        orders = {"page": labelling_order(chances, rng.random(len(codes))), "random": rng.permutation(len(codes))}
        needed = {}
        for name, order in orders.items():
            needed[name] = None  # not reached with as many labels as the baseline's
            step = max(1, len(baseline_codes) // 20)
            for count in range(step, len(baseline_codes) + 1, step):
                chosen = np.sort(order[:count])
                selection = chances[chosen] if name == "page" else None
                width, _ = _width(council, codes[chosen], selection, rounds=rounds, seed=seed)
                if width <= target:
                    needed[name] = count
                    break
        rows.append({"baseline_labels": len(baseline_codes), "target_width": target, **needed})
    baseline_labels = sum(r["baseline_labels"] for r in rows)

    def share(name: str) -> float:
        """Labels needed over the baseline's, pooled; a council that never reached the
        target counts the baseline's labels (a lower bound of what it needs)."""
        return sum(r[name] if r[name] is not None else r["baseline_labels"] for r in rows) / baseline_labels

    return {"councils": councils, "rounds": rounds, "baseline": baseline, "person_noise": person_noise,
            "per_council": rows,
            "page_labels_over_baseline": share("page"), "random_labels_over_baseline": share("random"),
            "page_not_reached": sum(r["page"] is None for r in rows),
            "random_not_reached": sum(r["random"] is None for r in rows)}


def speed() -> dict:
    """Seconds of ``council score`` with and without 5,000 labels beside 100,000 votes."""
    import subprocess
    import tempfile

    from scoring import label_of
    from scoring.simulate import simulate_labelled_council

    council = simulate_labelled_council(n_models=10, n_items=1200, n_judges=1, seed=0)

    def write(votes, path: Path, rows) -> None:
        with path.open("w") as handle:
            for r in rows:
                handle.write(json.dumps({"item": votes.items[votes.item[r]], "judge": votes.judges[votes.judge[r]],
                                         "model_a": votes.models[votes.model_a[r]],
                                         "model_b": votes.models[votes.model_b[r]],
                                         "verdict": label_of(int(votes.outcome[r]))}) + "\n")

    council_cli = str(Path(sys.executable).parent / "council")
    with tempfile.TemporaryDirectory() as folder:
        jury, human = Path(folder) / "jury.jsonl", Path(folder) / "human.jsonl"
        write(council.jury, jury, range(100_000))
        write(council.human, human, range(5_000))
        seconds = {}
        for name, extra in (("jury only", []), ("with labels", ["--human", str(human)])):
            began = time.perf_counter()
            subprocess.run([council_cli, "score", str(jury), "--json", *extra], check=True, capture_output=True)
            seconds[name] = time.perf_counter() - began
    return {"seconds": seconds, "ratio": seconds["with labels"] / seconds["jury only"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--councils", type=int, default=40)
    parser.add_argument("--bias", type=float, default=0.8, help="what the jury adds to the last two models")
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--speed", action="store_true", help="time council score with 5,000 labels instead")
    parser.add_argument("--labelling", action="store_true", help="labels the page's order needs instead")
    parser.add_argument("--baseline", choices=("items", "comparisons"), default="items",
                        help="--labelling's baseline: every comparison of 20%% of the items, or 20%% of the "
                             "comparisons")
    parser.add_argument("--person-noise", type=float, default=1.0,
                        help="scale of a person's logistic noise (1: as noisy as a judge; 0.3: an expert)")
    args = parser.parse_args()
    if args.labelling:
        result = labelling(args.councils, args.rounds, person_noise=args.person_noise, baseline=args.baseline)
        if args.json:
            print(json.dumps(result, indent=1))
            return
        unit = "items" if args.baseline == "items" else "comparisons"
        print(f"{args.councils} councils (person noise {args.person_noise:g}): labels needed to reach the "
              f"human-only width of a random 20% of the {unit}, as a share of that baseline's labels: the page's "
              f"split order {result['page_labels_over_baseline']:.2f} (not reached in {result['page_not_reached']}), "
              f"random comparisons {result['random_labels_over_baseline']:.2f} (not reached in "
              f"{result['random_not_reached']})")
        return
    if args.speed:
        result = speed()
        print(json.dumps(result, indent=1) if args.json else
              f"council score, 100,000 jury votes: {result['seconds']['jury only']:.2f} s; with 5,000 human labels: "
              f"{result['seconds']['with labels']:.2f} s (ratio {result['ratio']:.2f}; target ≤ 5 s)")
        return
    began = time.perf_counter()
    summary = measure(args.councils, args.bias, args.rounds)
    summary["seconds"] = round(time.perf_counter() - began, 1)
    if args.json:
        print(json.dumps(summary, indent=1))
        return
    print(f"{args.councils} councils, jury bias {args.bias:g}, jury agrees with people on "
          f"{100 * summary['jury_agreement_with_people']:.0f}% of pairs; {summary['seconds']} s")
    print(f"{'labelled':>8}  {'coverage: ppi':>13} {'human-only':>10} {'jury-only':>9}  "
          f"{'width: ppi':>10} {'human-only':>10}  {'ppi/human':>9}  {'λ':>5}")
    for row in summary["shares"]:
        c, w = row["coverage"], row["width"]
        print(f"{100 * row['labelled_share']:>7.0f}%  {c['ppi']:>13.3f} {c['human_only']:>10.3f} "
              f"{c['jury_only']:>9.3f}  {w['ppi']:>10.3f} {w['human_only']:>10.3f}  "
              f"{row['ppi_width_over_human_only']:>9.2f}  {row['mean_tuning']:>5.2f}")


if __name__ == "__main__":
    main()

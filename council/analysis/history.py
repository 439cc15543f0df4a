"""A series' history: each completed round's leaderboard, the changes between
consecutive rounds with paired intervals, and the drift alarms.

Read from the rounds' own stores (their snapshots, votes and items), the same way every
other reader reads a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from council.analysis.display import JURY_ESTIMAND, readable_time
from council.engine.rounds import round_snapshots
from council.errors import BadInput
from council.store.frames import open_run
from scoring import ScoringError, ScoringSettings, Votes, score_changes

__all__ = ["ROUND_FIELDS", "SeriesHistory", "alarms_in_newest", "history_text", "series_history"]

#: A round's entry in ``history --json``, in order.
ROUND_FIELDS = ("round", "started_at", "completed_at", "config_hash", "n_votes", "separability", "models")


def _shared_votes(before_dir: Path, after_dir: Path) -> tuple[Votes, Votes]:
    """Both rounds' votes on the items they share: the same id with the same text."""
    with open_run(before_dir) as first, open_run(after_dir) as second:
        texts = first.item_texts()
        shared = {item for item, text in second.item_texts().items() if texts.get(item) == text}
        votes = first.scoring_votes(), second.scoring_votes()
    return votes[0].select(_on_items(votes[0], shared)), votes[1].select(_on_items(votes[1], shared))


def _on_items(votes: Votes, items: set[str]) -> np.ndarray:
    keep = np.array([name in items for name in votes.items], dtype=bool)
    return keep[votes.item]


def _changes(before: tuple[int, Path], after: tuple[int, Path], settings: ScoringSettings) -> list[dict]:
    try:
        result = score_changes(*_shared_votes(before[1], after[1]), settings)
    except ScoringError:  # no shared items or models: nothing to compare, nothing changed that we can say
        return []
    return [{"model": m["model"], "from_round": before[0], "to_round": after[0], "score_delta": m["score_delta"],
             "delta_lower": m["delta_lower"], "delta_upper": m["delta_upper"], "significant": m["significant"]}
            for m in result.to_dict()["models"]]


def _drift(before: dict, after: dict) -> list[dict]:
    alarms = []
    was, now = before.get("provider_models", {}), after.get("provider_models", {})
    for member in sorted(set(was) & set(now)):
        if was[member] != now[member]:
            alarms.append({"member": member, "round": after["round"], "kind": "provider_model",
                           "detail": f"the provider reported {now[member]!r}, not {was[member]!r} as in round "
                                     f"{before['round']}"})
    for member, check in sorted(after.get("drift_checks", {}).items()):
        if check["changed"]:
            side = "previous" if check["mean"] < 0 else "new"
            alarms.append({"member": member, "round": after["round"], "kind": "answers",
                           "detail": f"judges prefer its {side} answers: mean verdict {check['mean']:+.2f} "
                                     f"[{check['lower']:+.2f}, {check['upper']:+.2f}] from the new answer's side, "
                                     f"{check['n_votes']} votes on {check['n_items']} items"})
    return alarms


@dataclass(frozen=True)
class SeriesHistory:
    """A series over its completed rounds: each round's leaderboard, the changes between
    rounds and the drift alarms; ``to_dict`` is `council history --json`."""

    series: str
    rounds: list[dict[str, Any]]
    changes: list[dict[str, Any]]
    drift: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"series": self.series, "rounds": self.rounds, "changes": self.changes, "drift": self.drift}

    def __str__(self) -> str:
        return "\n".join(history_text(self))


def series_history(series_dir: str | Path, settings: ScoringSettings | None = None, *,
                   snapshots: list[tuple[int, Path, dict | None]] | None = None) -> SeriesHistory:
    """The completed rounds of a series (`BadInput` when the directory holds no round).
    ``snapshots``: the series' rounds as `round_snapshots` read them, when the caller
    has them already."""
    settings = settings or ScoringSettings()
    rounds = round_snapshots(series_dir) if snapshots is None else snapshots
    if not rounds:
        raise BadInput("not a council series (no rounds/NNNN run directories): start one with `council round`",
                       path=str(series_dir))
    completed = [((number, path), snapshot) for number, path, snapshot in rounds if snapshot is not None]
    entries, changes, drift = [], [], []
    for k, ((number, path), snapshot) in enumerate(completed):
        provider = snapshot.get("provider_models", {})
        entry = {name: snapshot.get(name) for name in ROUND_FIELDS}
        entry["models"] = [{**model, "provider_model": provider.get(model["model"])} for model in snapshot["models"]]
        entries.append(entry)
        if k:
            before, before_snapshot = completed[k - 1]
            changes += _changes(before, (number, path), settings)
            drift += _drift(before_snapshot, snapshot)
    series = completed[0][1]["series"] if completed else Path(series_dir).name
    return SeriesHistory(series, entries, changes, drift)


def alarms_in_newest(history: SeriesHistory) -> list[str]:
    """What ``--fail-on-change`` fails on: significant changes and drift alarms of the
    newest completed round, one line each."""
    if not history.rounds:
        return []
    newest = history.rounds[-1]["round"]
    lines = [f"change: {c['model']} {c['score_delta']:+.1f} [{c['delta_lower']:+.1f}, {c['delta_upper']:+.1f}] "
             f"from round {c['from_round']} to {c['to_round']}"
             for c in history.changes if c["to_round"] == newest and c["significant"]]
    lines += [f"drift: {d['member']} ({d['kind']}) in round {d['round']}: {d['detail']}"
              for d in history.drift if d["round"] == newest]
    return lines


def history_text(history: SeriesHistory) -> list[str]:
    """The history as lines for a terminal."""
    lines = [f"series {history.series}: {len(history.rounds)} completed round(s); {JURY_ESTIMAND}"]
    for entry in history.rounds:
        lines.append(f"round {entry['round']} (completed {readable_time(entry['completed_at'])}, "
                     f"{entry['n_votes']} votes, "
                     f"separability {entry['separability']:.0f}%)")
        lines.append(f"  {'rank':>4} {'ranks':>7} {'tier':>4}  {'model':<24} {'score':>7} {'interval':>17}  "
                     "provider model")
        for m in entry["models"]:
            ranks = f"{m['rank_lower']}-{m['rank_upper']}"
            interval = f"[{m['score_lower']:.0f}, {m['score_upper']:.0f}]"
            lines.append(f"  {m['rank']:>4} {ranks:>7} {m['tier']:>4}  {m['model']:<24} {m['score']:>7.0f} "
                         f"{interval:>17}  {m['provider_model'] or '-'}")
    if history.changes:
        lines.append("changes (paired item bootstrap over the items both rounds share; against the median model):")
        for c in history.changes:
            flag = "  significant" if c["significant"] else ""
            lines.append(f"  {c['model']:<24} round {c['from_round']}→{c['to_round']}: {c['score_delta']:+7.1f} "
                         f"[{c['delta_lower']:+.1f}, {c['delta_upper']:+.1f}]{flag}")
    for d in history.drift:
        lines.append(f"alarm: {d['member']} in round {d['round']} ({d['kind']}): {d['detail']}")
    return lines

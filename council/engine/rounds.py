"""Rounds of a series: the same council run again, comparably, on a schedule.

A series directory holds ``rounds/0001/``, ``0002/``, … — each an ordinary run
directory — a call cache (``cache.sqlite``) and one lock. `run_round` resumes the
newest round if it is incomplete and otherwise starts the next. Round 1 composes its
items (or takes the frozen set); a later round takes over the previous round's items,
replacing the share ``rounds.refresh`` with fresh items composed from seeds no round
used yet. Every respondent answers anew; judgments whose messages did not change come
from the call cache for free. A completed round stores its leaderboard snapshot, the
model id each member's provider reported, and the drift checks' verdict.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from council.config import CouncilConfig
from council.engine.runner import RunReport, run_async, run_coroutine, run_lock
from council.errors import BadInput
from council.inputs.files import write_atomically
from council.records import CallRecord
from council.stages.base import GivenRecord, StageContext
from council.store.db import DB_NAME
from council.store.frames import open_run
from council.store.ledger import Ledger
from council.store.sqlite import utc_now
from council.usage import Usage
from council.vocab import CallStatus, Role, StageName
from scoring import SCORES_VERSION, UNSCORED, preference_shift
from scoring.votes import OUTCOME_OF_LABEL

__all__ = [
    "CACHE_NAME", "ROUNDS_DIR", "SNAPSHOT_FIELDS", "RoundReport", "round_dirs", "round_snapshots", "run_round",
    "run_round_async",
]

ROUNDS_DIR = "rounds"
CACHE_NAME = "cache.sqlite"
#: A round's leaderboard as its snapshot keeps it (`council history` adds the provider model).
SNAPSHOT_FIELDS = ("model", "rank", "rank_lower", "rank_upper", "tier", "score", "score_lower", "score_upper")


@dataclass(frozen=True)
class RoundReport:
    series_dir: str
    round: int
    round_dir: str
    resumed: bool
    run: RunReport
    snapshot: dict | None  # set once the round is complete
    notes: tuple[str, ...] = ()


def round_dirs(series_dir: str | Path) -> list[tuple[int, Path]]:
    """The series' rounds that exist, oldest first."""
    root = Path(series_dir) / ROUNDS_DIR
    if not root.is_dir():
        return []
    found = [(int(p.name), p) for p in root.iterdir() if p.name.isdigit() and (p / DB_NAME).is_file()]
    return sorted(found)


def round_snapshots(series_dir: str | Path) -> list[tuple[int, Path, dict | None]]:
    """Each round with its snapshot, None while the round is not complete.

    A snapshot whose leaderboard an older definition of the scores made gets its
    leaderboard anew from the round's votes (in memory; the store keeps what it holds),
    so a history never plots two definitions side by side."""
    found = []
    for number, path in round_dirs(series_dir):
        with open_run(path) as store:
            snapshot = store.snapshot()
            if snapshot is not None and snapshot.get("scores_version") != SCORES_VERSION:
                snapshot = {**snapshot, **_leaderboard_fields(store)}
            found.append((number, path, snapshot))
    return found


def _leaderboard_fields(store) -> dict:
    """The part of a snapshot that the scores' definition decides."""
    board = store.leaderboard()
    return {"n_votes": int(board.n_votes), "separability": float(board.separability),
            "models": [{name: row[name] for name in SNAPSHOT_FIELDS} for row in board.to_dict()["models"]],
            "scores_version": SCORES_VERSION}


def _order(seed: int, number: int, purpose: str, name: str) -> str:
    return hashlib.sha256(f"{seed}/{number}/{purpose}/{name}".encode()).hexdigest()


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    """Write once: a resumed round keeps the inputs it started with."""
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))


def _carried_items(config: CouncilConfig, number: int, previous: Path, earlier: list[Path], inputs: Path,
                   note: Callable[[str], None]) -> tuple[CouncilConfig, list[GivenRecord], list[str]]:
    """The previous round's items minus the refreshed share, entered as done compose
    work, and the seeds fresh items come from (the kept items' and those no round used).
    ``earlier`` are the completed rounds, ``previous`` the last of them."""
    with open_run(previous) as store:
        composed = store.composed_items()
    drop = round(config.rounds.refresh * len(composed))
    dropped = {row["id"] for row in sorted(composed, key=lambda r: _order(config.seed, number, "refresh", r["id"]))
               [:drop]}
    kept = [row for row in composed if row["id"] not in dropped]
    used = {row["seed_id"] for row in composed}
    for run_dir in earlier[:-1]:  # the previous round's were read above
        with open_run(run_dir) as store:
            used |= {row["seed_id"] for row in store.composed_items()}
    seeds = StageContext.open(config).seeds
    unused = [seed for seed_id, seed in seeds.items() if seed_id not in used]
    if drop and len(unused) < drop:
        note(f"round {number}: only {len(unused)} unused seed(s) for {drop} fresh item(s): fresh items may reuse seeds")
        available = list(seeds.values())
    else:
        available = [seeds[row["seed_id"]] for row in kept if row["seed_id"] in seeds] + unused
    seeds_file = inputs / "seeds.jsonl"
    _write_jsonl(seeds_file, [{"id": s.id, "text": s.text, **({"category": s.category} if s.category else {})}
                              for s in dict.fromkeys(available)])
    records = []
    for row in kept:
        product = {name: row[name] for name in ("id", "call_key", "author", "seed_id", "seed_text", "replicate",
                                                "text", "raw_output", "category")}
        outcome = CallRecord(row["key"], CallStatus.OK, Usage(), product_table="items", product=product)
        records.append(GivenRecord(row["key"], StageName.COMPOSE.value, row["member"], row["prompt_hash"],
                                   row["fingerprint"], outcome))
    test_set = config.test_set.model_copy(update={"seeds": str(seeds_file.resolve())})
    return config.model_copy(update={"test_set": test_set}), records, [row["id"] for row in kept]


def _baseline(config: CouncilConfig, number: int, previous: Path, items: list[str], inputs: Path) -> CouncilConfig:
    """Drift checks: the previous round's answers to a sample of the items both rounds share."""
    if config.rounds.drift_checks == 0 or not items:
        return config
    sample = sorted(items, key=lambda item: _order(config.seed, number, "drift", item))[: config.rounds.drift_checks]
    with open_run(previous) as store:
        answers = store.ledger.answers()
    respondents = [m.name for m in config.with_role(Role.RESPONDENT)]
    rows = [{"member": member, "item": item, "answer": answers[item][member]}
            for member in respondents for item in sorted(sample) if member in answers.get(item, {})]
    if not rows:
        return config
    path = inputs / "baseline.jsonl"
    _write_jsonl(path, rows)
    return config.model_copy(update={"rounds": config.rounds.model_copy(update={"baseline": str(path.resolve())})})


def _drift_checks(store) -> dict[str, dict]:
    """Per member: the judges' preference between its new and previous answers."""
    by_member: dict[str, tuple[list[str], list[int]]] = {}
    for member, item, _judge, new_first, verdict in store.drift_votes():
        items, outcomes = by_member.setdefault(member, ([], []))
        items.append(item)
        outcomes.append(UNSCORED if verdict is None else OUTCOME_OF_LABEL[verdict] * (1 if new_first else -1))
    checks = {}
    for member, (items, outcomes) in sorted(by_member.items()):
        shift = preference_shift(np.array(items), np.array(outcomes))
        checks[member] = {"mean": shift.mean, "lower": shift.lower, "upper": shift.upper, "n_votes": shift.n_votes,
                          "n_items": shift.n_items, "changed": shift.changed}
    return checks


def _snapshot(config: CouncilConfig, number: int, round_dir: Path) -> dict:
    with open_run(round_dir) as store:
        invocation = store.latest_invocation() or {}
        return {
            "series": config.name, "round": number, "started_at": store.first_started(), "completed_at": utc_now(),
            "config_hash": invocation.get("config_hash"), **_leaderboard_fields(store),
            "members": [m.name for m in config.members],
            "provider_models": store.provider_models(), "drift_checks": _drift_checks(store),
        }


async def run_round_async(config: CouncilConfig, series_dir: str | Path, *, progress: bool | None = None,
                          on_change: Callable[[str], None] | None = None, series_cache: bool = True) -> RoundReport:
    """Resume the series' newest round if it is incomplete, else start the next one.

    A council without a ``cache`` of its own uses the series' (``cache.sqlite`` in the
    series directory) unless ``series_cache`` is False. Raises `BadInput` when another
    process holds the series, or for what `run` refuses.
    """
    if config.rounds.refresh > 0 and config.items_path is not None:
        raise BadInput("rounds.refresh replaces items with fresh ones composed from seeds: a fixed test_set.items "
                       "has none to compose; set refresh to 0", field="rounds.refresh")
    series = Path(series_dir)
    series.mkdir(parents=True, exist_ok=True)
    if config.cache is None and series_cache:
        config = config.with_cache(series / CACHE_NAME)
    notes: list[str] = []

    def note(line: str) -> None:
        notes.append(line)
        if on_change is not None:
            on_change(line)

    with run_lock(series):
        rounds = round_snapshots(series)
        resumed = bool(rounds) and rounds[-1][2] is None
        number = rounds[-1][0] if resumed else (rounds[-1][0] + 1 if rounds else 1)
        round_dir = series / ROUNDS_DIR / f"{number:04d}"
        complete_before = [path for n, path, _ in rounds if n < number]
        round_config, carried = config, list[GivenRecord]()
        if complete_before:
            previous = complete_before[-1]
            inputs = round_dir / "inputs"
            if config.items_path is None:
                round_config, carried, shared = _carried_items(config, number, previous, complete_before, inputs, note)
            else:
                shared = [item.id for item in StageContext.open(config).item_set or ()]
            round_config = _baseline(round_config, number, previous, shared, inputs)
        if carried:
            round_dir.mkdir(parents=True, exist_ok=True)
            with Ledger.open(round_dir / DB_NAME) as ledger:
                ledger.import_records(carried)
        report = await run_async(round_config, round_dir, progress=progress, on_change=note)
        snapshot = None
        if report.complete:
            snapshot = _snapshot(round_config, number, round_dir)
            with Ledger.open(round_dir / DB_NAME) as ledger:
                ledger.save_snapshot(number, config.name, snapshot)
    return RoundReport(str(series), number, str(round_dir), resumed, report, snapshot, tuple(notes))


def run_round(config: CouncilConfig, series_dir: str | Path, *, progress: bool | None = None,
              on_change: Callable[[str], None] | None = None, series_cache: bool = True) -> RoundReport:
    """Synchronous `run_round_async` (from inside a running event loop too)."""
    return run_coroutine(run_round_async(config, series_dir, progress=progress, on_change=on_change,
                                         series_cache=series_cache))

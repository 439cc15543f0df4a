"""A council run: one directory, one ledger, only the missing work done.

``run`` plans the deterministic work keys of each stage (compose → respond → judge),
skips those already final in the ledger, and executes the rest, each unit's result
committed as it finishes. Killing the process at any moment loses at most the calls in
flight; running again is how a run resumes, and how new members' work gets done.
"""

from __future__ import annotations

import asyncio
import dataclasses
import fcntl
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from council.config import CouncilConfig, check_local_models, config_hash
from council.engine.adaptive import next_step
from council.engine.batching import BATCH_STAGES, StageBatches
from council.engine.budget import Budget, check_priced
from council.engine.candidates import Answerer, answer_by_functions
from council.engine.execution import Progress, StageExecution, call_cache, held_by_cache, read_state
from council.engine.status import run_status
from council.errors import BadInput
from council.providers.batch import check_batchable
from council.providers.client import MemberClient
from council.providers.local_server import serve_local_models
from council.stages import STAGES
from council.stages.base import GivenRecord, Stage, StageContext, WorkUnit, what_changed
from council.stages.compose import COMPOSE
from council.stages.judge import JUDGE
from council.stages.respond import RESPOND
from council.store import batches, ledger
from council.store.cache import CallCache
from council.store.db import DB_NAME, connect

__all__ = ["LOCK_NAME", "RunReport", "run", "run_async", "run_lock"]

LOCK_NAME = "council.lock"


@dataclass(frozen=True)
class RunReport:
    """How a run ended. ``complete`` means nothing is left to do."""

    run_dir: str
    complete: bool
    stopped: str | None
    errors: tuple[str, ...]
    status: dict = field(default_factory=dict)
    changes: tuple[str, ...] = ()  # what was redone because what shaped it changed


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("council-llm")
    except PackageNotFoundError:
        return "0+unknown"


@contextmanager
def run_lock(run_dir: Path) -> Iterator[None]:
    """Hold the run directory's lock; a second process gets `BadInput` at once."""
    handle = open(run_dir / LOCK_NAME, "a+")  # noqa: SIM115 -- held open, and locked, for the whole run
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BadInput(f"another council process is running in {run_dir} (it holds {LOCK_NAME})") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()


async def _execute_stage(stage: Stage, ctx: StageContext, conn: sqlite3.Connection, todo: list[WorkUnit],
                         clients: dict[str, MemberClient], budget: Budget, broken: dict[str, str], bar: Progress,
                         run_dir: Path) -> str | None:
    """Run a stage's missing units here, or in worker processes when it is large."""
    from council.engine.workers import run_in_workers, worker_count

    todo = [unit for unit in todo if unit.member not in broken]
    count = worker_count(ctx.config, todo)
    if count <= 1:
        execution = StageExecution(stage, ctx, conn, clients, budget, broken)
        await execution.execute(todo, bar)
        return execution.stopped
    lost, stopped = await run_in_workers(stage, ctx, conn, todo, count, budget, clients, bar, run_dir)
    broken.update(lost)
    return stopped


def _set_aside_changed(conn: sqlite3.Connection, config: CouncilConfig, stage: Stage, units: list[WorkUnit],
                       say: Callable[[str], None]) -> list[tuple[str, str, str, str, str]]:
    """Compare each planned unit's fingerprint with the stored one; set aside results
    whose model, prompt or inputs changed, saying what will be redone. Returns the rows
    to enter as pending."""
    stored = ledger.fingerprints(conn, stage.name)
    rows: list[tuple[str, str, str, str, str]] = []
    reasons: dict[str, str] = {}
    said: dict[tuple[str, str], int] = {}
    for unit in units:
        now, why = what_changed(unit, config.member(unit.member), stored.get(unit.key))
        rows.append((unit.key, unit.stage, unit.member, unit.prompt_hash, now))
        if why is not None:
            reasons[unit.key] = f"{unit.member}: {why} changed"
            said[(unit.member, why)] = said.get((unit.member, why), 0) + 1
    if reasons:
        moved = ledger.supersede(conn, reasons)
        for (member, why), n in sorted(said.items()):
            say(f"changed: {stage.name}: {n} unit(s) of {member!r} — {why} changed since they were done: redoing them")
        say(f"changed: {moved} stored result(s) set aside as superseded (kept in the ledger, out of every leaderboard)")
    return rows


def _enter_given(conn: sqlite3.Connection, records: list[GivenRecord], say: Callable[[str], None]) -> None:
    """Enter given work (a fixed set's items, candidates' answers) as done; what was
    stored with other content — the file was edited — is set aside first, and what
    depends on it (answers of an item, judgments of an answer) is redone. What is stored
    as it is now is not written again."""
    if not records:
        return
    stored = ledger.fingerprints(conn, records[0].stage)
    records = [r for r in records if stored.get(r.key) != r.fingerprint]
    changed = {r.key: f"{r.member}: its content changed in its file" for r in records
               if stored.get(r.key) not in (None, r.fingerprint)}
    if changed:
        moved = ledger.supersede(conn, changed)
        say(f"changed: {len(changed)} {records[0].stage} result(s) given in files changed since they were stored: "
            f"{moved} stored result(s) set aside, their dependants redone")
    ledger.import_records(conn, records)


async def _do_stage(stage: Stage, ctx: StageContext, conn: sqlite3.Connection, units: list[WorkUnit],
                    clients: dict[str, MemberClient], budget: Budget, broken: dict[str, str], progress: bool | None,
                    run_dir: Path, *, wait: bool, cache: CallCache | None) -> str | None:
    """Do a stage's missing units: batch members' in provider batches (waited for unless
    not ``wait``), the rest directly, then directly what the batches did not answer."""
    config = ctx.config

    def todo() -> list[WorkUnit]:
        done = ledger.final_keys(conn, stage.name) | ledger.given_up_keys(conn, stage.name, config.retry.max_rejections)
        return [unit for unit in units if unit.key not in done]

    async def directly(work: list[WorkUnit], left: int) -> str | None:
        bar = Progress(stage.name, len(units), len(units) - left, budget,
                       sys.stderr.isatty() if progress is None else progress)
        try:
            return await _execute_stage(stage, ctx, conn, work, clients, budget, broken, bar, run_dir)
        finally:
            bar.close()

    if stage.name not in BATCH_STAGES or not (any(m.batch for m in config.members)
                                              or batches.live_batches(conn, stage.name)):
        left = todo()
        return await directly(left, len(left))
    # A batch's states are lines, not a bar: a cron log wants them too, unless told not to.
    batching = StageBatches(stage, ctx, conn, clients, budget, broken, units, show=progress is not False)
    await batching.collect(wait=False, poll_s=config.batches.poll_s)
    left = todo()
    batched, direct = batching.split(left, held_by_cache(cache, ctx))
    stopped = await batching.submit(batched, config.batches.max_lines)
    stopped = (await directly(direct, len(left)) if direct else None) or stopped
    if stopped:
        return stopped
    waiting = await batching.collect(wait=wait, poll_s=config.batches.poll_s)
    if waiting:
        return f"waiting for {waiting} provider batch(es)"
    unanswered = batching.not_live(todo())
    return await directly(unanswered, len(unanswered)) if unanswered else None


async def run_async(config: CouncilConfig, run_dir: str | Path, *, progress: bool | None = None,
                    on_change: Callable[[str], None] | None = None,
                    answerers: dict[str, Answerer] | None = None, wait: bool = True) -> RunReport:
    """Do the council's missing work in ``run_dir`` (created if needed).

    A stored result whose member settings, prompt or inputs changed is set aside and
    redone; ``on_change`` hears a line for each such change before the work starts.
    ``answerers`` answer for the candidates that have no answers file: ``(item text) ->
    answer``, async or not, each asked once per item and stored. Batch members' calls go
    in provider batches; without ``wait`` the run returns once they are sent
    (``stopped``: "waiting for N provider batch(es)"), and running again collects them.
    Raises `BadInput` for a test set, task or answers file it cannot use or a directory
    another process is running; `CandidateFailed` when an answerer raises (what it
    answered before is kept); provider failures never raise, they are recorded in the ledger.
    """
    from council.providers.litellm_adapter import configure

    test_set = StageContext.open(config)  # a bad test set stops us before anything is written
    check_local_models(config)
    configure(config.members)
    check_priced(config)
    check_batchable(config)
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with run_lock(run_dir), serve_local_models(config, run_dir) as served:
        conn = connect(run_dir / DB_NAME)
        cache = None
        try:
            COMPOSE.check_test_set(test_set, ledger.prompt_hashes(conn, COMPOSE.name), run_dir)
            invocation = ledger.start_invocation(
                conn, command="run", config={**config.model_dump(mode="json"), "base_dir": config.base_dir},
                config_hash=config_hash(config, test_set.task.digest), package_version=package_version(),
            )
            cache = call_cache(served)
            clients = {m.name: MemberClient(m, served.retry, seed=served.seed, cache=cache,
                                            cache_as=config.member(m.name)) for m in served.members}
            budget = Budget(served.budget.max_usd, ledger.spent_usd(conn))
            budget.hold(batches.reserved_usd(conn))  # what live provider batches may still bill
            ctx = dataclasses.replace(test_set, config=served)
            stopped: str | None = None
            broken: dict[str, str] = {}
            changes: list[str] = []

            def say(line: str) -> None:
                changes.append(line)
                if on_change is not None:
                    on_change(line)

            _enter_given(conn, COMPOSE.frozen_records(ctx), say)
            _enter_given(conn, RESPOND.imported_records(ctx), say)
            await answer_by_functions(conn, ctx, answerers or {}, say)

            for stage in STAGES:
                units = stage.plan(ctx, read_state(conn))
                ledger.ensure_pending(conn, _set_aside_changed(conn, config, stage, units, say))
                stopped = await _do_stage(stage, ctx, conn, units, clients, budget, broken, progress, run_dir,
                                          wait=wait, cache=cache)
                while not stopped and stage is JUDGE and config.judge.pairing == "adaptive":
                    step = next_step(conn, ctx, set(broken))
                    if step is None or step.stopped:
                        break
                    units = stage.plan(ctx, read_state(conn))  # the start design and every step's slots
                    ledger.ensure_pending(conn, _set_aside_changed(conn, config, stage, units, say))
                    stopped = await _do_stage(stage, ctx, conn, units, clients, budget, broken, progress, run_dir,
                                              wait=wait, cache=cache)
                if stopped:
                    break
            status = run_status(conn, config)
            outcome = "complete" if status["complete"] else (stopped or "incomplete")
            ledger.finish_invocation(conn, invocation, outcome)
        finally:
            conn.close()
            if cache is not None:
                cache.close()
    return RunReport(str(run_dir), status["complete"], stopped, tuple(broken.values()), status, tuple(changes))


def run(config: CouncilConfig, run_dir: str | Path, *, progress: bool | None = None,
        on_change: Callable[[str], None] | None = None, answerers: dict[str, Answerer] | None = None,
        wait: bool = True) -> RunReport:
    """Synchronous `run_async` (from inside a running event loop too: a notebook's)."""
    return run_coroutine(run_async(config, run_dir, progress=progress, on_change=on_change, answerers=answerers,
                                   wait=wait))


def run_coroutine(coroutine):
    """Run ``coroutine`` to its end and return its result: in this thread when no event
    loop runs here, else in a thread of its own (Jupyter runs one in every kernel)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()

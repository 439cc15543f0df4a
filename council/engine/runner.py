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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from council.config import CouncilConfig, check_local_models, config_hash
from council.engine.adaptive_design import next_step
from council.engine.budget import Budget, check_priced
from council.engine.candidates import Answerer, answer_by_functions
from council.engine.execution import call_cache, read_state
from council.engine.session import RunSession
from council.engine.status import RunStatus, run_status
from council.errors import BadInput
from council.providers.batch import check_batchable
from council.providers.client import MemberClient
from council.providers.local_server import serve_local_models
from council.stages import STAGES
from council.stages.base import GivenRecord, Stage, StageContext, WorkUnit, what_changed
from council.stages.compose import COMPOSE
from council.stages.judge import JUDGE
from council.stages.pairing import grows_by_refits
from council.stages.respond import RESPOND
from council.store.db import DB_NAME
from council.store.ledger import Ledger

__all__ = ["LOCK_NAME", "RunReport", "run", "run_async", "run_lock"]

LOCK_NAME = "council.lock"


@dataclass(frozen=True)
class RunReport:
    """How a run ended. ``complete`` means nothing is left to do."""

    run_dir: str
    complete: bool
    stopped: str | None
    errors: tuple[str, ...]
    status: RunStatus
    changes: tuple[str, ...] = ()  # what was redone because what shaped it changed

    def lines(self) -> list[str]:
        """What `council run` prints: changes, the stages, spend, and why it stopped."""
        ending = "complete" if self.complete else f"not complete ({self.stopped or 'work failed'})"
        return [*self.changes, *self.status.lines(pending=False), f"spent ${self.status.cost_usd:.4f}; {ending}",
                *(f"error: {error}" for error in self.errors)]

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        return self.status._repr_html_()

    def to_polars(self):
        """Where each stage stands, one row per stage."""
        return self.status.to_polars()


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


def _set_aside_changed(session: RunSession, stage: Stage, units: list[WorkUnit]) -> None:
    """Enter the planned units as pending, comparing each one's fingerprint with the
    stored one first; results whose model, prompt or inputs changed are set aside and
    redone, and the session says what will be redone."""
    config = session.ctx.config
    stored = session.ledger.calls(stage.name).fingerprints()
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
        moved = session.ledger.supersede(reasons)
        for (member, why), n in sorted(said.items()):
            session.report_change(f"changed: {stage.name}: {n} unit(s) of {member!r} — {why} changed since they "
                                  "were done: redoing them")
        session.report_change(f"changed: {moved} stored result(s) set aside as superseded (kept in the ledger, "
                              "out of every leaderboard)")
    session.ledger.ensure_pending(rows)


def _enter_given(session: RunSession, records: list[GivenRecord]) -> None:
    """Enter given work (a fixed set's items, candidates' answers) as done; what was
    stored with other content — the file was edited — is set aside first, and what
    depends on it (answers of an item, judgments of an answer) is redone. What is stored
    as it is now is not written again."""
    if not records:
        return
    stored = session.ledger.calls(records[0].stage).fingerprints()
    records = [r for r in records if stored.get(r.key) != r.fingerprint]
    changed = {r.key: f"{r.member}: its content changed in its file" for r in records
               if stored.get(r.key) not in (None, r.fingerprint)}
    if changed:
        moved = session.ledger.supersede(changed)
        session.report_change(f"changed: {len(changed)} {records[0].stage} result(s) given in files changed since "
                              f"they were stored: {moved} stored result(s) set aside, their dependants redone")
    session.ledger.import_records(records)


async def _step(session: RunSession, stage: Stage) -> tuple[str | None, list[WorkUnit]]:
    """Plan a stage from what is stored, enter its units, and do what is missing;
    returns why the run stopped (or None) and the units planned."""
    units = stage.plan(session.ctx, read_state(session.ledger))
    _set_aside_changed(session, stage, units)
    return await session.do(stage, units), units


async def _refits(session: RunSession, units: list[WorkUnit]) -> str | None:
    """Adaptive judging after its start design: refit, ask the slots the step chose,
    and again, until the design stops. Each step renders only its new slots; the
    units before them stay in the step's work, so what failed is asked again."""
    while True:
        before = session.ledger.adaptive.chosen_slots()
        step = next_step(session)
        if step is None or step.stopped:
            return None
        new = {item: slots[len(before.get(item, ())):] for item, slots in session.ledger.adaptive.chosen_slots().items()
               if len(slots) > len(before.get(item, ()))}
        fresh = JUDGE.plan_slots(session.ctx, read_state(session.ledger), new)
        _set_aside_changed(session, JUDGE, fresh)
        units = units + fresh
        stopped = await session.do(JUDGE, units)
        if stopped:
            return stopped


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
    with run_lock(run_dir), serve_local_models(config, run_dir) as served, Ledger.open(run_dir / DB_NAME) as ledger:
        COMPOSE.check_test_set(test_set, ledger.calls(COMPOSE.name).prompt_hashes(), run_dir)
        invocation = ledger.start_invocation(
            command="run", config={**config.model_dump(mode="json"), "base_dir": config.base_dir},
            config_hash=config_hash(config, test_set.task.digest), package_version=package_version(),
        )
        cache = call_cache(served)
        try:
            clients = {m.name: MemberClient(m, served.retry, seed=served.seed, cache=cache,
                                            cache_as=config.member(m.name)) for m in served.members}
            budget = Budget(served.budget.max_usd, ledger.spent_usd())
            budget.hold(ledger.batches.reserved_usd())  # what live provider batches may still bill
            session = RunSession(dataclasses.replace(test_set, config=served), ledger, clients, budget, run_dir,
                                 cache, progress=progress, wait=wait, on_change=on_change)
            _enter_given(session, COMPOSE.frozen_records(session.ctx))
            _enter_given(session, RESPOND.imported_records(session.ctx))
            await answer_by_functions(session, answerers or {})
            stopped: str | None = None
            for stage in STAGES:
                stopped, units = await _step(session, stage)
                if not stopped and stage is JUDGE and grows_by_refits(config):
                    stopped = await _refits(session, units)
                if stopped:
                    break
            status = run_status(ledger, config)
            ledger.finish_invocation(invocation, "complete" if status.complete else (stopped or "incomplete"))
        finally:
            if cache is not None:
                cache.close()
    return RunReport(str(run_dir), status.complete, stopped, tuple(session.paused.values()), status,
                     tuple(session.changes))


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

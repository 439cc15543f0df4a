"""Executing one stage's units: a pool of workers per member, results to the ledger."""

from __future__ import annotations

import asyncio
import sys
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from council.config import CouncilConfig
from council.engine.budget import Budget, call_cost_estimate
from council.providers.cached import call_key, serves
from council.providers.client import CallFailed, MemberClient
from council.records import CallRecord
from council.stages import stage_named
from council.stages.base import RunState, Stage, StageContext, WorkUnit
from council.store.cache import CallCache
from council.store.ledger import Ledger
from council.vocab import CallStatus, ErrorKind, StageName

__all__ = ["Progress", "Quiet", "SessionState", "StageExecution", "call_cache", "held_by_cache", "read_state"]


def call_cache(config: CouncilConfig) -> CallCache | None:
    """The council's call cache, if it has one (opened on first use)."""
    if config.cache is None:
        return None
    return CallCache(config.path_of(config.cache.path), any_temperature=config.cache.any_temperature)


def held_by_cache(cache: CallCache | None, ctx: StageContext) -> Callable[[WorkUnit], bool]:
    """Whether the call cache holds a planned unit's first call, keyed as the client keys
    it. A unit whose texts are not written yet (a plan's stand-ins) is never held."""

    def held(unit: WorkUnit) -> bool:
        if cache is None:
            return False
        member = ctx.config.member(unit.member)
        stage = stage_named(unit.stage)
        if not stage.cacheable or not serves(member, cache.any_temperature):
            return False
        request = stage.first_request(unit, member, ctx)
        return cache.holds(call_key(member, request.messages, request.response_format, request.max_tokens))

    return held


def read_state(ledger: Ledger) -> RunState:
    """What the stages plan from: the ledger's compose keys, items, answers and
    adaptive judging's chosen slots."""
    return RunState(
        compose_keys=tuple(ledger.calls(StageName.COMPOSE).keys()),
        items=tuple(ledger.items()),
        answers=ledger.answers(),
        chosen=ledger.adaptive.chosen_slots(),
    )


class Progress:
    """One bar per stage: done/total, rate, ETA and spend (tqdm, on a terminal only)."""

    def __init__(self, stage: str, total: int, done: int, budget: Budget, enabled: bool):
        self.budget = budget
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, initial=done, desc=f"{stage:>7}", unit="call", file=sys.stderr)
            self._show_spend()

    def _show_spend(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(f"${self.budget.spent_usd:.4f}")

    def advance(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self._show_spend()

    def advance_to(self, done: int, spent_usd: float) -> None:
        """Move to ``done`` calls (progress read from the ledger, for worker processes)."""
        if self.bar is not None:
            self.bar.update(done - self.bar.n)
            self.bar.set_postfix_str(f"${spent_usd:.4f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Quiet:
    """Progress for executions whose progress the run reads from the ledger instead."""

    def advance(self) -> None:
        pass


@dataclass
class SessionState:
    """What a run carries: its test set and council (``ctx``), ledger, members' clients,
    budget and call cache, how it shows progress, and the members paused for the rest
    of the run (a bad key, an exhausted quota: an error is paid for once, not per unit).
    `council.engine.session.RunSession` adds how it steps; the executors below it take
    this part, so they never import the session."""

    ctx: StageContext
    ledger: Ledger
    clients: dict[str, MemberClient]
    budget: Budget
    run_dir: Path
    cache: CallCache | None = None
    progress: bool | None = None  # progress bars: None on a terminal only
    wait: bool = True  # wait for provider batches to end
    paused: dict[str, str] = field(default_factory=dict)  # member -> why
    on_change: Callable[[str], None] | None = None
    changes: list[str] = field(default_factory=list)

    def report_change(self, line: str) -> None:
        """Report what will be redone because what shaped it changed."""
        self.changes.append(line)
        if self.on_change is not None:
            self.on_change(line)

    def done_keys(self, stage: Stage) -> set[str]:
        return self.ledger.calls(stage.name).done(self.ctx.config.retry.max_rejections)

    def todo(self, stage: Stage, units: list[WorkUnit]) -> list[WorkUnit]:
        done = self.done_keys(stage)
        return [unit for unit in units if unit.key not in done]


class StageExecution:
    """Executes one stage's units with a worker pool per member."""

    def __init__(self, session: SessionState, stage: Stage):
        self.stage, self.ctx, self.ledger = stage, session.ctx, session.ledger
        self.clients, self.budget = session.clients, session.budget
        self.stopped: str | None = None
        # Members that failed fatally (bad key, bad request): skipped for the rest of
        # the run, in every stage, so an error is paid for once, not per unit.
        self.paused = session.paused

    async def _worker(self, queue: deque, progress: Progress | Quiet) -> None:
        while queue and self.stopped is None:
            unit = queue[0]
            if unit.member in self.paused:
                return
            estimate = call_cost_estimate(self.clients[unit.member].member, unit)
            if not self.budget.reserve(estimate):
                # Reservations are worst cases: wait for running calls to settle at what
                # they really cost, and stop only when nothing is left to settle.
                if self.budget.in_flight_usd <= 1e-12:
                    self.stopped = "budget"
                    return
                await asyncio.sleep(0.02)
                continue  # look again: another worker may have taken this unit meanwhile
            queue.popleft()
            try:
                outcome = await self.stage.execute(unit, self.clients[unit.member], self.ctx)
            except CallFailed as failure:
                fatal = failure.kind == ErrorKind.FATAL
                status = CallStatus.FAILED if fatal else CallStatus.RETRYABLE_ERROR
                outcome = CallRecord(unit.key, status, failure.usage, error=str(failure), error_kind=failure.kind)
                # A bad key benches the member, and so does a quota that outlasted its
                # patience; a request the provider refused fails only its own unit.
                if fatal or self.clients[unit.member].quota_exhausted is not None:
                    self.paused.setdefault(unit.member, str(failure))
            except BaseException:
                self.budget.settle(estimate, 0.0)
                raise
            self.budget.settle(estimate, outcome.usage.cost_usd)
            self.ledger.record(outcome)
            progress.advance()

    async def execute(self, units: list[WorkUnit], progress: Progress | Quiet) -> None:
        queues: dict[str, deque] = {}
        for unit in units:
            queues.setdefault(unit.member, deque()).append(unit)
        workers = []
        for member, queue in queues.items():
            width = min(self.clients[member].member.max_concurrency, len(queue))
            workers += [self._worker(queue, progress) for _ in range(width)]
        await asyncio.gather(*workers)

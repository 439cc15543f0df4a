"""One run session: what a run carries from stage to stage, in one object.

A run opens its ledger once, makes its members' clients and its budget once, and
then every stage step is ``session.do(stage, units)``: the session knows which units
are done (one rule, `StageCalls.done`), sends batch members' units in provider
batches, and executes the rest here or in worker processes.
"""

from __future__ import annotations

import sys

from council.engine.batching import BATCH_STAGES, StageBatches
from council.engine.execution import Progress, SessionState, StageExecution, held_by_cache
from council.engine.workers import run_in_workers, worker_count
from council.stages.base import Stage, WorkUnit

__all__ = ["RunSession"]


class RunSession(SessionState):
    """A run in progress; ``do`` is one stage step."""

    async def do(self, stage: Stage, units: list[WorkUnit]) -> str | None:
        """Do a stage's missing units: batch members' in provider batches (waited for
        unless not ``wait``), the rest directly, then directly what the batches did not
        answer. Returns why the run stopped, or None."""
        config = self.ctx.config
        if stage.name not in BATCH_STAGES or not (any(m.batch for m in config.members)
                                                  or self.ledger.batches.live_batches(stage.name)):
            left = self.todo(stage, units)
            return await self._directly(stage, left, total=len(units))
        # A batch's states are lines, not a bar: a cron log wants them too, unless told not to.
        batching = StageBatches(self, stage, units)
        await batching.collect(wait=False, poll_s=config.batches.poll_s)
        left = self.todo(stage, units)
        batched, direct = batching.split(left, held_by_cache(self.cache, self.ctx))
        stopped = await batching.submit(batched, config.batches.max_lines)
        if direct:
            stopped = await self._directly(stage, direct, total=len(units), left=len(left)) or stopped
        if stopped:
            return stopped
        waiting = await batching.collect(wait=self.wait, poll_s=config.batches.poll_s)
        if waiting:
            return f"waiting for {waiting} provider batch(es)"
        unanswered = batching.not_live(self.todo(stage, units))
        return await self._directly(stage, unanswered, total=len(units)) if unanswered else None

    async def _directly(self, stage: Stage, work: list[WorkUnit], *, total: int, left: int | None = None,
                        ) -> str | None:
        """Execute units through the members' clients, here or in worker processes when
        the stage is large; ``left`` of ``total`` were still to do (the bar's start)."""
        left = len(work) if left is None else left
        bar = Progress(stage.name, total, total - left, self.budget,
                       sys.stderr.isatty() if self.progress is None else self.progress)
        try:
            work = [unit for unit in work if unit.member not in self.paused]
            count = worker_count(self.ctx.config, work)
            if count <= 1:
                execution = StageExecution(self, stage)
                await execution.execute(work, bar)
                return execution.stopped
            paused, stopped = await run_in_workers(self, stage, work, count, bar)
            self.paused.update(paused)
            return stopped
        finally:
            bar.close()

"""Where a run stands: per stage done, total, failed, pending and unparseable, and spend."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from council.config import CouncilConfig, RetryConfig
from council.engine.adaptive_design import AdaptiveStatus, adaptive_status
from council.engine.execution import read_state
from council.engine.plan import LeftOut, current_keys, left_out
from council.errors import BadInput
from council.stages import STAGES
from council.stages.base import StageContext
from council.stages.pairing import grows_by_refits
from council.store.ledger import Ledger
from council.vocab import FAILED_STATUSES, FINAL_STATUSES, CallStatus, StageName
from scoring.display import html_table

__all__ = ["LiveBatch", "RunStatus", "StageCounts", "run_status"]


@dataclass(frozen=True)
class StageCounts:
    """Where one stage stands over the council's current work."""

    done: int
    total: int
    failed: int
    pending: int
    unparseable: int
    given_up: int
    failures: dict[str, int]  # failed units by kind
    leftover: int  # stored work of members or seeds no longer in the council
    cache_hits: int

    def line(self, stage: str, *, pending: bool) -> str:
        waiting = f"{self.pending} pending, " if pending else ""
        given_up = f" ({self.given_up} given up)" if self.given_up else ""
        why = ", ".join(f"{n} {kind}" for kind, n in sorted(self.failures.items()))
        leftover = f"; {self.leftover} leftover (no longer in the council)" if self.leftover else ""
        cached = f" ({self.cache_hits} from the call cache, free)" if self.cache_hits else ""
        return (f"{stage:>8}: {self.done}/{self.total} done{cached}, {waiting}{self.failed} failed"
                f"{given_up}{f' ({why})' if why else ''}, {self.unparseable} unparseable{leftover}")


@dataclass(frozen=True)
class LiveBatch:
    """A provider batch sent and not yet taken in."""

    stage: str
    member: str
    lines: int
    status: str
    completed: int
    failed: int
    provider_batch_id: str | None

    def line(self) -> str:
        return (f"   batch: {self.stage} of {self.member}, {self.lines} lines: {self.status} "
                f"({self.completed} answered, {self.failed} failed so far)")


@dataclass(frozen=True)
class RunStatus:
    """Where a run stands (`run_status`); ``to_dict`` is `council status --json`."""

    complete: bool
    stages: dict[str, StageCounts]
    cost_usd: float
    left_out: LeftOut
    batches: tuple[LiveBatch, ...] = ()
    adaptive: AdaptiveStatus | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"complete": self.complete, "stages": {name: asdict(c) for name, c in self.stages.items()},
                "cost_usd": self.cost_usd, "left_out": self.left_out.to_dict(),
                "batches": [asdict(b) for b in self.batches],
                "adaptive": asdict(self.adaptive) if self.adaptive is not None else None}

    def lines(self, *, pending: bool = True) -> list[str]:
        """The stage lines `council status` prints (``pending``: with pending counts)."""
        lines = [counts.line(stage, pending=pending) for stage, counts in self.stages.items()]
        lines += [batch.line() for batch in self.batches]
        if self.adaptive is not None:
            lines.append(self.adaptive.line())
        if self.left_out.judgments:
            lines.append(self.left_out.line())
        return lines

    def __str__(self) -> str:
        return "\n".join([*self.lines(), f"spent ${self.cost_usd:.4f}; "
                                          f"{'complete' if self.complete else 'not complete'}"])

    def _repr_html_(self) -> str:
        return html_table(["stage", *STAGE_COLUMNS],
                          [[stage, *(getattr(c, name) for name in STAGE_COLUMNS)] for stage, c in self.stages.items()],
                          caption=f"spent ${self.cost_usd:.4f}; {'complete' if self.complete else 'not complete'}")

    def to_polars(self):
        import polars as pl

        return pl.DataFrame([{"stage": stage, **{name: getattr(c, name) for name in STAGE_COLUMNS}}
                             for stage, c in self.stages.items()])


STAGE_COLUMNS = ("done", "total", "failed", "pending", "unparseable", "given_up", "leftover", "cache_hits")


def run_status(ledger: Ledger, config: CouncilConfig | None) -> RunStatus:
    """Counts per stage over the council's current work (`current_keys`): done, total,
    failed (and by kind), pending, unparseable, given up, served by the call cache; the
    ledger's leftovers; spend;
    completeness; ``batches``: provider batches sent and not yet taken in; ``adaptive``:
    where an adaptive design stands and why it stopped (`adaptive_status`; None for
    other pairings); and
    ``left_out``: judgments not planned because a candidate's file
    does not answer an item (`council.engine.plan.left_out`).

    Units the provider refused ``retry.max_rejections`` times are *given up*: counted as
    failed, never asked again, and not blocking completion. *Leftovers* — work of members
    or seeds no longer in the council — are reported and never block completion either.
    Without a config (or when its test set is gone) the ledger's own keys are counted.
    """
    max_rejections = (config.retry if config is not None else RetryConfig()).max_rejections
    calls = {stage.name: ledger.calls(stage.name) for stage in STAGES}
    given_up_all = {name: rows.given_up(max_rejections) for name, rows in calls.items()}
    current: dict[str, list[str]] | None = None
    left = LeftOut(0, {})
    stored_items = 0
    if config is not None:
        state = read_state(ledger)
        stored_items = len(state.items)
        try:
            ctx = StageContext.open(config)
            current = current_keys(config, state, frozenset().union(*given_up_all.values()), ctx)
            left = left_out(config, ctx)
        except BadInput:  # the test set moved since the run: count what the ledger knows
            current = None
    stages: dict[str, StageCounts] = {}
    for stage in STAGES:
        stored = calls[stage.name].statuses()
        wanted = current[stage.name] if current is not None else list(stored)
        wanted_set = set(wanted)
        by_status: dict[str, int] = {}
        for key in wanted:
            status = stored.get(key, CallStatus.PENDING)
            by_status[status] = by_status.get(status, 0) + 1
        failures: dict[str, int] = {}
        for key, kind in calls[stage.name].error_kinds().items():
            if key in wanted_set:
                failures[kind] = failures.get(kind, 0) + 1
        stages[stage.name.value] = StageCounts(
            done=sum(by_status.get(s, 0) for s in FINAL_STATUSES),
            total=len(wanted),
            failed=sum(by_status.get(s, 0) for s in FAILED_STATUSES),
            pending=by_status.get(CallStatus.PENDING, 0),
            unparseable=by_status.get(CallStatus.UNPARSEABLE, 0),
            given_up=len(given_up_all[stage.name] & wanted_set),
            failures=failures,
            leftover=sum(1 for key in stored if key not in wanted_set),
            cache_hits=len(calls[stage.name].cache_hit_keys() & wanted_set),
        )
    complete = all(s.done + s.given_up == s.total and s.total > 0 for s in stages.values())
    live = tuple(LiveBatch(row.stage, row.member, row.lines, row.status, row.completed_lines, row.failed_lines,
                           row.provider_batch_id) for row in ledger.batches.live_batches())
    design = None
    if config is not None and grows_by_refits(config):
        design = adaptive_status(ledger, config, stages[StageName.JUDGE.value].total, stored_items)
        complete = complete and design.stopped is not None  # refits may still add work
    return RunStatus(complete, stages, ledger.spent_usd(), left, live, design)

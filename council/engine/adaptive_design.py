"""Adaptive judging in a run: refit the votes so far, choose the next slots, ask them.

The judge stage first asks the start design (`scoring.start_design`, through
`judge_pairs`). Then each step refits the stored votes and chooses up to
``batch_calls`` / 2 slots (`scoring.adaptive_step`), stored before any is asked; the
judge stage plans them like any other unit (same keys, same request, batched when the
judge is a batch member). The loop ends when the design settles, no slot is left for the
pairs in doubt, or ``max_calls`` is reached; the last step records why, and `council
status` says it.

A choice is a function of the stored votes, the open slots and the seed (mixed with the
step number), so a run killed anywhere resumes to the same design: chosen slots are
asked first, and the next refit sees the votes it would have seen.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.config import CouncilConfig
from council.engine.execution import SessionState, read_state
from council.stages.pairing import all_pairs_calls, every_pair, judge_pairs
from council.store.adaptive_steps import StepRow
from council.store.ledger import Ledger
from scoring import ScoringSettings, make_votes
from scoring.adaptive import Refit, adaptive_step, unchanged

__all__ = ["STOP_REASONS", "AdaptiveStatus", "adaptive_cap", "adaptive_status", "design_room", "next_step"]

#: Why an adaptive design stopped, as `council status` says it.
STOP_REASONS = {
    "settled": "settled: no pair of models in doubt, or the separated pairs unchanged over the last refits",
    "exhausted": "exhausted: the pairs in doubt have no judgment left to ask",
    "max_calls": "max_calls reached",
}


def adaptive_cap(config: CouncilConfig, n_items: int) -> int:
    """Judge calls an adaptive design may make in all: ``max_calls``, never more than
    the all-pairs design over the same items."""
    return min(config.judge.adaptive.max_calls, sum(all_pairs_calls(config, n_items).values()))


def design_room(config: CouncilConfig, items: list[str], chosen: dict[str, tuple[tuple[str, str, str], ...]]
                ) -> tuple[set[tuple[str, str, str, str]], int]:
    """The slots the design holds on ``items`` (start design and ``chosen``), and the
    judge calls refits may still add under `adaptive_cap`: the one count `council run`
    stops by and `council plan` prices."""
    slots: set = set()
    calls = 0
    for item in items:
        for a, b, judges in judge_pairs(config, item, chosen.get(item, ()), items):
            calls += len(judges)
            slots |= {(item, *sorted((a, b)), j) for j in judges}
    return slots, max(0, adaptive_cap(config, len(items)) - calls)


def _open_slots(config: CouncilConfig, state, design: set) -> list[tuple[str, str, str, str]]:
    """Every (item, model_a, model_b, judge) of the all-pairs design not asked yet, on
    items whose two answers exist."""
    found = []
    for item, _ in state.items:
        answered = state.answers.get(item, {})
        for a, b, judges in every_pair(config, item):
            if a in answered and b in answered:
                found += [(item, a, b, j) for j in judges if (item, *sorted((a, b)), j) not in design]
    return found


def next_step(session: SessionState) -> StepRow | None:
    """Refit, choose and record the next step; None when it cannot refit now: no vote
    stored yet, or a member's calls are failing this run (paused) — its slots would
    look exhausted, and a design must not be recorded as stopped for a provider's fault;
    the next run goes on. A stored step that stopped the design on the votes stored now
    is returned as it is, so a finished run re-run records nothing."""
    config, ledger = session.ctx.config, session.ledger
    if session.paused:
        return None
    settings = config.judge.adaptive
    # Sorted: votes are stored in the order calls finished, which no refit may depend on
    # (the bootstrap draws items by their position).
    rows = sorted((row for row in ledger.vote_rows() if row[2] in config.contestants
                   and row[3] in config.contestants), key=lambda row: tuple(map(str, row)))
    state = read_state(ledger)
    design, left = design_room(config, [item for item, _ in state.items], state.chosen)
    room = min(settings.batch_calls, left) // 2
    history = ledger.adaptive.steps()
    last = history[-1] if history else None
    if last is not None and last.stopped and last.n_votes == len(rows) and (last.stopped != "max_calls" or room <= 0):
        return last  # nothing new to refit (a raised max_calls is new room)
    if not rows:
        return None
    slots = _open_slots(config, state, design)
    step_number = len(history) + 1
    step = adaptive_step(make_votes(*zip(*rows)), [s[0] for s in slots], [s[1] for s in slots],
                         [s[2] for s in slots], [s[3] for s in slots], room,
                         settings=ScoringSettings(rounds=settings.refit_rounds, seed=config.seed),
                         seed=config.seed * 1_000_003 + step_number, choose=settings.choose)
    stopped = step.stopped
    if stopped is None and room <= 0:
        stopped = "max_calls"
    refits = [Refit(row.separated, row.n_votes, row.doubtful) for row in history]
    if stopped is None and unchanged([*refits, Refit(step.separated, len(rows), len(step.doubtful), step.untried)],
                                     settings.patience):
        stopped = "settled"
    chosen = [] if stopped else [slots[k] for k in step.chosen]
    return ledger.adaptive.record_step(n_votes=len(rows), doubtful=len(step.doubtful), separated=step.separated,
                                rank_intervals=step.rank_intervals, chosen=chosen, stopped=stopped)


@dataclass(frozen=True)
class AdaptiveStatus:
    """Where an adaptive design stands: its refits, calls, cap, the pairs in doubt and
    separated at the last refit, and why it stopped (None while it goes on)."""

    steps: int
    calls: int
    max_calls: int
    all_pairs_calls: int
    doubtful_pairs: int | None
    separated_pairs: int | None
    stopped: str | None

    def line(self) -> str:
        share = f" ({100 * self.calls / self.all_pairs_calls:.0f}% of all pairs)" if self.all_pairs_calls else ""
        where = (f"stopped — {STOP_REASONS[self.stopped]}" if self.stopped else
                 "going on" + (f": {self.doubtful_pairs} pair(s) in doubt at the last refit"
                               if self.doubtful_pairs is not None else ": start design"))
        return (f"adaptive: {self.steps} refit(s), {self.calls} judge calls{share}, at most {self.max_calls}; "
                f"{where}")


def adaptive_status(ledger: Ledger, config: CouncilConfig, judge_calls: int, n_items: int) -> AdaptiveStatus:
    """What `council status` says of an adaptive design (`AdaptiveStatus`)."""
    history = ledger.adaptive.steps()
    last = history[-1] if history else None
    return AdaptiveStatus(len(history), judge_calls, adaptive_cap(config, n_items),
                          sum(all_pairs_calls(config, n_items).values()), last.doubtful if last else None,
                          len(last.separated) if last else None, last.stopped if last else None)

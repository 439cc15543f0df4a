"""What a council will do before anything is spent: calls, tokens and dollars.

The plan is the run's own planning, done on a run that has not happened: the stages
plan their units from the seeds (or the frozen item set) with items and answers of
the expected length standing in for the texts not written yet. Counts per stage and
member are therefore exactly the calls a fresh run makes, for every pairing, and the
tokens and dollars are what the budget reserves for those units.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields
from typing import Any

from council.config import CouncilConfig, MemberConfig
from council.engine.adaptive_design import design_room
from council.engine.batching import BATCH_STAGES
from council.engine.budget import batch_cost_estimate
from council.engine.execution import call_cache, held_by_cache, read_state
from council.providers.cached import serves
from council.stages import STAGES
from council.stages.base import RunState, StageContext, WorkUnit, what_changed
from council.stages.compose import COMPOSE, current_items
from council.stages.judge import JUDGE
from council.stages.pairing import all_pairs_calls, grows_by_refits, judge_pairs
from council.stages.respond import RESPOND
from council.store.ledger import Ledger
from council.vocab import Role, StageName
from scoring.display import html_table

__all__ = [
    "EXPECTED_ITEM_TOKENS", "CacheNote", "LeftOut", "Plan", "PlanTotal", "PlannedCalls", "current_keys", "left_out",
    "plan_calls", "planned_units", "price_plan", "rerun_units",
]

#: Tokens a composed item is expected to take (the compose prompt asks for 120–200 words).
EXPECTED_ITEM_TOKENS = 300
#: Tokens per word of an answer, for answers not written yet.
TOKENS_PER_WORD = 1.35

Price = Callable[[MemberConfig, int, int], "float | None"]


@dataclass(frozen=True)
class PlannedCalls:
    stage: str
    member: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: no price known for this member's model
    cached: int = 0  # planned calls the call cache already holds: free, and not in the counts above
    batch_cost_usd: float | None = None  # the same calls through the provider's batch API (respond, judge)
    # Adaptive judging: the calls above are its start design (and chosen slots not asked
    # yet); its refits may add up to max_calls in all. None for other pairings.
    calls_up_to: int | None = None
    cost_usd_up_to: float | None = None
    batch_cost_usd_up_to: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LeftOut:
    """Judgments not planned because a candidate's file does not answer an item."""

    judgments: int
    unanswered: dict[str, int]  # candidate -> items its file does not answer

    def to_dict(self) -> dict[str, Any]:
        return {"judgments": self.judgments, "unanswered": self.unanswered}

    def line(self) -> str:
        why = "; ".join(f"{name} has no answer for {n} item(s)" for name, n in sorted(self.unanswered.items()))
        return f"left out: {self.judgments} judgment(s) of pairs that cannot be formed — {why}"


@dataclass(frozen=True)
class CacheNote:
    """The call cache a plan counted against: its file, size, and whose calls it serves."""

    path: str
    stored_calls: int
    serves: list[str]


@dataclass(frozen=True)
class PlanTotal:
    calls: int
    cost_usd: float
    unpriced_members: list[str]
    cached: int
    cost_usd_with_batch: float  # respond and judge calls in provider batches, compose directly
    # Adaptive judging: the most its refits may add, priced as the calls above (None otherwise).
    calls_up_to: int | None = None
    cost_usd_up_to: float | None = None
    cost_usd_with_batch_up_to: float | None = None


@dataclass(frozen=True)
class Plan:
    """What a council will do (`price_plan`); ``to_dict`` is `council plan --json`."""

    rows: tuple[PlannedCalls, ...]
    total: PlanTotal
    cache: CacheNote | None
    changes: tuple[str, ...] | None = None  # given a run: what a re-run would redo, and why
    budget_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        total = {k: v for k, v in asdict(self.total).items() if v is not None or not k.endswith("_up_to")}
        out: dict[str, Any] = {"rows": [row.to_dict() for row in self.rows], "total": total,
                               "cache": asdict(self.cache) if self.cache is not None else None}
        if self.changes is not None:
            out["changes"] = list(self.changes)
        return out

    def lines(self) -> list[str]:
        """The table `council plan` prints."""
        total = self.total
        lines = list(self.changes or ())
        lines.append(f"{'stage':<8} {'member':<20} {'calls':>7} {'in tokens':>11} {'out tokens':>11} {'cost':>10} "
                     f"{'in batches':>11}")
        for r in self.rows:
            cost = f"${r.cost_usd:.4f}" if r.cost_usd is not None else "unknown"
            batched = f"${r.batch_cost_usd:.4f}" if r.batch_cost_usd is not None else "-"
            lines.append(f"{r.stage:<8} {r.member:<20} {r.calls:>7} {r.input_tokens:>11} {r.output_tokens:>11} "
                         f"{cost:>10} {batched:>11}")
        unpriced = total.unpriced_members
        held = f" ({total.cached} more held by the call cache: free)" if total.cached else ""
        lines.append(f"total: {total.calls} calls{held}, about ${total.cost_usd:.2f}"
                     + (f" plus unpriced members: {', '.join(unpriced)}" if unpriced else "")
                     + f"; with respond and judge calls in provider batches (batch: true), about "
                       f"${total.cost_usd_with_batch:.2f}")
        if total.calls_up_to is not None:
            judges = ", ".join(f"{r.member} {r.calls_up_to}" for r in self.rows if r.calls_up_to is not None)
            lines.append(f"adaptive judging: the judge rows are its start design; its refits may add calls up to "
                         f"{total.calls_up_to} in all ({judges}), about ${total.cost_usd_up_to:.2f} at most, "
                         f"${total.cost_usd_with_batch_up_to:.2f} with batches")
        if self.budget_usd is not None:
            lines.append(f"budget: ${self.budget_usd:.2f}")
        if self.cache is not None:
            serves = ", ".join(self.cache.serves) or "no member (none has temperature 0)"
            lines.append(f"call cache: {self.cache.path} ({self.cache.stored_calls} stored calls) serves the compose "
                         f"and judge calls of {serves}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        names = [f.name for f in fields(PlannedCalls)][:6]
        return html_table(names, [[getattr(r, n) for n in names] for r in self.rows],
                          caption=f"{self.total.calls} calls, about ${self.total.cost_usd:.2f}")

    def to_polars(self):
        import polars as pl

        return pl.DataFrame([row.to_dict() for row in self.rows])


def _stand_in(tokens: int) -> str:
    """A text of about ``tokens`` tokens, for one not written yet."""
    return "x" * (4 * tokens)


def planned_units(config: CouncilConfig, test_set: StageContext | None = None, stored: RunState | None = None,
                  still_to_do: Callable[[WorkUnit], bool] | None = None) -> dict[StageName, list[WorkUnit]]:
    """The units a run of ``config`` makes, stage by stage: all of them on a fresh
    directory, or — given what a run has ``stored`` and which units are ``still_to_do``
    — those a re-run makes. Texts not written yet, or about to be written again, are
    stand-ins of the expected length."""
    ctx = test_set or StageContext.open(config)
    state = stored or RunState()
    to_do = still_to_do or (lambda unit: True)
    compose = [unit for unit in COMPOSE.plan(ctx, state) if to_do(unit)]
    if ctx.item_set is not None:
        items = tuple((item.id, item.text) for item in ctx.item_set)
    else:
        rewritten = {unit.fields["id"] for unit in compose}
        kept = tuple((item, text) for item, text in state.items if item not in rewritten)
        items = kept + tuple((unit.fields["id"], _stand_in(EXPECTED_ITEM_TOKENS)) for unit in compose)
    respond = [unit for unit in RESPOND.plan(ctx, RunState(items=items)) if to_do(unit)]
    answer = _stand_in(int(config.respond.word_limit * TOKENS_PER_WORD))
    respondents = [m.name for m in config.with_role(Role.RESPONDENT)]
    stored_items = set(state.items)
    unchanged = {item for item, text in items if (item, text) in stored_items}
    answers = {item: {r: state.answers.get(item, {}).get(r, answer) if item in unchanged else answer
                      for r in respondents} for item, _ in items}
    for unit in respond:
        answers[unit.fields["item"]][unit.member] = answer
    for candidate in config.candidates:  # what a re-run would enter: the files as they are now
        given = ctx.candidate_answers.get(candidate.name)
        for item, _ in items:
            if given is None:  # answered by a function
                answers[item][candidate.name] = state.answers.get(item, {}).get(candidate.name, answer)
            elif item in given:
                answers[item][candidate.name] = RESPOND.given_text(ctx, candidate.name, given[item])[0]
    judge = [unit for unit in JUDGE.plan(ctx, RunState(items=items, answers=answers, chosen=state.chosen))
             if to_do(unit)]
    return {StageName.COMPOSE: compose, StageName.RESPOND: respond, StageName.JUDGE: judge}


def rerun_units(config: CouncilConfig, ledger: Ledger, test_set: StageContext | None = None,
                ) -> tuple[dict[StageName, list[WorkUnit]], list[str]]:
    """What `council run` would do now on the run in ``ledger`` (read only): the units
    still to make — new, failed, or changed since they were done — and the changes it
    would report."""
    calls = {stage.name: ledger.calls(stage.name) for stage in STAGES}
    stored_fingerprints = {name: rows.fingerprints() for name, rows in calls.items()}
    done = {name: rows.done(config.retry.max_rejections) for name, rows in calls.items()}
    changed: dict[tuple[str, str, str], int] = {}

    def still_to_do(unit: WorkUnit) -> bool:
        _, why = what_changed(unit, config.member(unit.member), stored_fingerprints[unit.stage].get(unit.key))
        if why is not None:
            changed[(unit.stage.value, unit.member, why)] = changed.get((unit.stage.value, unit.member, why), 0) + 1
            return True
        return unit.key not in done[unit.stage]

    units = planned_units(config, test_set, stored=read_state(ledger), still_to_do=still_to_do)
    lines = [f"would redo: {stage}: {n} unit(s) of {member!r} — {why} changed since they were done"
             for (stage, member, why), n in sorted(changed.items())]
    return units, lines


def plan_calls(config: CouncilConfig, price: Price | None = None,
               units: dict[StageName, list[WorkUnit]] | None = None,
               cached: Callable[[WorkUnit], bool] | None = None) -> list[PlannedCalls]:
    """Calls per stage and member, with the tokens and cost the budget reserves for them:
    the most those calls can bill, since every call sends its ``max_tokens``.

    ``price(member, input_tokens, output_tokens)`` gives dollars or None (unknown);
    units ``cached`` says the call cache holds are counted apart, as free. Respond and
    judge rows of a priced member also say what their calls cost in provider batches
    (`batch_cost_estimate`, what the budget holds for them).
    """
    units = units if units is not None else planned_units(config)
    rows = []
    for stage in STAGES:
        for member in config.with_role(stage.role):
            mine = [unit for unit in units[stage.name] if unit.member == member.name]
            held = [unit for unit in mine if cached(unit)] if cached is not None else []
            mine = [unit for unit in mine if unit not in held] if held else mine
            inp = sum(unit.reserved_tokens[0] for unit in mine)
            out = sum(unit.reserved_tokens[1] for unit in mine)
            cost = price(member, inp, out) if price else None
            batched = None
            if cost is not None and stage.name in BATCH_STAGES:
                batched = batch_cost_estimate(member, mine) if cost > 0 else 0.0
            rows.append(PlannedCalls(stage.name.value, member.name, len(mine), inp, out, cost, len(held), batched))
    return rows


def current_keys(config: CouncilConfig, state: RunState, given_up: frozenset[str] = frozenset(),
                 test_set: StageContext | None = None) -> dict[str, list[str]]:
    """The keys of every unit the council needs, stage by stage, given what the run has
    stored — each stage's key-only view (`Stage.keys`), so `council status` renders no
    prompt. What the ledger holds beyond these keys (a removed member's work) is a
    leftover, not work to do."""
    ctx = test_set or StageContext.open(config)
    return {stage.name.value: stage.keys(ctx, state, given_up) for stage in STAGES}


def left_out(config: CouncilConfig, ctx: StageContext) -> LeftOut:
    """Judgments not planned because a candidate's file does not answer an item."""
    items = [item.id for item in ctx.item_set or ()]
    judgments = sum(len(judges) for item in items for a, b, judges in judge_pairs(config, item, (), items)
                    if not (ctx.answers(a, item) and ctx.answers(b, item)))
    unanswered = {name: sum(not ctx.answers(name, item) for item in items) for name in ctx.candidate_answers}
    return LeftOut(judgments, {name: n for name, n in unanswered.items() if n})


def _adaptive_range(config: CouncilConfig, rows: list[PlannedCalls], judge_units: list[WorkUnit], price: Price,
                    ledger: Ledger | None, ctx: StageContext) -> list[PlannedCalls]:
    """Judge rows with the most adaptive refits may add: the room left under
    `adaptive_cap` (none once the design stopped), shared among judges as the all-pairs
    design shares it, each added call as many tokens as a planned judge call."""
    state = read_state(ledger) if ledger is not None else RunState()
    items = current_items(ctx, state)
    history = ledger.adaptive.steps() if ledger is not None else []
    room = 0 if history and history[-1].stopped else design_room(config, items, state.chosen)[1]
    share = all_pairs_calls(config, len(items))
    everyone = sum(share.values()) or 1
    per_call = ((sum(u.reserved_tokens[0] for u in judge_units) / len(judge_units),
                 sum(u.reserved_tokens[1] for u in judge_units) / len(judge_units)) if judge_units else (0.0, 0.0))
    ranged = []
    for row in rows:
        if row.stage != StageName.JUDGE.value:
            ranged.append(row)
            continue
        extra = round(room * share.get(row.member, 0) / everyone)
        added = price(config.member(row.member), int(extra * per_call[0]), int(extra * per_call[1]))
        cost = batched = None
        if row.cost_usd is not None and added is not None:
            cost = row.cost_usd + added
            if row.batch_cost_usd is not None:  # the added calls priced in batches as the planned ones are
                ratio = row.batch_cost_usd / row.cost_usd if row.cost_usd else config.member(row.member).batch_discount
                batched = row.batch_cost_usd + added * ratio
        ranged.append(dataclasses.replace(row, calls_up_to=row.calls + extra, cost_usd_up_to=cost,
                                          batch_cost_usd_up_to=batched))
    return ranged


def price_plan(config: CouncilConfig, ledger: Ledger | None = None) -> Plan:
    """`plan_calls` priced by the member's prices or litellm's, with totals and the call
    cache counted against; given a run's ledger, for what a re-run would still do, with
    the changes it would report."""
    from council.providers.litellm_adapter import configure, estimate_cost

    configure(config.members, offline=True)  # a plan calls nobody: it never fetches litellm's online price list

    def price(member: MemberConfig, input_tokens: int, output_tokens: int) -> float | None:
        if input_tokens == output_tokens == 0:
            return 0.0  # no calls cost nothing, priced or not
        known = member.input_cost_per_token is not None or member.output_cost_per_token is not None
        cost = estimate_cost(member, input_tokens, output_tokens)
        return cost if (known or cost > 0) else None

    test_set = StageContext.open(config)
    units, changes = (rerun_units(config, ledger, test_set) if ledger is not None
                      else (planned_units(config, test_set), None))
    cache = call_cache(config)
    try:
        rows = plan_calls(config, price, units, held_by_cache(cache, test_set) if cache is not None else None)
        refits = grows_by_refits(config)
        if refits:
            rows = _adaptive_range(config, rows, units[StageName.JUDGE], price, ledger, test_set)
        note = None if cache is None else CacheNote(str(cache.path), cache.size(),
                                                    [m.name for m in config.members
                                                     if serves(m, cache.any_temperature)])
    finally:
        if cache is not None:
            cache.close()
    priced = [r for r in rows if r.cost_usd is not None]
    total = PlanTotal(
        calls=sum(r.calls for r in rows),
        cost_usd=sum(r.cost_usd for r in priced),  # type: ignore[misc]
        unpriced_members=sorted({r.member for r in rows if r.cost_usd is None}),
        cached=sum(r.cached for r in rows),
        cost_usd_with_batch=sum((r.cost_usd if r.batch_cost_usd is None else r.batch_cost_usd)  # type: ignore[misc]
                                for r in priced),
    )
    if refits:  # the most its refits may add, priced as the calls above
        def up_to(row: PlannedCalls, field: str, base: str) -> float:
            value = getattr(row, field)
            return value if value is not None else (getattr(row, base) or 0.0)

        total = dataclasses.replace(
            total,
            calls_up_to=sum(r.calls_up_to if r.calls_up_to is not None else r.calls for r in rows),
            cost_usd_up_to=sum(up_to(r, "cost_usd_up_to", "cost_usd") for r in priced),
            cost_usd_with_batch_up_to=sum(
                up_to(r, "batch_cost_usd_up_to", "batch_cost_usd") if r.batch_cost_usd is not None
                else (r.cost_usd or 0.0) for r in priced),
        )
    return Plan(tuple(rows), total, note, tuple(changes) if changes is not None else None, config.budget.max_usd)

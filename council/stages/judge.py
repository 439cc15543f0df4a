"""Stage 3: judges compare pairs of answers, in both orders, reasoning first.

In a round of a series, judges also compare a member's new answer to an item with its
previous round's answer (``ctx.baseline``), in both orders: the drift checks. Those
votes go to their own table and never into a leaderboard. Identical answers need no
judge: nothing changed.

A reply without a readable verdict is asked again (``judge.max_reasks`` times) and
then stored as unparseable: it stays in the ledger and counts as unscored, never as a
vote.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from council.config import CouncilConfig, MemberConfig
from council.inputs.conversations import conversation_of
from council.providers.client import CallFailed, MemberClient
from council.providers.litellm_adapter import supports_response_schema
from council.records import CallRecord
from council.stages.base import CallRequest, RunState, StageContext, WorkUnit, criteria_of, member_cap, work_key
from council.stages.compose import current_items
from council.stages.conversation import shown_item
from council.stages.pairing import JudgedPair, chosen_pairs, judge_pairs
from council.stages.respond import RESPOND
from council.stages.verdicts import label_meanings, labels, parse_verdict, response_format
from council.usage import Usage
from council.vocab import CallStatus, Role, StageName

__all__ = ["JUDGE", "DriftCheck", "JudgeStage", "drift_checks", "drift_key"]


class DriftCheck(NamedTuple):
    """One order of one drift check: ``member``'s new and previous answers to ``item``."""

    item: str
    member: str
    new_first: bool
    judges: tuple[str, ...]


def drift_checks(ctx: StageContext, answers: dict[str, dict[str, str]], items: set[str]) -> list[DriftCheck]:
    """Every drift check the round needs, given the answers stored so far: a member's
    answer that is not written yet is checked later, and one identical to the previous
    round's needs no judge. The one rule the stage plans and `council status` counts by."""
    config = ctx.config
    judges = [m.name for m in config.with_role(Role.JUDGE)]
    checks = []
    for member, previous in sorted(ctx.baseline.items()):
        who = tuple(j for j in judges if config.judge.include_self or j != member)
        for item, old in sorted(previous.items()):
            new = answers.get(item, {}).get(member)
            if item in items and new is not None and new != old:
                checks += [DriftCheck(item, member, True, who), DriftCheck(item, member, False, who)]
    return checks


def drift_key(check: DriftCheck, judge: str) -> str:
    return work_key(StageName.JUDGE, check.item, judge, f"{check.member}@drift",
                    "new-first" if check.new_first else "old-first")


#: Output tokens a verdict on one criterion adds to a judge's reply (its name and label).
PER_CRITERION_TOKENS = 24


class JudgeStage:
    name = StageName.JUDGE
    role = Role.JUDGE
    cacheable = True

    def output_tokens(self, config: CouncilConfig, member: MemberConfig) -> int:
        # Sent with every ask: nothing longer is billed. A verdict per criterion takes
        # room in the same reply: a larger cap, never more calls.
        cap = config.judge.max_tokens + (PER_CRITERION_TOKENS * len(criteria_of(config))
                                         if config.judge.per_criterion else 0)
        return member_cap(member, cap)

    def key(self, item: str, judge: str, model_a: str, model_b: str) -> str:
        return work_key(self.name, item, judge, model_a, model_b)

    def keys(self, ctx: StageContext, state: RunState, given_up: frozenset[str] = frozenset()) -> list[str]:
        """The keys `plan` would give its units, without rendering: every pair of the
        current items, but not a pair whose answer was given up or is missing from a
        candidate's file (`council.engine.plan.left_out` counts those), and drift checks."""
        config = ctx.config
        items = current_items(ctx, state, given_up)
        keys = []
        for item in items:
            silent = {r for r in config.contestants if RESPOND.key(item, r) in given_up}
            for a, b, judges in judge_pairs(config, item, state.chosen.get(item, ()), items):
                if not {a, b} & silent and ctx.answers(a, item) and ctx.answers(b, item):
                    keys += [self.key(item, j, a, b) for j in judges]
        return keys + [drift_key(check, j) for check in drift_checks(ctx, state.answers, set(items))
                       for j in check.judges]

    def _system(self, ctx: StageContext) -> str:
        allow_tie = ctx.config.judge.allow_tie
        return ctx.task.judge_system.render(labels=", ".join(labels(allow_tie)),
                                            label_meanings=label_meanings(allow_tie))

    def _outputs(self, config: CouncilConfig) -> dict[str, int]:
        return {m.name: self.output_tokens(config, m) for m in config.with_role(self.role)}

    def _pair_units(self, ctx: StageContext, state: RunState, system: str, output: dict[str, int],
                    pairs_of: Callable[[str], list[JudgedPair]]) -> list[WorkUnit]:
        """One unit per judge of every pair ``pairs_of(item)`` gives whose two answers exist."""
        config, task = ctx.config, ctx.task
        units = []
        for item, item_text in state.items:
            have = state.answers.get(item, {})
            shown = shown_item(item_text, conversation_of(item_text))  # once per item, not per pair
            for a, b, judges in pairs_of(item):
                if a not in have or b not in have:
                    continue  # planned on a later run, once both answers exist
                user = task.judge_user.render(item=shown, answer_a=have[a], answer_b=have[b])
                messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
                units += [WorkUnit(key=self.key(item, judge, a, b), stage=self.name, member=judge,
                                   prompt_hash=task.judge_hash, messages=messages, expected_output_tokens=output[judge],
                                   asks=config.judge.max_reasks + 1,
                                   fields={"item": item, "judge": judge, "model_a": a, "model_b": b})
                          for judge in judges]
        return units

    def plan(self, ctx: StageContext, state: RunState) -> list[WorkUnit]:
        every_item = [item for item, _ in state.items]
        system = self._system(ctx)

        def pairs_of(item: str) -> list[JudgedPair]:
            return judge_pairs(ctx.config, item, state.chosen.get(item, ()), every_item)

        output = self._outputs(ctx.config)
        return (self._pair_units(ctx, state, system, output, pairs_of)
                + self._drift_units(ctx, state, system, ctx.task.judge_hash, output))

    def plan_slots(self, ctx: StageContext, state: RunState,
                   slots: Mapping[str, Sequence[tuple[str, str, str]]]) -> list[WorkUnit]:
        """The units of adaptive slots just chosen (item -> (model_a, model_b, judge)),
        both orders, exactly as `plan` makes them: a refit renders only its new slots."""
        return self._pair_units(ctx, state, self._system(ctx), self._outputs(ctx.config),
                                lambda item: chosen_pairs(ctx.config, slots.get(item, ())))

    def _drift_units(self, ctx: StageContext, state: RunState, system: str, digest: str,
                     output: dict[str, int]) -> list[WorkUnit]:
        texts = dict(state.items)
        units = []
        for check in drift_checks(ctx, state.answers, set(texts)):
            old, new = ctx.baseline[check.member][check.item], state.answers[check.item][check.member]
            a, b = (new, old) if check.new_first else (old, new)
            text = texts[check.item]
            user = ctx.task.judge_user.render(item=shown_item(text, conversation_of(text)), answer_a=a, answer_b=b)
            messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
            for judge in check.judges:
                units.append(WorkUnit(
                    key=drift_key(check, judge), stage=self.name, member=judge, prompt_hash=digest,
                    messages=messages, expected_output_tokens=output[judge], asks=ctx.config.judge.max_reasks + 1,
                    fields={"item": check.item, "judge": judge, "member": check.member,
                            "new_first": int(check.new_first)},
                ))
        return units

    def first_request(self, unit: WorkUnit, member: MemberConfig, ctx: StageContext) -> CallRequest:
        kind = member.structured_output
        if kind == "auto":
            kind = "json_schema" if supports_response_schema(member.model) else "none"
        criteria = self._criteria(ctx, unit)
        return CallRequest(list(unit.messages), response_format(kind, ctx.config.judge.allow_tie, criteria),
                           self.output_tokens(ctx.config, member))

    @staticmethod
    def _criteria(ctx: StageContext, unit: WorkUnit) -> tuple[str, ...]:
        """The criteria a unit's judge gives verdicts on (none for a drift check)."""
        return ctx.task.criteria if ctx.task.per_criterion and "new_first" not in unit.fields else ()

    async def execute(self, unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
        allow_tie = ctx.config.judge.allow_tie
        criteria = self._criteria(ctx, unit)
        request = self.first_request(unit, client.member, ctx)
        messages = request.messages
        usage = Usage()
        for _ask in range(ctx.config.judge.max_reasks + 1):
            try:
                completion, spent = await client.call(
                    messages, response_format=request.response_format, key=unit.key,
                    expected_tokens=unit.expected_tokens, max_tokens=request.max_tokens, cacheable=self.cacheable,
                )
            except CallFailed as failure:  # the asks before it were paid: they stay in the ledger
                raise CallFailed(failure.kind, str(failure), usage + failure.usage) from None
            usage += spent
            parsed = parse_verdict(completion.text, allow_tie, criteria)
            if parsed.complete:
                break
            messages += [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": ctx.task.judge_reask.render(labels=", ".join(labels(allow_tie)))},
            ]
        product = {
            **unit.fields, "call_key": unit.key, "verdict": parsed.label, "parse_status": parsed.status,
            "reasoning": parsed.reasoning, "raw_output": completion.text,
        }
        if criteria:  # the criterion verdicts go with the overall one: one call, one row
            product["criteria"] = json.dumps(dict(parsed.criteria), ensure_ascii=False)
        status = CallStatus.OK if parsed.label is not None else CallStatus.UNPARSEABLE
        table = "drift_votes" if "new_first" in unit.fields else "votes"
        return CallRecord(unit.key, status, usage, product_table=table, product=product,
                          provider_model=completion.provider_model)


JUDGE = JudgeStage()


"""Stage 3: judges compare pairs of answers, in both orders, reasoning first.

A reply without a readable verdict is asked again (``judge.max_reasks`` times) and
then stored as unparseable: it stays in the ledger and counts as unscored, never as a
vote.
"""

from __future__ import annotations

from council.config import CouncilConfig, MemberConfig
from council.providers.client import CallFailed, MemberClient
from council.providers.litellm_adapter import supports_response_schema
from council.stages.base import RunState, StageContext, WorkUnit, member_cap, work_key
from council.stages.pairing import judge_pairs
from council.stages.verdicts import label_meanings, labels, parse_verdict, response_format
from council.store.ledger import CallRecord
from council.usage import Usage
from council.vocab import CallStatus, StageName

__all__ = ["JUDGE", "JudgeStage"]


class JudgeStage:
    name = StageName.JUDGE
    role = "judge"

    def output_tokens(self, config: CouncilConfig, member: MemberConfig) -> int:
        return member_cap(member, config.judge.max_tokens)  # sent with every ask: nothing longer is billed

    def plan(self, ctx: StageContext, state: RunState) -> list[WorkUnit]:
        config = ctx.config
        allow_tie = config.judge.allow_tie
        task = ctx.task
        digest = task.judge_hash
        system = task.judge_system.render(labels=", ".join(labels(allow_tie)), label_meanings=label_meanings(allow_tie))
        output = {m.name: self.output_tokens(config, m) for m in config.with_role(self.role)}
        units = []
        for item, item_text in state.items:
            have = state.answers.get(item, {})
            for a, b, judges in judge_pairs(config, item):
                if a not in have or b not in have:
                    continue  # planned on a later run, once both answers exist
                user = task.judge_user.render(item=item_text, answer_a=have[a], answer_b=have[b])
                messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
                for judge in judges:
                    units.append(
                        WorkUnit(
                            key=work_key(self.name, item, judge, a, b),
                            stage=self.name,
                            member=judge,
                            prompt_hash=digest,
                            messages=messages,
                            expected_output_tokens=output[judge],
                            asks=config.judge.max_reasks + 1,
                            fields={"item": item, "judge": judge, "model_a": a, "model_b": b},
                        )
                    )
        return units

    async def execute(self, unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
        allow_tie = ctx.config.judge.allow_tie
        kind = client.member.structured_output
        if kind == "auto":
            kind = "json_schema" if supports_response_schema(client.member.model) else "none"
        messages = list(unit.messages)
        usage = Usage()
        for _ask in range(ctx.config.judge.max_reasks + 1):
            try:
                completion, spent = await client.call(
                    messages, response_format=response_format(kind, allow_tie), key=unit.key,
                    expected_tokens=unit.expected_tokens, max_tokens=self.output_tokens(ctx.config, client.member),
                )
            except CallFailed as failure:  # the asks before it were paid: they stay in the ledger
                raise CallFailed(failure.kind, str(failure), usage + failure.usage) from None
            usage += spent
            parsed = parse_verdict(completion.text, allow_tie)
            if parsed.label is not None:
                break
            messages += [
                {"role": "assistant", "content": completion.text},
                {"role": "user", "content": ctx.task.judge_reask.render(labels=", ".join(labels(allow_tie)))},
            ]
        product = {
            **unit.fields, "call_key": unit.key, "verdict": parsed.label, "parse_status": parsed.status,
            "reasoning": parsed.reasoning, "raw_output": completion.text,
        }
        status = CallStatus.OK if parsed.label is not None else CallStatus.UNPARSEABLE
        return CallRecord(unit.key, status, usage, product_table="votes", product=product)


JUDGE = JudgeStage()


"""Stage 3: judges compare pairs of answers, in both orders, reasoning first.

A reply without a readable verdict is asked again (``judge.max_reasks`` times) and
then stored as unparseable: it stays in the ledger and counts as unscored, never as a
vote.
"""

from __future__ import annotations

from functools import lru_cache

from council.config import CouncilConfig
from council.pairing import item_pairs
from council.prompts import prompt_hash, render
from council.providers.client import MemberClient
from council.stages.work import StageContext, WorkUnit, work_key
from council.store.ledger import CallRecord
from council.verdicts import label_meanings, labels, neutralise_tags, parse_verdict, response_format

__all__ = ["NAME", "execute", "ordered_pairs", "plan"]

NAME = "judge"
TEMPLATES = ("judge.system", "judge.user", "judge_reask.user")


def ordered_pairs(config: CouncilConfig, respondents: list[str], item: str) -> list[tuple[str, str]]:
    pairs = item_pairs(config.judge, respondents, item, config.seed)
    return [order for a, b in pairs for order in ((a, b), (b, a))]


def plan(ctx: StageContext) -> list[WorkUnit]:
    config = ctx.config
    allow_tie = config.judge.allow_tie
    digest = prompt_hash(*TEMPLATES)
    system = render("judge.system", labels=", ".join(labels(allow_tie)), label_meanings=label_meanings(allow_tie))
    respondents = [m.name for m in config.with_role("respondent")]
    answers: dict[str, dict[str, str]] = {}
    for item, respondent, text in ctx.conn.execute("SELECT item, respondent, text FROM responses"):
        answers.setdefault(item, {})[respondent] = text
    units = []
    for item, item_text in ctx.conn.execute("SELECT id, text FROM items ORDER BY rowid"):
        have = answers.get(item, {})
        for a, b in ordered_pairs(config, respondents, item):
            if a not in have or b not in have:
                continue  # planned on a later run, once both answers exist
            user = render(
                "judge.user", item=item_text, answer_a=neutralise_tags(have[a]), answer_b=neutralise_tags(have[b])
            )
            messages = ({"role": "system", "content": system}, {"role": "user", "content": user})
            for judge in config.with_role("judge"):
                if not config.judge.include_self and judge.name in (a, b):
                    continue
                units.append(
                    WorkUnit(
                        key=work_key(NAME, item, judge.name, a, b),
                        stage=NAME,
                        member=judge.name,
                        prompt_hash=digest,
                        messages=messages,
                        fields={"item": item, "judge": judge.name, "model_a": a, "model_b": b},
                        expected_output_tokens=400,
                    )
                )
    return units


async def execute(unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
    allow_tie = ctx.config.judge.allow_tie
    kind = client.member.structured_output
    if kind == "auto":
        kind = "json_schema" if _supports_schema(client.member.model) else "none"
    messages = list(unit.messages)
    usage = None
    for ask in range(ctx.config.judge.max_reasks + 1):
        completion, spent = await client.call(
            messages, response_format=response_format(kind, allow_tie), key=unit.key,
            expected_tokens=unit.expected_input_tokens + unit.expected_output_tokens,
        )
        usage = spent if usage is None else usage + spent
        parsed = parse_verdict(completion.text, allow_tie)
        if parsed.label is not None:
            break
        messages += [
            {"role": "assistant", "content": completion.text},
            {"role": "user", "content": render("judge_reask.user", labels=", ".join(labels(allow_tie)))},
        ]
    product = {
        **unit.fields, "call_key": unit.key, "verdict": parsed.label, "parse_status": parsed.status,
        "reasoning": parsed.reasoning, "raw_output": completion.text,
    }
    status = "ok" if parsed.label is not None else "unparseable"
    return CallRecord(unit.key, status, usage, product_table="votes", product=product)


@lru_cache(maxsize=None)
def _supports_schema(model: str) -> bool:
    import litellm

    try:
        return bool(litellm.supports_response_schema(model=model))
    except Exception:  # unknown models raise; they get prompt-only JSON and the tag fallback
        return False

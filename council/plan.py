"""What a council file will cost before anything is spent: calls, tokens, dollars."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from council.config import CouncilConfig
from council.pairing import item_pairs
from council.prompts import render
from council.stages.work import chars_to_tokens

__all__ = ["PlannedCalls", "expected_totals", "plan_calls"]

#: Tokens a generated dilemma takes (the compose prompt asks for 120–200 words).
ITEM_TOKENS = 300
JUDGE_OUTPUT_TOKENS = 350


@dataclass(frozen=True)
class PlannedCalls:
    stage: str
    member: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: float | None  # None: no price known for this member's model

    def to_dict(self) -> dict:
        return asdict(self)


def _judge_calls(config: CouncilConfig, judge: str, n_items: int) -> int:
    """Judgments ``judge`` makes over ``n_items`` items, by the pairing rules themselves
    (for ``sampled`` pairs, as one representative item draws them)."""
    respondents = [m.name for m in config.with_role("respondent")]
    pairs = item_pairs(config.judge, respondents, "estimate", config.seed)
    if not config.judge.include_self:
        pairs = [p for p in pairs if judge not in p]
    return 2 * len(pairs) * n_items


def item_count(config: CouncilConfig) -> int:
    if config.items_path is not None:
        from council.dilemmas import load_item_set

        return len(load_item_set(config.items_path)[1])
    return len(config.with_role("author")) * config.test_set.items_per_author


def expected_totals(config: CouncilConfig) -> dict[str, int]:
    """Calls each stage needs when the whole council file is done."""
    n_items = item_count(config)
    return {
        "compose": n_items,
        "respond": n_items * len(config.with_role("respondent")),
        "judge": sum(_judge_calls(config, m.name, n_items) for m in config.with_role("judge")),
    }


def plan_calls(config: CouncilConfig, price=None) -> list[PlannedCalls]:
    """Calls per stage and member with estimated tokens and cost.

    ``price(member, input_tokens, output_tokens)`` gives dollars or None (unknown).
    """
    n_items = item_count(config)
    answer_tokens = int(config.respond.word_limit * 1.35)
    sizes = {
        "compose": (chars_to_tokens(render("compose.system") + render("compose.user", seed_text="x" * 200)), ITEM_TOKENS),
        "respond": (chars_to_tokens(render("respond.system")) + ITEM_TOKENS + 20, answer_tokens),
        "judge": (300 + ITEM_TOKENS + 2 * answer_tokens, JUDGE_OUTPUT_TOKENS),
    }
    rows = []
    for stage, role in (("compose", "author"), ("respond", "respondent"), ("judge", "judge")):
        for member in config.with_role(role):
            if stage == "compose":
                calls = 0 if config.items_path is not None else config.test_set.items_per_author
            elif stage == "respond":
                calls = n_items
            else:
                calls = _judge_calls(config, member.name, n_items)
            inp, out = sizes[stage][0] * calls, sizes[stage][1] * calls
            rows.append(PlannedCalls(stage, member.name, calls, inp, out, price(member, inp, out) if price else None))
    return rows

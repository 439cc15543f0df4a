"""Stage 2: every respondent answers every item, within a word limit.

Answers are cut at the last sentence end within the limit (the paper's rule), so a
long answer neither wins on length nor ends mid-sentence. Raw and cut text are both
stored.
"""

from __future__ import annotations

import re

from council.config import CouncilConfig, MemberConfig
from council.inputs.conversations import conversation_of
from council.providers.client import MemberClient
from council.records import CallRecord
from council.stages.base import (
    CallRequest,
    GivenRecord,
    RunState,
    StageContext,
    WorkUnit,
    given_fingerprint,
    member_cap,
    with_persona,
    work_key,
)
from council.stages.compose import current_items
from council.stages.conversation import next_turn_messages
from council.usage import Usage
from council.vocab import CallStatus, Role, StageName
from scoring import word_count

__all__ = ["FUNCTION_FINGERPRINT", "IMPORTED_PREFIX", "RESPOND", "RespondStage", "output_cap", "truncate_at_sentence"]

#: The prompt hash of answers no call produced: ``imported:file`` or ``imported:function``.
IMPORTED_PREFIX = "imported:"
#: The fingerprint of an answer a function gave: known only once asked, so never asked again.
FUNCTION_FINGERPRINT = "given.function"

_SENTENCE_END = re.compile(r"""[.!?…]+["'”’)\]]*(?=\s|$)""")


def truncate_at_sentence(text: str, word_limit: int) -> tuple[str, bool]:
    """The longest prefix of ``text`` within ``word_limit`` words that ends a sentence.

    Returns the text and whether it was cut. A first sentence longer than the limit
    is cut at the limit itself: an answer is never emptied.
    """
    text = text.strip()
    words = list(re.finditer(r"\S+", text))
    if len(words) <= word_limit:
        return text, False
    window = text[: words[word_limit - 1].end()]
    ends = list(_SENTENCE_END.finditer(window))
    cut = ends[-1].end() if ends else len(window)
    return window[:cut].rstrip(), True


def output_cap(word_limit: int) -> int:
    """Tokens worth generating for an answer cut at ``word_limit`` words: a word is
    about 1.3 tokens, and anything past twice that would be thrown away unread."""
    return 2 * word_limit + 16


class RespondStage:
    name = StageName.RESPOND
    role = Role.RESPONDENT
    # Never from the call cache: a round asks its respondents afresh, or a model swapped
    # behind its name would hide behind the replies stored before.
    cacheable = False

    def output_tokens(self, config: CouncilConfig, member: MemberConfig) -> int:
        cap = config.respond.max_tokens or output_cap(config.respond.word_limit)
        return member_cap(member, cap)  # sent with every call: nothing longer is billed

    def plan(self, ctx: StageContext, state: RunState) -> list[WorkUnit]:
        task = ctx.task
        digest = task.respond_hash
        limit = {"word_limit": ctx.config.respond.word_limit} if "word_limit" in task.respond_user.variables else {}
        respondents = ctx.config.with_role(self.role)
        system = task.respond_system.render()
        units = []
        for item, text in state.items:
            turns = conversation_of(text)
            user = {"role": "user", "content": task.respond_user.render(item=text, **limit)} if turns is None else {}
            for member in respondents:
                own = with_persona(member.persona, system)
                messages = (({"role": "system", "content": own}, user) if turns is None
                            else next_turn_messages(own, turns, ctx.config.respond.word_limit))
                units.append(
                    WorkUnit(
                        key=self.key(item, member.name),
                        stage=self.name,
                        member=member.name,
                        prompt_hash=digest,
                        messages=messages,
                        expected_output_tokens=self.output_tokens(ctx.config, member),
                        fields={"item": item, "respondent": member.name},
                    )
                )
        return units

    @staticmethod
    def _cuts(ctx: StageContext, candidate: str) -> bool:
        return next(c.truncate for c in ctx.config.candidates if c.name == candidate)

    def given_text(self, ctx: StageContext, candidate: str, answer: str) -> tuple[str, bool]:
        """What of a candidate's answer judges read, and whether it was cut: at the word
        limit only if the candidate asks for it."""
        if self._cuts(ctx, candidate):
            return truncate_at_sentence(answer, ctx.config.respond.word_limit)
        return answer.strip(), False

    def keys(self, ctx: StageContext, state: RunState, given_up: frozenset[str] = frozenset()) -> list[str]:
        """The keys `plan` would give its units over the current items, without rendering."""
        return [self.key(item, name) for item in current_items(ctx, state, given_up)
                for name in ctx.config.contestants if ctx.answers(name, item)]

    def key(self, item: str, respondent: str) -> str:
        """The work key of ``respondent``'s answer to ``item``."""
        return work_key(self.name, item, respondent)

    def given_answer(self, ctx: StageContext, candidate: str, item: str, answer: str, source: str) -> GivenRecord:
        """A candidate's answer as it enters the ledger: like a generated one, with its
        word count."""
        text, truncated = self.given_text(ctx, candidate, answer)
        key = self.key(item, candidate)
        product = {"item": item, "respondent": candidate, "call_key": key, "text": text, "raw_text": answer,
                   "word_count": word_count(text), "truncated": int(truncated)}
        outcome = CallRecord(key, CallStatus.OK, Usage(), product_table="responses", product=product)
        if source == "function":
            shaped = FUNCTION_FINGERPRINT
        else:
            limit = ctx.config.respond.word_limit if self._cuts(ctx, candidate) else ""
            shaped = given_fingerprint(f"{answer}\0{limit}")
        return GivenRecord(key, self.name.value, candidate, IMPORTED_PREFIX + source, shaped, outcome)

    def imported_records(self, ctx: StageContext) -> list[GivenRecord]:
        """The answers candidates' files give."""
        return [self.given_answer(ctx, name, item, answer, "file")
                for name, answers in ctx.candidate_answers.items() for item, answer in answers.items()]

    def first_request(self, unit: WorkUnit, member: MemberConfig, ctx: StageContext) -> CallRequest:
        return CallRequest(list(unit.messages), None, unit.expected_output_tokens)

    async def execute(self, unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
        word_limit = ctx.config.respond.word_limit
        request = self.first_request(unit, client.member, ctx)
        completion, usage = await client.call(
            request.messages, key=unit.key, expected_tokens=unit.expected_tokens, max_tokens=request.max_tokens,
        )
        if not completion.text.strip():
            empty = "the respondent returned an empty answer"
            return CallRecord(unit.key, CallStatus.RETRYABLE_ERROR, usage, error=empty)
        text, truncated = truncate_at_sentence(completion.text, word_limit)
        product = {
            **unit.fields, "call_key": unit.key, "text": text, "raw_text": completion.text,
            "word_count": word_count(text), "truncated": int(truncated),
        }
        return CallRecord(unit.key, CallStatus.OK, usage, product_table="responses", product=product,
                          provider_model=completion.provider_model)


RESPOND = RespondStage()

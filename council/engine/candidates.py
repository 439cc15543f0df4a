"""Candidates that answer through a Python function (`council.Jury.rank`,
`council.run(..., answerers=)`): each asked once per item, each answer stored as it
arrives, so a killed run never asks again for what it has."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from council.engine.execution import SessionState
from council.errors import BadInput
from council.inputs.conversations import conversation_of
from council.stages.base import StageContext
from council.stages.respond import FUNCTION_FINGERPRINT, RESPOND

__all__ = ["Answerer", "CandidateFailed", "answer_by_functions"]

#: ``(item) -> answer``, async or not: the item's text, or a conversation's turns as a
#: list of ``{"role", "content"}`` (the answer is the next assistant turn).
Answerer = Callable[[Any], str | Awaitable[str]]
#: Functions asked at once: they are the user's code, often calling a service of theirs.
CONCURRENCY = 8


class CandidateFailed(RuntimeError):
    """A candidate's function raised or gave no answer; the answers before it are stored."""


def _check(ctx: StageContext, answerers: dict[str, Answerer]) -> list[str]:
    by_function = [c.name for c in ctx.config.candidates if c.answers is None]
    unknown = sorted(set(answerers) - set(by_function))
    if unknown:
        raise BadInput(f"answerer {unknown[0]!r} is no candidate without an answers file "
                       f"(those: {', '.join(by_function) or 'none'})", field="candidates")
    silent = [name for name in by_function if name not in answerers]
    if silent:
        raise BadInput(f"candidate {silent[0]!r} has no answers file and no function to answer", field="candidates")
    return by_function


async def _answer(function: Answerer, text: object) -> str:
    if inspect.iscoroutinefunction(function):
        answer = await function(text)
    else:
        answer = await asyncio.to_thread(function, text)
        if inspect.isawaitable(answer):
            answer = await answer
    return answer


async def answer_by_functions(session: SessionState, answerers: dict[str, Answerer]) -> None:
    """Ask every function candidate for the items it has not answered in this run."""
    ctx, ledger = session.ctx, session.ledger
    names = _check(ctx, answerers)
    if not names:
        return
    stored = ledger.calls(RESPOND.name)
    fingerprints, done = stored.fingerprints(), stored.final_keys()
    todo = []
    for name in names:
        for given in ctx.item_set or ():
            key = RESPOND.key(given.id, name)
            if key not in done or fingerprints.get(key) != FUNCTION_FINGERPRINT:
                todo.append((name, given.id, given.text, key))
    replaced = {key: f"{name}: now answered by a function" for name, _, _, key in todo if key in done}
    if replaced:
        ledger.supersede(replaced)
        session.report_change(f"changed: {len(replaced)} answer(s) given in files are now asked of a function: "
                              "set aside")
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(name: str, item: str, text: str) -> None:
        async with gate:
            turns = conversation_of(text)
            answer = await _answer(answerers[name], text if turns is None else [dict(turn) for turn in turns])
        if not isinstance(answer, str) or not answer.strip():
            raise ValueError(f"it returned {type(answer).__name__} {answer!r}, not an answer's text")
        ledger.import_records([RESPOND.given_answer(ctx, name, item, answer, "function")])

    outcomes = await asyncio.gather(*(one(name, item, text) for name, item, text, _ in todo), return_exceptions=True)
    for (name, item, _, _), outcome in zip(todo, outcomes):
        if isinstance(outcome, BaseException):
            failed = sum(isinstance(o, BaseException) for o in outcomes)
            raise CandidateFailed(f"candidate {name!r} failed on item {item!r} ({failed} of {len(todo)} "
                                  f"answers failed; the others are stored): {outcome}") from outcome

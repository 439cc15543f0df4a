"""How a conversation item reaches respondents and judges.

A respondent gets the history as chat messages (its own system message first, the
conversation's system turn folded into it) and writes the next assistant turn; the word
limit counts that turn only. A judge gets the history once, framed as a transcript that
cannot be mistaken for a response, then the two candidate next turns as the task's
judge template shows any two answers. Every turn's text has the transcript's markers,
the template's section markers and verdict tags neutralised (`council.prompts.neutralise`),
so a history cannot forge a turn, a response or a vote.
"""

from __future__ import annotations

from council.prompts import PromptTemplate, neutralise

__all__ = ["NEXT_TURN", "next_turn_messages", "shown_item"]

#: What a respondent is told beside the task's system message, for a conversation item.
NEXT_TURN = ("You are the assistant in the conversation that follows. Write the assistant's next turn only, in at "
             "most {word_limit} words: no role label, no commentary.")

#: The frame of a history shown to a judge; its bracketed markers are neutralised in every turn.
_FRAME = PromptTemplate("transcript",
                        "[Conversation so far]\n[System]\n[User]\n[Assistant]\n[End of conversation so far]")
_LABELS = {"system": "[System]", "user": "[User]", "assistant": "[Assistant]"}


def next_turn_messages(system: str, turns: tuple[dict[str, str], ...], word_limit: int) -> tuple[dict, ...]:
    """The chat messages a respondent answers: the task's system message (its persona
    in it), the conversation's own system turn, the next-turn instruction, then the
    history's user and assistant turns as they were."""
    own = [turn["content"] for turn in turns if turn["role"] == "system"]
    head = "\n\n".join([system, *own, NEXT_TURN.format(word_limit=word_limit)])
    return ({"role": "system", "content": head},
            *({"role": turn["role"], "content": turn["content"]} for turn in turns if turn["role"] != "system"))


def shown_item(text: str, turns: tuple[dict[str, str], ...] | None) -> str:
    """What a judge template's ``$item`` shows: the item's text, or a conversation's
    framed transcript, each turn neutralised against the frame's markers."""
    if turns is None:
        return text
    markers = _FRAME._markers
    lines = ["[Conversation so far]"]
    for turn in turns:
        lines += [_LABELS[turn["role"]], neutralise(turn["content"], markers)]
    lines += ["[End of conversation so far]",
              "Each response below is a candidate for the assistant's next turn in this conversation: judge only "
              "that next turn, in the light of the conversation."]
    return "\n".join(lines)

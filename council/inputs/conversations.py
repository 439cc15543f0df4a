"""Conversations as items: a history of turns whose next assistant turn is what is judged.

An item may be a conversation, ``{"id", "messages": [{"role", "content"}…]}``, ending
with a user turn. It is stored as the item's text in one canonical JSON form, so its
key, its fingerprint and every prompt built from it cover the whole history; respondents
get the turns as chat messages and answer the next one, judges see the history once and
then the two candidate next turns (`council.stages.conversation`).
"""

from __future__ import annotations

import json
import re

__all__ = ["ROLES", "BadConversation", "check_messages", "conversation_of", "conversation_text", "parse_transcript"]

ROLES = ("system", "user", "assistant")
_STORED_PREFIX = '{"messages": ['


class BadConversation(ValueError):
    """A history that cannot be an item: ``field`` names where (``messages.2.role``)."""

    def __init__(self, message: str, field: str = "messages"):
        super().__init__(message)
        self.field = field


def check_messages(value: object) -> tuple[dict[str, str], ...]:
    """The turns of a conversation, checked: a non-empty list of ``{"role", "content"}``
    with known roles and text, a system turn only first, ending with a user turn."""
    if not isinstance(value, list) or not value:
        raise BadConversation("a conversation needs a non-empty list of turns")
    turns = []
    for k, turn in enumerate(value):
        if not isinstance(turn, dict):
            raise BadConversation("a turn is an object {\"role\", \"content\"}", f"messages.{k}")
        role, content = turn.get("role"), turn.get("content")
        if role not in ROLES:
            raise BadConversation(f"unknown role {role!r} (roles: {', '.join(ROLES)})", f"messages.{k}.role")
        if role == "system" and k > 0:
            raise BadConversation("a system turn may only open the conversation", f"messages.{k}.role")
        if not isinstance(content, str) or not content.strip():
            raise BadConversation("a turn needs text", f"messages.{k}.content")
        turns.append({"role": role, "content": content.strip()})
    if turns[-1]["role"] != "user":
        raise BadConversation("a conversation must end with a user turn: the next turn is what is answered",
                              f"messages.{len(turns) - 1}.role")
    return tuple(turns)


def conversation_text(turns: tuple[dict[str, str], ...]) -> str:
    """The stored form of a conversation item: one canonical JSON line."""
    return json.dumps({"messages": list(turns)}, ensure_ascii=False)


def conversation_of(text: str) -> tuple[dict[str, str], ...] | None:
    """The turns of a stored conversation item, or None for an item of one text."""
    if not text.startswith(_STORED_PREFIX):
        return None
    try:
        value = json.loads(text)
        return check_messages(value["messages"]) if set(value) == {"messages"} else None
    except (json.JSONDecodeError, BadConversation):
        return None


_SPEAKER = re.compile(r"^\s*\**\s*(customer|user|agent|assistant|support)\s*\**\s*:\s*\**\s*(.*)$", re.IGNORECASE)


def parse_transcript(text: str) -> tuple[dict[str, str], ...] | None:
    """A conversation an author wrote as ``Customer: …`` / ``Agent: …`` lines (a line
    without a speaker continues the turn before it), or None when it is not one that
    ends with the customer."""
    turns: list[dict[str, str]] = []
    for line in text.splitlines():
        found = _SPEAKER.match(line)
        if found:
            role = "user" if found.group(1).lower() in ("customer", "user") else "assistant"
            turns.append({"role": role, "content": found.group(2).strip()})
        elif turns and line.strip():
            turns[-1]["content"] = f"{turns[-1]['content']}\n{line.strip()}".strip()
    turns = [turn for turn in turns if turn["content"]]
    try:
        return check_messages(turns)
    except BadConversation:
        return None

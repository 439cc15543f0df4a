"""Answers files: what a candidate system already answered, ``{"item", "answer"}`` per line.

Each problem names the file and the line: an item the test set does not have, an item
answered twice, an empty answer. Other fields on a line (a model name, a latency) are
ignored. An item a file does not answer is not a problem: its pairs are left out.
"""

from __future__ import annotations

from pathlib import Path

from council.errors import BadInput
from council.inputs.jsonl import read_objects

__all__ = ["load_answers", "load_baseline"]


def load_answers(path: str | Path, item_ids: set[str]) -> dict[str, str]:
    """The answers in ``path`` by item id, each checked against ``item_ids``."""
    path = str(path)
    answers: dict[str, str] = {}
    lines: dict[str, int] = {}
    for number, row in read_objects(path):
        item, answer = row.get("item"), row.get("answer")
        if not isinstance(item, (str, int)) or isinstance(item, bool) or not str(item).strip():
            raise BadInput("missing or empty", path=path, line=number, field="item")
        item = str(item).strip()
        if item not in item_ids:
            raise BadInput(f"unknown item {item!r}: the test set has no item with this id", path=path, line=number,
                           field="item")
        if item in lines:
            raise BadInput(f"item {item!r} is answered twice (first on line {lines[item]})", path=path, line=number,
                           field="item")
        if not isinstance(answer, str) or not answer.strip():
            raise BadInput("missing or empty: an answer must have text", path=path, line=number, field="answer")
        answers[item] = answer
        lines[item] = number
    if not answers:
        raise BadInput("contains no answers", path=path)
    return answers


def load_baseline(path: str | Path) -> dict[str, dict[str, str]]:
    """A round's drift baseline (written by `council round`): the previous round's
    answers, ``{"member", "item", "answer"}`` per line, by member then item."""
    path = str(path)
    baseline: dict[str, dict[str, str]] = {}
    for number, row in read_objects(path):
        member, item, answer = row.get("member"), row.get("item"), row.get("answer")
        if not (isinstance(member, str) and isinstance(item, str) and isinstance(answer, str) and member and item):
            raise BadInput("each line needs member, item and answer (text)", path=path, line=number)
        baseline.setdefault(member, {})[item] = answer
    return baseline

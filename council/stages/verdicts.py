"""Judges' verdicts: the closed label set, the JSON schema, and strict parsing.

A verdict is read from a JSON object ``{"reasoning", "verdict"}`` when the judge gave
one; otherwise from the *last* ``[[label]]`` tag in its text, which is where a judge
that reasons first puts its conclusion. A label the judge was not offered (a tie on
the 4-point scale) makes the reply unparseable rather than a vote. Answers shown to a
judge have their own ``[[…]]`` brackets broken up (`neutralise_tags`), so a verdict
tag quoted from an answer can never be read as the judge's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from council.prompts import neutralise
from scoring.votes import LABELS

__all__ = ["ParsedVerdict", "label_meanings", "labels", "neutralise_tags", "parse_verdict", "response_format"]

_MEANINGS = {
    "A>>B": "A is much better than B",
    "A>B": "A is better than B",
    "A=B": "A and B are equally good",
    "B>A": "B is better than A",
    "B>>A": "B is much better than A",
}
_TAG = re.compile(r"\[\[\s*(A\s*>>\s*B|A\s*>\s*B|A\s*=\s*B|B\s*>\s*A|B\s*>>\s*A|B\s*=\s*A)\s*\]\]")
_FENCE = re.compile(r"^```(?:json)?\s*(\{.*\})\s*```$", re.DOTALL)


def labels(allow_tie: bool) -> tuple[str, ...]:
    """The verdicts offered: the paper's 4-point scale, or 5 points with a tie."""
    return LABELS if allow_tie else tuple(label for label in LABELS if label != "A=B")


def label_meanings(allow_tie: bool) -> str:
    return "; ".join(f'"{label}" means {_MEANINGS[label]}' for label in labels(allow_tie)) + "."


def verdict_schema(allow_tie: bool, max_reasoning_chars: int | None = None, criteria: tuple[str, ...] = ()) -> dict:
    """The reply's JSON schema: reasoning, then (with ``criteria``) a verdict per
    criterion, then the overall verdict — the order the judge is asked to reason in."""
    reasoning: dict = {"type": "string"}
    if max_reasoning_chars is not None:
        reasoning["maxLength"] = max_reasoning_chars
    label = {"type": "string", "enum": list(labels(allow_tie))}
    properties: dict = {"reasoning": reasoning}
    if criteria:
        properties["criteria"] = {"type": "object", "properties": dict.fromkeys(criteria, label),
                                  "required": list(criteria), "additionalProperties": False}
    properties["verdict"] = label
    return {"type": "object", "properties": properties, "required": list(properties), "additionalProperties": False}


def response_format(kind: str, allow_tie: bool, criteria: tuple[str, ...] = ()) -> dict | None:
    """The ``response_format`` to request for a judge, by the member's structured-output kind."""
    if kind == "json_schema":
        schema = {"name": "verdict", "schema": verdict_schema(allow_tie, criteria=criteria), "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    if kind == "json_object":
        # llama.cpp's server constrains decoding to this schema with a grammar. The
        # bound on the reasoning keeps a verdict from being cut off by max_tokens.
        return {"type": "json_object", "schema": verdict_schema(allow_tie, 400, criteria)}
    return None


def neutralise_tags(answer: str) -> str:
    """Break up ``[[``/``]]`` in a text shown to a judge, so no verdict tag can be
    quoted from it (`council.prompts.render` does this to every text it inserts)."""
    return neutralise(answer)


@dataclass(frozen=True)
class ParsedVerdict:
    label: str | None
    status: str  # "json", "tag" or "unparseable"
    reasoning: str | None = None
    # Asked for criteria: each one's verdict, None where the reply gave none it may give.
    criteria: tuple[tuple[str, str | None], ...] = ()

    @property
    def complete(self) -> bool:
        """An overall verdict and one for every criterion asked: nothing to ask again."""
        return self.label is not None and all(label is not None for _, label in self.criteria)


def _normalise(label: str) -> str:
    label = re.sub(r"\s+", "", label)
    return "A=B" if label == "B=A" else label


def _json_verdict(text: str) -> dict | None:
    candidate = text.strip()
    fenced = _FENCE.match(candidate)
    if fenced:
        candidate = fenced.group(1)
    if not candidate.startswith("{"):
        return None
    try:
        # strict=False: a raw line break or tab inside the reasoning string (what small
        # models write, even under a grammar) does not make a clear verdict unreadable.
        value = json.loads(candidate, strict=False)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and "verdict" in value else None


def _label(value: object, offered: tuple[str, ...]) -> str | None:
    if not isinstance(value, str):
        return None
    tagged = _TAG.fullmatch(value.strip())
    label = _normalise(tagged.group(1) if tagged else value)
    return label if label in offered else None


def _key(name: str) -> str:
    return " ".join(name.casefold().split())


def _criteria_verdicts(found: dict, criteria: tuple[str, ...], offered: tuple[str, ...]
                       ) -> tuple[tuple[str, str | None], ...]:
    """Each criterion's verdict from the reply's ``criteria`` object, its name matched
    regardless of case and spacing; None for a criterion it leaves out or mislabels."""
    given = found.get("criteria")
    by_key = {_key(str(name)): value for name, value in given.items()} if isinstance(given, dict) else {}
    return tuple((criterion, _label(by_key.get(_key(criterion)), offered)) for criterion in criteria)


def parse_verdict(text: str, allow_tie: bool = False, criteria: tuple[str, ...] = ()) -> ParsedVerdict:
    """Read a judge's verdict — and, when ``criteria`` were asked for, each criterion's —
    or say it is unparseable. Never guesses: a criterion verdict is read only from the
    reply's JSON ``criteria`` object, never from a tag in its text."""
    offered = labels(allow_tie)
    found = _json_verdict(text or "")
    if found is not None:
        reasoning = found.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) else None
        per_criterion = _criteria_verdicts(found, criteria, offered)
        verdict = _label(found.get("verdict"), offered)
        return ParsedVerdict(verdict, "json" if verdict is not None else "unparseable", reasoning, per_criterion)
    unread = tuple((criterion, None) for criterion in criteria)
    tags = _TAG.findall(text or "")
    if tags:
        last = _normalise(tags[-1])
        if last in offered:
            return ParsedVerdict(last, "tag", text.strip(), unread)
    return ParsedVerdict(None, "unparseable", None, unread)

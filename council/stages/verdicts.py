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


def verdict_schema(allow_tie: bool, max_reasoning_chars: int | None = None) -> dict:
    reasoning: dict = {"type": "string"}
    if max_reasoning_chars is not None:
        reasoning["maxLength"] = max_reasoning_chars
    return {
        "type": "object",
        "properties": {
            "reasoning": reasoning,
            "verdict": {"type": "string", "enum": list(labels(allow_tie))},
        },
        "required": ["reasoning", "verdict"],
        "additionalProperties": False,
    }


def response_format(kind: str, allow_tie: bool) -> dict | None:
    """The ``response_format`` to request for a judge, by the member's structured-output kind."""
    if kind == "json_schema":
        schema = {"name": "verdict", "schema": verdict_schema(allow_tie), "strict": True}
        return {"type": "json_schema", "json_schema": schema}
    if kind == "json_object":
        # llama.cpp's server constrains decoding to this schema with a grammar. The
        # bound on the reasoning keeps a verdict from being cut off by max_tokens.
        return {"type": "json_object", "schema": verdict_schema(allow_tie, max_reasoning_chars=400)}
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


def parse_verdict(text: str, allow_tie: bool = False) -> ParsedVerdict:
    """Read a judge's verdict, or say it is unparseable. Never guesses."""
    offered = labels(allow_tie)
    found = _json_verdict(text or "")
    if found is not None:
        verdict = found.get("verdict")
        reasoning = found.get("reasoning")
        reasoning = reasoning if isinstance(reasoning, str) else None
        if isinstance(verdict, str):
            tagged = _TAG.fullmatch(verdict.strip())
            verdict = _normalise(tagged.group(1) if tagged else verdict)
            if verdict in offered:
                return ParsedVerdict(verdict, "json", reasoning)
        return ParsedVerdict(None, "unparseable", reasoning)
    tags = _TAG.findall(text or "")
    if tags:
        last = _normalise(tags[-1])
        if last in offered:
            return ParsedVerdict(last, "tag", text.strip())
    return ParsedVerdict(None, "unparseable", None)

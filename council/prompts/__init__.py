"""Prompt templates, shipped as files, rendered strictly.

Each template is ``$name``-substituted (``string.Template``); a missing or unexpected
variable is an error, never a silently empty prompt. Every text put into a template is
neutralised first (`neutralise`): the template's section markers (``[Response A]``,
``[End of dilemma]``…) and verdict tags (``[[A>B]]``) cannot be quoted from it, so an
item or an answer can never reframe what a judge reads. The hash of the templates a call
used is stored with the call, so a run knows which wording produced what.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources
from string import Template

__all__ = ["neutralise", "prompt_hash", "render"]

#: A section marker: a bracketed label on a line of its own, e.g. ``[Response A]``.
_MARKER = re.compile(r"^\[([A-Za-z][^\[\]\n]*)\]$", re.MULTILINE)


@cache
def _text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


@cache
def _marker_pattern(name: str) -> re.Pattern | None:
    """Any spelling of the template's section markers: case, spaces and brackets' padding."""
    labels = sorted({m.group(1) for m in _MARKER.finditer(_text(name))}, key=len, reverse=True)
    if not labels:
        return None
    words = [r"\s+".join(map(re.escape, label.split())) for label in labels]
    return re.compile(r"\[\s*(" + "|".join(words) + r")\s*\]", re.IGNORECASE)


def neutralise(text: str, markers: re.Pattern | None = None) -> str:
    """``text`` with verdict tags broken up (``[[`` → ``[ [``) and, given ``markers``,
    every section marker turned from ``[Response B]`` into ``(Response B)``."""
    text = text.replace("[[", "[ [").replace("]]", "] ]")
    return markers.sub(lambda found: f"({found.group(1)})", text) if markers is not None else text


def render(name: str, **values: object) -> str:
    """Fill template ``name`` (e.g. ``"judge.user"``) with exactly the variables it uses,
    each neutralised (`neutralise`) against the template's own markers."""
    text = _text(name)
    wanted = {m.group(1) or m.group(2) for m in re.finditer(r"\$(?:(\w+)|\{(\w+)\})", text)}
    missing, extra = wanted - values.keys(), values.keys() - wanted
    if missing or extra:
        raise ValueError(f"prompt {name!r}: missing variables {sorted(missing)}, unexpected {sorted(extra)}")
    markers = _marker_pattern(name)
    filled = {key: neutralise(str(value), markers) for key, value in values.items()}
    return Template(text).substitute(filled).strip()


def prompt_hash(*names: str) -> str:
    """Digest of the named templates' text: changes whenever their wording does."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + _text(name).encode() + b"\0")
    return digest.hexdigest()[:16]

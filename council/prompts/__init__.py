"""Prompt templates, rendered strictly.

A template is ``$name``-substituted (``string.Template``); a missing or unexpected
variable is an error, never a silently empty prompt. Every text put into a template is
neutralised first (`neutralise`): the template's own section markers (``[Response A]``,
``[End of dilemma]``…) and verdict tags (``[[A>B]]``) cannot be quoted from it, so an
item or an answer can never reframe what a judge reads. The hash of the templates a call
used is stored with the call, so a run knows which wording produced what.

Which templates a council uses is its task's business (`council.prompts.tasks`); the
verdict format and the re-ask belong to Council and are the same for every task.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from string import Template

__all__ = ["PromptTemplate", "neutralise", "packaged", "prompt_hash"]

#: A section marker: a bracketed label on a line of its own, e.g. ``[Response A]``.
_MARKER = re.compile(r"^\[([A-Za-z][^\[\]\n]*)\]$", re.MULTILINE)


def neutralise(text: str, markers: re.Pattern | None = None) -> str:
    """``text`` with verdict tags broken up (``[[`` → ``[ [``) and, given ``markers``,
    every section marker turned from ``[Response B]`` into ``(Response B)``."""
    text = text.replace("[[", "[ [").replace("]]", "] ]")
    return markers.sub(lambda found: f"({found.group(1)})", text) if markers is not None else text


def placeholders(text: str) -> tuple[set[str], int | None]:
    """The ``$names`` a template uses, and the line of the first ``$`` that is no
    placeholder (None when there is none; ``$$`` is a dollar sign)."""
    names: set[str] = set()
    for found in Template.pattern.finditer(text):
        if found.group("invalid") is not None:
            return names, text[: found.start()].count("\n") + 1
        name = found.group("named") or found.group("braced")
        if name:
            names.add(name)
    return names, None


@dataclass(frozen=True)
class PromptTemplate:
    """A named template: ``name`` (``"judge.user"``) says which message it writes."""

    name: str
    text: str

    @cached_property
    def variables(self) -> frozenset[str]:
        return frozenset(placeholders(self.text)[0])

    @cached_property
    def _markers(self) -> re.Pattern | None:
        """Any spelling of the template's section markers: case, spaces and brackets' padding."""
        labels = sorted({m.group(1) for m in _MARKER.finditer(self.text)}, key=len, reverse=True)
        if not labels:
            return None
        words = [r"\s+".join(map(re.escape, label.split())) for label in labels]
        return re.compile(r"\[\s*(" + "|".join(words) + r")\s*\]", re.IGNORECASE)

    def render(self, **values: object) -> str:
        """Fill the template with exactly the variables it uses, each neutralised
        (`neutralise`) against the template's own markers."""
        missing, extra = self.variables - values.keys(), values.keys() - self.variables
        if missing or extra:
            raise ValueError(f"prompt {self.name!r}: missing variables {sorted(missing)}, unexpected {sorted(extra)}")
        filled = {key: neutralise(str(value), self._markers) for key, value in values.items()}
        return Template(self.text).substitute(filled).strip()


@cache
def packaged(path: str) -> PromptTemplate:
    """A template shipped with Council, by its path under this package without ``.txt``
    (``"verdict_format"``, ``"generic/judge.user"``); named by its last part."""
    text = resources.files(__name__).joinpath(f"{path}.txt").read_text(encoding="utf-8")
    return PromptTemplate(path.rsplit("/", 1)[-1], text)


def prompt_hash(*templates: PromptTemplate) -> str:
    """Digest of the templates' names and text: changes whenever their wording does."""
    digest = hashlib.sha256()
    for template in templates:
        digest.update(template.name.encode() + b"\0" + template.text.encode() + b"\0")
    return digest.hexdigest()[:16]

"""Prompt templates, shipped as files, rendered strictly.

Each template is ``$name``-substituted (``string.Template``); a missing or unexpected
variable is an error, never a silently empty prompt. The hash of the templates a call
used is stored with the call, so a run knows which wording produced what.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from importlib import resources
from string import Template

__all__ = ["prompt_hash", "render"]


@cache
def _text(name: str) -> str:
    return resources.files(__name__).joinpath(f"{name}.txt").read_text(encoding="utf-8")



def render(name: str, **values: object) -> str:
    """Fill template ``name`` (e.g. ``"judge.user"``) with exactly the variables it uses."""
    text = _text(name)
    wanted = {m.group(1) or m.group(2) for m in re.finditer(r"\$(?:(\w+)|\{(\w+)\})", text)}
    missing, extra = wanted - values.keys(), values.keys() - wanted
    if missing or extra:
        raise ValueError(f"prompt {name!r}: missing variables {sorted(missing)}, unexpected {sorted(extra)}")
    return Template(text).substitute({key: str(value) for key, value in values.items()}).strip()


def prompt_hash(*names: str) -> str:
    """Digest of the named templates' text: changes whenever their wording does."""
    digest = hashlib.sha256()
    for name in names:
        digest.update(name.encode() + b"\0" + _text(name).encode() + b"\0")
    return digest.hexdigest()[:16]

"""JSON Lines files: one object per line, errors naming the file and line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from council.errors import BadInput

__all__ = ["read_objects"]


def read_objects(path: str) -> Iterator[tuple[int, dict]]:
    """Yield (line number, object) for every non-blank line of ``path``."""
    try:
        handle = open(path, encoding="utf-8-sig")  # noqa: SIM115 -- opened apart to name an unreadable file
    except OSError as error:
        raise BadInput(f"cannot read file ({error.strerror})", path=path) from None
    with handle:
        try:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                try:
                    row = json.loads(text)
                except json.JSONDecodeError as error:
                    raise BadInput(f"not valid JSON ({error.msg})", path=path, line=number) from None
                if not isinstance(row, dict):
                    raise BadInput("expected a JSON object per line", path=path, line=number)
                yield number, row
        except UnicodeDecodeError:
            raise BadInput("not UTF-8 text", path=path) from None

"""The error every command turns into exit code 2: input the user must fix."""

from __future__ import annotations

__all__ = ["BadInput"]


class BadInput(Exception):
    """Input that cannot be used, with where it is: file, line and field when known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None, field: str | None = None):
        self.path, self.line, self.field = path, line, field
        self.message = message  # without the location, for re-raising with a better one
        where = ":".join(str(part) for part in (path, line) if part is not None)
        if field is not None:
            message = f"field {field!r}: {message}"
        super().__init__(f"{where}: {message}" if where else message)

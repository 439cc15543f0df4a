"""Exit codes, and which input a command's scoring errors are about."""

from __future__ import annotations

import click

__all__ = ["EXIT_BAD_INPUT", "EXIT_CHANGED", "EXIT_WORK_REMAINS", "blame", "blamed"]

EXIT_WORK_REMAINS = 1
EXIT_BAD_INPUT = 2
EXIT_CHANGED = 3  # `council history --fail-on-change`: the newest round changed or raised an alarm
_BLAME = "council.blame"


def blame(path) -> None:
    """Name ``path`` in the message of any scoring error from here on in this command."""
    click.get_current_context().meta[_BLAME] = str(path)


def blamed(ctx: click.Context) -> str | None:
    """The input the running command last said it read."""
    return ctx.meta.get(_BLAME)

"""The root ``council`` group, and the one place errors become exit codes."""

from __future__ import annotations

import sqlite3
from importlib import import_module

import click

from council.cli.exits import EXIT_BAD_INPUT, blamed
from council.errors import BadInput

__all__ = ["COMMAND_MODULES", "main"]

#: Each command and the module of `council.cli` that defines it, imported only when the
#: command runs (or ``--help`` lists them): scoring's options cost half a second to load.
COMMAND_MODULES = {
    "run": "runs", "plan": "runs", "status": "runs", "export": "runs",
    "score": "analyse", "judges": "analyse", "ablate": "analyse", "report": "analyse",
    "dilemmas": "dilemmas", "demo": "demo", "tasks": "tasks",
    "round": "rounds", "history": "rounds", "site": "rounds", "label": "labels",
}


class _Group(click.Group):
    """Loads commands on demand, and turns `BadInput`, `scoring.ScoringError` and storage
    faults into one line and exit code 2.

    A scoring error is about the votes it was given: it names the file that the
    running command last said it read (`council.cli.exits.blame`).
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMAND_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMAND_MODULES:
            return None
        module = import_module(f"council.cli.{COMMAND_MODULES[cmd_name]}")
        return next(command for command in module.COMMANDS if command.name == cmd_name)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BadInput as error:
            _bad_input(ctx, str(error))
        except sqlite3.Error as error:  # a damaged store, a full disk, a read-only directory
            if isinstance(error, (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError)):
                raise  # our own mistake, not the user's: a traceback is the right report
            from council.store.db import explain_storage_error

            _bad_input(ctx, str(explain_storage_error(error, blamed(ctx) or "the run store")))
        except ValueError as error:
            from scoring import ScoringError

            if not isinstance(error, ScoringError):
                raise
            _bad_input(ctx, str(BadInput(str(error), path=blamed(ctx))))


def _bad_input(ctx: click.Context, message: str) -> None:
    click.echo(f"error: {message}", err=True)
    ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group)
@click.version_option(package_name="council-llm")
def main() -> None:
    """Rank language models by consensus of an LLM jury."""

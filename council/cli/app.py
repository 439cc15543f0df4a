"""The root ``council`` group, and the one place errors become exit codes."""

from __future__ import annotations

import click

from council.cli.exits import EXIT_BAD_INPUT, blamed
from council.errors import BadInput

__all__ = ["main"]


class _Group(click.Group):
    """Turns `BadInput` and `scoring.ScoringError` into one line and exit code 2.

    A scoring error is about the votes it was given: it names the file that the
    running command last said it read (`blame`).
    """

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BadInput as error:
            _bad_input(ctx, str(error))
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


def _register() -> None:
    from council.cli import analyse, demo, dilemmas, runs

    for module in (analyse, runs, dilemmas, demo):
        for command in module.COMMANDS:
            main.add_command(command)


_register()

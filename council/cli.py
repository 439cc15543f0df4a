"""The ``council`` command: thin commands over the Python API.

Imports stay inside commands so that ``council score`` never pays for what other
commands need (litellm alone costs seconds at start-up).
"""

from __future__ import annotations

import json

import click

from council.errors import BadInput

EXIT_BAD_INPUT = 2


class _Group(click.Group):
    """Turns `BadInput` and scoring errors into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BadInput as error:
            click.echo(f"error: {error}", err=True)
            ctx.exit(EXIT_BAD_INPUT)


@click.group(cls=_Group)
@click.version_option(package_name="council-llm")
def main() -> None:
    """Rank language models by consensus of an LLM jury."""


@main.command()
@click.argument("path", type=click.Path(dir_okay=True))
@click.option("--reference", metavar="MODEL", help="Anchor model: scores become win % against it.")
@click.option("--aggregation", type=click.Choice(["none", "majority", "mean"]), help="Pool judges per item and pair.")
@click.option("--resample", type=click.Choice(["item", "vote"]), help="Bootstrap unit [item].")
@click.option("--rounds", type=click.IntRange(min=1), help="Bootstrap resamples [1000; reference mode 100].")
@click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True), help="Interval coverage [0.95].")
@click.option("--seed", type=int, help="Random seed of the bootstrap [0].")
@click.option("--mode", type=click.Choice(["recommended", "reference"]), default="recommended", show_default=True,
              help="'reference' reproduces the paper's code (needs --reference).")
@click.option("--strong-weight", type=click.FloatRange(min=0, min_open=True), help="Weight of A>>B votes [1; reference mode 3].")
@click.option("--include-self/--exclude-self", default=None, help="Count self-judgments [excluded; reference mode included].")
@click.option("--consistency", type=click.Choice(["strict", "sidewise"]), help="Keep only position-consistent couplets.")
@click.option("--unknown-verdicts", type=click.Choice(["error", "unscored"]), default="error", show_default=True,
              help="A verdict that is not a label: stop, or count the vote as unscored.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score(path, reference, aggregation, resample, rounds, level, seed, mode, strong_weight, include_self,
          consistency, unknown_verdicts, as_json) -> None:
    """Rank the models in a votes file (JSONL, CSV or Parquet)."""
    from council.display import leaderboard_table
    from council.votes_file import read_votes
    from scoring import ScoringError, rank_models, scoring_settings

    try:
        settings = scoring_settings(
            mode, reference=reference, aggregation=aggregation, resample=resample, rounds=rounds, level=level,
            seed=seed, strong_weight=strong_weight, include_self=include_self, consistency=consistency,
        )
    except ValueError as error:
        raise BadInput(str(error)) from None
    read = read_votes(path, unknown_verdicts=unknown_verdicts)
    if read.unknown_verdicts:
        shown = ", ".join(f"line {line}: {value!r}" for line, value in read.unknown_verdicts[:5])
        more = len(read.unknown_verdicts) - 5
        click.echo(
            f"warning: {path}: {len(read.unknown_verdicts)} verdicts were not labels and count as unscored "
            f"({shown}{f', and {more} more' if more > 0 else ''})",
            err=True,
        )
    try:
        board = rank_models(read.votes, settings)
    except ScoringError as error:
        raise BadInput(str(error), path=str(path)) from None
    if as_json:
        click.echo(json.dumps(board.to_dict(), indent=2))
    else:
        click.echo(leaderboard_table(board))


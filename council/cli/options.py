"""Options and inputs shared by the commands that score votes."""

from __future__ import annotations

from typing import get_args

import click

from council.cli.exits import blame
from council.errors import BadInput
from council.inputs.votes import Duplicates, ReadOptions, SelfPairs, UnknownVerdicts, canonical_name
from scoring.settings import Aggregation, Consistency, Mode, Resample

__all__ = [
    "human_agreement_of", "human_labels_of", "human_votes_of", "judge_metric_options", "read_options_of",
    "scoring_options", "settings_of", "source_of",
]

class _Rounds(click.ParamType):
    """A whole number of rounds, or 'auto'."""

    name = "rounds"

    def convert(self, value, param, ctx):
        if value == "auto" or isinstance(value, int):
            return value
        try:
            rounds = int(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is neither a whole number nor 'auto'", param, ctx)
        if rounds < 1:
            self.fail(f"{rounds} is not at least 1", param, ctx)
        return rounds


_ROUNDS = _Rounds()
#: Elo points an interval end's Monte Carlo error may keep under --rounds auto.
DEFAULT_MC_TOLERANCE = 2.0

_SCORING_OPTIONS = [
    click.option("--reference", metavar="MODEL", help="Anchor model: scores become win % against it."),
    click.option("--aggregation", type=click.Choice(get_args(Aggregation)), help="Pool judges per item and pair."),
    click.option("--resample", type=click.Choice(get_args(Resample)), help="Bootstrap unit [item]."),
    click.option("--rounds", type=_ROUNDS, metavar="N|auto",
                 help="Bootstrap resamples [1000; reference mode 100]; 'auto' doubles them until every interval "
                      "end's Monte Carlo error is under --mc-tolerance (at most 32,000)."),
    click.option("--mc-tolerance", type=click.FloatRange(min=0, min_open=True), metavar="ELO",
                 help="With --rounds auto: the Monte Carlo error an interval end may keep, in Elo points [2]."),
    click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                 help="Interval coverage [0.95]."),
    click.option("--prior-items", type=click.FloatRange(min=0),
                 help="Pseudo-items per compared pair, won by each side, that keep intervals honest when a model "
                      "wins, loses or ties everything [1; reference mode 0: plain percentile intervals]."),
    click.option("--seed", type=int, help="Random seed of the bootstrap [0]."),
    click.option("--mode", type=click.Choice(get_args(Mode)), default="recommended",
                 show_default=True, help="'reference' reproduces the paper's code (needs --reference)."),
    click.option("--strong-weight", type=click.FloatRange(min=0, min_open=True),
                 help="Weight of A>>B votes [1; reference mode 3]."),
    click.option("--include-self/--exclude-self", default=None,
                 help="Count self-judgments [excluded; reference mode included]."),
    click.option("--consistency", type=click.Choice(get_args(Consistency)),
                 help="Keep only position-consistent couplets."),
    click.option("--unknown-verdicts", type=click.Choice(get_args(UnknownVerdicts)), default="error",
                 show_default=True, help="A verdict that is not a label: stop, or count the vote as unscored."),
    click.option("--duplicates", type=click.Choice(get_args(Duplicates)), default="keep", show_default=True,
                 help="Votes repeating an item, judge, model_a and model_b: count all, keep the first, or stop."),
    click.option("--self-pairs", type=click.Choice(get_args(SelfPairs)), default="drop", show_default=True,
                 help="Rows comparing a model with itself: leave out (counted), or stop."),
]
_SETTING_NAMES = ("reference", "aggregation", "resample", "rounds", "level", "seed", "strong_weight",
                  "include_self", "consistency", "prior_items")


def scoring_options(command):
    """The options of `council score`, shared by every command that scores votes."""
    for option in reversed(_SCORING_OPTIONS):
        command = option(command)
    return command


def judge_metric_options(command):
    """How hard `council judges` and `council report` bootstrap the judge metrics."""
    command = click.option(
        "--separability-draws", type=click.IntRange(min=0), default=0, show_default=True,
        help="Outer rounds that recompute each judge's separability for its interval (a nested bootstrap, "
             "~0.15 s a round on the paper's sample; 0: separability without an interval).",
    )(command)
    return click.option("--judge-rounds", type=click.IntRange(min=1), default=200, show_default=True,
                        help="Item-bootstrap rounds of the judge metrics' intervals.")(command)


def settings_of(options: dict):
    """`scoring.ScoringSettings` from the scoring options a command was given."""
    from scoring import scoring_settings

    given = {name: options[name] for name in _SETTING_NAMES}
    if given["rounds"] == "auto":
        given["rounds"] = None  # start from the mode's rounds
        given["mc_tolerance"] = options["mc_tolerance"] or DEFAULT_MC_TOLERANCE
    elif options["mc_tolerance"] is not None:
        raise BadInput("--mc-tolerance goes with --rounds auto")
    if given["reference"] is not None:
        given["reference"] = canonical_name(given["reference"])  # as the votes' names are
    try:
        return scoring_settings(options["mode"], **given)
    except ValueError as error:
        raise BadInput(str(error)) from None


def read_options_of(options: dict) -> ReadOptions:
    """What a votes file's unclean rows do, from a command's options."""
    return ReadOptions(options["unknown_verdicts"], options["duplicates"], options["self_pairs"])


def source_of(path: str, read: ReadOptions, *, facts: bool = False):
    """Votes of a run directory or a votes file, warning about what reading set aside.

    Scoring errors from here on name ``path``.
    """
    from council.analysis.source import open_source

    source = open_source(path, read, facts=facts)
    blame(path)
    if source.unknown_verdicts:
        shown = ", ".join(f"line {line}: {value!r}" for line, value in source.unknown_verdicts[:5])
        more = len(source.unknown_verdicts) - 5
        click.echo(
            f"warning: {path}: {len(source.unknown_verdicts)} verdicts were not labels and count as unscored "
            f"({shown}{f', and {more} more' if more > 0 else ''})",
            err=True,
        )
    if source.n_duplicates:
        done = "only the first of each kept" if read.duplicates == "first" else "all counted"
        click.echo(f"warning: {path}: {source.n_duplicates} votes repeat an earlier vote's item, judge, model_a and "
                   f"model_b ({done}; --duplicates keep|first|error)", err=True)
    if source.n_self_pairs_dropped:
        click.echo(f"warning: {path}: {source.n_self_pairs_dropped} rows compare a model with itself and are left "
                   "out (--self-pairs error refuses them)", err=True)
    return source


def human_votes_of(human_path: str | None, source, read: ReadOptions):
    """The human labels to use beside ``source``: the votes file ``human_path`` if
    given, else those stored in the run (`council label`), else None. Scoring errors
    from here on name where the labels came from."""
    return human_labels_of(human_path, source, read)[0]


def human_labels_of(human_path: str | None, source, read: ReadOptions):
    """`human_votes_of` and, for a run's own labels, how likelier than uniform each
    one's comparison was offered for labelling (None: uniform)."""
    if human_path:
        return source_of(human_path, read).votes, None
    if source.human is not None:
        blame(source.path)
    return source.human, source.human_selection


def human_agreement_of(human_path: str | None, source, settings, read: ReadOptions, rounds: int):
    """Agreement with the human labels (`human_votes_of`) and the judges weighed by them
    (`scoring.judge_weighting`, None with labels on fewer than two items), or None
    without labels; scoring errors name where the labels came from."""
    human_votes = human_votes_of(human_path, source, read)
    if human_votes is None:
        return None
    from scoring import ScoringError, human_agreement, judge_weighting

    agreement = human_agreement(source.votes, human_votes, settings, rounds=rounds, seed=settings.seed)
    try:
        weighting = judge_weighting(source.votes, human_votes, settings, rounds=rounds, seed=settings.seed)
    except ScoringError:
        weighting = None
    blame(source.path)
    return agreement, weighting

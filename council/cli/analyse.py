"""``council score``, ``judges``, ``ablate`` and ``report``: votes in, leaderboards and
judge diagnostics out."""

from __future__ import annotations

import json

import click

from council.cli.options import (
    human_agreement_of,
    human_labels_of,
    judge_metric_options,
    read_options_of,
    scoring_options,
    settings_of,
    source_of,
)
from council.errors import BadInput
from council.inputs.votes import SLICE_COLUMNS

__all__ = ["COMMANDS"]


@click.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@click.option("--human", "human_path", type=click.Path(dir_okay=False),
              help="A votes file of human labels (judge = the labeller); a run's own labels are used without it.")
@click.option("--estimand", type=click.Choice(("auto", "human", "jury")), default="auto", show_default=True,
              help="Rank human preference (prediction-powered: every jury vote, corrected by the labels) or the "
                   "jury's own; auto: human when there are labels.")
@click.option("--criterion", metavar="NAME",
              help="The verdicts on one criterion of the task (judge.per_criterion, or a votes file's criterion "
                   "column) instead of the overall ones.")
@click.option("--by", type=click.Choice(SLICE_COLUMNS),
              help="One leaderboard per slice: the items' category or author (with each author's authorship bias), "
                   "or the votes' criterion. The jury's votes, each slice with its own intervals.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score(path, human_path, estimand, criterion, by, as_json, **options) -> None:
    """Rank the models of a votes file (JSONL, CSV or Parquet) or of a run directory."""
    from council.analysis.display import human_leaderboard_table, leaderboard_table
    from scoring import rank_human_preference, rank_models

    settings = settings_of(options)
    read = read_options_of(options)
    source = source_of(path, read)
    if criterion is not None:
        if estimand == "human" or human_path:
            raise BadInput("human labels are on the overall verdict: --criterion ranks the jury's verdicts on one "
                           "criterion (leave out --estimand human and --human)", field="--criterion")
        source, estimand = source.for_criterion(criterion), "jury"
    if by is not None:
        if estimand == "human" or human_path:
            raise BadInput("--by ranks the jury's votes per slice; the leaderboard of human preference is not "
                           "sliced (leave out --estimand human and --human)", field="--by")
        _score_slices(source, by, settings, as_json)
        return
    if len(source.votes) == 0 and source.criteria:
        raise BadInput(f"every vote names a criterion ({', '.join(source.criteria)}): rank one with --criterion "
                       "NAME, or each with --by criterion", path=source.path)
    human, selection = human_labels_of(human_path, source, read) if estimand != "jury" else (None, None)
    if estimand == "human" and human is None:
        raise BadInput("no human labels to rank human preference: import some with `council label RUN --import "
                       "FILE`, or give --human FILE")
    if human is None:
        board = rank_models(source.votes, settings)
        data, text = board.to_dict, lambda: leaderboard_table(board)
    else:
        result = rank_human_preference(source.votes, human, settings, selection=selection)
        data, text = result.to_dict, lambda: human_leaderboard_table(result)
    if as_json:
        out = data()
        out["n_duplicates"], out["n_self_pairs_dropped"] = source.n_duplicates, source.n_self_pairs_dropped
        out["missing_answers"] = source.missing_answers
        if criterion is not None:
            out["criterion"] = criterion
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(text())
        if source.missing_note():
            click.echo(source.missing_note())


def _score_slices(source, by: str, settings, as_json: bool) -> None:
    from council.analysis.display import slices_text
    from scoring import authorship_bias, rank_slices

    votes, labels = source.sliced(by)
    sliced = rank_slices(votes, labels, settings, by=by)
    bias = authorship_bias(source.votes, source.authors(), settings) if by == "author" else None
    if as_json:
        out = sliced.to_dict()
        if bias is not None:
            out["authorship_bias"] = bias.to_dict()
        click.echo(json.dumps(out, indent=2))
    else:
        click.echo(slices_text(sliced, bias))


@click.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@judge_metric_options
@click.option("--human", "human_path", type=click.Path(dir_okay=False),
              help="A votes file of human labels: add each judge's agreement with people.")
@click.option("--criterion", metavar="NAME",
              help="The verdicts on one criterion of the task (judge.per_criterion, or a votes file's criterion "
                   "column) instead of the overall ones.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def judges(path, judge_rounds, separability_draws, human_path, criterion, as_json, **options) -> None:
    """Every judge's biases with intervals: position, conviction, contrarianism,
    polarization, self-enhancement, length bias and separability as a sole judge."""
    from council.analysis.display import human_summary, judge_metrics_table, weighting_summary
    from scoring import judge_metrics

    settings = settings_of(options)
    source = source_of(path, read_options_of(options))
    if criterion is not None:  # each judge's position bias, agreement … on that criterion's verdicts
        if human_path:
            raise BadInput("human labels are on the overall verdict: leave out --human with --criterion",
                           field="--criterion")
        source = source.for_criterion(criterion)
    metrics = judge_metrics(source.votes, settings, lengths=source.lengths, rounds=judge_rounds,
                            separability_draws=separability_draws, seed=settings.seed)
    data = metrics.to_dict()
    if criterion is not None:
        data["criterion"] = criterion
    human = human_agreement_of(human_path, source, settings, read_options_of(options), judge_rounds)
    if human is not None:
        agreement, weighting = human
        data["human"] = agreement.to_dict()
        if weighting is not None:
            data["weighting"] = weighting.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(judge_metrics_table(metrics, has_lengths=source.lengths is not None))
        if human is not None:
            click.echo("")
            click.echo(human_summary(agreement))
            if weighting is not None:
                click.echo(weighting_summary(weighting))


def _sizes(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise BadInput(f"sizes must be comma-separated whole numbers, got {text!r}") from None


@click.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@click.option("--jury-sizes", metavar="N,N,…", help="Judges per sub-council [1 to all, up to 6 sizes].")
@click.option("--test-sizes", metavar="N,N,…", help="Items per test set [a fifth to all, up to 5 sizes].")
@click.option("--trials", type=click.IntRange(min=1), default=20, show_default=True,
              help="Sub-councils drawn per cell.")
@click.option("--adversarial", type=click.IntRange(min=0), default=0, show_default=True,
              help="Random voters added to every sub-council.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def ablate(path, jury_sizes, test_sizes, trials, adversarial, as_json, **options) -> None:
    """How many judges and items this council needs: separability and rank stability of
    Monte Carlo sub-councils (the paper's Figure 5)."""
    from council.analysis.display import ablation_table
    from scoring import jury_ablation

    settings = settings_of(options)
    source = source_of(path, read_options_of(options))
    ablation = jury_ablation(
        source.votes, settings, jury_sizes=_sizes(jury_sizes), test_sizes=_sizes(test_sizes), trials=trials,
        adversarial=adversarial, rounds=options["rounds"] if isinstance(options["rounds"], int) else 100,
        seed=settings.seed,
    )
    if as_json:
        click.echo(json.dumps(ablation.to_dict(), indent=2))
    else:
        click.echo(ablation_table(ablation))


@click.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The HTML file to write.")
@click.option("--human", "human_path", type=click.Path(dir_okay=False), help="A votes file of human labels.")
@judge_metric_options
@click.option("--trials", type=click.IntRange(min=1), default=10, show_default=True,
              help="Sub-councils per cell of the ablation curve.")
def report(path, out, human_path, judge_rounds, separability_draws, trials, **options) -> None:
    """One static HTML file (no server, no network, plots embedded) for an appendix."""
    from pathlib import Path

    from council.analysis.report import build_report
    from council.inputs.files import write_atomically

    if not Path(out).resolve().parent.is_dir():
        raise BadInput(f"the folder of --out does not exist: {Path(out).parent}")
    settings = settings_of(options)
    source = source_of(path, read_options_of(options), facts=True)
    human = human_agreement_of(human_path, source, settings, read_options_of(options), judge_rounds)
    agreement, weighting = human if human is not None else (None, None)
    human_board = None
    labels, selection = human_labels_of(human_path, source, read_options_of(options))
    if labels is not None:
        from scoring import rank_human_preference

        human_board = rank_human_preference(source.votes, labels, settings, selection=selection)
    html = build_report(source, settings, human=agreement, weighting=weighting, human_board=human_board,
                        judge_rounds=judge_rounds, trials=trials, separability_draws=separability_draws)
    write_atomically(out, html)
    click.echo(f"wrote {out}")


COMMANDS = (score, judges, ablate, report)

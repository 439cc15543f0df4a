"""``council round``, ``history`` and ``site``: a council run on a schedule."""

from __future__ import annotations

import json

import click

from council.cli.exits import EXIT_CHANGED, EXIT_WORK_REMAINS, blame
from council.cli.runs import _load, cache_options

__all__ = ["COMMANDS"]


@click.command("round")
@click.argument("config_path", metavar="COUNCIL_FILE", type=click.Path(dir_okay=False))
@click.option("--series", "series_dir", required=True, type=click.Path(file_okay=False),
              help="The series directory (created if new): rounds/NNNN/, the call cache and the lock.")
@click.option("--progress/--no-progress", default=None, help="Progress bars [on a terminal].")
@cache_options
def round_command(config_path, series_dir, progress, cache_path, no_cache) -> None:
    """Run the series' next round, or finish its newest one.

    Exit 0 when the round is complete, 1 when work remains (run again to resume the
    same round), 2 for bad input or a series another process is running.
    """
    from council.engine.rounds import run_round

    config = _load(config_path).with_cache(cache_path, off=no_cache)
    blame(series_dir)
    report = run_round(config, series_dir, progress=progress, on_change=lambda line: click.echo(line, err=True),
                       series_cache=not no_cache)
    verb = "resumed" if report.resumed else "started"
    click.echo(f"round {report.round} ({verb}) in {report.round_dir}")
    for line in report.run.status.lines(pending=False):
        click.echo(line)
    click.echo(f"spent ${report.run.status.cost_usd:.4f}")
    for error in report.run.errors:
        click.echo(f"error: {error}", err=True)
    if report.snapshot is None:
        click.echo(f"work remains: run `council round {config_path} --series {series_dir}` again to finish "
                   f"round {report.round}", err=True)
        raise SystemExit(EXIT_WORK_REMAINS)
    click.echo(f"round {report.round} complete: see `council history {series_dir}`")


@click.command("history")
@click.argument("series_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--fail-on-change", is_flag=True,
              help="Exit 3 when the newest round has a significant change or a drift alarm.")
@click.option("--rounds", type=click.IntRange(min=100), default=1000, show_default=True,
              help="Bootstrap resamples for the change intervals.")
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed of the bootstrap.")
def history_command(series_dir, as_json, fail_on_change, rounds, seed) -> None:
    """Per model and round: rank, tier and score with intervals; changes between rounds
    with paired intervals; drift alarms."""
    from council.analysis.history import alarms_in_newest, history_text, series_history
    from council.engine.rounds import round_snapshots
    from scoring import ScoringSettings

    blame(series_dir)
    snapshots = round_snapshots(series_dir)
    history = series_history(series_dir, ScoringSettings(rounds=rounds, seed=seed), snapshots=snapshots)
    if as_json:
        click.echo(json.dumps(history.to_dict(), indent=2))
    else:
        for line in history_text(history):
            click.echo(line)
        waiting = [number for number, _, snapshot in snapshots if snapshot is None]
        if waiting:
            click.echo(f"in progress: round {', '.join(map(str, waiting))} (not complete yet)")
    alarms = alarms_in_newest(history)
    if fail_on_change and alarms:
        for line in alarms:
            click.echo(line, err=True)
        raise SystemExit(EXIT_CHANGED)


@click.command("site")
@click.argument("series_dir", type=click.Path(file_okay=False))
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory to write the site into.")
@click.option("--trials", type=click.IntRange(min=1), default=10, show_default=True,
              help="Jury-ablation trials on each round's page.")
def site_command(series_dir, out, trials) -> None:
    """Write a static site of the series: the newest leaderboard, rank and score over
    rounds, changes and alarms, a page per round, history.json and leaderboard.json."""
    from council.analysis.site import write_site

    blame(series_dir)
    written = write_site(series_dir, out, trials=trials)
    click.echo(f"wrote {len(written)} files to {out} (open {out}/index.html)")


COMMANDS = (round_command, history_command, site_command)

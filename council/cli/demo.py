"""``council demo``: a whole council offline on the embedded model, then its leaderboard."""

from __future__ import annotations

import json

import click

from council.cli.exits import EXIT_WORK_REMAINS, blame

__all__ = ["COMMANDS"]


@click.command("demo")
@click.option("--run-dir", default="council-demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo run lives; running again resumes it.")
@click.option("--members", default=3, show_default=True, type=click.IntRange(3, 4), help="Personas in the council.")
@click.option("--items-per-author", default=2, show_default=True, type=click.IntRange(1, 10))
@click.option("--progress/--no-progress", default=None, help="Progress bars [on a terminal].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo_command(run_dir, members, items_per_author, progress, as_json) -> None:
    """Run a complete council offline on the embedded local model, then rank it."""
    from council.analysis.display import judge_table, leaderboard_table
    from council.engine.demo import DEMO_NOTE, demo_config, demo_summary
    from council.engine.runner import run
    from council.store.frames import open_run
    from scoring import position_preference

    config = demo_config(members=members, items_per_author=items_per_author)
    if not as_json:
        click.echo(f"Running the demo council in {run_dir} (offline; a few minutes on two cores)...", err=True)
    blame(run_dir)
    report = run(config, run_dir, progress=progress)
    with open_run(run_dir) as store:
        votes = store.scoring_votes()
        board = store.leaderboard()
    bias = position_preference(votes)
    if as_json:
        click.echo(json.dumps(demo_summary(report.status, board, bias).to_dict(), indent=2))
    else:
        click.echo(leaderboard_table(board))
        click.echo("")
        click.echo(judge_table(bias))
        click.echo("")
        click.echo(DEMO_NOTE)
        click.echo(f"Every judge metric with intervals: `council judges {run_dir}`; the whole analysis as one HTML "
                   f"page: `council report {run_dir} --out report.html`.")
    if not report.complete:
        click.echo(f"work remains: run `council demo --run-dir {run_dir}` again", err=True)
        raise SystemExit(EXIT_WORK_REMAINS)


COMMANDS = (demo_command,)

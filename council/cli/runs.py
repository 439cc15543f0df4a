"""``council run``, ``plan``, ``status`` and ``export``: a council file in, a run directory out."""

from __future__ import annotations

import json
from typing import get_args

import click

from council.cli.exits import EXIT_WORK_REMAINS, blame

__all__ = ["COMMANDS"]


def cache_options(command):
    """``--cache PATH`` / ``--no-cache``: the call cache for this command (see `CouncilConfig.with_cache`)."""
    command = click.option("--no-cache", is_flag=True, help="Use no call cache, whatever the council file says.")(
        command)
    return click.option("--cache", "cache_path", type=click.Path(dir_okay=False), metavar="PATH",
                        help="The call cache file, instead of the council file's `cache:`.")(command)


def _load(config_path: str, *, need_keys: bool = True):
    from council.config import load_config

    return load_config(config_path, need_keys=need_keys)


@click.command("run")
@click.argument("config_path", metavar="COUNCIL_FILE", type=click.Path(dir_okay=False))
@click.option("--run-dir", required=True, type=click.Path(file_okay=False), help="The run directory (created if new).")
@click.option("--progress/--no-progress", default=None, help="Progress bars [on a terminal].")
@click.option("--no-wait", is_flag=True,
              help="Send batch members' provider batches and exit 1 instead of waiting; re-run to collect them.")
@cache_options
def run_command(config_path, run_dir, progress, no_wait, cache_path, no_cache) -> None:
    """Run a council: only the missing or failed work is done, so re-running resumes."""
    from council.engine.runner import run

    config = _load(config_path).with_cache(cache_path, off=no_cache)
    blame(run_dir)
    report = run(config, run_dir, progress=progress, on_change=lambda line: click.echo(line, err=True),
                 wait=not no_wait)
    for line in report.status.lines(pending=False):
        click.echo(line)
    click.echo(f"spent ${report.status.cost_usd:.4f}")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.stopped == "budget":
        click.echo(f"stopped: budget of ${config.budget.max_usd} reached; raise budget.max_usd and re-run", err=True)
    elif report.stopped:
        click.echo(f"stopped: {report.stopped}", err=True)
    if not report.complete:
        click.echo(f"work remains: run `council run {config_path} --run-dir {run_dir}` again", err=True)
        raise SystemExit(EXIT_WORK_REMAINS)


@click.command("plan")
@click.argument("config_path", metavar="COUNCIL_FILE", type=click.Path(dir_okay=False))
@click.option("--run-dir", type=click.Path(file_okay=False),
              help="A run of this council: plan what running it again would still do, and what changed.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@cache_options
def plan_command(config_path, run_dir, as_json, cache_path, no_cache) -> None:
    """Calls per stage and member, with the tokens and cost the budget reserves, before
    anything is spent."""
    from pathlib import Path

    from council.engine.plan import price_plan
    from council.store.db import DB_NAME
    from council.store.ledger import Ledger

    config = _load(config_path, need_keys=False).with_cache(cache_path, off=no_cache)  # a plan needs no key
    if run_dir is not None and (Path(run_dir) / DB_NAME).is_file():
        blame(run_dir)
        with Ledger.read(Path(run_dir) / DB_NAME) as ledger:
            plan = price_plan(config, ledger)
    else:
        plan = price_plan(config)
    if as_json:
        click.echo(json.dumps(plan.to_dict(), indent=2))
        return
    click.echo(str(plan))


@click.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status_command(run_dir, as_json) -> None:
    """Counts per stage and status, spend, and whether the run is complete."""
    from council.engine.status import run_status
    from council.store.frames import open_run

    blame(run_dir)
    with open_run(run_dir) as store:
        status = run_status(store.ledger, store.config())
    click.echo(json.dumps(status.to_dict(), indent=2) if as_json else str(status))


def _export_formats() -> tuple[str, ...]:
    from council.analysis.export import ExportFormat

    return get_args(ExportFormat)


@click.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(_export_formats()), default="jsonl", show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for one file per table.")
def export_command(run_dir, fmt, out) -> None:
    """Write items, responses, votes, calls and any human labels as files; votes and
    labels score as they are."""
    from council.analysis.export import export_run

    blame(run_dir)
    for path, rows in export_run(run_dir, fmt, out):
        click.echo(f"{path}: {rows} rows")


COMMANDS = (run_command, plan_command, status_command, export_command)

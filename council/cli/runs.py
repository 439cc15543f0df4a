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


def _stage_lines(status: dict, *, pending: bool) -> list[str]:
    lines = []
    for stage, counts in status["stages"].items():
        waiting = f"{counts['pending']} pending, " if pending else ""
        given_up = f" ({counts['given_up']} given up)" if counts["given_up"] else ""
        why = ", ".join(f"{n} {kind}" for kind, n in sorted(counts["failures"].items()))
        leftover = f"; {counts['leftover']} leftover (no longer in the council)" if counts["leftover"] else ""
        cached = f" ({counts['cache_hits']} from the call cache, free)" if counts.get("cache_hits") else ""
        lines.append(f"{stage:>8}: {counts['done']}/{counts['total']} done{cached}, {waiting}{counts['failed']} failed"
                     f"{given_up}{f' ({why})' if why else ''}, {counts['unparseable']} unparseable{leftover}")
    for batch in status.get("batches", []):
        lines.append(f"   batch: {batch['stage']} of {batch['member']}, {batch['lines']} lines: {batch['status']} "
                     f"({batch['completed']} answered, {batch['failed']} failed so far)")
    design = status.get("adaptive")
    if design:
        from council.engine.adaptive import STOP_REASONS

        share = f" ({100 * design['calls'] / design['all_pairs_calls']:.0f}% of all pairs)" if design[
            "all_pairs_calls"] else ""
        where = (f"stopped — {STOP_REASONS[design['stopped']]}" if design["stopped"] else
                 "going on" + (f": {design['doubtful_pairs']} pair(s) in doubt at the last refit"
                               if design["doubtful_pairs"] is not None else ": start design"))
        lines.append(f"adaptive: {design['steps']} refit(s), {design['calls']} judge calls{share}, at most "
                     f"{design['max_calls']}; {where}")
    left = status.get("left_out", {})
    if left.get("judgments"):
        why = "; ".join(f"{name} has no answer for {n} item(s)" for name, n in sorted(left["unanswered"].items()))
        lines.append(f"left out: {left['judgments']} judgment(s) of pairs that cannot be formed — {why}")
    return lines


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
    for line in _stage_lines(report.status, pending=False):
        click.echo(line)
    click.echo(f"spent ${report.status['cost_usd']:.4f}")
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
    from council.store.db import DB_NAME, open_reader

    config = _load(config_path, need_keys=False).with_cache(cache_path, off=no_cache)  # a plan needs no key
    if run_dir is not None and (Path(run_dir) / DB_NAME).is_file():
        blame(run_dir)
        conn = open_reader(Path(run_dir) / DB_NAME)
        try:
            plan = price_plan(config, conn)
        finally:
            conn.close()
    else:
        plan = price_plan(config)
    if as_json:
        click.echo(json.dumps(plan, indent=2))
        return
    for line in plan.get("changes", []):
        click.echo(line)
    total = plan["total"]
    click.echo(f"{'stage':<8} {'member':<20} {'calls':>7} {'in tokens':>11} {'out tokens':>11} {'cost':>10} "
               f"{'in batches':>11}")
    for r in plan["rows"]:
        cost = f"${r['cost_usd']:.4f}" if r["cost_usd"] is not None else "unknown"
        batched = f"${r['batch_cost_usd']:.4f}" if r["batch_cost_usd"] is not None else "-"
        click.echo(f"{r['stage']:<8} {r['member']:<20} {r['calls']:>7} {r['input_tokens']:>11} "
                   f"{r['output_tokens']:>11} {cost:>10} {batched:>11}")
    unpriced = total["unpriced_members"]
    held = f" ({total['cached']} more held by the call cache: free)" if total["cached"] else ""
    click.echo(f"total: {total['calls']} calls{held}, about ${total['cost_usd']:.2f}"
               + (f" plus unpriced members: {', '.join(unpriced)}" if unpriced else "")
               + f"; with respond and judge calls in provider batches (batch: true), about "
                 f"${total['cost_usd_with_batch']:.2f}")
    if "calls_up_to" in total:
        judges = ", ".join(f"{r['member']} {r['calls_up_to']}" for r in plan["rows"] if r["calls_up_to"] is not None)
        click.echo(f"adaptive judging: the judge rows are its start design; its refits may add calls up to "
                   f"{total['calls_up_to']} in all ({judges}), about ${total['cost_usd_up_to']:.2f} at most, "
                   f"${total['cost_usd_with_batch_up_to']:.2f} with batches")
    if config.budget.max_usd is not None:
        click.echo(f"budget: ${config.budget.max_usd:.2f}")
    cache = plan["cache"]
    if cache is not None:
        serves = ", ".join(cache["serves"]) or "no member (none has temperature 0)"
        click.echo(f"call cache: {cache['path']} ({cache['stored_calls']} stored calls) serves the compose and judge "
                   f"calls of {serves}")


@click.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status_command(run_dir, as_json) -> None:
    """Counts per stage and status, spend, and whether the run is complete."""
    from council.engine.status import run_status
    from council.store.frames import open_run

    blame(run_dir)
    with open_run(run_dir) as store:
        status = run_status(store.conn, store.config())
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    for line in _stage_lines(status, pending=True):
        click.echo(line)
    click.echo(f"spent ${status['cost_usd']:.4f}; {'complete' if status['complete'] else 'not complete'}")


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

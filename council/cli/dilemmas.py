"""``council dilemmas validate|freeze``: seed scenarios and frozen item sets."""

from __future__ import annotations

import json

import click

from council.cli.exits import blame
from council.errors import BadInput

__all__ = ["COMMANDS"]


@click.group("dilemmas")
def dilemmas_group() -> None:
    """Seed scenarios and frozen item sets."""


@dilemmas_group.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def dilemmas_validate(path, as_json) -> None:
    """Check a seed file or a frozen item set; exit 2 naming the line if it is bad."""
    from council.inputs.items import describe_test_set

    summary = describe_test_set(path)
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    count = summary.get("items", summary.get("seeds"))
    click.echo(f"{path}: valid {summary['kind'].replace('_', ' ')}, {count} entries")
    for category, n in sorted(summary["categories"].items()):
        click.echo(f"  {category}: {n}")


@dilemmas_group.command("freeze")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), help="The item-set file to write.")
@click.option("--name", default=None, help="A name for the set [the run directory's name].")
def dilemmas_freeze(run_dir, out, name) -> None:
    """Freeze a run's composed items into a versioned item set other runs can reuse."""
    from pathlib import Path

    from council.inputs.items import write_item_set
    from council.store.frames import open_run

    blame(run_dir)
    with open_run(run_dir) as store:
        items = store.frozen_items()
    if not items:
        raise BadInput("the run has no items to freeze", path=str(run_dir))
    digest = write_item_set(out, name or Path(run_dir).resolve().name, items)
    click.echo(f"{out}: {len(items)} items, sha256 {digest[:12]}")


COMMANDS = (dilemmas_group,)

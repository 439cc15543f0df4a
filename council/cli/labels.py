"""``council label``: human labels into a run."""

from __future__ import annotations

import click

from council.cli.exits import blame

__all__ = ["COMMANDS"]


@click.command("label")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--import", "import_path", required=True, type=click.Path(dir_okay=False),
              help="A votes file of labels collected elsewhere (judge = the labeller), in any format `council "
                   "score` reads.")
def label_command(run_dir, import_path) -> None:
    """Store human labels in a run: `council score RUN` then ranks human preference,
    and `council judges RUN` measures each judge against people."""
    from council.engine.labels import import_labels

    blame(import_path)
    click.echo(import_labels(run_dir, import_path).summary(import_path))


COMMANDS = (label_command,)

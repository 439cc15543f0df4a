"""``council label``: human labels into a run, from a file or from a labelling page."""

from __future__ import annotations

from typing import get_args

import click

from council.cli.exits import blame
from council.errors import BadInput
from scoring.settings import LabelChoice

__all__ = ["COMMANDS"]


@click.command("label")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--import", "import_path", type=click.Path(dir_okay=False),
              help="A votes file of labels collected elsewhere (judge = the labeller), in any format `council "
                   "score` reads.")
@click.option("--labeller", "labellers", multiple=True,
              help="Serve the labelling page to this labeller (repeat for several; each gets their own link).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Where the page listens: only this machine unless you give another address.")
@click.option("--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any free port.")
@click.option("--choose", type=click.Choice(get_args(LabelChoice)), default="split", show_default=True,
              help="Which comparison comes next: likelier where the jury splits (weighted back in the human "
                   "leaderboard), or uniformly at random.")
@click.option("--no-browser", is_flag=True, help="Print the links only; open no browser.")
def label_command(run_dir, import_path, labellers, **page) -> None:
    """Store human labels in a run: `council score RUN` then ranks human preference,
    and `council judges RUN` measures each judge against people. Labels come from a
    file (--import) or from a local, blind labelling page (--labeller NAME)."""
    if bool(import_path) == bool(labellers):
        raise BadInput("give either --import FILE or --labeller NAME (the labelling page)")
    if import_path:
        from council.engine.label_import import import_labels

        blame(import_path)
        click.echo(import_labels(run_dir, import_path).summary(import_path))
        return
    _serve(run_dir, list(dict.fromkeys(labellers)), **page)


def _serve(run_dir, labellers: list[str], *, host: str, port: int, choose: str, no_browser: bool) -> None:
    from council.cli.label_page import LabelServer
    from council.engine.labelling import LabellingQueue

    if any(not name.strip() for name in labellers):
        raise BadInput("a labeller needs a name", field="--labeller")
    queue = LabellingQueue(run_dir, choose=choose)  # type: ignore[arg-type]
    try:
        server = LabelServer(queue, labellers, host=host, port=port)
    except OSError as error:
        raise BadInput(f"cannot listen on {host}:{port} ({error.strerror or error}): choose another --port") from None
    links = server.links()
    click.echo(f"labelling {len(queue.order)} comparisons of {run_dir}; each label is stored when given. "
               "Stop with Ctrl-C.")
    for name, link in links.items():
        click.echo(f"{name}: {link}")
    if not no_browser:
        import webbrowser

        webbrowser.open(next(iter(links.values())))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


COMMANDS = (label_command,)

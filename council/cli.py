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


_SCORING_OPTIONS = [
    click.option("--reference", metavar="MODEL", help="Anchor model: scores become win % against it."),
    click.option("--aggregation", type=click.Choice(["none", "majority", "mean"]),
                 help="Pool judges per item and pair."),
    click.option("--resample", type=click.Choice(["item", "vote"]), help="Bootstrap unit [item]."),
    click.option("--rounds", type=click.IntRange(min=1), help="Bootstrap resamples [1000; reference mode 100]."),
    click.option("--level", type=click.FloatRange(0, 1, min_open=True, max_open=True),
                 help="Interval coverage [0.95]."),
    click.option("--seed", type=int, help="Random seed of the bootstrap [0]."),
    click.option("--mode", type=click.Choice(["recommended", "reference"]), default="recommended",
                 show_default=True, help="'reference' reproduces the paper's code (needs --reference)."),
    click.option("--strong-weight", type=click.FloatRange(min=0, min_open=True),
                 help="Weight of A>>B votes [1; reference mode 3]."),
    click.option("--include-self/--exclude-self", default=None,
                 help="Count self-judgments [excluded; reference mode included]."),
    click.option("--consistency", type=click.Choice(["strict", "sidewise"]),
                 help="Keep only position-consistent couplets."),
    click.option("--unknown-verdicts", type=click.Choice(["error", "unscored"]), default="error",
                 show_default=True, help="A verdict that is not a label: stop, or count the vote as unscored."),
]
_SETTING_NAMES = ("reference", "aggregation", "resample", "rounds", "level", "seed", "strong_weight",
                  "include_self", "consistency")


def scoring_options(command):
    """The options of `council score`, shared by every command that scores votes."""
    for option in reversed(_SCORING_OPTIONS):
        command = option(command)
    return command


def judge_metric_options(command):
    """How hard `council judges` and `council report` bootstrap the judge metrics."""
    command = click.option(
        "--separability-draws", type=click.IntRange(min=0), default=50, show_default=True,
        help="Outer rounds that recompute each judge's separability (nested bootstrap; 0 skips it).",
    )(command)
    return click.option("--judge-rounds", type=click.IntRange(min=1), default=200, show_default=True,
                        help="Item-bootstrap rounds of the judge metrics' intervals.")(command)


def _settings(options: dict):
    from scoring import scoring_settings

    try:
        return scoring_settings(options["mode"], **{name: options[name] for name in _SETTING_NAMES})
    except ValueError as error:
        raise BadInput(str(error)) from None


def _source(path: str, unknown_verdicts: str, *, facts: bool = False):
    """Votes of a run directory or a votes file, warning about verdicts counted unscored."""
    from council.source import open_source

    source = open_source(path, unknown_verdicts=unknown_verdicts, facts=facts)
    if source.unknown_verdicts:
        shown = ", ".join(f"line {line}: {value!r}" for line, value in source.unknown_verdicts[:5])
        more = len(source.unknown_verdicts) - 5
        click.echo(
            f"warning: {path}: {len(source.unknown_verdicts)} verdicts were not labels and count as unscored "
            f"({shown}{f', and {more} more' if more > 0 else ''})",
            err=True,
        )
    return source


def _scored(path: str, compute):
    """Run a scoring computation; its errors are bad input about ``path``."""
    from scoring import ScoringError

    try:
        return compute()
    except ScoringError as error:
        raise BadInput(str(error), path=str(path)) from None


@main.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def score(path, as_json, **options) -> None:
    """Rank the models of a votes file (JSONL, CSV or Parquet) or of a run directory."""
    from council.display import leaderboard_table
    from scoring import rank_models

    settings = _settings(options)
    source = _source(path, options["unknown_verdicts"])
    board = _scored(path, lambda: rank_models(source.votes, settings))
    if as_json:
        click.echo(json.dumps(board.to_dict(), indent=2))
    else:
        click.echo(leaderboard_table(board))


@main.command()
@click.argument("path", type=click.Path(dir_okay=True))
@scoring_options
@judge_metric_options
@click.option("--human", "human_path", type=click.Path(dir_okay=False),
              help="A votes file of human labels: add each judge's agreement with people.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def judges(path, judge_rounds, separability_draws, human_path, as_json, **options) -> None:
    """Every judge's biases with intervals: position, conviction, contrarianism,
    polarization, self-enhancement, length bias and separability as a sole judge."""
    from council.display import human_summary, judge_metrics_table
    from scoring import judge_metrics

    settings = _settings(options)
    source = _source(path, options["unknown_verdicts"])
    metrics = _scored(path, lambda: judge_metrics(
        source.votes, settings, lengths=source.lengths, rounds=judge_rounds, separability_draws=separability_draws,
        seed=settings.seed,
    ))
    data = metrics.to_dict()
    human = _human_agreement(human_path, source, settings, options["unknown_verdicts"], judge_rounds)
    if human is not None:
        data["human"] = human.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(judge_metrics_table(metrics, has_lengths=source.lengths is not None))
        if human is not None:
            click.echo("")
            click.echo(human_summary(human))


def _human_agreement(human_path, source, settings, unknown_verdicts: str, rounds: int):
    """Agreement with the human labels of ``human_path`` (None without one)."""
    if not human_path:
        return None
    from scoring import human_agreement

    human_votes = _source(human_path, unknown_verdicts).votes
    return _scored(human_path, lambda: human_agreement(source.votes, human_votes, settings, rounds=rounds,
                                                       seed=settings.seed))


def _sizes(text: str | None) -> tuple[int, ...] | None:
    if not text:
        return None
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise BadInput(f"sizes must be comma-separated whole numbers, got {text!r}") from None


@main.command()
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
    from council.display import ablation_table
    from scoring import jury_ablation

    settings = _settings(options)
    source = _source(path, options["unknown_verdicts"])
    rounds = options["rounds"] or 100
    try:
        ablation = _scored(path, lambda: jury_ablation(
            source.votes, settings, jury_sizes=_sizes(jury_sizes), test_sizes=_sizes(test_sizes), trials=trials,
            adversarial=adversarial, rounds=rounds, seed=settings.seed,
        ))
    except ValueError as error:
        raise BadInput(str(error), path=str(path)) from None
    if as_json:
        click.echo(json.dumps(ablation.to_dict(), indent=2))
    else:
        click.echo(ablation_table(ablation))


@main.command()
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

    from council.files import write_atomically
    from council.report import build_report

    if not Path(out).resolve().parent.is_dir():
        raise BadInput(f"the folder of --out does not exist: {Path(out).parent}")
    settings = _settings(options)
    source = _source(path, options["unknown_verdicts"], facts=True)
    human = _human_agreement(human_path, source, settings, options["unknown_verdicts"], judge_rounds)
    html = _scored(path, lambda: build_report(source, settings, human=human, judge_rounds=judge_rounds,
                                              trials=trials, separability_draws=separability_draws))
    write_atomically(out, html)
    click.echo(f"wrote {out}")


def _load(config_path: str):
    from council.config import load_config

    return load_config(config_path)


@main.command("run")
@click.argument("config_path", metavar="COUNCIL_FILE", type=click.Path(dir_okay=False))
@click.option("--run-dir", required=True, type=click.Path(file_okay=False), help="The run directory (created if new).")
@click.option("--progress/--no-progress", default=None, help="Progress bars [on a terminal].")
def run_command(config_path, run_dir, progress) -> None:
    """Run a council: only the missing or failed work is done, so re-running resumes."""
    from council.runner import run

    config = _load(config_path)
    report = run(config, run_dir, progress=progress)
    for stage, counts in report.status["stages"].items():
        click.echo(
            f"{stage:>8}: {counts['done']}/{counts['total']} done, {counts['failed']} failed, "
            f"{counts['unparseable']} unparseable"
        )
    click.echo(f"spent ${report.status['cost_usd']:.4f}")
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    if report.stopped == "budget":
        click.echo(f"stopped: budget of ${config.budget.max_usd} reached; raise budget.max_usd and re-run", err=True)
    if not report.complete:
        click.echo(f"work remains: run `council run {config_path} --run-dir {run_dir}` again", err=True)
        raise SystemExit(1)


@main.command("plan")
@click.argument("config_path", metavar="COUNCIL_FILE", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def plan_command(config_path, as_json) -> None:
    """Calls per stage and member, with estimated tokens and cost, before anything is spent."""
    from council.plan import plan_calls
    from council.providers.litellm_adapter import configure, estimate_cost

    config = _load(config_path)
    configure(config.members)

    def price(member, inp, out):
        known = member.input_cost_per_token is not None or member.output_cost_per_token is not None
        cost = estimate_cost(member, inp, out)
        return cost if (known or cost > 0) else None

    rows = plan_calls(config, price)
    known = [r.cost_usd for r in rows if r.cost_usd is not None]
    total = {"calls": sum(r.calls for r in rows), "cost_usd": sum(known),
             "unpriced_members": sorted({r.member for r in rows if r.cost_usd is None})}
    if as_json:
        click.echo(json.dumps({"rows": [r.to_dict() for r in rows], "total": total}, indent=2))
        return
    click.echo(f"{'stage':<8} {'member':<20} {'calls':>7} {'in tokens':>11} {'out tokens':>11} {'cost':>10}")
    for r in rows:
        cost = f"${r.cost_usd:.4f}" if r.cost_usd is not None else "unknown"
        click.echo(f"{r.stage:<8} {r.member:<20} {r.calls:>7} {r.input_tokens:>11} {r.output_tokens:>11} {cost:>10}")
    click.echo(f"total: {total['calls']} calls, about ${total['cost_usd']:.2f}"
               + (f" plus unpriced members: {', '.join(total['unpriced_members'])}" if total["unpriced_members"] else ""))
    if config.budget.max_usd is not None:
        click.echo(f"budget: ${config.budget.max_usd:.2f}")


@main.command("status")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status_command(run_dir, as_json) -> None:
    """Counts per stage and status, spend, and whether the run is complete."""
    from council.store.frames import open_run

    with open_run(run_dir) as store:
        status = store.status()
    if as_json:
        click.echo(json.dumps(status, indent=2))
        return
    for stage, counts in status["stages"].items():
        click.echo(
            f"{stage:>8}: {counts['done']}/{counts['total']} done, {counts['pending']} pending, "
            f"{counts['failed']} failed, {counts['unparseable']} unparseable"
        )
    click.echo(f"spent ${status['cost_usd']:.4f}; {'complete' if status['complete'] else 'not complete'}")


@main.command("export")
@click.argument("run_dir", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv", "jsonl"]), default="jsonl", show_default=True)
@click.option("--out", required=True, type=click.Path(file_okay=False), help="Directory for one file per table.")
def export_command(run_dir, fmt, out) -> None:
    """Write items, responses, votes and calls as files; votes score as they are."""
    from pathlib import Path

    from council.store.frames import open_run

    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    with open_run(run_dir) as store:
        for table in ("items", "responses", "votes", "calls"):
            frame = store.frame(table)
            path = target / f"{table}.{fmt}"
            if fmt == "parquet":
                frame.write_parquet(path)
            elif fmt == "csv":
                frame.write_csv(path)
            else:
                frame.write_ndjson(path)
            click.echo(f"{path}: {frame.height} rows")


@main.group("dilemmas")
def dilemmas_group() -> None:
    """Seed scenarios and frozen item sets."""


@dilemmas_group.command("validate")
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def dilemmas_validate(path, as_json) -> None:
    """Check a seed file or a frozen item set; exit 2 naming the line if it is bad."""
    from collections import Counter

    from council.dilemmas import is_item_set, load_item_set, load_seeds

    if is_item_set(path):
        header, items = load_item_set(path)
        summary = {"kind": "item_set", "name": header.get("name"), "items": len(items), "sha256": header["sha256"],
                   "categories": dict(Counter(item.category or "(none)" for item in items))}
    else:
        seeds = load_seeds(path)
        summary = {"kind": "seeds", "seeds": len(seeds),
                   "categories": dict(Counter(seed.category or "(none)" for seed in seeds))}
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

    from council.dilemmas import FrozenItem, write_item_set
    from council.store.frames import open_run

    with open_run(run_dir) as store:
        rows = store.conn.execute("SELECT id, text, author, seed_id, category FROM items ORDER BY rowid").fetchall()
    if not rows:
        raise BadInput("the run has no items to freeze", path=str(run_dir))
    items = [FrozenItem(*row) for row in rows]
    digest = write_item_set(out, name or Path(run_dir).resolve().name, items)
    click.echo(f"{out}: {len(items)} items, sha256 {digest[:12]}")


DEMO_NOTE = """\
These are personas of one tiny local model (SmolLM2, 135M parameters): stand-ins for
real LLMs. Their verdicts are close to chance, so expect wide intervals, few
separations, and judges whose preferences mean little (runs differ: they sample). The method is what you are watching.
To run a real council, point members at providers: see examples/openai-anthropic.yaml,
examples/ollama.yaml and examples/vllm.yaml, then `council run FILE --run-dir DIR`."""


@main.command("demo")
@click.option("--run-dir", default="council-demo", show_default=True, type=click.Path(file_okay=False),
              help="Where the demo run lives; running again resumes it.")
@click.option("--members", default=3, show_default=True, type=click.IntRange(3, 4), help="Personas in the council.")
@click.option("--items-per-author", default=2, show_default=True, type=click.IntRange(1, 10))
@click.option("--progress/--no-progress", default=None, help="Progress bars [on a terminal].")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def demo_command(run_dir, members, items_per_author, progress, as_json) -> None:
    """Run a complete council offline on the embedded local model, then rank it."""
    from council.demo import demo_config
    from council.display import judge_table, leaderboard_table
    from council.runner import run
    from council.store.frames import open_run
    from scoring import position_preference

    config = demo_config(members=members, items_per_author=items_per_author)
    if not as_json:
        click.echo(f"Running the demo council in {run_dir} (offline; a few minutes on two cores)...", err=True)
    report = run(config, run_dir, progress=progress)
    with open_run(run_dir) as store:
        votes = store.scoring_votes()
        board = store.leaderboard()
    bias = position_preference(votes)
    if as_json:
        judges = [
            {"judge": j, "n_decided": int(bias.n_decided[i]), "n_unscored": int(bias.n_unscored[i]),
             "position_bias_first": float(bias.first_share[i]), "lower": float(bias.lower[i]),
             "upper": float(bias.upper[i])}
            for i, j in enumerate(bias.judges)
        ]
        click.echo(json.dumps({"status": report.status, "leaderboard": board.to_dict(), "judges": judges}, indent=2))
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
        raise SystemExit(1)

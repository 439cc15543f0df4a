"""Plain-text views of results for the terminal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scoring import Leaderboard
from scoring.display import (
    GROUPS_NOTE,
    JUDGE_COLUMNS,
    LEADERBOARD_RIGHT,
    estimate_text,
    interval_source,
    judge_rows,
    leaderboard_header,
    leaderboard_rows,
    leaderboard_text,
)

__all__ = [
    "GROUPS_NOTE", "HUMAN_COMPARISON_HEADER", "JUDGE_COLUMNS", "JURY_ESTIMAND", "ablation_table", "estimand_line",
    "estimate_text", "human_comparison_rows", "human_leaderboard_table", "human_summary", "interval_source",
    "judge_column_groups", "judge_metrics_table", "judge_rows", "judge_table", "leaderboard_header",
    "leaderboard_rows", "leaderboard_table", "readable_time", "separability_source", "weighting_summary",
]


def readable_time(stamp: str | datetime | None) -> str:
    """A stored ISO time (or a datetime) as a person reads it: local date and time to
    the minute with the zone's name, ``2026-12-07 02:11 UTC``; JSON keeps the ISO text.
    Text that is not an ISO time is shown as it is."""
    if stamp is None:
        return "—"
    try:
        moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    except ValueError:
        return str(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M %Z").strip()


def human_summary(human) -> str:
    """The council's agreement with people and the two leaderboards' rank correlations,
    in one sentence (a `scoring.HumanAgreement`)."""
    _, low, high = human.estimate("spearman")
    _, k_low, k_high = human.estimate("kendall")
    _, a_low, a_high = human.estimate("council_agreement")
    return (
        f"agreement with humans: council {100 * human.council_agreement:.1f}% [{100 * a_low:.1f}, {100 * a_high:.1f}] "
        f"of {human.council_n_shared} shared keys on the same side (κ {human.council_kappa:.2f}); leaderboards: "
        f"Spearman {human.spearman:.3f} [{low:.3f}, {high:.3f}], Kendall {human.kendall:.3f} "
        f"[{k_low:.3f}, {k_high:.3f}] over {len(human.models)} models"
    )


def leaderboard_table(board: Leaderboard, width: int | None = None, *, groups_note: bool = True) -> str:
    """The leaderboard as an aligned table with a header that says how it was made
    (fitted to ``width`` terminal cells if given; see `_aligned`): `scoring`'s
    `leaderboard_text`, aligned for a terminal."""
    return leaderboard_text(board, lambda rows: _aligned(rows, right=set(LEADERBOARD_RIGHT), fold=5, width=width),
                            groups_note=groups_note)


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int] = frozenset(),  # type: ignore[assignment]
               fold: int | None = None) -> str:
    """Rows under ``header`` as an aligned table fitted to the terminal (`_aligned`)."""
    return "\n".join(_aligned([header, *rows], right=set(right), fold=fold))


#: What a leaderboard without human labels estimates, wherever one is shown.
JURY_ESTIMAND = ("estimand: the jury's preference (what this council's judges prefer; human labels correct it: "
                 "council label)")


def weighting_summary(weighting) -> str:
    """The weighted jury against mean pooling and the best single judge, held out."""

    def agreement(name: str) -> str:
        estimate, lower, upper = getattr(weighting, name)
        return f"{100 * estimate:.1f}% [{100 * lower:.1f}, {100 * upper:.1f}]"

    verdict = ("at least matches" if weighting.matches_best_judge else "does NOT match")
    return (f"judges weighed by people ({weighting.folds}-fold cross-validation over {weighting.n_items} items, "
            f"{weighting.n_comparisons} labelled comparisons): held-out agreement weighted jury "
            f"{agreement('weighted')}, mean pooling {agreement('mean_pooling')}, best single judge "
            f"{agreement('best_judge')} — the weighted jury {verdict} the best judge")


def estimand_line(result) -> str:
    """What a human-preference leaderboard (`scoring.HumanLeaderboard`) estimates, from what."""
    line = (f"estimand: human preference — Bradley–Terry on {result.jury_only.n_votes} jury votes, corrected by "
            f"{result.n_human_votes} human labels on {result.n_human_items} items (prediction-powered, PPI++; jury "
            f"weight λ = {result.tuning:.2f}: 0 would use the labels alone, 1 trust the jury fully)")
    if result.n_human_unmatched:
        line += f"; {result.n_human_unmatched} labels on pairs the jury never judged left out"
    return line


#: The columns of `human_comparison_rows`.
HUMAN_COMPARISON_HEADER = ("model", "human preference", "labels alone", "jury alone")


def human_comparison_rows(result) -> list[list[str]]:
    """Per model of a `scoring.HumanLeaderboard`: its score and interval, and those of
    the labels alone and of the jury alone."""
    board = result.leaderboard
    digits = 2 if board.settings.reference is not None else 0

    def cell(other, model: str) -> str:
        if model not in other.models:
            return "—"
        i = other.models.index(model)
        return estimate_text(other.score[i], other.score_lower[i], other.score_upper[i], 1, digits)

    return [[model, cell(board, model), cell(result.human_only, model), cell(result.jury_only, model)]
            for model in board.models]


def human_leaderboard_table(result, width: int | None = None) -> str:
    """A human-preference leaderboard: what it estimates, its table, and beside it the
    labels alone and the jury alone (the two it combines)."""
    rows = [list(HUMAN_COMPARISON_HEADER), *human_comparison_rows(result)]
    return "\n".join([estimand_line(result), leaderboard_table(result.leaderboard, width), "",
                      "the same scores, beside the two it combines:", *_aligned(rows, right=set(), width=width)])


def _aligned(rows: Sequence[Sequence[str]], right: set[int], fold: int | None = None,
             width: int | None = None) -> list[str]:
    """Rows (the first is the header) as text columns, the ``right`` ones right-aligned.

    Widths are terminal cells, so wide (CJK) and combining characters line up. On a
    terminal the table fits its width: column ``fold`` (the names) folds first;
    piped output is never wrapped, so scripts see one line per row. ``width`` fits
    the table to that many cells instead.
    """
    import io
    import shutil
    import sys

    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    table = Table(box=None, pad_edge=False, show_edge=False, header_style="")
    for col, header in enumerate(rows[0]):
        # Values never break; headers and the names column may, onto more lines.
        longest = max((cell_len(row[col]) for row in rows[1:]), default=0)
        table.add_column(Text(header), justify="right" if col in right else "left", overflow="fold",
                         min_width=min(longest, 12) if col == fold else longest)
    for row in rows[1:]:
        table.add_row(*(Text(cell) for cell in row))  # Text: brackets in "[1, 2]" are not markup
    if width is None:
        width = shutil.get_terminal_size().columns if sys.stdout.isatty() else 1_000_000
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False, emoji=False, markup=False).print(table)
    return [line.rstrip() for line in out.getvalue().splitlines()]


def judge_column_groups(has_lengths: bool) -> tuple[list, list]:
    """The columns in two tables of a screen's width each: how a judge votes (position,
    conviction), then what its votes do (agreement, scores, length, separability)."""
    columns = [c for c in JUDGE_COLUMNS if has_lengths or not c[0].startswith("length")]
    voting = [c for c in columns if c[0].startswith("position") or c[0] == "conviction"]
    return voting, [c for c in columns if c not in voting]


def separability_source(metrics) -> str:
    """How the judges' separability interval was made, for the notes under the tables."""
    if metrics.separability_draws:
        return f"separability: {metrics.separability_draws} rounds of a nested bootstrap"
    return "separability without an interval: --separability-draws N adds one, by a nested bootstrap"


def judge_metrics_table(metrics, *, has_lengths: bool = True) -> str:
    """Judge diagnostics (a `scoring.JudgeMetrics`): estimate and interval per cell."""
    settings = metrics.settings
    unit = f"win % vs {settings.reference}" if settings.reference else "Elo points"
    lines = [
        f"{len(metrics.judges)} judges; {100 * settings.level:g}% intervals from {metrics.rounds} item-bootstrap "
        f"rounds ({separability_source(metrics)}); scores in {unit}",
    ]
    for columns in judge_column_groups(has_lengths):
        rows = [tuple(["judge", "votes"] + [header for _, header, _, _ in columns])]
        rows += [tuple(row) for row in judge_rows(metrics, columns)]
        lines += [""] + _aligned(rows, right=set(range(1, len(rows[0]))), fold=0)
    lines += [
        "",
        "consistent: both orders agree on the winner; bias 1st/2nd: votes in inconsistent couplets that chose that "
        "position; contrarian: 1 − κ with the other judges' majority (0 agrees, 1 chance, >1 opposes); "
        "self-bias: own score for its own model minus the council's; — where undefined.",
    ]
    if not has_lengths:
        lines.append("No answer lengths in a votes file: length bias needs a run directory.")
    return "\n".join(lines)


def ablation_table(ablation) -> str:
    """Jury ablation (a `scoring.JuryAblation`): separability and rank stability per cell."""
    rows = [("judges", "items", "separability %", "± sd", "rank stability (MERV)", "failed")]
    for c, jury in enumerate(ablation.jury_sizes):
        for t, test in enumerate(ablation.test_sizes):
            rows.append((
                str(jury), str(test), f"{ablation.separability_mean[c, t]:.1f}",
                f"{ablation.separability_std[c, t]:.1f}", f"{ablation.rank_stability[c, t]:.2f}",
                str(int(ablation.n_failed[c, t])),
            ))
    lines = [
        f"{ablation.trials} sub-councils per cell (judges and items drawn without replacement"
        + (f", {ablation.adversarial} random voters added" if ablation.adversarial else "") + f"); "
        f"{ablation.settings.rounds} bootstrap rounds each",
        "",
    ]
    lines += _aligned(rows, right=set(range(6)))
    lines += ["", "Rank stability: mean over models of the standard deviation of their rank across trials (lower "
                  "is steadier; 0 when every trial draws the same council)."]
    return "\n".join(lines)


def judge_table(bias) -> str:
    """Per-judge position preference (a `scoring.PositionPreference`)."""
    rows = [("judge", "decided", "unscored", "favours first position (95% interval)")]
    for i, judge in enumerate(bias.judges):
        shown = (
            "—" if bias.n_decided[i] == 0
            else f"{100 * bias.first_share[i]:.0f}% [{100 * bias.lower[i]:.0f}, {100 * bias.upper[i]:.0f}]"
        )
        rows.append((judge, str(bias.n_decided[i]), str(bias.n_unscored[i]), shown))
    lines = _aligned(rows, right={1, 2}, fold=0)
    lines.append("An unbiased judge favours the first position about half the time: both orders are judged.")
    return "\n".join(lines)


def slices_text(sliced, bias=None, width: int | None = None) -> str:
    """Leaderboards per slice (a `scoring.SlicedLeaderboards`), each under a line naming
    the slice and its size, small slices flagged; with a `scoring.AuthorshipBias`, its
    table after them."""
    from scoring.slices import SMALL_SLICE_ITEMS

    lines = [f"{len(sliced.slices)} slices by {sliced.by}; each its own leaderboard, intervals from its own items",
             JURY_ESTIMAND + "; slices rank the jury's votes"]
    for piece in sliced.slices:
        small = (f" — small: fewer than {SMALL_SLICE_ITEMS} items, read its intervals as wide as they are"
                 if piece.small else "")
        lines += ["", f"== {sliced.by} {piece.name}: {piece.n_items} items, {piece.n_votes} votes{small}"]
        lines.append(piece.note if piece.leaderboard is None
                     else leaderboard_table(piece.leaderboard, width, groups_note=False))
    if bias is not None:
        lines += ["", "== authorship bias: each author's Elo on its own items and on the others' items"]
        if not bias.models:
            lines.append("no author is also a ranked model on both sides (items given as they are have no author)")
        else:
            header, rows, caption = bias._table()
            lines += [caption, *_aligned([header, *rows], right=set(range(1, len(header))), width=width)]
    return "\n".join([*lines, "", GROUPS_NOTE])

"""Results that show themselves: the same rows the CLI prints, as text, HTML or a frame.

Pure string work (no I/O): `Leaderboard` and `JudgeMetrics` print as a table without
their bootstrap draws, render as an HTML table in Jupyter, and give a polars DataFrame
(polars is imported only when asked for). The CLI's tables take their rows from here,
so a notebook and a terminal show the same numbers.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence, Set
from html import escape
from typing import Any

import numpy as np

__all__ = [
    "GROUPS_NOTE", "JUDGE_COLUMNS", "LEADERBOARD_RIGHT", "ShowsTable", "aligned_lines", "cell_width", "estimate_text",
    "html_table", "interval_source", "judge_rows", "leaderboard_header", "leaderboard_rows", "leaderboard_text",
    "plain_table", "score_meaning",
]


def html_table(header: Sequence[str], rows: Sequence[Sequence[object]], *, caption: str = "") -> str:
    """Rows under ``header`` as one escaped HTML table, numbers right-aligned."""

    def cell(value: object, tag: str) -> str:
        number = isinstance(value, int | float | np.number) and not isinstance(value, bool)
        align = ' style="text-align:right"' if number else ""
        text = f"{value:.4g}" if isinstance(value, float | np.floating) else str(value)
        return f"<{tag}{align}>{escape(text)}</{tag}>"

    head = "".join(cell(name, "th") for name in header)
    body = "".join("<tr>" + "".join(cell(value, "td") for value in row) + "</tr>" for row in rows)
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def cell_width(text: str) -> int:
    """Terminal cells ``text`` takes: wide (CJK) characters two, combining marks none."""
    return sum(0 if unicodedata.combining(c) else 2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def aligned_lines(rows: Sequence[Sequence[object]], right: Set[int] = frozenset()) -> list[str]:
    """Rows (the first is the header) as columns two spaces apart, the ``right`` ones
    right-aligned, never wrapped: what the CLI prints when its output is piped."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max(cell_width(row[k]) for row in cells) for k in range(len(cells[0]))]

    def pad(text: str, k: int) -> str:
        space = " " * (widths[k] - cell_width(text))
        return space + text if k in right else text + space

    return ["  ".join(pad(c, k) for k, c in enumerate(row)).rstrip() for row in cells]


def plain_table(header: Sequence[str], rows: Sequence[Sequence[object]], right: Set[int] | None = None) -> str:
    """Rows under ``header`` as aligned text (every column but the first right-aligned
    unless ``right`` says which)."""
    right = set(range(1, len(header))) if right is None else right
    return "\n".join(aligned_lines([header, *rows], right))


def estimate_text(estimate: float, lower: float, upper: float, scale: float = 1.0, digits: int = 2) -> str:
    """``estimate [lower, upper]`` scaled and rounded; — where the estimate is undefined."""
    if not np.isfinite(estimate):
        return "—"
    text = f"{scale * estimate:.{digits}f}"
    if np.isfinite(lower) and np.isfinite(upper):
        text += f" [{scale * lower:.{digits}f}, {scale * upper:.{digits}f}]"
    return text


def _interval(low: float, high: float, digits: int) -> str:
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def leaderboard_header(board: Any) -> list[str]:
    """Column names of `leaderboard_rows` (what the scores are is said above the table)."""
    score_name = "win %" if board.settings.reference is not None else "Elo"
    return ["rank", "ranks", "rank ub", "group", "tier", "model", score_name, "interval", "votes"]


def leaderboard_rows(board: Any) -> list[list[str]]:
    """One row per model of a `scoring.Leaderboard`, best first: rank, rank interval,
    rank upper bound, group, tier, model, score, score interval, votes (2 decimals for
    win rates, none on the Elo scale)."""
    digits = 2 if board.settings.reference is not None else 0
    rows = []
    for i, model in enumerate(board.models):
        low, high = int(board.rank_lower[i]), int(board.rank_upper[i])
        rows.append([
            str(int(board.rank[i])),
            f"{low}-{high}" if low != high else str(low),
            str(int(board.rank_ub[i])),
            str(int(board.group[i])),
            str(int(board.tier[i])),
            model,
            f"{board.score[i]:.{digits}f}",
            _interval(board.score_lower[i], board.score_upper[i], digits),
            str(int(board.n_votes_per_model[i])),
        ])
    return rows


#: The right-aligned columns of `leaderboard_rows`.
LEADERBOARD_RIGHT = frozenset({0, 2, 3, 4, 6, 8})

#: What the leaderboard's groups and bounds mean, under every table of it.
GROUPS_NOTE = (
    "rank ub: 1 + the models whose interval lies entirely above. Group: the model's interval lies below the\n"
    "leader (first model) of every higher group. Tier (stricter): below every model of every higher tier."
)



def interval_source(board: Any) -> str:
    """How the leaderboard's intervals were made, for the text above or under it."""
    settings = board.settings
    unit = "items" if settings.resample == "item" else "single votes"
    text = f"{100 * settings.level:g}% intervals from {settings.rounds} bootstrap resamples of {unit}"
    if settings.prior_items:
        text += (f", widened at the boundary (prior: {settings.prior_items:g} item per pair and side; "
                 "each score is centred on the same prior)")
    return text


def score_meaning(board: Any) -> str:
    reference = board.settings.reference
    return f"win % against {reference}" if reference is not None else "Elo scale (1000 = the average model)"



def leaderboard_text(board: Any, aligned: Callable[[list[list[str]]], list[str]] | None = None, *,
                     groups_note: bool = True) -> str:
    """A `scoring.Leaderboard` as text: how it was made, its table (``aligned`` lays
    out the rows; unwrapped columns by default), and what groups and tiers mean
    (unless ``groups_note`` is False: a page of many tables says it once)."""
    settings = board.settings
    level = f"{100 * settings.level:g}%"
    left_out = [f"{board.n_unscored} unscored"]
    if board.n_self_excluded:
        left_out.append(f"{board.n_self_excluded} self-judgments")
    if board.n_inconsistent_excluded:
        left_out.append(f"{board.n_inconsistent_excluded} position-inconsistent")
    lines = [
        f"{len(board.models)} models ranked from {board.n_votes} votes "
        f"({', '.join(left_out)} left out; aggregation: {settings.aggregation}; mode: {settings.mode})",
        f"{interval_source(board)}; seed {settings.seed}; separability {board.separability:.1f}% of model pairs",
        f"scores: {score_meaning(board)}; ranks: {level} interval of the rank",
        "",
    ]
    if board.mc_tolerance_met is False:
        lines.insert(-1, f"Monte Carlo error: an interval end may still move by {board.mc_error_elo:.1f} Elo with "
                         f"another seed — above the {settings.mc_tolerance:g}-Elo tolerance at the cap of "
                         f"{settings.rounds} rounds")
    rows = [leaderboard_header(board), *leaderboard_rows(board)]
    lines += aligned(rows) if aligned is not None else aligned_lines(rows, LEADERBOARD_RIGHT)
    if board.unrated:
        lines.append("")
        lines.append(f"not ranked (no votes left to fit): {', '.join(board.unrated)}")
    if groups_note:
        lines += ["", GROUPS_NOTE]
    return "\n".join(lines)


#: Judge-metric columns of the terminal and HTML tables: metric, header, scale, digits.
JUDGE_COLUMNS = (
    ("position_consistency", "consistent %", 100, 0), ("position_consistency_strict", "strict %", 100, 0),
    ("position_bias_first", "bias 1st %", 100, 0), ("position_bias_second", "bias 2nd %", 100, 0),
    ("conviction", "strong %", 100, 0), ("agreement", "mean κ", 1, 2), ("contrarianism", "contrarian", 1, 2),
    ("polarization", "polarization", 1, 1), ("self_enhancement_bias", "self-bias", 1, 1),
    ("length_bias_r2", "length R²", 1, 2), ("separability", "separability %", 1, 0),
)


def judge_rows(metrics: Any, columns: Sequence[tuple[str, str, float, int]]) -> list[list[str]]:
    """One row per judge of a `scoring.JudgeMetrics`: name, scored votes, then each
    column's estimate and interval."""
    estimates = {name: metrics.metric(name) for name, *_ in columns}
    return [
        [judge, str(int(metrics.n_votes[j]))]
        + [estimate_text(estimates[name].estimate[j], estimates[name].lower[j], estimates[name].upper[j], scale, digits)
           for name, _, scale, digits in columns]
        for j, judge in enumerate(metrics.judges)
    ]


class ShowsTable:
    """Text, HTML and a DataFrame from one ``_table()``: (header, rows, caption);
    ``_text()`` is what ``print`` shows (the caption and the table unless overridden)."""

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        raise NotImplementedError

    def _text(self) -> str:
        header, rows, caption = self._table()
        return f"{caption}\n{plain_table(header, rows)}"

    def __str__(self) -> str:
        return self._text()

    def _repr_html_(self) -> str:
        header, rows, caption = self._table()
        return html_table(header, rows, caption=caption)

    def to_polars(self):
        """The table as a polars DataFrame (text cells, as shown)."""
        import polars as pl

        header, rows, _ = self._table()
        return pl.DataFrame(rows, schema=header, orient="row")

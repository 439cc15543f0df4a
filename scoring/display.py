"""Results that show themselves: the same rows the CLI prints, as text, HTML or a frame.

Pure string work (no I/O): `Leaderboard` and `JudgeMetrics` print as a table without
their bootstrap draws, render as an HTML table in Jupyter, and give a polars DataFrame
(polars is imported only when asked for). The CLI's tables take their rows from here,
so a notebook and a terminal show the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from typing import Any

import numpy as np

__all__ = ["JUDGE_COLUMNS", "ShowsTable", "estimate_text", "html_table", "judge_rows", "leaderboard_header",
           "leaderboard_rows", "plain_table"]


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


def plain_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Rows under ``header`` as space-aligned text, every column but the first right-aligned."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[k]) for row in cells) for k in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) if k == 0 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths)))
                     .rstrip() for row in cells)


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
    """Text, HTML and a DataFrame from one ``_table()``: (header, rows, caption)."""

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        raise NotImplementedError

    def __str__(self) -> str:
        header, rows, caption = self._table()
        return f"{caption}\n{plain_table(header, rows)}"

    def _repr_html_(self) -> str:
        header, rows, caption = self._table()
        return html_table(header, rows, caption=caption)

    def to_polars(self):
        """The table as a polars DataFrame (text cells, as shown)."""
        import polars as pl

        header, rows, _ = self._table()
        return pl.DataFrame(rows, schema=header, orient="row")

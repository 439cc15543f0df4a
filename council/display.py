"""Plain-text views of results for the terminal."""

from __future__ import annotations

from scoring import Leaderboard

__all__ = ["leaderboard_table"]


def _interval(low: float, high: float, digits: int) -> str:
    return f"[{low:.{digits}f}, {high:.{digits}f}]"


def leaderboard_table(board: Leaderboard) -> str:
    """The leaderboard as an aligned table with a header that says how it was made."""
    settings = board.settings
    reference = settings.reference
    digits = 2 if reference is not None else 0
    score_name = f"win % vs {reference}" if reference is not None else "score (Elo scale)"
    level = f"{100 * settings.level:g}%"
    unit = "items" if settings.resample == "item" else "single votes"
    left_out = [f"{board.n_unscored} unscored"]
    if board.n_self_excluded:
        left_out.append(f"{board.n_self_excluded} self-judgments")
    if board.n_inconsistent_excluded:
        left_out.append(f"{board.n_inconsistent_excluded} position-inconsistent")
    lines = [
        f"{len(board.models)} models ranked from {board.n_votes} votes "
        f"({', '.join(left_out)} left out; aggregation: {settings.aggregation}; mode: {settings.mode})",
        f"{level} intervals from {settings.rounds} bootstrap resamples of {unit} (seed {settings.seed}); "
        f"separability {board.separability:.1f}% of model pairs",
        "",
    ]
    rows = [("rank", f"{level} ranks", "tier", "model", score_name, f"{level} interval", "votes")]
    for i, model in enumerate(board.models):
        low, high = int(board.rank_lower[i]), int(board.rank_upper[i])
        rows.append(
            (
                str(int(board.rank[i])),
                f"{low}-{high}" if low != high else str(low),
                str(int(board.tier[i])),
                model,
                f"{board.score[i]:.{digits}f}",
                _interval(board.score_lower[i], board.score_upper[i], digits),
                str(int(board.n_votes_per_model[i])),
            )
        )
    widths = [max(len(row[col]) for row in rows) for col in range(len(rows[0]))]
    right = {0, 4, 6}
    for row in rows:
        cells = [cell.rjust(width) if col in right else cell.ljust(width) for col, (cell, width) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    if board.unrated:
        lines.append("")
        lines.append(f"not ranked (no votes left to fit): {', '.join(board.unrated)}")
    lines.append("")
    lines.append(
        "Tiers: a model sits in a lower tier only when its interval is apart from every model above it."
    )
    return "\n".join(lines)


def judge_table(bias) -> str:
    """Per-judge position preference (a `scoring.PositionPreference`)."""
    lines = ["judge        decided  unscored  favours first position (95% interval)"]
    for i, judge in enumerate(bias.judges):
        share = bias.first_share[i]
        shown = "—" if bias.n_decided[i] == 0 else f"{100 * share:.0f}% [{100 * bias.lower[i]:.0f}, {100 * bias.upper[i]:.0f}]"
        lines.append(f"{judge:<12} {bias.n_decided[i]:>7}  {bias.n_unscored[i]:>8}  {shown}")
    lines.append("An unbiased judge favours the first position about half the time: both orders are judged.")
    return "\n".join(lines)

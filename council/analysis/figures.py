"""The report's and the notebooks' figures, drawn with matplotlib from scoring results.

Every function takes results (a `scoring.Leaderboard`, `JudgeMetrics`, …) and returns a
matplotlib Figure; `to_svg` turns one into inline SVG for the HTML report.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import numpy as np

if TYPE_CHECKING:
    from council.analysis.history import SeriesHistory

P = ParamSpec("P")
R = TypeVar("R")

__all__ = [
    "ablation_figure", "agreement_figure", "forest_figure", "history_figure", "length_figure", "position_figure",
    "self_enhancement_figure", "to_svg", "win_probability_figure",
]

_TIER_COLOURS = ("#1b6ca8", "#e07b39", "#3a9e5c", "#b03a48", "#7d5ba6", "#8c6d31", "#c75d9b", "#5c5c5c")


_STYLE: dict = {"svg.fonttype": "none", "font.size": 9, "axes.spines.top": False, "axes.spines.right": False}


def _styled(draw: Callable[P, R]) -> Callable[P, R]:
    """Draw under the house style without touching the caller's matplotlib settings
    (typed: callers are checked against each figure's own signature)."""

    @functools.wraps(draw)
    def styled(*args: P.args, **kwargs: P.kwargs) -> R:
        import matplotlib

        with matplotlib.rc_context(_STYLE):
            return draw(*args, **kwargs)

    return styled


def _new_figure(figsize, nrows=1, ncols=1, **kwargs):
    """A figure outside pyplot: no global state, no backend, nothing to close. It shows
    in a notebook like any figure and saves to any format."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=figsize)
    return figure, figure.subplots(nrows, ncols, **kwargs)


def to_svg(figure) -> str:
    """The figure as an inline ``<svg>`` element, text kept as text."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(_STYLE):
        figure.savefig(buffer, format="svg", bbox_inches="tight")
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _height(rows: int) -> float:
    return max(2.2, 0.32 * rows + 1.0)


def _square(n: int) -> tuple[float, float]:
    """Size of an n × n heatmap with its labels and colour bar."""
    return max(4, 0.45 * n + 2.5), max(3.5, 0.45 * n + 2)


@_styled
def forest_figure(board):
    """Scores with their intervals, best first, coloured by group (`scoring.leader_groups`)."""
    n = len(board.models)
    figure, axes = _new_figure((7, _height(n)))
    y = np.arange(n)[::-1]
    for i in range(n):
        colour = _TIER_COLOURS[(int(board.group[i]) - 1) % len(_TIER_COLOURS)]
        axes.plot([board.score_lower[i], board.score_upper[i]], [y[i], y[i]], color=colour, linewidth=2)
        axes.plot(board.score[i], y[i], "o", color=colour, markersize=5)
    axes.set_yticks(y, [f"{m}  (group {int(g)})" for m, g in zip(board.models, board.group)])
    reference = board.settings.reference
    axes.set_xlabel(f"win % against {reference}" if reference else "score (Elo scale)")
    if reference:
        axes.axvline(50, color="#999999", linewidth=0.8, linestyle=":")
    axes.set_title(f"Leaderboard with {100 * board.settings.level:g}% intervals "
                   f"(separability {board.separability:.0f}%)", loc="left")
    return figure


def _heatmap(axes, values, labels_x, labels_y, *, limits, cmap, digits=2):
    image = axes.imshow(values, vmin=limits[0], vmax=limits[1], cmap=cmap)
    axes.set_xticks(range(len(labels_x)), labels_x, rotation=60, ha="right")
    axes.set_yticks(range(len(labels_y)), labels_y)
    if values.shape[0] <= 14:
        for (i, j), value in np.ndenumerate(values):
            if np.isfinite(value):
                axes.text(j, i, f"{value:.{digits}f}", ha="center", va="center", fontsize=7)
    return image


@_styled
def win_probability_figure(board):
    """P(row beats column) under the fitted strengths."""
    n = len(board.models)
    figure, axes = _new_figure(_square(n))
    probabilities = board.win_probabilities()
    np.fill_diagonal(probabilities, np.nan)
    image = _heatmap(axes, probabilities, board.models, board.models, limits=(0, 1), cmap="RdBu_r")
    figure.colorbar(image, ax=axes, shrink=0.8, label="P(row beats column)")
    axes.set_title("Win probabilities", loc="left")
    return figure


def _dot_whisker(axes, labels, estimate, lower, upper, *, colour, offset=0.0, label=None):
    y = np.arange(len(labels))[::-1] + offset
    finite = np.isfinite(estimate)
    for k in np.flatnonzero(finite & np.isfinite(lower)):
        axes.plot([lower[k], upper[k]], [y[k], y[k]], color=colour, linewidth=1.6)
    axes.plot(estimate[finite], y[finite], "o", color=colour, markersize=4, label=label)
    axes.set_yticks(np.arange(len(labels))[::-1], labels)


@_styled
def position_figure(metrics):
    """Position bias towards the first and the second answer, and consistency."""
    figure, (left, right) = _new_figure((9, _height(len(metrics.judges))), 1, 2, sharey=True)
    for name, colour, offset, label in (("position_bias_first", "#1b6ca8", 0.15, "favours first"),
                                        ("position_bias_second", "#e07b39", -0.15, "favours second")):
        estimate, lower, upper = (100 * part for part in metrics.metric(name))
        _dot_whisker(left, metrics.judges, estimate, lower, upper, colour=colour, offset=offset, label=label)
    left.set_xlabel("% of votes in inconsistent couplets")
    left.legend(loc="lower right", frameon=False)
    left.set_title("Position bias", loc="left")
    estimate, lower, upper = (100 * part for part in metrics.metric("position_consistency"))
    _dot_whisker(right, metrics.judges, estimate, lower, upper, colour="#3a9e5c")
    right.set_xlabel("% of votes in consistent couplets")
    right.set_xlim(-2, 102)
    right.set_title("Position consistency", loc="left")
    return figure


@_styled
def self_enhancement_figure(metrics):
    """Each judge's score for its own model minus the council's."""
    figure, axes = _new_figure((6, _height(len(metrics.judges))))
    estimate, lower, upper = metrics.metric("self_enhancement_bias")
    _dot_whisker(axes, metrics.judges, estimate, lower, upper, colour="#b03a48")
    axes.axvline(0, color="#999999", linewidth=0.8)
    reference = metrics.settings.reference
    axes.set_xlabel("own score − council score" + (" (win % points)" if reference else " (Elo points)"))
    axes.set_title("Self-enhancement (judges that are also respondents)", loc="left")
    return figure


@_styled
def agreement_figure(metrics):
    """Cohen's κ between every two judges on the vote keys they share."""
    from scoring import MIN_KAPPA_KEYS

    n = len(metrics.judges)
    figure, axes = _new_figure(_square(n))
    agreement = metrics.agreement
    kappa = np.where(agreement.n_decided >= MIN_KAPPA_KEYS, agreement.kappa, np.nan)
    image = _heatmap(axes, kappa, metrics.judges, metrics.judges, limits=(-1, 1), cmap="PuOr")
    figure.colorbar(image, ax=axes, shrink=0.8, label="Cohen's κ (sides)")
    axes.set_title("Agreement between judges", loc="left")
    return figure


@_styled
def length_figure(metrics, lengths: np.ndarray, models: tuple[str, ...], controlled=None, board=None):
    """Length bias per judge (R²), mean answer length per model (``lengths`` is items ×
    ``models``, NaN where unknown), and — when given — the plain against the
    length-controlled scores."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a model with no known length
        means = np.nanmean(lengths, axis=0)
    mean_words = {m: float(w) for m, w in zip(models, means) if np.isfinite(w)}
    panels = 3 if controlled is not None and board is not None else 2
    figure, axes = _new_figure((4.2 * panels, _height(max(len(metrics.judges), len(mean_words)))), 1, panels)
    estimate, lower, upper = metrics.metric("length_bias_r2")
    _dot_whisker(axes[0], metrics.judges, estimate, lower, upper, colour="#7d5ba6")
    axes[0].set_xlabel("R² of verdict on word difference")
    axes[0].set_title("Length bias", loc="left")
    by_length = sorted(mean_words, key=lambda model: mean_words[model])
    axes[1].barh(range(len(by_length)), [mean_words[m] for m in by_length], color="#8c6d31")
    axes[1].set_yticks(range(len(by_length)), by_length)
    axes[1].set_xlabel("mean words per answer")
    axes[1].set_title("Answer lengths", loc="left")
    if panels == 3:
        lc = controlled.leaderboard
        plain = dict(zip(board.models, board.score))
        adjusted = dict(zip(lc.models, lc.score))
        shared = [m for m in lc.models if m in plain]
        axes[2].scatter([plain[m] for m in shared], [adjusted[m] for m in shared], color="#1b6ca8", s=14)
        for m in shared:
            axes[2].annotate(m, (plain[m], adjusted[m]), fontsize=6, xytext=(3, 2), textcoords="offset points")
        low = min(min(plain[m], adjusted[m]) for m in shared)
        high = max(max(plain[m], adjusted[m]) for m in shared)
        axes[2].plot([low, high], [low, high], color="#999999", linewidth=0.8, linestyle=":")
        axes[2].set_xlabel("score")
        axes[2].set_ylabel("length-controlled score")
        axes[2].set_title("Length control", loc="left")
    figure.tight_layout()
    return figure


@_styled
def ablation_figure(ablation):
    """Separability and rank stability against test-set size, one line per jury size."""
    import matplotlib

    figure, (left, right) = _new_figure((9, 3.4), 1, 2)
    colours = matplotlib.colormaps["viridis"](np.linspace(0, 0.9, len(ablation.jury_sizes)))
    for c, jury in enumerate(ablation.jury_sizes):
        label = f"{jury} judge{'s' if jury > 1 else ''}"
        left.errorbar(ablation.test_sizes, ablation.separability_mean[c], yerr=ablation.separability_std[c],
                      color=colours[c], marker="o", markersize=3, capsize=2, label=label)
        right.plot(ablation.test_sizes, ablation.rank_stability[c], color=colours[c], marker="o", markersize=3,
                   label=label)
    left.set_ylim(0, 100)  # a mean ± sd band can reach past the possible range
    left.set_xlabel("items in the test set")
    left.set_ylabel("separability % (mean ± sd)")
    right.set_xlabel("items in the test set")
    right.set_ylabel("rank stability (MERV; lower is steadier)")
    left.set_title("Jury ablation: separability", loc="left")
    right.set_title("Jury ablation: rank stability", loc="left")
    right.legend(frameon=False, fontsize=7)
    figure.tight_layout()
    return figure


@_styled
def history_figure(history: SeriesHistory, field: str):
    """One model per line over the rounds of a series, its interval as error bars:
    ``field`` is ``"score"`` (Elo scale) or ``"rank"`` (1 at the top)."""
    figure, axes = _new_figure((7, 3.4))
    models = list(dict.fromkeys(m["model"] for entry in history.rounds for m in entry["models"]))
    for k, model in enumerate(models):
        points = [(entry["round"], m) for entry in history.rounds for m in entry["models"] if m["model"] == model]
        x = np.array([r for r, _ in points], dtype=float) + (k - (len(models) - 1) / 2) * 0.03
        y = np.array([m[field] for _, m in points], dtype=float)
        low = np.array([m[f"{field}_lower"] for _, m in points], dtype=float)
        high = np.array([m[f"{field}_upper"] for _, m in points], dtype=float)
        colour = _TIER_COLOURS[k % len(_TIER_COLOURS)]
        axes.errorbar(x, y, yerr=[y - low, high - y], color=colour, marker="o", markersize=4, capsize=3, label=model)
    axes.set_xticks([entry["round"] for entry in history.rounds])
    axes.set_xlabel("round")
    if field == "rank":
        axes.invert_yaxis()
        axes.set_ylabel("rank (interval)")
    else:
        axes.set_ylabel("score, Elo scale (interval)")
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    axes.set_title(f"{'Rank' if field == 'rank' else 'Score'} over rounds with 95% intervals", loc="left")
    return figure

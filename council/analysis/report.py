"""``council report``: one static HTML file with every view of a run or votes file.

No server, no network: figures are inline SVG, styles inline, no script. The file reads
the same results the CLI and the notebooks do (`scoring` over `council.analysis.source`).
"""

from __future__ import annotations

import html
from datetime import datetime, timezone

import numpy as np

from council.analysis import figures
from council.analysis.display import (
    GROUPS_NOTE,
    HUMAN_COMPARISON_HEADER,
    JURY_ESTIMAND,
    estimand_line,
    estimate_text,
    human_comparison_rows,
    human_summary,
    interval_source,
    judge_column_groups,
    judge_rows,
    leaderboard_header,
    leaderboard_rows,
    readable_time,
    separability_source,
    weighting_summary,
)
from council.analysis.source import VoteSource

__all__ = ["build_report"]

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; font-size: 12.5px; margin: 0.8em 0; }
th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; } th { background: #f6f6f6; }
.note { color: #555; font-size: 12.5px; max-width: 900px; } figure { margin: 1em 0; }
svg { max-width: 100%; height: auto; }
.facts td { text-align: left; white-space: normal; } .wide { overflow-x: auto; }
"""


def _e(value) -> str:
    return html.escape(str(value))


def _table(header: list[str], rows: list[list], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f'<div class="wide"><table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def _figure(figure, caption: str) -> str:
    return f"<figure>{figures.to_svg(figure)}<figcaption class='note'>{_e(caption)}</figcaption></figure>"


def _facts_section(source: VoteSource, settings) -> str:
    facts = dict(source.facts)
    members = facts.pop("members", None)
    def shown(key, value):
        if value is None:
            return "—"
        if key == "cost_usd":
            return f"${value:.4f}"
        return readable_time(value) if key.endswith(("_started", "_at")) else value

    rows = [[key.replace("_", " "), shown(key, value)] for key, value in facts.items()]
    rows.append(["scoring", ", ".join(f"{k}={v}" for k, v in settings.to_dict().items())])
    body = _table(["fact", "value"], rows, "facts")
    if members:
        body += _table(["member", "model", "roles"], [[m["name"], m["model"], ", ".join(m["roles"])] for m in members])
    return f"<h2 id='facts'>Run facts</h2><p class='note'>Source: {_e(source.kind)} {_e(source.path)}</p>{body}"


def _leaderboard_section(board) -> str:
    rows = leaderboard_rows(board)
    note = (
        f"{JURY_ESTIMAND[0].upper()}{JURY_ESTIMAND[1:]}. "
        f"{board.n_votes} votes fitted ({board.n_unscored} unscored, {board.n_self_excluded} self-judgments, "
        f"{board.n_inconsistent_excluded} position-inconsistent left out). {interval_source(board)}. {GROUPS_NOTE}"
    )
    return (
        "<h2 id='leaderboard'>Leaderboard</h2>"
        + _figure(figures.forest_figure(board), "Point scores and intervals, coloured by group.")
        + _table(leaderboard_header(board), rows)
        + f"<p class='note'>{_e(note)}</p>"
        + "<h2 id='win-probabilities'>Win probabilities</h2>"
        + _figure(figures.win_probability_figure(board), "Bradley–Terry probability that the row model's answer "
                  "is preferred to the column model's.")
    )


def _judge_table(metrics, columns) -> str:
    return _table(["judge", "votes"] + [header for _, header, _, _ in columns], judge_rows(metrics, columns))


def _judges_section(metrics, has_lengths: bool) -> str:
    from scoring import JUDGE_METRICS, MIN_KAPPA_KEYS

    position, outcome = judge_column_groups(has_lengths)
    columns = position + outcome
    legend = "".join(f"<li><b>{_e(header)}</b>: {_e(JUDGE_METRICS[name])}</li>" for name, header, _, _ in columns)
    note = (
        f"Estimates with {100 * metrics.settings.level:g}% percentile intervals from {metrics.rounds} item-bootstrap "
        f"rounds ({separability_source(metrics)}). Spreads such as "
        "polarization and separability grow under resampling, so their intervals can sit above the estimate; read "
        "them as the spread over test sets like this one. — where a metric is undefined."
    )
    self_figure = ""
    if np.isfinite(metrics.metric("self_enhancement_bias")[0]).any():
        self_figure = _figure(figures.self_enhancement_figure(metrics), "Score a judge alone gives its own model "
                              "minus the council's score for it; self-judgments included for both.")
    return (
        "<h2 id='judges'>Judges</h2>"
        + _judge_table(metrics, position) + _judge_table(metrics, outcome)
        + f"<ul class='note'>{legend}</ul><p class='note'>{_e(note)}</p>"
        + "<h2 id='position'>Position bias</h2>"
        + _figure(figures.position_figure(metrics), "Every pair is judged in both orders; a consistent judge "
                  "names the same winner both times.")
        + "<h2 id='self-enhancement'>Self-enhancement</h2>"
        + _self_enhancement_note(metrics)
        + self_figure
        + "<h2 id='agreement'>Agreement</h2>"
        + _figure(figures.agreement_figure(metrics), f"Cohen's κ on the side each judge preferred, over the vote "
                  "keys both judged (ties left out); blank where two judges share fewer than "
                  f"{MIN_KAPPA_KEYS} such keys.")
    )


def _self_enhancement_note(metrics) -> str:
    if np.isfinite(metrics.metric("self_enhancement_bias")[0]).any():
        return ""
    return ("<p class='note'>No judge here has a self-enhancement value: either no judge is also a ranked model, or "
            "the votes hold no self-judgments (a run keeps them only with <code>judge.include_self: true</code>).</p>")


def _length_section(source: VoteSource, metrics, board, settings) -> str:
    if source.lengths is None:
        return ("<h2 id='length'>Length bias</h2><p class='note'>A votes file carries no answers, so answer "
                "lengths are unknown here: run <code>council report</code> on a run directory for this view.</p>")
    from scoring import ScoringError, rank_models_length_controlled

    try:
        controlled = rank_models_length_controlled(source.votes, source.lengths, settings)
    except ScoringError:
        controlled = None
    body = _figure(figures.length_figure(metrics, source.lengths, source.votes.models, controlled, board),
                   "R² of each judge's verdict side on the word difference of the two answers; mean answer lengths; "
                   "scores from Bradley–Terry with a log length-ratio covariate against plain scores.")
    if controlled is not None:
        effect = (f"Length effect: {controlled.length_effect:+.2f} log-odds per doubling of an answer's length "
                  f"[{controlled.length_effect_lower:+.2f}, {controlled.length_effect_upper:+.2f}].")
        body += f"<p class='note'>{_e(effect)}</p>"
    return "<h2 id='length'>Length bias</h2>" + body


def _ablation_section(ablation) -> str:
    return (
        "<h2 id='ablation'>Jury ablation</h2>"
        + _figure(figures.ablation_figure(ablation), f"{ablation.trials} Monte Carlo sub-councils per cell, judges "
                  "and items drawn without replacement (the paper's Figure 5).")
    )


def _human_section(human, weighting=None) -> str:
    rows = [[judge, estimate_text(human.agreement[j], human.agreement_lower[j], human.agreement_upper[j], 100, 1),
             estimate_text(human.kappa[j], human.kappa_lower[j], human.kappa_upper[j]), int(human.n_shared[j])]
            for j, judge in enumerate(human.judges)]
    agreement, kappa = human.estimate("council_agreement"), human.estimate("council_kappa")
    rows.append(["council (majority)", estimate_text(agreement.estimate, agreement.lower, agreement.upper, 100, 1),
                 estimate_text(kappa.estimate, kappa.lower, kappa.upper), human.council_n_shared])
    note = (f"Sides compared with the humans' majority side on shared vote keys (ties left out); "
            f"{human_summary(human)}. Intervals from one joint item bootstrap.")
    section = ("<h2 id='human'>Agreement with humans</h2>" + _table(["judge", "same side %", "κ", "shared keys"], rows)
               + f"<p class='note'>{_e(note)}</p>")
    if weighting is not None:
        weights = [[judge, f"{w:+.2f}"] for judge, w in sorted(zip(weighting.judges, weighting.weights),
                                                                key=lambda pair: -pair[1])]
        section += ("<h3>Judges weighed by people</h3>" + _table(["judge", "weight"], weights)
                    + f"<p class='note'>{_e(weighting_summary(weighting))}. Weights of a penalised logistic "
                    "regression of the humans' side on the judges' sides; zero or negative where the labels say a "
                    "judge does not help.</p>")
    return section


def _human_leaderboard_section(result) -> str:
    """The leaderboard of human preference, beside the labels alone and the jury alone."""
    board = result.leaderboard
    return ("<h2 id='human-leaderboard'>Leaderboard of human preference</h2>"
            + _figure(figures.forest_figure(board), "Human preference: point scores and intervals.")
            + _table(leaderboard_header(board), leaderboard_rows(board))
            + _table(list(HUMAN_COMPARISON_HEADER), human_comparison_rows(result))
            + f"<p class='note'>{_e(estimand_line(result))}. {interval_source(board)}.</p>")


def _authorship_section(bias) -> str:
    """Each author-model's Elo on its own items against the others' (a `scoring.AuthorshipBias`)."""
    header, rows, caption = bias._table()
    return ("<h2 id='authorship'>Authorship bias</h2>"
            "<p class='note'>The members also wrote the items: does an author's own items favour its model? "
            f"{_e(caption)}; each side is the leaderboard of those items alone, and the difference's interval "
            "comes from independent item bootstraps of the two sides.</p>" + _table(header, rows))


def build_report(source: VoteSource, settings, *, human=None, weighting=None, human_board=None,
                 judge_rounds: int = 200, trials: int = 10, separability_draws: int = 0, board=None) -> str:
    """The whole report as one HTML string.

    ``human`` is a `scoring.HumanAgreement` (from `scoring.human_agreement`) to add the
    agreement with people, ``weighting`` a `scoring.JudgeWeighting` beside it, and
    ``human_board`` a `scoring.HumanLeaderboard` (the leaderboard of human preference);
    ``board``, the leaderboard of ``source`` under ``settings``
    when the caller has it already; the rest is computed here from ``source`` and
    ``settings``.
    """
    from scoring import authorship_bias, judge_metrics, jury_ablation, rank_models

    board = board if board is not None else rank_models(source.votes, settings)
    metrics = judge_metrics(source.votes, settings, lengths=source.lengths, rounds=judge_rounds,
                            separability_draws=separability_draws, seed=settings.seed)
    ablation = jury_ablation(source.votes, settings, trials=trials, seed=settings.seed)
    sections = [_facts_section(source, settings), _leaderboard_section(board),
                _judges_section(metrics, source.lengths is not None),
                _length_section(source, metrics, board, settings), _ablation_section(ablation)]
    if human_board is not None:
        sections.insert(2, _human_leaderboard_section(human_board))
    if human is not None:
        sections.append(_human_section(human, weighting))
    authors = source.authors()
    if authors:
        bias = authorship_bias(source.votes, authors, settings)
        if bias.models:
            sections.insert(-1, _authorship_section(bias))
    stamp = readable_time(datetime.now(timezone.utc))
    title = f"Council report — {source.path}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>"
        f"<p class='note'>Generated {stamp} by council. {len(board.models)} models, {len(source.votes.judges)} judges, "
        f"{len(source.votes.items)} items.</p>" + "".join(sections) + "</body></html>"
    )

"""``council site``: a series published as static files.

``index.html`` (the newest leaderboard, rank and score over rounds with their
intervals, the changes and the alarms), one page per round (the run's report),
``history.json`` and one ``leaderboard.json`` per round for other tools. No server, no
script, no external resource: it opens from disk or from any static host.
"""

from __future__ import annotations

import json
from pathlib import Path

from council.analysis import figures
from council.analysis.display import JURY_ESTIMAND, readable_time
from council.analysis.history import SeriesHistory, series_history
from council.analysis.report import _STYLE, _e, _figure, _table, build_report
from council.analysis.source import open_source
from council.engine.rounds import round_snapshots
from council.errors import BadInput
from council.inputs.files import write_atomically
from scoring import ScoringSettings, rank_models

__all__ = ["write_site"]


def _index(history: SeriesHistory) -> str:
    newest = history.rounds[-1]
    rows = [[m["rank"], f"{m['rank_lower']}–{m['rank_upper']}", m["tier"], m["model"], f"{m['score']:.0f}",
             f"[{m['score_lower']:.0f}, {m['score_upper']:.0f}]", m["provider_model"] or "–"]
            for m in newest["models"]]
    board = _table(["rank", "ranks", "tier", "model", "score", "interval", "provider model"], rows)
    changes = [[c["model"], f"{c['from_round']} → {c['to_round']}", f"{c['score_delta']:+.1f}",
                f"[{c['delta_lower']:+.1f}, {c['delta_upper']:+.1f}]", "yes" if c["significant"] else "no"]
               for c in history.changes]
    alarms = [[d["round"], d["member"], d["kind"], d["detail"]] for d in history.drift]
    links = "".join(f"<li><a href='rounds/{e['round']:04d}/index.html'>round {e['round']}</a> — completed "
                    f"{_e(readable_time(e['completed_at']))}, {e['n_votes']} votes (<a href='rounds/{e['round']:04d}/"
                    f"leaderboard.json'>leaderboard.json</a>)</li>" for e in reversed(history.rounds))
    title = f"Council leaderboard — {history.series}"
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>"
        f"<style>{_STYLE}</style></head><body><h1>{_e(title)}</h1>"
        f"<p class='note'>Round {newest['round']}, completed {_e(readable_time(newest['completed_at']))}: "
        f"{newest['n_votes']} votes, "
        f"separability {newest['separability']:.0f}%. A model beats another only when their intervals separate; "
        f"a tier holds models the data cannot order. {_e(JURY_ESTIMAND)}.</p>"
        f"<h2 id='leaderboard'>Leaderboard</h2>{board}"
        "<h2 id='over-rounds'>Over rounds</h2>"
        + _figure(figures.history_figure(history, "score"), "Score of each model in each round, 95% interval.")
        + _figure(figures.history_figure(history, "rank"), "Rank of each model in each round, 95% rank interval.")
        + "<h2 id='changes'>Changes</h2>"
        + (_table(["model", "rounds", "score change", "interval", "significant"], changes) if changes
           else "<p class='note'>One round so far: nothing to compare.</p>")
        + "<p class='note'>Changes are measured on the items both rounds share, with a paired item bootstrap, "
        "against the median model's change; significant when the 95% interval excludes 0.</p>"
        + "<h2 id='alarms'>Drift alarms</h2>"
        + (_table(["round", "member", "kind", "detail"], alarms) if alarms else "<p class='note'>None.</p>")
        + f"<h2 id='rounds'>Rounds</h2><ul>{links}</ul>"
        + "<p class='note'>Data: <a href='history.json'>history.json</a>.</p></body></html>"
    )


def write_site(series_dir: str | Path, out: str | Path, settings: ScoringSettings | None = None,
               *, trials: int = 10) -> list[Path]:
    """Write the site of a series into ``out`` (created); returns the files written."""
    settings = settings or ScoringSettings()
    snapshots = round_snapshots(series_dir)
    history = series_history(series_dir, settings, snapshots=snapshots)
    if not history.rounds:
        raise BadInput("no round of this series is complete yet: run `council round` to the end first",
                       path=str(series_dir))
    out = Path(out)
    written = []

    def write(relative: str, text: str) -> None:
        path = out / relative
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, text)  # a web server serving the folder never sends half a page
        except OSError as error:
            raise BadInput(f"cannot write the site here ({error.strerror})", path=str(path)) from None
        written.append(path)

    for number, path, snapshot in snapshots:
        if snapshot is None:
            continue
        source = open_source(path)
        board = rank_models(source.votes, settings)
        write(f"rounds/{number:04d}/index.html", build_report(source, settings, board=board, trials=trials))
        write(f"rounds/{number:04d}/leaderboard.json", json.dumps(board.to_dict(), indent=2))
    write("history.json", json.dumps(history.to_dict(), indent=2))
    write("index.html", _index(history))
    return written

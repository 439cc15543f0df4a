"""Results show themselves: ``print`` gives the table the CLI prints (never the bootstrap
draws), Jupyter gets an HTML table, and ``to_polars`` a DataFrame — for scoring's
results, a run's status, plan and report, and the jury's rankings and comparisons."""

from __future__ import annotations

import pytest

import council
from council.config import load_config
from council.engine.plan import price_plan
from council.engine.runner import run
from council.engine.status import run_status
from council.store.frames import open_run
from scoring import ScoringSettings, judge_metrics, make_votes, rank_models

from .test_jury import ITEMS, jury, signed  # noqa: F401 -- the fixture


def _votes():
    names = ["模型-甲", "beta", "gamma"]
    rows = []
    for item in range(12):
        for judge in ("j1", "j2"):
            for a, b, verdict in ((0, 1, "A>B"), (1, 2, "A>>B"), (0, 2, "A>B"), (1, 0, "B>A"), (2, 1, "B=A")):
                rows.append((f"i{item}", judge, names[a], names[b], verdict if (item + a) % 5 else "B>A"))
    return make_votes(*zip(*rows))


def test_a_leaderboard_prints_what_council_score_prints_without_its_draws():
    from council.analysis.display import leaderboard_table

    board = rank_models(_votes(), ScoringSettings(rounds=200))
    text = str(board)
    assert text == leaderboard_table(board)  # piped: the CLI's own table, wide characters aligned alike
    assert "模型-甲" in text and "rank ub" in text
    assert len(repr(board)) < 200 and "array" not in repr(board)
    assert repr(board).startswith("Leaderboard(")
    html = board._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 1 + len(board.models) and "模型-甲" in html
    frame = board.to_polars()
    assert frame.height == len(board.models) and frame.columns[5] == "model"


def test_judge_metrics_print_a_table_per_judge():
    metrics = judge_metrics(_votes(), ScoringSettings(rounds=100), rounds=50)
    text = str(metrics)
    assert all(judge in text for judge in metrics.judges) and "consistent %" in text
    assert "array" not in repr(metrics)
    assert metrics._repr_html_().count("<tr>") == 1 + len(metrics.judges)
    assert metrics.to_polars().height == len(metrics.judges)


def test_a_runs_status_plan_and_report_print_what_the_cli_prints(council_file, tmp_path, cli):
    path = council_file()
    config = load_config(path)
    plan = price_plan(config)
    assert str(plan) + "\n" == cli("plan", path).output
    assert plan._repr_html_().startswith("<table>") and plan.to_polars().height == len(plan.rows)
    report = run(config, tmp_path / "run", progress=False)
    assert report.complete
    assert str(report).splitlines()[:3] == report.status.lines(pending=False)
    with open_run(tmp_path / "run") as store:
        status = run_status(store.ledger, store.config())
    assert status.to_dict() == report.status.to_dict()
    assert str(status) + "\n" == cli("status", tmp_path / "run").output
    assert status.to_polars()["stage"].to_list() == ["compose", "respond", "judge"]
    assert "<table>" in report._repr_html_()


def test_a_ranking_and_a_comparison_from_python_show_themselves(jury, tmp_path):  # noqa: F811
    answers = {name: {item: signed(name, item) for item in ITEMS} for name in ("bot-good", "bot-mid")}
    result = jury.rank(ITEMS, answers, run_dir=tmp_path / "run")
    assert str(result).startswith(str(result.leaderboard))
    assert "RankResult(2 models" in repr(result)
    assert result.to_polars().height == 2 and "<table>" in result._repr_html_()
    comparison = jury.compare("Which is better?", "a careful answer", "a careless answer")
    text = str(comparison)
    assert text.startswith("verdict ") and all(v.judge in text for v in comparison.votes)
    assert comparison.to_polars().height == len(comparison.votes) == 4
    assert comparison._repr_html_().count("<tr>") == 1 + 4


@pytest.mark.parametrize("name", ["Leaderboard", "JudgeMetrics", "RankResult", "Comparison"])
def test_every_result_named_by_the_issue_has_the_three_views(name):
    cls = getattr(council, name, None) or getattr(__import__("scoring"), name)
    assert all(callable(getattr(cls, method, None)) for method in ("__str__", "_repr_html_", "to_polars"))

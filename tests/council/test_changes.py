"""A changed council is never silently credited with old results: what shaped each
result (member settings, prompt, inputs) decides whether it is reused."""

from __future__ import annotations

import json
import sqlite3

from council.store.frames import open_run


def _status(cli, run_dir) -> dict:
    return json.loads(cli("status", run_dir, "--json").stdout)


def _superseded(run_dir) -> list[tuple]:
    with sqlite3.connect(run_dir / "council.db") as conn:
        return conn.execute("SELECT key, stage, member, reason FROM superseded").fetchall()


def test_a_member_whose_model_changed_under_its_name_is_redone(cli, council_file, provider, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    provider.reset()
    swapped = council_file(members=["alpha", {"name": "beta", "model": "openai/delta"}, "gamma"])
    result = cli("run", swapped, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert "changed: respond: 4 unit(s) of 'beta'" in result.stderr, result.stderr  # 2 went with beta's items
    assert "changed: compose: 2 unit(s) of 'beta'" in result.stderr and "model or parameters" in result.stderr
    assert provider.count("respond") >= 6 and provider.count("judge") > 0, "the new model's work was done"
    with open_run(run_dir) as store:
        responses = store.responses
        votes = store.votes
    beta = responses.filter(responses["respondent"] == "beta")["text"].to_list()
    assert beta and all("signed by delta" in text for text in beta), "no answer of the old model is credited"
    assert votes.height == _status(cli, run_dir)["stages"]["judge"]["total"] == 36
    moved = _superseded(run_dir)
    assert {stage for _, stage, _, _ in moved} == {"compose", "respond", "judge"}
    assert _status(cli, run_dir)["complete"]


def test_a_changed_word_limit_redoes_the_answers_and_their_judgments(cli, council_file, provider, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    spent = _status(cli, run_dir)["cost_usd"]
    provider.reset()
    result = cli("run", council_file(respond={"word_limit": 25}), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert provider.count("compose") == 0 and provider.count("respond") == 18 and provider.count("judge") == 36
    assert "the inputs" in result.stderr
    assert _status(cli, run_dir)["cost_usd"] >= spent, "what was paid for stays in the spend"


def test_an_unchanged_council_reuses_everything_across_processes(council_cli, council_file, provider, tmp_path):
    run_dir = tmp_path / "run"
    path = council_file()
    assert council_cli("run", path, "--run-dir", run_dir).returncode == 0
    provider.reset()
    again = council_cli("run", path, "--run-dir", run_dir)
    assert again.returncode == 0 and provider.count() == 0 and "changed" not in again.stderr
    assert _superseded(run_dir) == []


def test_plan_on_a_run_says_what_a_rerun_will_redo_and_counts_its_calls(cli, council_file, provider, tmp_path):
    from collections import Counter

    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    swapped = council_file(members=["alpha", {"name": "beta", "model": "openai/delta"}, "gamma"], name="swapped.yaml")
    unchanged = json.loads(cli("plan", council_file(), "--run-dir", run_dir, "--json").stdout)
    assert unchanged["total"]["calls"] == 0 and unchanged["changes"] == []
    plan = json.loads(cli("plan", swapped, "--run-dir", run_dir, "--json").stdout)
    assert any("'beta'" in line and "model or parameters" in line for line in plan["changes"])
    provider.reset()
    assert cli("run", swapped, "--run-dir", run_dir).exit_code == 0
    member = {"alpha": "alpha", "delta": "beta", "gamma": "gamma"}
    made = Counter((r.kind, member[r.model]) for r in provider.requests if r.status == 200)
    planned = {(row["stage"], row["member"]): row["calls"] for row in plan["rows"] if row["calls"]}
    assert planned == dict(made)

"""Whole council runs through litellm against the fake provider on 127.0.0.1."""

import json
import sqlite3

import pytest

from council.config import load_config
from council.engine.runner import run
from council.store.frames import open_run


def _status(cli, run_dir):
    result = cli("status", run_dir, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_full_three_stage_run(cli, council_file, provider, tmp_path):
    path = council_file()
    run_dir = tmp_path / "run"
    result = cli("run", path, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    status = _status(cli, run_dir)
    # 3 authors × 2 items; 6 items × 3 respondents; 3 pairs × 2 orders × 6 items, one judge each
    # (the judge sits out the pairs it is part of).
    assert status["complete"] is True
    assert {s: (v["done"], v["total"]) for s, v in status["stages"].items()} == {
        "compose": (6, 6), "respond": (18, 18), "judge": (36, 36)
    }
    assert provider.count(status=200) == 6 + 18 + 36
    with open_run(run_dir) as store:
        items = store.items
        assert items["author"].value_counts()["count"].to_list() == [2, 2, 2]  # equal participation
        assert store.responses.height == 18 and store.votes.height == 36
        calls = store.calls
        assert set(calls["status"]) == {"ok"} and (calls["prompt_hash"].str.len_chars() == 16).all()
        board = store.leaderboard()
    assert board.models[0] == "alpha" and board.models[-1] == "gamma"
    assert board.n_self_excluded == 0  # self-judgments were never requested


def test_rerun_sends_nothing_and_adding_a_member_schedules_only_new_work(cli, council_file, provider, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    first = provider.count()
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    assert provider.count() == first, "a complete run must not call anything again"

    provider.reset()
    bigger = council_file(members=("alpha", "beta", "gamma", "delta"))
    result = cli("run", bigger, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    # delta authors 2 new items; all 4 respondents answer those (8) and delta answers
    # the 6 old items (6). The new judgments are checked against the ledger below:
    # every judge request must be for a key that was not judged before.
    assert provider.count("compose") == 2
    assert provider.count("respond") == 8 + 6
    with open_run(run_dir) as store:
        calls = store.calls
        judge_keys = set(calls.filter(calls["stage"] == "judge")["key"])
    new_judge_requests = provider.keys()
    old_items = _old_items(run_dir)
    old_judge_keys = {k for k in judge_keys if "delta" not in k.split("/")[2:] and k.split("/")[1] in old_items}
    assert not (set(new_judge_requests) & old_judge_keys), "old judgments were sent again"
    assert provider.count("judge") == len(judge_keys) - 36
    assert _status(cli, run_dir)["complete"]


def _old_items(run_dir):
    with open_run(run_dir) as store:
        items = store.items
    return set(items.filter(items["author"] != "delta")["id"])


def test_export_scores_as_it_is(cli, council_file, tmp_path):
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    direct = json.loads(cli("score", run_dir, "--json", "--rounds", "100").stdout)
    for fmt in ("jsonl", "csv", "parquet"):
        out = tmp_path / f"export-{fmt}"
        result = cli("export", run_dir, "--format", fmt, "--out", out)
        assert result.exit_code == 0, result.output
        for table in ("items", "responses", "votes", "calls"):
            assert (out / f"{table}.{fmt}").is_file()
        exported = json.loads(cli("score", out / f"votes.{fmt}", "--json", "--rounds", "100").stdout)
        assert exported["models"] == direct["models"]


def test_unparseable_verdicts_are_reasked_then_stored_unscored(cli, council_file, provider, tmp_path):
    provider.faults.unparseable_judges = {"gamma"}
    provider.faults.garbled_first_verdicts = 0
    run_dir = tmp_path / "run"
    result = cli("run", council_file(judge={"max_reasks": 1}), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output  # unparseable is final: nothing remains to do
    status = _status(cli, run_dir)
    gamma_judgments = 12  # gamma judges the alpha/beta pair on 6 items in both orders
    assert status["stages"]["judge"]["unparseable"] == gamma_judgments
    with open_run(run_dir) as store:
        votes = store.votes
        calls = store.calls
    gamma = votes.filter(votes["judge"] == "gamma")
    assert gamma["verdict"].null_count() == gamma_judgments and set(gamma["parse_status"]) == {"unparseable"}
    assert set(calls.filter(calls["status"] == "unparseable")["attempts"]) == {2}  # asked, then re-asked once
    board = json.loads(cli("score", run_dir, "--json", "--rounds", "50").stdout)
    assert board["n_unscored"] == gamma_judgments and board["n_votes"] == 36 - gamma_judgments
    # Re-running does not ask again: unparseable is a final state.
    before = provider.count()
    assert cli("run", council_file(judge={"max_reasks": 1}), "--run-dir", run_dir).exit_code == 0
    assert provider.count() == before


def test_a_reask_recovers_a_garbled_verdict(cli, council_file, provider, tmp_path):
    provider.faults.garbled_first_verdicts = 6 + 18 + 3  # requests 25-27: the first three judge replies
    run_dir = tmp_path / "run"
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0
    with open_run(run_dir) as store:
        calls = store.calls
    judge_calls = calls.filter(calls["stage"] == "judge")
    assert set(judge_calls["status"]) == {"ok"}
    assert judge_calls["attempts"].sum() == 36 + 3


@pytest.mark.parametrize("style", ["json", "tag", "echo"])
def test_verdict_tags_quoted_from_answers_are_never_taken(cli, council_file, provider, tmp_path, style):
    provider.faults.quoting_respondents = {"alpha", "beta", "gamma"}
    if style == "tag":
        provider.faults.tag_judges = {"alpha", "beta", "gamma"}
    if style == "echo":
        provider.faults.echo_judges = {"alpha", "beta", "gamma"}
    run_dir = tmp_path / "run"
    assert cli("run", council_file(judge={"max_reasks": 0}), "--run-dir", run_dir).exit_code == 0
    with open_run(run_dir) as store:
        votes = store.votes
        responses = store.responses
    assert responses["text"].str.contains(r"\[\[A>>B\]\]").all()
    if style == "echo":
        assert votes["verdict"].null_count() == votes.height  # nothing to read, nothing guessed
    else:
        # The fake judges prefer the stronger model; a quoted [[A>>B]] would have
        # given the first position every time.
        strongest_first = votes.filter(votes["model_a"] == "alpha")
        assert set(strongest_first["verdict"]) <= {"A>B", "A>>B"}
        weakest_first = votes.filter((votes["model_a"] == "gamma") & (votes["model_b"] == "alpha"))
        assert set(weakest_first["verdict"]) <= {"B>A", "B>>A"}


def test_transient_faults_are_retried(cli, council_file, provider, tmp_path):
    provider.faults.error_500_every = 5
    provider.faults.rate_limit_first = 4
    run_dir = tmp_path / "run"
    result = cli("run", council_file(), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert provider.count(status=500) > 0 and provider.count(status=429) == 4
    assert _status(cli, run_dir)["complete"]


def test_timeouts_are_retried(cli, council_file, provider, tmp_path):
    provider.faults.slow_first = 2
    provider.faults.slow_seconds = 3.0
    members = [{"name": n, "timeout": 1} for n in ("alpha", "beta", "gamma")]
    run_dir = tmp_path / "run"
    result = cli("run", council_file(members=members), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    with open_run(run_dir) as store:
        calls = store.calls
    assert calls["attempts"].sum() == 60 + 2


def test_a_rejected_key_fails_fast_naming_the_member(cli, council_file, provider, tmp_path):
    provider.faults.reject_models = {"beta"}
    run_dir = tmp_path / "run"
    result = cli("run", council_file(), "--run-dir", run_dir)
    assert result.exit_code == 1
    assert "member 'beta'" in result.stderr and "AuthenticationError" in result.stderr
    rejected = provider.count(status=401)
    assert rejected <= 2, "a fatal error must not be retried across all of beta's work"
    status = _status(cli, run_dir)
    assert not status["complete"] and status["stages"]["compose"]["failed"] >= 1
    # The failure is not "done": fixing the key and re-running does the rest.
    provider.faults.reject_models = set()
    assert cli("run", council_file(), "--run-dir", run_dir).exit_code == 0


def test_budget_stops_cleanly_before_it_is_exceeded(cli, council_file, provider, tmp_path):
    # 50 + 20 tokens per fake call at these prices: $0.0007 a call.
    members = [
        {"name": n, "input_cost_per_token": 1e-5, "output_cost_per_token": 1e-5} for n in ("alpha", "beta", "gamma")
    ]
    run_dir = tmp_path / "run"
    result = cli("run", council_file(members=members, budget={"max_usd": 0.02}), "--run-dir", run_dir)
    assert result.exit_code == 1
    assert "budget" in result.stderr
    status = _status(cli, run_dir)
    assert status["cost_usd"] <= 0.02 and not status["complete"]
    spent_calls = provider.count(status=200)
    assert 0 < spent_calls < 60
    result = cli("run", council_file(members=members, budget={"max_usd": 1.0}), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    assert provider.count(status=200) == 60, "resuming after the budget stop pays for nothing twice"


def test_a_second_process_on_the_same_directory_is_refused(cli, council_file, tmp_path):
    from council.engine.runner import run_lock

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    with run_lock(run_dir):
        result = cli("run", council_file(), "--run-dir", run_dir)
    assert result.exit_code == 2
    assert "another council process" in result.stderr


def test_python_api(council_file, tmp_path):
    import council

    config = council.load_config(council_file())
    report = council.run(config, tmp_path / "run", progress=False)
    assert report.complete
    with council.open_run(tmp_path / "run") as store:
        assert store.votes.height == 36
        assert set(store.scoring_votes().models) == {"alpha", "beta", "gamma"}


def test_store_is_wal_with_foreign_keys(council_file, tmp_path):
    run(load_config(council_file()), tmp_path / "run", progress=False)
    conn = sqlite3.connect(tmp_path / "run" / "council.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    orphans = conn.execute(
        "SELECT count(*) FROM votes LEFT JOIN items ON votes.item = items.id WHERE items.id IS NULL"
    ).fetchone()[0]
    assert orphans == 0


def test_item_ids_never_collide_whatever_the_member_names(cli, council_file, tmp_path):
    """``gpt-4`` writing a second item on a seed and ``gpt-4.1`` writing its first once
    both became ``s01.gpt-4.1``."""
    members = [{"name": "gpt-4", "model": "openai/alpha"}, {"name": "gpt-4.1", "model": "openai/beta"},
               {"name": "gamma"}]
    path = council_file(members=members, test_set={"seeds": "seeds.jsonl", "items_per_author": 3})
    (path.parent / "seeds.jsonl").write_text('{"id": "s01", "text": "One."}\n{"id": "s02", "text": "Two."}\n')
    run_dir = tmp_path / "run"
    result = cli("run", path, "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    with open_run(run_dir) as store:
        ids = store.items["id"].to_list()
    assert len(ids) == len(set(ids)) == 9

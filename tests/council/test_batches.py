"""Batch members: respond and judge calls through the provider's batch API (the test
server speaks OpenAI's files and batches), with the ledger keeping every batch."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.request

import pytest

from council.config import load_config
from council.engine.runner import run
from council.store.frames import open_run

VOTES = "SELECT item, judge, model_a, model_b, verdict FROM votes ORDER BY 1, 2, 3, 4"
RESPONSES = "SELECT item, respondent, text FROM responses ORDER BY 1, 2"
FAST = {"poll_s": 0.05}


def _members(batch=True):
    return [{"name": name, "batch": batch, "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
            for name in ("alpha", "beta", "gamma")]


def _read(run_dir, sql):
    with open_run(run_dir) as store:
        return store.conn.execute(sql).fetchall()


def _batch_lines(provider) -> list:
    with urllib.request.urlopen(f"{provider.url.removesuffix('/v1')}/batch-lines") as response:
        return json.loads(response.read())


def test_a_batch_council_gives_the_votes_of_the_same_council_called_directly(council_file, provider, tmp_path):
    direct = run(load_config(council_file(members=_members(False), name="direct.yaml")), tmp_path / "direct",
                 progress=False)
    chat_calls = len(provider.requests)
    batched = run(load_config(council_file(members=_members(True), batches=FAST)), tmp_path / "batched",
                  progress=False)
    assert direct.complete and batched.complete, batched
    assert _read(tmp_path / "batched", VOTES) == _read(tmp_path / "direct", VOTES)
    assert _read(tmp_path / "batched", RESPONSES) == _read(tmp_path / "direct", RESPONSES)
    rows = _read(tmp_path / "batched", "SELECT stage, member, status, ingested_at IS NOT NULL, provider_batch_id, "
                                       "input_file_id FROM batches ORDER BY id")
    assert {(stage, member) for stage, member, *_ in rows} == {
        (stage, m) for stage in ("respond", "judge") for m in ("alpha", "beta", "gamma")}
    assert all(status == "completed" and ingested and batch_id and file_id
               for _, _, status, ingested, batch_id, file_id in rows)
    # Every respond and judge call went in a batch, once; compose was called directly.
    lines = _batch_lines(provider)
    keys = _read(tmp_path / "batched", "SELECT key FROM batch_lines")
    assert len(lines) == len(keys) == len({key for (key,) in keys})
    judged, answered = _read(tmp_path / "batched", "SELECT count(*) FROM votes")[0][0], \
        _read(tmp_path / "batched", "SELECT count(*) FROM responses")[0][0]
    assert len(lines) == judged + answered
    asked_directly = {r.kind for r in provider.requests[chat_calls:] if r.key and "/" in r.key}
    assert asked_directly == {"compose"}
    # A batch line costs half a direct call (the members' prices, batch_discount 0.5).
    cost = _read(tmp_path / "batched", "SELECT sum(cost_usd) FROM calls WHERE stage = 'judge'")[0][0]
    direct_cost = _read(tmp_path / "direct", "SELECT sum(cost_usd) FROM calls WHERE stage = 'judge'")[0][0]
    assert cost == pytest.approx(direct_cost / 2)


def _start(path, run_dir, *extra, progress="--no-progress"):
    options = [progress] if progress else []
    return subprocess.Popen([sys.executable, "-m", "council", "run", str(path), "--run-dir", str(run_dir),
                             *options, *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _batches(db):
    if not db.exists():
        return []
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT id, input_file_id, provider_batch_id, status, ingested_at FROM batches").fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        conn.close()


def _kill_when(process, condition, timeout=60.0):
    deadline = time.time() + timeout
    while process.poll() is None and not condition() and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, process.communicate()
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def _each_key_sent_once(provider, run_dir):
    """Every respond and judge key went to the provider in exactly one batch line, and
    every one of them has its product, once."""
    custom = dict(_read(run_dir, "SELECT custom_id, key FROM batch_lines"))
    sent = [custom[custom_id] for _, custom_id, _ in _batch_lines(provider)]
    assert len(sent) == len(set(sent))
    planned = {key for (key,) in _read(run_dir, "SELECT key FROM calls WHERE stage != 'compose'")}
    assert set(sent) == planned
    products = _read(run_dir, "SELECT call_key FROM votes UNION ALL SELECT call_key FROM responses")
    assert sorted(key for (key,) in products) == sorted(planned)


def test_no_wait_sends_and_exits_1_and_re_running_collects(council_file, provider, tmp_path):
    path = council_file(members=_members(), batches=FAST)
    run_dir = tmp_path / "run"
    first = _start(path, run_dir, "--no-wait")
    _, err = first.communicate(timeout=120)
    assert first.returncode == 1 and "waiting for 3 provider batch(es)" in err, err
    status = json.loads(subprocess.run([sys.executable, "-m", "council", "status", str(run_dir), "--json"],
                                       capture_output=True, text=True, check=True).stdout)
    assert [(b["stage"], b["status"]) for b in status["batches"]] == [("respond", "in_progress")] * 3
    assert not status["complete"]
    second = _start(path, run_dir, "--no-wait")  # takes in the answers, sends the judgments
    _, err = second.communicate(timeout=120)
    assert second.returncode == 1 and "waiting for 3 provider batch(es)" in err, err
    final = _start(path, run_dir, progress=None)  # no progress option: a log (not a terminal) hears of batches
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    states = [line for line in err.splitlines() if line.startswith("batch ")]
    assert sum("(judge, alpha, 12 lines): completed" in line for line in states) == 1, err
    _each_key_sent_once(provider, run_dir)


def test_sigkill_after_a_batch_is_created_but_before_it_is_recorded(council_file, provider, tmp_path):
    provider.faults.slow_batch_create = 2.0  # the batch exists at the provider while the client waits
    path = council_file(members=_members(), batches=FAST)
    run_dir = tmp_path / "run"
    process = _start(path, run_dir)
    _kill_when(process, lambda: any(row[1] and not row[2] for row in _batches(run_dir / "council.db"))
               and len(provider.batches) >= 1)
    assert len(provider.batches) == 1 and not any(row[2] for row in _batches(run_dir / "council.db"))
    provider.faults.slow_batch_create = 0.0
    final = _start(path, run_dir)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    _each_key_sent_once(provider, run_dir)
    adopted = _read(run_dir, "SELECT provider_batch_id FROM batches WHERE id = 1")[0][0]
    assert adopted == "batch-1"  # found at the provider by its input file, not sent again


def test_sigkill_while_taking_in_a_finished_batch(council_file, provider, tmp_path):
    provider.faults.slow_batch_output = 2.0
    path = council_file(members=_members(), batches=FAST)
    run_dir = tmp_path / "run"
    process = _start(path, run_dir)
    _kill_when(process, lambda: any(row[3] == "completed" and row[4] is None
                                    for row in _batches(run_dir / "council.db")))
    assert not _read(run_dir, "SELECT count(*) FROM responses")[0][0]
    provider.faults.slow_batch_output = 0.0
    final = _start(path, run_dir)
    _, err = final.communicate(timeout=120)
    assert final.returncode == 0, err
    _each_key_sent_once(provider, run_dir)
    attempts = _read(run_dir, "SELECT DISTINCT attempts FROM calls WHERE stage != 'compose'")
    assert attempts == [(1,)]  # each batch line counted once, though its batch was read twice


def test_what_a_batch_did_not_answer_is_asked_directly(council_file, provider, tmp_path):
    provider.faults.failed_batches, provider.faults.expired_batches = 1, 1
    direct = run(load_config(council_file(members=_members(False), name="direct.yaml")), tmp_path / "direct",
                 progress=False)
    before = len(provider.requests)
    report = run(load_config(council_file(members=_members(), batches=FAST)), tmp_path / "run", progress=False)
    assert direct.complete and report.complete
    assert _read(tmp_path / "run", VOTES) == _read(tmp_path / "direct", VOTES)
    statuses = _read(tmp_path / "run", "SELECT status FROM batches ORDER BY id")
    assert [s for (s,) in statuses][:2] == ["failed", "expired"]
    # The 12 answers of the two batches that did not answer were asked directly, once each.
    respond_direct = [r.key for r in provider.requests[before:] if r.kind == "respond" and r.key and "/" in r.key]
    assert len(respond_direct) == len(set(respond_direct)) == 12


def test_a_member_litellm_cannot_batch_is_bad_input(council_file, cli):
    path = council_file(members=[{"name": "alpha", "model": "ollama/llama3", "batch": True}, "beta"])
    result = cli("run", path, "--run-dir", path.parent / "run")
    assert result.exit_code == 2
    assert "members.0.batch" in result.output and "ollama/llama3" in result.output


def test_plan_prices_respond_and_judge_calls_in_batches(council_file, cli):
    path = council_file(members=_members(False), judge={"max_reasks": 1})
    result = cli("plan", path, "--json")
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    rows = {(r["stage"], r["member"]): r for r in plan["rows"]}
    compose, respond, judge = (rows[(stage, "alpha")] for stage in ("compose", "respond", "judge"))
    assert compose["batch_cost_usd"] is None  # composing is never batched
    assert respond["batch_cost_usd"] == pytest.approx(respond["cost_usd"] / 2)
    # A judgment's first ask is batched; the re-ask it may need is asked directly, at full price.
    assert respond["cost_usd"] / 2 < judge["cost_usd"] / 2 < judge["batch_cost_usd"] < judge["cost_usd"]
    total = plan["total"]
    assert total["cost_usd_with_batch"] == pytest.approx(
        sum(r["batch_cost_usd"] if r["batch_cost_usd"] is not None else r["cost_usd"] for r in plan["rows"]))
    text = cli("plan", path).output
    assert "in batches" in text and f"${total['cost_usd_with_batch']:.2f}" in text


def test_the_budget_caps_what_batches_may_bill(council_file, provider, tmp_path):
    from council.engine.plan import price_plan

    plan = price_plan(load_config(council_file(members=_members(), batches=FAST))).to_dict()
    by_stage = {stage: sum(r["batch_cost_usd"] or r["cost_usd"] for r in plan["rows"] if r["stage"] == stage)
                for stage in ("compose", "respond", "judge")}
    cap = by_stage["compose"] + by_stage["respond"] + 0.4 * by_stage["judge"]
    path = council_file(members=_members(), batches=FAST, budget={"max_usd": cap}, name="capped.yaml")
    report = run(load_config(path), tmp_path / "capped", progress=False)
    assert report.stopped == "budget" and not report.complete
    # Lines are sent only while the most they may bill fits: some judgments were not sent.
    sent = _read(tmp_path / "capped", "SELECT count(*) FROM batch_lines l JOIN calls c ON c.key = l.key "
                                      "WHERE c.stage = 'judge'")[0][0]
    assert 0 < sent < report.status.to_dict()["stages"]["judge"]["total"]
    # What the live batches may bill is held against the cap by the next run too: it
    # collects them and sends no more than fits.
    again = run(load_config(path), tmp_path / "capped", progress=False)
    assert again.stopped == "budget"
    spent = _read(tmp_path / "capped", "SELECT sum(cost_usd) FROM calls")[0][0]
    assert spent <= cap

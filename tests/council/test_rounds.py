"""Scheduled councils: rounds of a series, the call cache, history, drift alarms, the site."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from council.store.frames import open_run

MEMBERS = [{"name": name, "temperature": 0, "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
           for name in ("alpha", "beta", "gamma", "delta")]


def _judge_cost(run_dir) -> float:
    conn = sqlite3.connect(run_dir / "council.db")
    try:
        return conn.execute("SELECT sum(cost_usd) FROM calls WHERE stage = 'judge'").fetchone()[0]
    finally:
        conn.close()


def test_three_rounds_find_the_member_served_differently_and_nothing_else(cli, council_file, provider, tmp_path):
    path = council_file(members=MEMBERS)
    series = tmp_path / "series"
    first = cli("round", path, "--series", series)
    assert first.exit_code == 0, first.output
    assert "round 1 (started)" in first.output
    judged_first = provider.count("judge", 200)
    assert judged_first > 0

    # Round 2, nothing changed: respondents answer again, every judgment comes from the cache.
    provider.reset()
    second = cli("round", path, "--series", series)
    assert second.exit_code == 0, second.output
    assert provider.count("respond", 200) > 0 and provider.count("judge") == 0 and provider.count("compose") == 0
    assert _judge_cost(series / "rounds" / "0002") == 0
    status = json.loads(cli("status", series / "rounds" / "0002", "--json").output)
    assert status["stages"]["judge"]["cache_hits"] == status["stages"]["judge"]["total"] > 0
    assert "from the call cache" in second.output

    # Round 3: the provider quietly serves beta by a weaker model under the same name.
    provider.faults.served_as = {"beta": "beta-v2"}
    provider.faults.strengths["beta-v2"] = -2.5
    provider.reset()
    third = cli("round", path, "--series", series)
    assert third.exit_code == 0, third.output
    drift_keys = [k for k in provider.keys(200) if k and "@drift" in k]
    assert drift_keys and all("beta@drift" in k for k in drift_keys)  # only changed answers are re-checked

    result = cli("history", series, "--json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.output)
    assert set(history) == {"series", "rounds", "changes", "drift"}
    assert [r["round"] for r in history["rounds"]] == [1, 2, 3]
    assert set(history["rounds"][0]) == {"round", "started_at", "completed_at", "config_hash", "n_votes",
                                         "separability", "models"}
    assert set(history["rounds"][0]["models"][0]) == {"model", "rank", "rank_lower", "rank_upper", "tier", "score",
                                                      "score_lower", "score_upper", "provider_model"}
    changes = {(c["model"], c["to_round"]): c for c in history["changes"]}
    assert not any(c["significant"] for c in history["changes"] if c["to_round"] == 2)
    assert changes[("beta", 3)]["significant"] and changes[("beta", 3)]["score_delta"] < 0
    assert [m for (m, r), c in changes.items() if r == 3 and c["significant"]] == ["beta"]
    alarms = {(d["member"], d["kind"]) for d in history["drift"]}
    assert alarms == {("beta", "provider_model"), ("beta", "answers")}
    assert all(d["round"] == 3 for d in history["drift"])
    beta = next(m for m in history["rounds"][2]["models"] if m["model"] == "beta")
    assert "beta-v2" in beta["provider_model"]

    failing = cli("history", series, "--fail-on-change")
    assert failing.exit_code == 3 and "beta" in failing.output
    text = cli("history", series)
    assert text.exit_code == 0 and "significant" in text.output and "alarm: beta" in text.output


def test_history_passes_when_nothing_changed(cli, council_file, tmp_path):
    path = council_file(members=MEMBERS)
    series = tmp_path / "series"
    for _ in range(2):
        assert cli("round", path, "--series", series).exit_code == 0
    assert cli("history", series, "--fail-on-change").exit_code == 0
    # Times as a person reads them (local, to the minute); JSON keeps ISO to the microsecond.
    stamps = [r["completed_at"] for r in json.loads(cli("history", series, "--json").output)["rounds"]]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+\+00:00", stamp) for stamp in stamps)
    text = cli("history", series).output
    shown = re.findall(r"completed (\d{4}-\d\d-\d\d \d\d:\d\d)( \S+)?,", text)
    assert len(shown) == 2 and not any(stamp in text for stamp in stamps)
    site = tmp_path / "site"
    assert cli("site", series, "--out", site, "--trials", "2").exit_code == 0
    index = (site / "index.html").read_text()
    assert shown[-1][0] in index and not any(stamp in index for stamp in stamps)


def test_a_round_scored_by_an_older_definition_is_scored_again_when_read(cli, council_file, tmp_path):
    import sqlite3

    from council.engine.rounds import round_snapshots
    from council.store.db import DB_NAME
    from scoring import SCORES_VERSION

    series = tmp_path / "series"
    assert cli("round", council_file(members=MEMBERS), "--series", series).exit_code == 0
    (number, path, fresh), = round_snapshots(series)
    assert fresh["scores_version"] == SCORES_VERSION
    # What an older release stored: no version, and points made another way.
    old = {key: value for key, value in fresh.items() if key != "scores_version"}
    old["models"] = [{**model, "score": 9999.0} for model in fresh["models"]]
    with sqlite3.connect(path / DB_NAME) as conn:
        conn.execute("UPDATE round_snapshot SET snapshot_json = ?", (json.dumps(old),))
    (_, _, read), = round_snapshots(series)
    assert read["models"] == fresh["models"] and read["completed_at"] == fresh["completed_at"]
    assert "9999" not in cli("history", series).output


def test_refresh_replaces_a_share_of_the_items_with_fresh_seeds(cli, council_file, tmp_path):
    path = council_file(members=MEMBERS[:3], rounds={"refresh": 0.34, "drift_checks": 2},
                        test_set={"seeds": "seeds.jsonl", "items_per_author": 1})
    series = tmp_path / "series"
    for _ in range(2):
        result = cli("round", path, "--series", series)
        assert result.exit_code == 0, result.output

    def items(number):
        conn = sqlite3.connect(series / "rounds" / f"{number:04d}" / "council.db")
        try:
            return dict(conn.execute("SELECT id, seed_id FROM items").fetchall())
        finally:
            conn.close()

    first, second = items(1), items(2)
    kept = set(first) & set(second)
    assert len(first) == len(second) == 3 and len(kept) == 2  # one of three items replaced
    fresh = [second[i] for i in set(second) - kept]
    assert all(seed not in set(first.values()) for seed in fresh)  # fresh items come from unused seeds


def test_a_frozen_set_cannot_refresh(cli, council_file, tmp_path):
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps({"id": f"q{i}", "text": f"Question {i}?"}) + "\n" for i in range(3)))
    path = council_file(members=MEMBERS[:3], test_set={"items": "items.jsonl"}, rounds={"refresh": 0.3})
    result = cli("round", path, "--series", tmp_path / "series")
    assert result.exit_code == 2 and "rounds.refresh" in result.output


def test_a_second_round_process_on_one_series_exits_2(cli, council_file, provider, tmp_path):
    import subprocess
    import sys
    import time

    provider.faults.latency = 0.2
    path = council_file(members=MEMBERS[:3])
    series = tmp_path / "series"
    first = subprocess.Popen([sys.executable, "-m", "council", "round", str(path), "--series", str(series),
                              "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while provider.count() == 0 and time.time() < deadline:  # the first process holds the series
            time.sleep(0.01)
        second = cli("round", path, "--series", series)
        assert second.exit_code == 2 and "another council process" in second.output
    finally:
        first.kill()
        first.wait(30)


def test_members_may_join_and_leave_between_rounds(cli, council_file, tmp_path):
    series = tmp_path / "series"
    assert cli("round", council_file(members=MEMBERS[:3]), "--series", series).exit_code == 0
    joined = council_file(members=MEMBERS, name="joined.yaml")
    assert cli("round", joined, "--series", series).exit_code == 0
    left = council_file(members=[MEMBERS[0], MEMBERS[2], MEMBERS[3]], name="left.yaml")
    assert cli("round", left, "--series", series).exit_code == 0
    history = json.loads(cli("history", series, "--json").output)
    ranked = [sorted(m["model"] for m in entry["models"]) for entry in history["rounds"]]
    assert ranked == [["alpha", "beta", "gamma"], ["alpha", "beta", "delta", "gamma"], ["alpha", "delta", "gamma"]]
    compared = {(c["model"], c["to_round"]) for c in history["changes"]}
    assert ("delta", 2) not in compared and ("delta", 3) in compared and ("beta", 3) not in compared
    with open_run(series / "rounds" / "0003") as store:
        snapshot = store.snapshot()
    assert snapshot["members"] == ["alpha", "gamma", "delta"]
    # The items beta wrote stay in the series: rounds remain comparable.
    with open_run(series / "rounds" / "0001") as first, open_run(series / "rounds" / "0003") as third:
        assert set(first.item_texts().items()) <= set(third.item_texts().items())


def test_history_of_a_directory_without_rounds_is_bad_input(cli, tmp_path):
    result = cli("history", tmp_path)
    assert result.exit_code == 2 and "council round" in result.output


def test_a_killed_round_resumes_the_same_round(cli, council_file, provider, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    path = council_file(members=[{**m, "max_concurrency": 1} for m in MEMBERS[:3]])
    series = tmp_path / "series"
    assert cli("round", path, "--series", series).exit_code == 0
    provider.faults.latency = 0.1
    provider.reset()
    db = series / "rounds" / "0002" / "council.db"
    process = subprocess.Popen([sys.executable, "-m", "council", "round", str(path), "--series", str(series),
                                "--no-progress"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    def stored_answers() -> set[str]:
        if not db.is_file():
            return set()
        conn = sqlite3.connect(db)
        try:
            return {k for (k,) in conn.execute("SELECT key FROM calls WHERE stage = 'respond' AND status = 'ok'")}
        except sqlite3.OperationalError:  # the schema is not there yet
            return set()
        finally:
            conn.close()

    deadline = time.time() + 120
    while process.poll() is None and len(stored_answers()) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert process.poll() is None, "the round finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(30)
    stored = stored_answers()
    assert stored, "nothing was stored before the kill"
    before = provider.keys()
    provider.faults.latency = 0.0
    resumed = cli("round", path, "--series", series)
    assert resumed.exit_code == 0, resumed.output
    assert "round 2 (resumed)" in resumed.output
    assert not (series / "rounds" / "0003").exists()
    asked_again = provider.keys() - before
    assert not stored & set(asked_again), "an answer stored before the kill was asked for again"
    assert cli("round", path, "--series", series).output.startswith("round 3 (started)")


def test_the_site_is_static_and_draws_every_figure(cli, council_file, tmp_path):
    import re

    from tests.council.test_analysis_cli import _chromium, _render

    path = council_file(members=MEMBERS[:3])
    series = tmp_path / "series"
    assert cli("site", series, "--out", tmp_path / "empty").exit_code == 2  # no round yet
    for _ in range(2):
        assert cli("round", path, "--series", series).exit_code == 0
    (tmp_path / "a-file").write_text("")
    blocked = cli("site", series, "--out", tmp_path / "a-file" / "site")
    assert blocked.exit_code == 2 and "a-file" in blocked.output
    out = tmp_path / "site"
    result = cli("site", series, "--out", out, "--trials", "2")
    assert result.exit_code == 0, result.output
    for name in ("index.html", "history.json", "rounds/0001/index.html", "rounds/0002/leaderboard.json"):
        assert (out / name).is_file(), name
    assert json.loads((out / "history.json").read_text()) == json.loads(cli("history", series, "--json").output)
    assert {m["model"] for m in json.loads((out / "rounds/0002/leaderboard.json").read_text())["models"]} == {
        "alpha", "beta", "gamma"}
    index = (out / "index.html").read_text()
    assert index.count("<svg") == 2 and "id='changes'" in index and "id='alarms'" in index
    assert "<script" not in index and not re.search(r"(src|href)=['\"]?https?:", index)
    if _chromium() is None:
        pytest.skip("Debian's chromium is not installed: the site was checked as text only")
    dom = _render(out / "index.html", tmp_path / "shot.png")
    assert dom.count("<svg") == 2 and "Over rounds" in dom and "round 2" in dom
    assert (tmp_path / "shot.png").stat().st_size > 20_000
    page = _render(out / "rounds" / "0001" / "index.html", tmp_path / "round.png")
    assert "Leaderboard" in page and page.count("<svg") >= 6


def test_the_schedule_examples_run_council_commands_that_exist():
    import yaml

    from council.cli.app import COMMAND_MODULES
    from council.config import load_config
    from tests.council.conftest import ROOT

    folder = ROOT / "examples" / "schedule"
    config = load_config(folder / "council.yaml", need_keys=False)
    assert config.rounds.refresh == 0.25 and all(m.temperature == 0 for m in config.members)
    workflow = yaml.safe_load((folder / "github-actions.yml").read_text())
    steps = " ".join(step.get("run", "") for step in workflow["jobs"]["round"]["steps"])
    texts = [steps, (folder / "crontab").read_text(), (folder / "council-round.service").read_text()]
    for text in texts:
        used = re.findall(r"council (\w+) ", text)
        assert {"round", "history", "site"} <= set(used) <= set(COMMAND_MODULES), used
        assert "--fail-on-change" in text and "--series" in text
    assert "OnCalendar=" in (folder / "council-round.timer").read_text()

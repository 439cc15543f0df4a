"""The call cache: shared by runs pointed at one file, keyed by everything that shapes a
reply, never serving answers, and recorded in the ledger as free hits."""

from __future__ import annotations

import json
import sqlite3

MEMBERS = [{"name": name, "temperature": 0, "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6}
           for name in ("alpha", "beta", "gamma")]


def _ledger(run_dir, sql):
    conn = sqlite3.connect(run_dir / "council.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_two_runs_sharing_a_cache_file_pay_once_for_compositions_and_judgments(cli, council_file, provider,
                                                                                 tmp_path):
    path = council_file(members=MEMBERS, cache="shared-cache.sqlite")
    first = cli("run", path, "--run-dir", tmp_path / "first")
    assert first.exit_code == 0, first.output
    sent = provider.count(status=200)
    provider.reset()
    second = cli("run", path, "--run-dir", tmp_path / "second")
    assert second.exit_code == 0, second.output
    # Answers are asked again (never served from the cache); compositions and judgments
    # are identical calls, so all of them come from the file.
    assert provider.count("compose") == 0 and provider.count("judge") == 0
    assert provider.count("respond", 200) == len(_ledger(tmp_path / "second",
                                                         "SELECT key FROM calls WHERE stage = 'respond'"))
    assert provider.count(status=200) < sent
    hits = _ledger(tmp_path / "second", "SELECT stage, count(*), sum(cost_usd), sum(attempts) FROM calls "
                                         "WHERE cache_hits > 0 GROUP BY stage ORDER BY stage")
    assert [row[0] for row in hits] == ["compose", "judge"] and all(row[2] == 0 and row[3] == 0 for row in hits)
    status = json.loads(cli("status", tmp_path / "second", "--json").output)
    assert status["stages"]["judge"]["cache_hits"] == status["stages"]["judge"]["total"]
    assert status["stages"]["respond"]["cache_hits"] == 0
    # The leaderboards agree: the same verdicts, read from the cache.
    boards = [json.loads(cli("score", tmp_path / run, "--json", "--rounds", "50").output)
              for run in ("first", "second")]
    assert [m["model"] for m in boards[0]["models"]] == [m["model"] for m in boards[1]["models"]]


def test_what_shapes_a_reply_is_in_the_key(cli, council_file, provider, tmp_path):
    path = council_file(members=MEMBERS, cache="shared-cache.sqlite")
    assert cli("run", path, "--run-dir", tmp_path / "first").exit_code == 0
    provider.reset()
    capped = council_file(members=MEMBERS, cache="shared-cache.sqlite", judge={"max_tokens": 300}, name="capped.yaml")
    assert cli("run", capped, "--run-dir", tmp_path / "capped").exit_code == 0
    assert provider.count("compose") == 0  # compositions were asked exactly as before
    assert provider.count("judge", 200) > 0  # another output cap is another call


def test_only_temperature_zero_calls_are_served_unless_asked(cli, council_file, provider, tmp_path):
    warm = [{**m, "temperature": 0.7} for m in MEMBERS]
    path = council_file(members=warm, cache="shared-cache.sqlite")
    assert cli("run", path, "--run-dir", tmp_path / "first").exit_code == 0
    provider.reset()
    assert cli("run", path, "--run-dir", tmp_path / "second").exit_code == 0
    assert provider.count("judge", 200) > 0 and provider.count("compose", 200) > 0  # samples are not reused
    anyway = council_file(members=warm, cache={"path": "shared-cache.sqlite", "any_temperature": True},
                          name="anyway.yaml")
    assert cli("run", anyway, "--run-dir", tmp_path / "third").exit_code == 0
    provider.reset()
    assert cli("run", anyway, "--run-dir", tmp_path / "fourth").exit_code == 0
    assert provider.count("judge") == 0 and provider.count("compose") == 0


def test_no_cache_and_a_cache_path_on_the_command_line(cli, council_file, provider, tmp_path):
    path = council_file(members=MEMBERS, cache="shared-cache.sqlite")
    assert cli("run", path, "--run-dir", tmp_path / "first").exit_code == 0
    provider.reset()
    assert cli("run", path, "--run-dir", tmp_path / "second", "--no-cache").exit_code == 0
    assert provider.count("judge", 200) > 0
    provider.reset()
    other = tmp_path / "elsewhere.sqlite"
    assert cli("run", path, "--run-dir", tmp_path / "third", "--cache", other).exit_code == 0
    assert provider.count("judge", 200) > 0 and other.is_file()
    plan = json.loads(cli("plan", path, "--json").output)
    assert plan["cache"]["serves"] == ["alpha", "beta", "gamma"] and plan["cache"]["stored_calls"] > 0
    # A fresh run's compositions are exactly the calls the cache holds; its judgments
    # hang on answers not written yet, so none of them can be counted as held.
    compose = [r for r in plan["rows"] if r["stage"] == "compose"]
    assert all(r["calls"] == 0 and r["cached"] > 0 for r in compose)
    assert all(r["cached"] == 0 for r in plan["rows"] if r["stage"] != "compose")
    assert plan["total"]["cached"] == sum(r["cached"] for r in compose)
    uncached = json.loads(cli("plan", path, "--json", "--no-cache").output)
    assert uncached["cache"] is None and uncached["total"]["calls"] == plan["total"]["calls"] + plan["total"]["cached"]
    assert "call cache:" in cli("plan", path).output and "held by the call cache" in cli("plan", path).output


def test_a_damaged_cache_file_is_one_line_and_exit_2(cli, council_file, tmp_path):
    (tmp_path / "broken.sqlite").write_bytes(b"this is not a database at all" * 100)
    path = council_file(members=MEMBERS, cache="broken.sqlite")
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "broken.sqlite" in result.output and "Traceback" not in result.output


def test_a_member_served_at_another_address_keeps_its_cached_calls(tmp_path):
    """An embedded model is served on a new port every run: the cache keys its calls by
    the member as the council file gives it, so they are the same calls run after run."""
    import asyncio

    from council.config import MemberConfig, RetryConfig
    from council.providers.client import MemberClient
    from council.providers.litellm_adapter import configure
    from council.store.cache import CallCache
    from tests.fake_provider import FakeProvider

    configured = MemberConfig(name="alpha", model="openai/alpha", api_base="http://127.0.0.1:9/v1", temperature=0,
                              timeout=5)
    configure([configured])
    messages = [{"role": "user", "content": "Seed scenario: a friend forgot my birthday."}]
    servers = [FakeProvider().start(), FakeProvider().start()]
    try:
        replies = []
        for server in servers:
            served = configured.model_copy(update={"api_base": server.url})
            cache = CallCache(tmp_path / "cache.sqlite")
            client = MemberClient(served, RetryConfig(), cache=cache, cache_as=configured)
            replies.append(asyncio.run(client.call(messages, key="compose/x", cacheable=True)))
            cache.close()
        assert servers[0].count() == 1 and servers[1].count() == 0
        (first, _), (second, usage) = replies
        assert second.text == first.text and usage.cache_hits == 1 and usage.cost_usd == 0
    finally:
        for server in servers:
            server.stop()

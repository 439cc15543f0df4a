"""Faults a run meets unattended, against the test provider: each handled by its kind
and scope, and nothing secret or half-written left behind."""

from __future__ import annotations

import pytest

from council.store.frames import open_run


@pytest.mark.parametrize("key", ["sk-council-test-0123456789abcdef", "plain-secret-value-42"])
def test_a_key_repeated_in_a_provider_error_is_never_stored_printed_or_exported(
    cli, council_file, provider, tmp_path, monkeypatch, key
):
    monkeypatch.setenv("COUNCIL_TEST_KEY", key)
    provider.faults.echo_key_models = {"beta"}
    members = ["alpha", {"name": "beta", "api_key_env": "COUNCIL_TEST_KEY"}, "gamma"]
    run_dir = tmp_path / "run"
    result = cli("run", council_file(members=members), "--run-dir", run_dir)
    assert result.exit_code == 1 and "Incorrect API key provided" in result.stderr
    assert key not in result.output + result.stderr and "[redacted]" in result.stderr
    with open_run(run_dir) as store:
        errors = [e for e in store.calls["error"].to_list() if e]
    assert errors and not any(key in e for e in errors)
    assert cli("export", run_dir, "--out", tmp_path / "out").exit_code == 0
    assert key not in (tmp_path / "out" / "calls.jsonl").read_text()


def _status(cli, run_dir) -> dict:
    import json

    return json.loads(cli("status", run_dir, "--json").stdout)


def test_a_refused_request_fails_its_unit_only_and_is_given_up_after_max_rejections(cli, council_file, provider,
                                                                                   tmp_path):
    """A content filter on one item is that item's problem: the member answers the rest,
    the refusal is retried on the next runs, then given up without blocking completion."""
    provider.faults.refuse_containing = "flatmate"  # one seed of six
    path = council_file(retry={"max_attempts": 3, "base_delay": 0.01, "max_delay": 0.1, "max_rejections": 2})
    run_dir = tmp_path / "run"
    first = cli("run", path, "--run-dir", run_dir)
    assert first.exit_code == 1
    status = _status(cli, run_dir)
    compose = status["stages"]["compose"]
    assert compose["failed"] == 1 and compose["failures"] == {"rejected": 1} and compose["given_up"] == 0
    assert status["stages"]["respond"]["done"] == 5 * 3, "the refusing member answered everything else"
    refusals = provider.count(status=400)
    assert refusals == 1, "a refusal is not retried within a run"
    second = cli("run", path, "--run-dir", run_dir)
    assert provider.count(status=400) == 2 and second.exit_code == 0, second.output
    status = _status(cli, run_dir)
    assert status["complete"] and status["stages"]["compose"]["given_up"] == 1
    assert "1 given up" in second.output and "1 rejected" in second.output
    provider.reset()
    assert cli("run", path, "--run-dir", run_dir).exit_code == 0 and provider.count() == 0


@pytest.mark.parametrize("fault", ["empty_choices_first", "null_content_first", "malformed_first"])
def test_empty_null_and_malformed_replies_are_transient(cli, council_file, provider, tmp_path, fault):
    setattr(provider.faults, fault, 3)
    run_dir = tmp_path / "run"
    result = cli("run", council_file(), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    status = _status(cli, run_dir)
    assert status["complete"] and status["stages"]["judge"]["unparseable"] == 0


def test_an_unreadable_retry_after_falls_back_to_backoff(cli, council_file, provider, tmp_path):
    provider.faults.rate_limit_first, provider.faults.retry_after_text = 4, "soon"
    result = cli("run", council_file(), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output


def test_timeout_is_a_deadline_for_the_whole_attempt(cli, council_file, provider, tmp_path):
    import time

    provider.faults.trickle_first, provider.faults.trickle_interval = 1, 0.3
    members = [{"name": n, "timeout": 1.5} for n in ("alpha", "beta", "gamma")]
    started = time.monotonic()
    result = cli("run", council_file(members=members), "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 25, "a trickling reply must be cut at the timeout, not after 36 s"
    with open_run(tmp_path / "run") as store:
        assert store.calls["attempts"].sum() == 60 + 1


def test_an_exhausted_quota_pauses_the_member_once_not_per_unit(cli, council_file, provider, tmp_path):
    import time

    provider.faults.quota_models, provider.faults.retry_after = {"beta"}, 0.2
    path = council_file(retry={"max_attempts": 3, "base_delay": 0.05, "max_delay": 0.2, "rate_limit_patience": 1.0})
    started = time.monotonic()
    result = cli("run", path, "--run-dir", tmp_path / "run")
    elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert result.stderr.count("quota exhausted?") == 1, result.stderr
    assert elapsed < 20, f"the other units must not each wait out the patience ({elapsed:.0f} s)"
    assert provider.count(status=429) < 30


def test_a_removed_members_failed_work_is_a_leftover_not_a_block(cli, council_file, provider, tmp_path):
    """Remove a member whose calls had failed: the run completes, and status reports
    what the ledger still holds of it without counting it as work to do."""
    provider.faults.reject_models = {"delta"}
    run_dir = tmp_path / "run"
    assert cli("run", council_file(members=("alpha", "beta", "gamma", "delta")), "--run-dir", run_dir).exit_code == 1
    result = cli("run", council_file(members=("alpha", "beta", "gamma")), "--run-dir", run_dir)
    assert result.exit_code == 0, result.output
    status = _status(cli, run_dir)
    assert status["complete"]
    assert status["stages"]["compose"]["leftover"] >= 1 and status["stages"]["compose"]["failed"] == 0
    assert status["stages"]["judge"]["done"] == status["stages"]["judge"]["total"]

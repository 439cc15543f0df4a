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

"""``budget.max_usd`` is a cap on what the provider can bill, and the ledger holds every
paid attempt at its billed cost."""

from __future__ import annotations

import pytest

from council.store.frames import open_run

PRICES = {"input_cost_per_token": 1e-6, "output_cost_per_token": 1e-5}
NAMES = ("alpha", "beta", "gamma")


def _members(**extra):
    return [{"name": n, **PRICES, **extra} for n in NAMES]


def test_verbose_replies_cannot_bill_past_the_budget(cli, council_file, provider, tmp_path):
    """A provider that writes 20,000 tokens whenever it may: every call sends max_tokens,
    reservations are made by it, so the bill stays under the cap."""
    provider.faults.verbose_tokens = 20_000
    run_dir = tmp_path / "run"
    result = cli("run", council_file(members=_members(), budget={"max_usd": 0.05}), "--run-dir", run_dir)
    assert result.exit_code == 1 and "budget" in result.stderr
    billed = provider.billed(PRICES["input_cost_per_token"], PRICES["output_cost_per_token"])
    with open_run(run_dir) as store:
        recorded = store.calls["cost_usd"].sum()
    assert billed <= 0.05, f"the provider billed ${billed:.4f} against a $0.05 cap"
    assert recorded == pytest.approx(billed)
    assert provider.count(status=200) > 3, "the cap stops the run late, not at once"


def test_every_paid_ask_is_in_the_ledger_when_a_reask_fails(cli, council_file, provider, tmp_path):
    provider.faults.unparseable_judges, provider.faults.fail_reasks = {"gamma"}, True
    path = council_file(members=_members(), retry={"max_attempts": 2, "base_delay": 0.01, "max_delay": 0.05})
    run_dir = tmp_path / "run"
    cli("run", path, "--run-dir", run_dir)
    billed = provider.billed(PRICES["input_cost_per_token"], PRICES["output_cost_per_token"])
    with open_run(run_dir) as store:
        calls = store.calls
    assert (calls["status"] == "retryable_error").sum() > 0, "gamma's re-asks failed"
    assert calls["cost_usd"].sum() == pytest.approx(billed), "a failed re-ask must not drop the paid first ask"


def test_a_cap_needs_a_price_for_every_remote_member(cli, council_file, provider, tmp_path):
    remote = provider.url.replace("127.0.0.1", "127.0.0.2")  # loopback, but not "local" to Council's rule
    members = [*_members()[:2], {"name": "gamma", "api_base": remote}]
    result = cli("run", council_file(members=members, budget={"max_usd": 1}), "--run-dir", tmp_path / "run")
    assert result.exit_code == 2 and "field 'members.2.model'" in result.output and "no price" in result.output
    assert not (tmp_path / "run").exists() and provider.count() == 0

"""`council plan` is the run's own planning: its counts are the calls a run makes, and
its tokens are what the budget reserves."""

from __future__ import annotations

from collections import Counter

import pytest

from council.config import load_config
from council.engine.budget import call_cost_estimate
from council.engine.execution import read_state
from council.engine.plan import plan_calls, planned_units
from council.engine.runner import run
from council.stages import STAGES
from council.stages.base import StageContext
from council.store.db import DB_NAME
from council.store.frames import open_run
from council.store.ledger import Ledger

PAIRINGS = {
    "all_pairs": {"pairing": "all_pairs"},
    "reference": {"pairing": "reference", "reference": "beta"},
    "sampled": {"pairing": "sampled", "pairs_per_item": 2},
}
MEMBERS = ("alpha", "beta", "gamma", "delta")


@pytest.mark.parametrize("pairing", sorted(PAIRINGS))
def test_plan_counts_are_the_calls_the_run_makes(council_file, tmp_path, pairing):
    config = load_config(council_file(members=MEMBERS, judge=PAIRINGS[pairing]))
    planned = {(row.stage, row.member): row.calls for row in plan_calls(config)}
    report = run(config, tmp_path / "run", progress=False)
    assert report.complete
    with open_run(tmp_path / "run") as store:
        made = Counter(zip(store.calls["stage"].to_list(), store.calls["member"].to_list()))
    assert {key: n for key, n in planned.items() if n} == dict(made)


def test_plan_tokens_are_what_the_budget_reserves(council_file, tmp_path):
    """With the items and answers a run stored, the plan's units are the run's units:
    the same count, tokens and reservation for each."""
    members = [{"name": n, "input_cost_per_token": 1e-6, "output_cost_per_token": 2e-6, "max_tokens": 300}
               for n in MEMBERS]
    config = load_config(council_file(members=members, respond={"word_limit": 60}))
    run(config, tmp_path / "run", progress=False)
    with Ledger.read(tmp_path / "run" / DB_NAME) as ledger:
        state, ctx = read_state(ledger), StageContext.open(config)
    plan = planned_units(config)
    for stage in STAGES:
        units = {unit.key: unit for unit in stage.plan(ctx, state)}
        assert units.keys() == {unit.key for unit in plan[stage.name]}
        for planned in plan[stage.name]:
            made = units[planned.key]
            assert made.expected_output_tokens == planned.expected_output_tokens
            member = config.member(made.member)
            if stage.name == "compose":  # the only texts a plan knows before the run writes them
                assert call_cost_estimate(member, made) == call_cost_estimate(member, planned)
    # Answers are capped: the plan reserves the cap the respond stage sends, not more.
    respond = plan["respond"][0]
    assert respond.expected_output_tokens == 2 * 60 + 16


def test_plan_of_a_frozen_item_set_knows_every_respond_prompt(council_file, tmp_path):
    config = load_config(council_file())
    run(config, tmp_path / "first", progress=False)
    from click.testing import CliRunner

    from council.cli import main

    frozen = tmp_path / "items.jsonl"
    freeze = CliRunner().invoke(main, ["dilemmas", "freeze", str(tmp_path / "first"), "--out", str(frozen)])
    assert freeze.exit_code == 0, freeze.output
    reuse = load_config(council_file(name="frozen.yaml", test_set={"items": str(frozen)}))
    plan = planned_units(reuse)
    assert plan["compose"] == []
    run(reuse, tmp_path / "second", progress=False)
    with open_run(tmp_path / "second") as store:
        assert store.calls.filter(store.calls["stage"] == "compose")["member"].to_list()  # imported, not called
    state = read_state(Ledger.read(tmp_path / "second" / DB_NAME))
    made = STAGES[1].plan(StageContext.open(reuse), state)
    planned = plan["respond"]
    assert [(u.key, u.expected_input_tokens) for u in made] == [(u.key, u.expected_input_tokens) for u in planned]


def test_a_plan_of_hosted_members_needs_no_network_and_prices_an_empty_row_at_zero(tmp_path):
    """A plan spends nothing and prices with the price list litellm ships: it never
    fetches one (here, with no network, that cost seconds of retries and warnings).
    A member with no calls in a stage costs $0 there; it is not "unpriced"."""
    import json

    from tests.council.conftest import run_council

    path = tmp_path / "hosted.yaml"
    path.write_text(
        "name: hosted\nmembers:\n"
        "  - {name: mini, model: openai/gpt-4o-mini, api_key_env: OPENAI_API_KEY}\n"
        "  - {name: haiku, model: anthropic/claude-haiku-4-5, api_key_env: ANTHROPIC_API_KEY}\n"
    )
    result = run_council("plan", path, "--json")
    assert result.returncode == 0, result.stderr
    assert "cost map" not in result.stderr and "WARNING" not in result.stderr
    plan = json.loads(result.stdout)
    judges = [row for row in plan["rows"] if row["stage"] == "judge"]
    assert all(row["calls"] == 0 and row["cost_usd"] == 0 for row in judges)  # two members: nobody else to judge
    assert plan["total"]["unpriced_members"] == [] and plan["total"]["cost_usd"] > 0

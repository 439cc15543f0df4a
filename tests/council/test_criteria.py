"""A verdict per criterion from one call (``judge.per_criterion``): the same calls as
without it (a larger output cap, never k calls), a re-ask when a criterion is missing,
each criterion ranked on its own (`--criterion`, `--by criterion`), judged for bias, and
exported as votes with a criterion column that score back to the same leaderboard."""

from __future__ import annotations

import csv
import json

from council.stages.verdicts import parse_verdict, verdict_schema

TASK = {"name": "support", "instructions": "Resolve the customer's problem.", "criteria": ["accuracy", "empathy"]}


def _council(council_file, per_criterion: bool, name: str, **judge):
    return council_file(task=TASK, judge={"per_criterion": per_criterion, **judge}, name=name)


def test_a_verdict_per_criterion_costs_no_extra_call(council_file, provider, tmp_path, cli):
    plain, criteria = _council(council_file, False, "plain.yaml"), _council(council_file, True, "criteria.yaml")
    rows = {path: {(r["stage"], r["member"]): r for r in json.loads(cli("plan", path, "--json").output)["rows"]}
            for path in (plain, criteria)}
    assert {key: r["calls"] for key, r in rows[plain].items()} == {key: r["calls"] for key, r in rows[criteria].items()}
    judge = ("judge", "alpha")
    assert rows[criteria][judge]["output_tokens"] == rows[plain][judge]["output_tokens"] + \
        rows[plain][judge]["calls"] * 3 * 2 * 24  # every ask (max_reasks 2) may bill 24 more tokens per criterion
    made = {}
    for path, run_dir in ((plain, "plain-run"), (criteria, "criteria-run")):
        provider.reset()
        assert cli("run", path, "--run-dir", tmp_path / run_dir, "--no-progress").exit_code == 0
        made[path] = provider.count("judge")
    assert made[plain] == made[criteria] == sum(r["calls"] for (stage, _), r in rows[plain].items() if stage == "judge")


def test_each_criterion_ranks_on_its_own_and_exports_as_votes(council_file, provider, tmp_path, cli):
    provider.faults.reversed_criteria = {"empathy"}  # the weaker answer reads kinder
    run_dir = tmp_path / "run"
    assert cli("run", _council(council_file, True, "c.yaml"), "--run-dir", run_dir, "--no-progress").exit_code == 0

    def first(*args):
        data = json.loads(cli("score", run_dir, *args, "--json", "--rounds", "200").output)
        return data["models"][0]["model"], data

    overall, _ = first()
    accuracy, data = first("--criterion", "accuracy")
    empathy, _ = first("--criterion", "empathy")
    assert overall == accuracy == "alpha" and empathy == "gamma" and data["criterion"] == "accuracy"
    sliced = json.loads(cli("score", run_dir, "--by", "criterion", "--json", "--rounds", "200").output)
    assert {s["slice"]: s["models"][0]["model"] for s in sliced["slices"]} == {"accuracy": "alpha", "empathy": "gamma"}
    judges = json.loads(cli("judges", run_dir, "--criterion", "empathy", "--json", "--rounds", "200",
                            "--judge-rounds", "50").output)
    assert judges["criterion"] == "empathy" and {"position_bias_first", "agreement"} <= set(judges["judges"][0])
    unknown = cli("score", run_dir, "--criterion", "speed")
    assert unknown.exit_code == 2 and "its criteria: accuracy, empathy" in unknown.output

    assert cli("export", run_dir, "--format", "csv", "--out", tmp_path / "out").exit_code == 0
    with open(tmp_path / "out" / "votes.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {row["criterion"] for row in rows} == {"", "accuracy", "empathy"}
    assert sum(row["criterion"] == "" for row in rows) * 3 == len(rows)
    exported = json.loads(cli("score", tmp_path / "out" / "votes.csv", "--criterion", "empathy", "--json",
                              "--rounds", "200").output)
    again = json.loads(cli("score", run_dir, "--criterion", "empathy", "--json", "--rounds", "200").output)
    assert exported["models"] == again["models"]
    overall_file = json.loads(cli("score", tmp_path / "out" / "votes.csv", "--json", "--rounds", "200").output)
    assert overall_file["models"][0]["model"] == "alpha" and overall_file["n_votes"] == again["n_votes"]


def test_a_reply_missing_a_criterion_is_asked_again_and_then_complete(council_file, provider, tmp_path, cli):
    provider.faults.criteria_missing_first = {"alpha", "beta", "gamma"}
    path = _council(council_file, True, "c.yaml", max_reasks=1)
    assert cli("run", path, "--run-dir", tmp_path / "run", "--no-progress").exit_code == 0
    judged = json.loads(cli("status", tmp_path / "run", "--json").output)["stages"]["judge"]["done"]
    assert provider.count("judge") == 2 * judged  # each unit: the first ask, then one re-ask
    exported = cli("export", tmp_path / "run", "--format", "jsonl", "--out", tmp_path / "out")
    assert exported.exit_code == 0
    rows = [json.loads(line) for line in (tmp_path / "out" / "votes.jsonl").read_text().splitlines()]
    assert all(row["verdict"] is not None for row in rows if row["criterion"])


def test_per_criterion_needs_criteria_and_says_so(council_file, cli, tmp_path):
    path = council_file(task={"name": "plain", "instructions": "Answer well."}, judge={"per_criterion": True})
    result = cli("plan", path)
    assert result.exit_code == 2 and "judge.per_criterion" in result.output and "no criteria" in result.output


def test_the_parser_reads_each_criterion_strictly():
    criteria = ("accuracy", "Empathy and tone")
    reply = json.dumps({"reasoning": "r", "criteria": {"ACCURACY": "A>B", "empathy  and tone": "[[B>>A]]"},
                        "verdict": "A>B"})
    parsed = parse_verdict(reply, False, criteria)
    assert parsed.complete and dict(parsed.criteria) == {"accuracy": "A>B", "Empathy and tone": "B>>A"}
    tie = parse_verdict(json.dumps({"reasoning": "r", "criteria": {"accuracy": "A=B"}, "verdict": "A>B"}), False,
                        criteria)
    assert tie.label == "A>B" and dict(tie.criteria) == {"accuracy": None, "Empathy and tone": None}
    assert not tie.complete
    tagged = parse_verdict("I weigh it all: [[A>B]]", False, criteria)
    assert tagged.label == "A>B" and not tagged.complete  # a criterion is never read from a tag
    schema = verdict_schema(False, criteria=criteria)
    assert list(schema["properties"]) == ["reasoning", "criteria", "verdict"]
    assert schema["properties"]["criteria"]["required"] == list(criteria)


def test_turning_per_criterion_on_redoes_the_judgments_it_changes(council_file, provider, tmp_path, cli):
    run_dir = tmp_path / "run"
    assert cli("run", _council(council_file, False, "a.yaml"), "--run-dir", run_dir, "--no-progress").exit_code == 0
    again = cli("run", _council(council_file, True, "b.yaml"), "--run-dir", run_dir, "--no-progress")
    assert again.exit_code == 0 and "changed: judge: 12 unit(s) of 'alpha' — the prompt templates" in again.output
    assert json.loads(cli("score", run_dir, "--by", "criterion", "--json", "--rounds", "200").output)["slices"]

"""Ranking answers you already have (`candidates:`), with a task of your own (`task:`),
through `council run` and the real litellm path to the test provider."""

from __future__ import annotations

import json

import pytest
import yaml

from council.prompts.tasks import builtin_task

ITEMS = [{"id": f"q{i}", "text": f"Question {i}: my order number {i} arrived broken. What now?"} for i in range(1, 6)]
STRENGTHS = {"bot-good": 1.5, "bot-mid": 0.0, "bot-bad": -1.5}


def _answers(name: str, skip: tuple[str, ...] = ()) -> list[dict]:
    return [{"item": item["id"], "answer": f"(answer signed by {name}) Sorry about order {item['id']}. We will help."}
            for item in ITEMS if item["id"] not in skip]


def _jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))


@pytest.fixture
def candidates_council(tmp_path, provider):
    """A jury of two judges over three candidates' answer files; returns a writer."""
    provider.faults.strengths.update(STRENGTHS)
    _jsonl(tmp_path / "items.jsonl", ITEMS)

    def write(skip: dict | None = None, task: object = None, **sections):
        (tmp_path / "answers").mkdir(exist_ok=True)
        candidates = []
        for name in STRENGTHS:
            _jsonl(tmp_path / "answers" / f"{name}.jsonl", _answers(name, (skip or {}).get(name, ())))
            candidates.append({"name": name, "answers": f"answers/{name}.jsonl"})
        document = {
            "name": "bots",
            "members": [{"name": j, "model": f"openai/{j}", "api_base": provider.url, "timeout": 5, "roles": ["judge"]}
                        for j in ("judge1", "judge2")],
            "task": task if task is not None else {
                "name": "support", "instructions": "Judge which reply best resolves the customer's problem.",
                "criteria": ["accuracy", "empathy", "actionability"]},
            "test_set": {"items": "items.jsonl"},
            "candidates": candidates,
            "retry": {"max_attempts": 3, "base_delay": 0.01, "max_delay": 0.1},
            **sections,
        }
        path = tmp_path / "council.yaml"
        path.write_text(yaml.safe_dump(document, sort_keys=False))
        return path

    return write


def test_imported_answers_are_ranked_with_every_judgment(cli, candidates_council, provider, tmp_path):
    path = candidates_council()
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    # 5 items × 3 pairs × 2 orders × 2 judges; no respond calls at all
    assert provider.count("judge", 200) == 5 * 3 * 2 * 2
    assert provider.count("respond") == 0 and provider.count("compose") == 0
    scored = json.loads(cli("score", tmp_path / "run", "--json").stdout)
    assert scored["n_votes"] == 60
    assert [row["model"] for row in scored["models"]] == ["bot-good", "bot-mid", "bot-bad"]
    status = json.loads(cli("status", tmp_path / "run", "--json").stdout)
    assert status["complete"] and status["left_out"]["judgments"] == 0
    assert status["stages"]["respond"] == {**status["stages"]["respond"], "done": 15, "total": 15}


def test_a_custom_task_reaches_every_judge_prompt(cli, candidates_council, provider, tmp_path):
    path = candidates_council()
    assert cli("run", path, "--run-dir", tmp_path / "run").exit_code == 0
    judged = [r for r in provider.requests if r.kind == "judge"]
    assert judged
    for request in judged:
        system = request.messages[0]["content"]
        assert "Judge which reply best resolves the customer's problem." in system
        assert "- accuracy\n- empathy\n- actionability" in system
        assert system.rstrip().endswith('{"reasoning": "<your reasoning>", "verdict": "<verdict>"} and nothing else.')


def test_an_item_a_candidate_did_not_answer_leaves_its_pairs_out(cli, candidates_council, provider, tmp_path):
    path = candidates_council(skip={"bot-mid": ("q2", "q4")})
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "left out: 16 judgment(s)" in result.output and "bot-mid has no answer for 2 item(s)" in result.output
    assert provider.count("judge", 200) == 60 - 2 * 2 * 2 * 2  # 2 items × 2 pairs with bot-mid × 2 orders × 2 judges
    status = json.loads(cli("status", tmp_path / "run", "--json").stdout)
    assert status["complete"]
    assert status["left_out"] == {"judgments": 16, "unanswered": {"bot-mid": 2}}
    scored = cli("score", tmp_path / "run")
    assert "left out" in scored.output and "bot-mid" in scored.output


def test_an_edited_answer_is_judged_again_and_nothing_else(cli, candidates_council, provider, tmp_path):
    path = candidates_council()
    assert cli("run", path, "--run-dir", tmp_path / "run").exit_code == 0
    provider.reset()
    rows = _answers("bot-bad")
    rows[0]["answer"] += " Edited."
    _jsonl(tmp_path / "answers" / "bot-bad.jsonl", rows)
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert "changed" in result.stderr
    assert provider.count("judge", 200) == 2 * 2 * 2  # q1's two pairs with bot-bad, both orders, two judges
    assert cli("run", path, "--run-dir", tmp_path / "run").exit_code == 0
    assert provider.count("judge", 200) == 8


@pytest.mark.parametrize("case, rows, expected", [
    ("unknown item", [{"item": "q9", "answer": "x"}], ":1: field 'item': unknown item 'q9'"),
    ("repeated item", [{"item": "q1", "answer": "x"}, {"item": "q1", "answer": "y"}],
     ":2: field 'item': item 'q1' is answered twice (first on line 1)"),
    ("empty answer", [{"item": "q1", "answer": "x"}, {"item": "q2", "answer": "  "}], ":2: field 'answer': missing"),
    ("not JSON", None, ":1: not valid JSON"),
])
def test_bad_answers_files_name_file_and_line(cli, candidates_council, tmp_path, case, rows, expected):
    path = candidates_council()
    target = tmp_path / "answers" / "bot-mid.jsonl"
    if rows is None:
        target.write_text("{not json\n")
    else:
        _jsonl(target, rows)
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert f"bot-mid.jsonl{expected}" in result.stderr, result.stderr
    assert not (tmp_path / "run" / "council.db").exists()  # nothing half-written


def test_a_candidate_named_like_a_member_is_bad_input(cli, candidates_council, tmp_path):
    path = candidates_council()
    document = yaml.safe_load(path.read_text())
    document["candidates"][0]["name"] = "judge1"
    path.write_text(yaml.safe_dump(document))
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert "council.yaml: field 'candidates'" in result.stderr
    assert "candidate name 'judge1' is taken" in result.stderr


@pytest.mark.parametrize("template, expected", [
    ("[Request]\n$item\n[Response A]\n$answer_a\n", "must use $answer_b"),
    ("$item $answer_a $answer_b $tone", "unknown placeholder $tone"),
    ("$item $answer_a $answer_b costs $ 5", ":1: a '$' that starts no placeholder"),
])
def test_a_bad_template_is_bad_input_naming_file_and_placeholder(cli, candidates_council, tmp_path, template,
                                                                 expected):
    (tmp_path / "judge.txt").write_text(template)
    path = candidates_council(task={"name": "support", "instructions": "Be useful.", "prompts": {"judge": "judge.txt"}})
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 2, result.output
    assert "judge.txt" in result.stderr and expected in result.stderr, result.stderr


def test_a_template_of_your_own_is_what_judges_read(cli, candidates_council, provider, tmp_path):
    (tmp_path / "judge.txt").write_text(
        "[Ticket]\n$item\n[End of ticket]\n\n[Response A]\n$answer_a\n\n[Response B]\n$answer_b\n\nCosts $$5.")
    path = candidates_council(task={"name": "support", "instructions": "Be useful; refunds cost $$.",
                                    "prompts": {"judge": "judge.txt"}})
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    user = next(r for r in provider.requests if r.kind == "judge").messages[1]["content"]
    assert user.startswith("[Ticket]\nQuestion") and user.endswith("Costs $5.")
    assert "refunds cost $$." in next(r for r in provider.requests if r.kind == "judge").messages[0]["content"]


def test_builtin_tasks_have_their_own_rubric_and_seeds(cli):
    listed = json.loads(cli("tasks", "--json").stdout)
    assert [t["name"] for t in listed][:1] == ["emotional-intelligence"] and len(listed) >= 3
    assert all(t["seeds"] >= 30 for t in listed)
    rubrics = {json.loads(cli("tasks", t["name"], "--json").stdout)["prompts"]["judge.system"] for t in listed}
    assert len(rubrics) == len(listed)


def test_a_builtin_task_composes_from_its_own_seeds(cli, council_file, provider, tmp_path):
    path = council_file(task="creative-writing", test_set={"items_per_author": 1})
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    compose = [r for r in provider.requests if r.kind == "compose"]
    seeds = [json.loads(line)["text"] for line in builtin_task("creative-writing").seeds.read_text().splitlines()]
    assert compose and all(any(seed in r.messages[1]["content"] for seed in seeds) for r in compose)
    assert all("short fiction" in r.messages[0]["content"] for r in provider.requests if r.kind == "respond")


def test_an_unknown_task_is_bad_input(cli, council_file, tmp_path):
    result = cli("run", council_file(task="poetry"), "--run-dir", tmp_path / "run")
    assert result.exit_code == 2
    assert "field 'task'" in result.stderr and "unknown task 'poetry'" in result.stderr


def test_candidates_are_ranked_beside_members_that_answer(cli, council_file, provider, tmp_path):
    provider.faults.strengths.update(STRENGTHS)
    _jsonl(tmp_path / "items.jsonl", ITEMS[:3])
    _jsonl(tmp_path / "bot.jsonl", [{"item": row["item"], "answer": row["answer"], "latency_ms": 12}
                                    for row in _answers("bot-good")[:3]])
    path = council_file(members=("alpha", "delta"), test_set={"items": "items.jsonl"},
                        candidates=[{"name": "bot-good", "answers": "bot.jsonl"}])
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert provider.count("respond", 200) == 3 * 2 and provider.count("compose") == 0
    # 3 items × 3 pairs × 2 orders, judged by whoever is not in the pair: alpha or delta
    assert provider.count("judge", 200) == 3 * (1 * 2 * 0 + 2 * 2 * 1)
    scored = json.loads(cli("score", tmp_path / "run", "--json").stdout)
    assert {row["model"] for row in scored["models"]} == {"alpha", "delta", "bot-good"}


def test_a_council_built_in_python_runs_without_a_file(provider, tmp_path):
    import council

    provider.faults.strengths.update(STRENGTHS)
    _jsonl(tmp_path / "items.jsonl", ITEMS[:2])
    for name in ("bot-good", "bot-bad"):
        _jsonl(tmp_path / f"{name}.jsonl", _answers(name)[:2])
    config = council.CouncilConfig(
        name="py", base_dir=str(tmp_path),
        members=[council.Member(name="judge1", model="openai/judge1", api_base=provider.url, roles=("judge",))],
        task=council.Task(name="support", instructions="Resolve it."),
        test_set={"items": "items.jsonl"},
        candidates=[council.CandidateConfig(name="bot-good", answers="bot-good.jsonl"),
                    {"name": "bot-bad", "answers": "bot-bad.jsonl"}],
    )
    report = council.run(config, tmp_path / "run")
    assert report.complete and report.status.to_dict()["stages"]["judge"]["done"] == 2 * 1 * 2 * 1


def test_an_edited_item_is_judged_again_with_its_answers(cli, candidates_council, provider, tmp_path):
    path = candidates_council()
    assert cli("run", path, "--run-dir", tmp_path / "run").exit_code == 0
    provider.reset()
    edited = [dict(item) for item in ITEMS]
    edited[1]["text"] += " Please hurry."
    _jsonl(tmp_path / "items.jsonl", edited)
    result = cli("run", path, "--run-dir", tmp_path / "run")
    assert result.exit_code == 0, result.output
    assert provider.count("judge", 200) == 3 * 2 * 2  # q2 only: 3 pairs × 2 orders × 2 judges
    status = json.loads(cli("status", tmp_path / "run", "--json").stdout)
    assert status["complete"] and status["stages"]["judge"]["done"] == 60

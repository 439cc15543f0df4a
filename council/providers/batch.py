"""A member's provider batch API, through litellm: upload a file of requests, create a
batch, look at it, read its output and error files.

Every request line has OpenAI's shape (``custom_id``, ``method``, ``url``, ``body``);
litellm turns it into each provider's own. What Council sends in a line's body is what
`complete` sends directly, so a batch answers the same calls.
"""

from __future__ import annotations

import gc
import json
import os
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cache
from typing import NamedTuple

from council.config import CouncilConfig, MemberConfig
from council.errors import BadInput
from council.providers.litellm_adapter import Completion, batch_price
from council.providers.params import completion_params
from council.providers.retry import ProviderError, classify
from council.usage import Usage
from council.vocab import ErrorKind

__all__ = [
    "BATCH_PROVIDERS", "TERMINAL_STATES", "BatchState", "LineResult", "batch_provider", "check_batchable", "create",
    "find", "read_lines", "request_line", "retrieve", "upload",
]

#: Providers whose batches litellm 1.110 can create (`litellm.acreate_batch`).
BATCH_PROVIDERS = ("openai", "azure", "vertex_ai", "bedrock", "hosted_vllm", "litellm_proxy", "mistral", "xai")
#: Batch states after which nothing more will be answered.
TERMINAL_STATES = frozenset({"completed", "failed", "expired", "cancelled"})
ENDPOINT = "/v1/chat/completions"


class BatchState(NamedTuple):
    """A provider batch as last seen."""

    batch_id: str
    status: str
    input_file_id: str
    output_file_id: str | None
    error_file_id: str | None
    completed: int
    failed: int
    total: int

    @property
    def done(self) -> bool:
        return self.status in TERMINAL_STATES


class LineResult(NamedTuple):
    """One line's answer: a completion and its usage, or why the line failed."""

    completion: Completion | None
    usage: Usage
    error: str | None = None


@cache
def _placed(model: str, api_base: str | None) -> tuple[str, str | None]:
    """(the model as its provider names it, the litellm provider that would batch it, or
    None if none can): asked once per member, not once per line or call."""
    import litellm

    try:
        name, provider, _, _ = litellm.get_llm_provider(model=model, api_base=api_base)
    except Exception:  # a model string litellm cannot place: it cannot batch it either
        return model, None
    return name, provider if provider in BATCH_PROVIDERS else None


def batch_provider(member: MemberConfig) -> str | None:
    """The litellm provider that would batch this member's calls, or None if it cannot."""
    return _placed(member.model, member.api_base)[1]


def check_batchable(config: CouncilConfig) -> None:
    """A member with ``batch: true`` whose provider litellm cannot batch is `BadInput`."""
    for index, member in enumerate(config.members):
        if member.batch and batch_provider(member) is None:
            raise BadInput(
                f"member {member.name!r} asks for batch: true, but litellm cannot batch {member.model!r} "
                f"(batch providers: {', '.join(BATCH_PROVIDERS)})", field=f"members.{index}.batch",
            )


def request_line(custom_id: str, member: MemberConfig, messages: list[dict], *, response_format: dict | None,
                 max_tokens: int | None) -> dict:
    """One request of a batch input file: the body `complete` would send for this call."""
    params = completion_params(member)
    body: dict = {"model": _placed(member.model, member.api_base)[0], "messages": messages}
    for name in ("temperature", "max_tokens"):
        if name in params:
            body[name] = params[name]
    if max_tokens is not None:
        body["max_tokens"] = min(max_tokens, body.get("max_tokens", max_tokens))
    if response_format is not None:
        body["response_format"] = response_format
    body.update(params.get("extra_body") or {})
    return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": body}


def _common(member: MemberConfig) -> dict:
    params = completion_params(member)
    common = {"custom_llm_provider": batch_provider(member), "timeout": member.timeout}
    for name in ("api_base", "api_key"):
        if name in params:
            common[name] = params[name]
    return common


#: Providers that speak OpenAI's files and batches API themselves: called with the
#: OpenAI SDK, whose client is closed after each call (see `_litellm_call` for why not
#: through litellm).
OPENAI_SHAPED = ("openai", "hosted_vllm", "litellm_proxy")


@contextmanager
def _classified() -> Iterator[None]:
    """A batch call's failure is classified like a completion's."""
    try:
        yield
    except ProviderError:
        raise
    except Exception as error:
        raise classify(error) from None


@contextmanager
def _litellm_call() -> Iterator[None]:
    """A batch call through litellm, and what it leaves open closed.

    litellm 1.110 builds a fresh OpenAI SDK client for each files or batches call and
    never closes it (a passed ``client`` is ignored on that path): its connection pool is
    left to the garbage collector, which warns about every open transport. Collecting
    here, with that one warning ignored, closes them while we know whose they are.
    """
    try:
        with _classified():
            yield
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@asynccontextmanager
async def _sdk(member: MemberConfig) -> AsyncIterator:
    """The OpenAI SDK with a client of its own, closed when the call is done."""
    import openai

    common = _common(member)
    async with openai.AsyncOpenAI(api_key=common.get("api_key") or os.environ.get("OPENAI_API_KEY") or "unset",
                                  base_url=common.get("api_base"), max_retries=0, timeout=member.timeout) as sdk:
        yield sdk


def _openai_shaped(member: MemberConfig) -> bool:
    return batch_provider(member) in OPENAI_SHAPED


def _state(batch) -> BatchState:
    counts = getattr(batch, "request_counts", None)
    return BatchState(
        str(batch.id), str(batch.status), str(batch.input_file_id), getattr(batch, "output_file_id", None),
        getattr(batch, "error_file_id", None), int(getattr(counts, "completed", 0) or 0),
        int(getattr(counts, "failed", 0) or 0), int(getattr(counts, "total", 0) or 0),
    )


async def upload(member: MemberConfig, lines: list[dict]) -> str:
    """Upload a batch input file; returns its file id."""
    import litellm

    content = "".join(json.dumps(line, sort_keys=True) + "\n" for line in lines).encode()
    file = ("council-batch.jsonl", content)
    if _openai_shaped(member):
        with _classified():
            async with _sdk(member) as sdk:
                return str((await sdk.files.create(file=file, purpose="batch")).id)
    with _litellm_call():
        uploaded = await litellm.acreate_file(file=file, purpose="batch", **_common(member))
        file_id = str(uploaded.id)
        del uploaded  # it holds the client litellm left open: collected on the way out
    return file_id


async def create(member: MemberConfig, input_file_id: str, metadata: dict[str, str]) -> BatchState:
    """Create a batch of an uploaded file (answered within 24 hours, at the batch price)."""
    import litellm

    if _openai_shaped(member):
        with _classified():
            async with _sdk(member) as sdk:
                return _state(await sdk.batches.create(completion_window="24h", endpoint=ENDPOINT,
                                                       input_file_id=input_file_id, metadata=metadata))
    with _litellm_call():
        batch = await litellm.acreate_batch(completion_window="24h", endpoint=ENDPOINT, input_file_id=input_file_id,
                                            metadata=metadata, **_common(member))
        state = _state(batch)
        del batch
    return state


async def find(member: MemberConfig, input_file_id: str) -> BatchState | None:
    """The provider's batch of ``input_file_id``, if one was created: a process killed
    between creating a batch and recording it finds it here instead of paying twice."""
    import litellm

    if _openai_shaped(member):
        with _classified():
            async with _sdk(member) as sdk:
                states = [_state(batch) for batch in (await sdk.batches.list(limit=100)).data]
    else:
        with _litellm_call():
            listed = await litellm.alist_batches(limit=100, **_common(member))
            states = [_state(batch) for batch in getattr(listed, "data", None) or []]
            del listed
    return next((state for state in states if state.input_file_id == input_file_id), None)


async def retrieve(member: MemberConfig, batch_id: str) -> BatchState:
    import litellm

    if _openai_shaped(member):
        with _classified():
            async with _sdk(member) as sdk:
                return _state(await sdk.batches.retrieve(batch_id))
    with _litellm_call():
        batch = await litellm.aretrieve_batch(batch_id=batch_id, **_common(member))
        state = _state(batch)
        del batch
    return state


async def read_lines(member: MemberConfig, file_id: str) -> list[dict]:
    """The lines of a batch's output or error file."""
    import litellm

    if _openai_shaped(member):
        with _classified():
            async with _sdk(member) as sdk:
                text = (await sdk.files.content(file_id)).content.decode()
    else:
        with _litellm_call():
            response = await litellm.afile_content(file_id=file_id, **_common(member))
            text = response.content.decode()
            del response
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as error:
        raise ProviderError(ErrorKind.TRANSIENT, f"batch file {file_id} is not JSON lines: {error}") from None


def line_result(member: MemberConfig, line: dict) -> LineResult:
    """What one output or error line answered, priced at the batch price."""
    response = line.get("response") or {}
    body = response.get("body") or {}
    if line.get("error") or response.get("status_code") != 200:
        error = line.get("error") or body.get("error") or {}
        message = error.get("message") if isinstance(error, dict) else str(error)
        code = error.get("code") if isinstance(error, dict) else None
        return LineResult(None, Usage(attempts=1), f"batch line failed: {code or response.get('status_code')}: "
                                                   f"{message or 'no message'}")
    usage = body.get("usage") or {}
    input_tokens, output_tokens = int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    cost = batch_price(member, input_tokens, output_tokens)
    choices = body.get("choices") or []
    content = (choices[0].get("message") or {}).get("content") if choices else None
    billed = Usage(1, input_tokens, output_tokens, cost)
    if content is None:
        return LineResult(None, billed, "batch line answered without content")
    model = body.get("model")
    return LineResult(Completion(content, input_tokens, output_tokens, cost, 0.0, str(model) if model else None),
                      billed)

"""The one way Council calls a model: ``litellm.acompletion``.

litellm is imported here and nowhere else, on first use, after its offline switches
are set when no member needs the network (it otherwise fetches its price map at
import and takes seconds to load).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

from council.config import MemberConfig
from council.providers.params import completion_params, is_remote
from council.providers.retry import ProviderError
from council.usage import Usage
from council.vocab import ErrorKind

__all__ = ["Completion", "batch_price", "complete", "configure", "estimate_cost", "supports_response_schema"]


#: Seconds an attempt may run past the member's timeout before it is cut.
DEADLINE_GRACE_S = 2.0


@dataclass(frozen=True)
class Completion:
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_s: float
    provider_model: str | None = None  # the model id the provider reported; None when not asked (a cache hit)


def configure(members: Iterable[MemberConfig], *, offline: bool = False):
    """Import litellm, offline unless some member is remote (or ``offline``: nothing will
    be called, as in a plan, so the price list litellm ships will do). Returns the module."""
    if offline or not any(is_remote(member) for member in members):
        os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        os.environ.setdefault("LITELLM_OFFLINE_MODE", "true")
    import litellm

    litellm.suppress_debug_info = True
    litellm.telemetry = False
    litellm.drop_params = True  # a parameter a provider lacks is dropped, not an error
    return litellm


#: Models litellm has no price for: asking again costs a failed lookup per call.
_UNPRICED: set[str] = set()


def _price(member: MemberConfig, input_tokens: int, output_tokens: int, response=None) -> float:
    import litellm

    if member.input_cost_per_token is not None or member.output_cost_per_token is not None:
        per_input, per_output = member.input_cost_per_token or 0.0, member.output_cost_per_token or 0.0
        return input_tokens * per_input + output_tokens * per_output
    try:
        if response is not None:
            # litellm already priced the response while building it; pricing it
            # again costs about a millisecond per call.
            hidden = getattr(response, "_hidden_params", None) or {}
            if hidden.get("response_cost") is not None:
                return float(hidden["response_cost"])
        if member.model in _UNPRICED:
            return 0.0
        prompt, completion = litellm.cost_per_token(
            model=member.model, prompt_tokens=input_tokens, completion_tokens=output_tokens
        )
        return float(prompt + completion)
    except Exception:  # litellm raises several kinds for a model it has no price for
        _UNPRICED.add(member.model)
        return 0.0


@cache
def supports_response_schema(model: str) -> bool:
    """Whether litellm knows ``model`` to take a JSON schema as its response format."""
    import litellm

    try:
        return bool(litellm.supports_response_schema(model=model))
    except Exception:  # unknown models raise; they get prompt-only JSON and the tag fallback
        return False


@cache
def _batch_rates(model: str) -> tuple[float, float] | None:
    """litellm's per-token batch prices for ``model`` (input, output), if it lists them."""
    import litellm

    info: dict = {}
    with contextlib.suppress(Exception):  # a model litellm does not know has none
        info = dict(litellm.get_model_info(model=model))
    per_input, per_output = info.get("input_cost_per_token_batches"), info.get("output_cost_per_token_batches")
    return None if per_input is None or per_output is None else (float(per_input), float(per_output))


def batch_price(member: MemberConfig, input_tokens: int, output_tokens: int) -> float:
    """Price of a call of this size through the provider's batch API: litellm's batch
    prices when it lists them for the model (and the member sets no prices of its own),
    else the direct price times the member's ``batch_discount``."""
    if member.input_cost_per_token is None and member.output_cost_per_token is None:
        rates = _batch_rates(member.model)
        if rates is not None:
            return input_tokens * rates[0] + output_tokens * rates[1]
    return _price(member, input_tokens, output_tokens) * member.batch_discount


def estimate_cost(member: MemberConfig, input_tokens: int, output_tokens: int, *, batch: bool = False) -> float:
    """Price of a call of this size: the member's configured prices, else litellm's, else 0
    (``batch``: through the provider's batch API, see `batch_price`)."""
    if batch:
        return batch_price(member, input_tokens, output_tokens)
    return _price(member, input_tokens, output_tokens)


async def complete(
    member: MemberConfig, messages: list[dict], *, response_format: dict | None = None, key: str | None = None,
    max_tokens: int | None = None,
) -> Completion:
    """One attempt at a completion. Raises whatever litellm raises; see `retry.classify`.

    ``max_tokens`` caps the output below the member's own setting, never above it.
    """
    import litellm

    params = completion_params(member)
    if max_tokens is not None:
        params["max_tokens"] = min(max_tokens, params.get("max_tokens", max_tokens))
    if response_format is not None:
        params["response_format"] = response_format
    if key is not None:
        # Lets a provider's logs (and our test server) tie a request to its work key.
        params["extra_headers"] = {"X-Council-Key": key}
    started = time.perf_counter()
    # litellm's timeout bounds each read, not the call: a server trickling bytes keeps
    # a call alive far longer. The member's timeout is a deadline for the whole attempt,
    # with a little grace for litellm's own work before the request leaves (its first
    # call in a process loads a great deal), which is no fault of the server's.
    call = litellm.acompletion(messages=messages, **params)
    response = await asyncio.wait_for(call, member.timeout + DEADLINE_GRACE_S)
    latency = time.perf_counter() - started
    usage = getattr(response, "usage", None)
    input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
    output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
    cost = _price(member, input_tokens, output_tokens, response)
    choices = getattr(response, "choices", None) or []
    content = getattr(getattr(choices[0], "message", None), "content", None) if choices else None
    if content is None:  # paid for all the same: the attempt's cost goes to the ledger
        raise ProviderError(ErrorKind.TRANSIENT, "the provider returned no choices" if not choices
                            else "the provider returned a reply without content",
                            billed=Usage(0, input_tokens, output_tokens, cost, latency))
    reported = getattr(response, "model", None)
    return Completion(content, input_tokens, output_tokens, cost, latency, str(reported) if reported else None)

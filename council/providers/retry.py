"""Which provider errors are worth retrying, and how long to wait.

Four kinds, by what they say about the next attempt: a *rate limit* (429) waits for the
provider's ``Retry-After`` or backs off; a *transient* fault (5xx, timeouts, dropped
connections, an empty or malformed reply) backs off and retries; a *rejected* request
(400: a content filter on one item, a prompt too long) fails that unit only; anything
else — a bad key, an unknown model — is *fatal* for the member and fails fast, because
retrying would only pay for the same error.
"""

from __future__ import annotations

import email.utils
import json
import random
import time
from dataclasses import dataclass

from council.usage import Usage
from council.vocab import ErrorKind

__all__ = ["ProviderError", "backoff_delay", "classify"]

_TRANSIENT_STATUS = {408, 409, 425, 500, 502, 503, 504, 520, 522, 524, 529}
_REJECTED_STATUS = {400, 413, 422}


@dataclass
class ProviderError(Exception):
    """One failed attempt, classified."""

    kind: ErrorKind
    message: str
    retry_after: float | None = None
    status: int | None = None
    billed: Usage | None = None  # a reply that came back (and was paid for) but could not be used

    def __str__(self) -> str:
        return self.message


def _retry_after(error: BaseException) -> float | None:
    headers = None
    response = getattr(error, "response", None)
    if response is not None:
        headers = getattr(response, "headers", None)
    headers = headers or getattr(error, "headers", None) or {}
    value = None
    if hasattr(headers, "get"):
        value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        pass
    try:  # an HTTP date
        parsed = email.utils.parsedate_to_datetime(str(value))
    except (TypeError, ValueError, IndexError):
        return None  # unreadable ("soon"): plain backoff decides
    return max(0.0, parsed.timestamp() - time.time()) if parsed else None


def classify(error: BaseException) -> ProviderError:
    """Turn any exception from a completion call into a classified `ProviderError`."""
    import litellm
    import openai

    status = getattr(error, "status_code", None)
    message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}".strip()
    if isinstance(error, litellm.RateLimitError) or status == 429:
        return ProviderError(ErrorKind.RATE_LIMIT, message, _retry_after(error), 429)
    transient_types = (
        litellm.Timeout,
        litellm.APIConnectionError,
        litellm.InternalServerError,
        litellm.ServiceUnavailableError,
        litellm.BadGatewayError,
        openai.APIConnectionError,  # the OpenAI SDK's, as batch calls make them (timeouts too)
    )
    if (isinstance(error, transient_types) or status in _TRANSIENT_STATUS
            or isinstance(error, (TimeoutError, json.JSONDecodeError))):
        return ProviderError(ErrorKind.TRANSIENT, message, _retry_after(error), status)
    if isinstance(error, (litellm.BadRequestError, litellm.UnprocessableEntityError)) or status in _REJECTED_STATUS:
        return ProviderError(ErrorKind.REJECTED, message, None, status)
    return ProviderError(ErrorKind.FATAL, message, None, status)


def backoff_delay(
    attempt: int, *, base: float, cap: float, retry_after: float | None = None, rng: random.Random | None = None
) -> float:
    """Seconds to wait before attempt ``attempt + 1`` (attempts count from 1).

    Exponential backoff with full jitter (AWS architecture blog, 2015), but never
    shorter than the provider's ``Retry-After``.
    """
    delay = (rng or random.Random()).uniform(0, min(cap, base * 2 ** (attempt - 1)))
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap * 10))
    return delay

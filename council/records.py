"""Records that cross layers: what a unit of work produced, and a cached completion.

They live below the stages, the providers and the store so that none has to import
another to speak of them: a stage fills in a `CallRecord` and the ledger writes it; a
client hands a `CachedCompletion` to the call cache and gets one back.
"""

from __future__ import annotations

from dataclasses import dataclass

from council.usage import Usage
from council.vocab import CallStatus

__all__ = ["CachedCompletion", "CallRecord"]


@dataclass(frozen=True)
class CallRecord:
    """The outcome of a unit to write: status, usage, error, and product rows."""

    key: str
    status: CallStatus
    usage: Usage
    error: str | None = None
    error_kind: str | None = None  # a council.vocab.ErrorKind when a provider call failed
    product_table: str | None = None
    product: dict | None = None
    provider_model: str | None = None  # the model id the provider said answered (not for cache hits)


@dataclass(frozen=True)
class CachedCompletion:
    """A completed call as the call cache keeps it: the text, what it cost when it was
    made, and the model that answered (a cache hit itself costs nothing)."""

    model: str
    text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    provider_model: str | None

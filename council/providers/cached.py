"""Which calls the call cache may answer, and under what key.

A key is the digest of everything that shapes a reply: the provider model and
endpoint, the generation parameters, the full messages, the response format and the
output cap. Keys, timeouts and retry settings do not shape a reply and are left out.

Only temperature-0 calls are served by default. At a higher temperature a reply is one
sample of many: serving a stored sample again makes two runs share it, so their
agreement would be the cache's, not the model's, and their intervals would be too
narrow. A member's ``temperature: 0`` is a promise that one reply stands for all.
"""

from __future__ import annotations

import hashlib
import json
from typing import Protocol

from council.config import MemberConfig
from council.records import CachedCompletion

__all__ = ["CompletionCache", "call_key", "serves"]


class CompletionCache(Protocol):
    """What a client needs of a cache (`council.store.cache.CallCache` is one)."""

    any_temperature: bool

    def get(self, key: str) -> CachedCompletion | None: ...

    def put(self, key: str, completion: CachedCompletion) -> None: ...


def serves(member: MemberConfig, any_temperature: bool) -> bool:
    """Whether the cache answers this member's calls."""
    return any_temperature or member.temperature == 0


def call_key(member: MemberConfig, messages: list[dict], response_format: dict | None, max_tokens: int | None) -> str:
    cap = member.max_tokens if max_tokens is None else min(max_tokens, member.max_tokens or max_tokens)
    shaping = {
        "model": member.model, "api_base": member.api_base, "temperature": member.temperature,
        "extra_body": member.extra_body, "max_tokens": cap, "response_format": response_format,
        "messages": messages,
    }
    return hashlib.sha256(json.dumps(shaping, sort_keys=True, default=str).encode()).hexdigest()

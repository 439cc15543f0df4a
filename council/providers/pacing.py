"""Per-member pacing: requests and tokens per minute, and a concurrency cap.

litellm's Router rejects calls over its ``rpm`` instead of queueing them, so Council
paces calls itself. Requests are spaced evenly (one every ``60 / rpm`` seconds) rather
than allowed in bursts, because providers count over sliding windows and a burst at
the start of a minute is exactly what earns a 429.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiolimiter import AsyncLimiter

__all__ = ["Pacer"]


class Pacer:
    def __init__(self, *, rpm: int | None, tpm: int | None, max_concurrency: int):
        self._requests = AsyncLimiter(1, 60.0 / rpm) if rpm else None
        # Tokens may come in bursts of up to a tenth of the minute's budget.
        self._token_capacity = max(1, tpm // 10) if tpm else 0
        self._tokens = AsyncLimiter(self._token_capacity, 6.0) if tpm else None
        self._slots = asyncio.Semaphore(max_concurrency)
        self._cooldown_until = 0.0

    def cool_down(self, seconds: float) -> None:
        """Hold every call of this member for ``seconds`` (a provider's Retry-After)."""
        self._cooldown_until = max(self._cooldown_until, time.monotonic() + seconds)

    @asynccontextmanager
    async def slot(self, tokens: int = 0) -> AsyncIterator[None]:
        async with self._slots:
            while (wait := self._cooldown_until - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            if self._tokens is not None and tokens > 0:
                await self._tokens.acquire(min(tokens, self._token_capacity))
            if self._requests is not None:
                await self._requests.acquire()
            yield

"""A member's calls with pacing and retries: what the stages call."""

from __future__ import annotations

import asyncio
import random

from council.config import MemberConfig, RetryConfig
from council.providers.litellm_adapter import Completion, complete
from council.providers.pacing import Pacer
from council.providers.retry import ProviderError, backoff_delay, classify
from council.usage import Usage
from council.vocab import ErrorKind

__all__ = ["CallFailed", "MemberClient"]


class CallFailed(Exception):
    """A unit's call gave up: ``kind`` is fatal, or the last retryable kind."""

    def __init__(self, kind: ErrorKind, message: str, usage: Usage):
        super().__init__(message)
        self.kind, self.usage = kind, usage


class MemberClient:
    def __init__(self, member: MemberConfig, retry: RetryConfig, *, seed: int = 0):
        self.member = member
        self.retry = retry
        self.pacer = Pacer(rpm=member.rpm, tpm=member.tpm, max_concurrency=member.max_concurrency)
        self._rng = random.Random(f"{seed}/{member.name}")

    async def call(
        self, messages: list[dict], *, response_format: dict | None = None, key: str | None = None,
        expected_tokens: int = 0, max_tokens: int | None = None,
    ) -> tuple[Completion, Usage]:
        """Complete ``messages``, retrying rate limits and transient faults.

        Returns the completion and the usage of every attempt it took; raises
        `CallFailed` with that usage when it gives up.
        """
        usage = Usage()
        faults = 0
        waited_for_limits = 0.0
        while True:
            try:
                async with self.pacer.slot(expected_tokens):
                    completion = await complete(
                        self.member, messages, response_format=response_format, key=key, max_tokens=max_tokens
                    )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # every provider failure is classified, none escapes raw
                failure: ProviderError = error if isinstance(error, ProviderError) else classify(error)
                usage += Usage(attempts=1)
                if failure.kind == ErrorKind.FATAL:
                    raise CallFailed(ErrorKind.FATAL, f"member {self.member.name!r}: {failure}", usage) from None
                if failure.kind == ErrorKind.RATE_LIMIT:
                    delay = backoff_delay(
                        min(usage.attempts, 8), base=self.retry.base_delay, cap=self.retry.max_delay,
                        retry_after=failure.retry_after, rng=self._rng,
                    )
                    if waited_for_limits + delay > self.retry.rate_limit_patience:
                        raise CallFailed(ErrorKind.RATE_LIMIT, f"member {self.member.name!r}: still rate limited after "
                                         f"{waited_for_limits:.0f} s: {failure}", usage) from None
                    waited_for_limits += delay
                    self.pacer.cool_down(delay)
                else:
                    faults += 1
                    if faults >= self.retry.max_attempts:
                        raise CallFailed(failure.kind, f"member {self.member.name!r}: gave up after {faults} "
                                         f"failed attempts: {failure}", usage) from None
                    delay = backoff_delay(faults, base=self.retry.base_delay, cap=self.retry.max_delay,
                                          retry_after=failure.retry_after, rng=self._rng)
                await asyncio.sleep(delay)
                continue
            usage += Usage(
                1, completion.input_tokens, completion.output_tokens, completion.cost_usd, completion.latency_s
            )
            return completion, usage

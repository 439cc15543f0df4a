"""A member's calls with pacing and retries: what the stages call."""

from __future__ import annotations

import asyncio
import copy
import os
import random

from council.config import MemberConfig, RetryConfig
from council.providers.cached import CompletionCache, call_key, serves
from council.providers.litellm_adapter import Completion, complete
from council.providers.pacing import Pacer
from council.providers.retry import ProviderError, backoff_delay, classify
from council.records import CachedCompletion
from council.secrets import redact
from council.usage import Usage
from council.vocab import ErrorKind

__all__ = ["CallFailed", "MemberClient"]


class CallFailed(Exception):
    """A unit's call gave up: ``kind`` is fatal, or the last retryable kind."""

    def __init__(self, kind: ErrorKind, message: str, usage: Usage):
        super().__init__(message)
        self.kind, self.usage = kind, usage


class MemberClient:
    def __init__(self, member: MemberConfig, retry: RetryConfig, *, seed: int = 0,
                 cache: CompletionCache | None = None, cache_as: MemberConfig | None = None):
        self.member = member
        # The member as the council file gives it keys the cache: an embedded model is
        # served on another port each run, and its calls are the same calls all the same.
        self.cache_member = cache_as or member
        self.cache = cache if cache is not None and serves(self.cache_member, cache.any_temperature) else None
        # The key's value, so that no error message repeating it is stored or shown.
        self._secrets = (os.environ.get(member.api_key_env, ""),) if member.api_key_env else ()
        # Set when one call outwaited its rate-limit patience: the quota is likely gone,
        # so every other call of this member gives up at once instead of waiting too.
        self.quota_exhausted: str | None = None
        self.retry = retry
        self.pacer = Pacer(rpm=member.rpm, tpm=member.tpm, max_concurrency=member.max_concurrency)
        self._rng = random.Random(f"{seed}/{member.name}")
        # A reply a provider batch already gave (and was paid for): the next call with
        # exactly these messages takes it instead of asking (see `answered_by`).
        self._answered: tuple[list[dict], Completion, Usage] | None = None

    def answered_by(self, messages: list[dict], completion: Completion, usage: Usage) -> MemberClient:
        """This client, with its next call of ``messages`` answered by a batch line: a
        stage turns a batch's reply into its result exactly as it would a direct one
        (a judge's re-ask, with other messages, is then asked directly)."""
        answered = copy.copy(self)  # the same pacer, cache and retry state
        answered._answered = (messages, completion, usage)
        return answered

    def _failed(self, kind: ErrorKind, message: str, usage: Usage) -> CallFailed:
        return CallFailed(kind, redact(f"member {self.member.name!r}: {message}", self._secrets), usage)

    async def call(
        self, messages: list[dict], *, response_format: dict | None = None, key: str | None = None,
        expected_tokens: int = 0, max_tokens: int | None = None, cacheable: bool = False,
    ) -> tuple[Completion, Usage]:
        """Complete ``messages``, retrying rate limits and transient faults.

        Returns the completion and the usage of every attempt it took; raises
        `CallFailed` with that usage when it gives up. A ``cacheable`` call is answered
        from the call cache when it holds the same call (no attempt, nothing billed,
        one cache hit), and stored there when it completes.
        """
        if self._answered is not None and self._answered[0] == messages:
            _, completion, usage = self._answered
            self._answered = None
            if cacheable and self.cache is not None:
                self._remember(call_key(self.cache_member, messages, response_format, max_tokens), completion)
            return completion, usage
        cached_key = None
        if cacheable and self.cache is not None:
            cached_key = call_key(self.cache_member, messages, response_format, max_tokens)
            hit = self.cache.get(cached_key)
            if hit is not None:
                return Completion(hit.text, hit.input_tokens, hit.output_tokens, 0.0, 0.0), Usage(cache_hits=1)
        completion, usage = await self._call(messages, response_format, key, expected_tokens, max_tokens)
        if cached_key is not None:
            self._remember(cached_key, completion)
        return completion, usage

    def _remember(self, cached_key: str, completion: Completion) -> None:
        if self.cache is not None:
            self.cache.put(cached_key, CachedCompletion(self.member.model, completion.text, completion.input_tokens,
                                                        completion.output_tokens, completion.cost_usd,
                                                        completion.provider_model))

    async def _call(self, messages: list[dict], response_format: dict | None, key: str | None, expected_tokens: int,
                    max_tokens: int | None) -> tuple[Completion, Usage]:
        usage = Usage()
        faults = 0
        waited_for_limits = 0.0
        while True:
            if self.quota_exhausted is not None:
                raise self._failed(ErrorKind.RATE_LIMIT, self.quota_exhausted, usage)
            try:
                async with self.pacer.slot(expected_tokens):
                    completion = await complete(
                        self.member, messages, response_format=response_format, key=key, max_tokens=max_tokens
                    )
            except asyncio.CancelledError:
                raise
            except Exception as error:  # every provider failure is classified, none escapes raw
                failure: ProviderError = error if isinstance(error, ProviderError) else classify(error)
                usage += Usage(attempts=1) + (failure.billed or Usage())
                if failure.kind in (ErrorKind.FATAL, ErrorKind.REJECTED):
                    raise self._failed(failure.kind, f"{failure}", usage) from None
                if failure.kind == ErrorKind.RATE_LIMIT:
                    delay = backoff_delay(
                        min(usage.attempts, 8), base=self.retry.base_delay, cap=self.retry.max_delay,
                        retry_after=failure.retry_after, rng=self._rng,
                    )
                    if waited_for_limits + delay > self.retry.rate_limit_patience:
                        self.quota_exhausted = (f"still rate limited after {waited_for_limits:.0f} s of waiting "
                                                f"(quota exhausted?); paused for the rest of this run: {failure}")
                        raise self._failed(ErrorKind.RATE_LIMIT, self.quota_exhausted, usage) from None
                    waited_for_limits += delay
                    self.pacer.cool_down(delay)
                else:
                    faults += 1
                    if faults >= self.retry.max_attempts:
                        gave_up = f"gave up after {faults} failed attempts: {failure}"
                        raise self._failed(failure.kind, gave_up, usage) from None
                    delay = backoff_delay(faults, base=self.retry.base_delay, cap=self.retry.max_delay,
                                          retry_after=failure.retry_after, rng=self._rng)
                await asyncio.sleep(delay)
                continue
            usage += Usage(
                1, completion.input_tokens, completion.output_tokens, completion.cost_usd, completion.latency_s
            )
            return completion, usage

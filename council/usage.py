"""What calls cost: the one record providers fill in and the ledger stores."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Usage"]


@dataclass(frozen=True)
class Usage:
    """What one unit of work cost, over all its attempts and re-asks."""

    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    latency_s: float = 0.0
    cache_hits: int = 0  # calls answered from the call cache: no attempt, nothing billed

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.attempts + other.attempts,
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cost_usd + other.cost_usd,
            self.latency_s + other.latency_s,
            self.cache_hits + other.cache_hits,
        )

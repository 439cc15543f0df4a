"""A spending cap that stops a run cleanly before it is crossed.

Before a call starts, its estimated price is reserved; a call whose reservation would
take spent + reserved past the cap is not started. The run then ends with the work
left pending, to be resumed with a larger budget.
"""

from __future__ import annotations

__all__ = ["Budget"]


class Budget:
    def __init__(self, max_usd: float | None, spent_usd: float = 0.0):
        self.max_usd = max_usd
        self.spent_usd = spent_usd
        self.reserved_usd = 0.0

    def reserve(self, estimate_usd: float) -> bool:
        if self.max_usd is not None and self.spent_usd + self.reserved_usd + estimate_usd > self.max_usd:
            return False
        self.reserved_usd += estimate_usd
        return True

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        self.reserved_usd -= estimate_usd
        self.spent_usd += actual_usd

    @property
    def exhausted(self) -> bool:
        return self.max_usd is not None and self.spent_usd >= self.max_usd

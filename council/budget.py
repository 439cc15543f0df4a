"""A spending cap that stops a run cleanly before it is crossed.

Before a call starts, its estimated price is reserved; a call whose reservation would
take spent + reserved past the cap is not started. The run then ends with the work
left pending, to be resumed with a larger budget. Worker processes share one budget
through a shared-memory array.
"""

from __future__ import annotations

from contextlib import nullcontext

__all__ = ["Budget"]

_SPENT, _RESERVED = 0, 1


class Budget:
    def __init__(self, max_usd: float | None, spent_usd: float = 0.0, *, shared=None):
        """``shared``: a ``multiprocessing.Array('d', 2)`` holding spent and reserved."""
        self.max_usd = max_usd
        self._cells = shared if shared is not None else [spent_usd, 0.0]
        self._lock = shared.get_lock() if shared is not None else nullcontext()

    @property
    def spent_usd(self) -> float:
        return self._cells[_SPENT]

    def reserve(self, estimate_usd: float) -> bool:
        with self._lock:
            total = self._cells[_SPENT] + self._cells[_RESERVED] + estimate_usd
            if self.max_usd is not None and total > self.max_usd:
                return False
            self._cells[_RESERVED] += estimate_usd
            return True

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        with self._lock:
            self._cells[_RESERVED] -= estimate_usd
            self._cells[_SPENT] += actual_usd

"""A spending cap that stops a run cleanly before it is crossed.

Before a unit starts, the most it can cost is reserved; a unit whose reservation would
take spent + reserved past the cap waits for running calls to settle, and when nothing
is running and it still does not fit, the run ends with the work left pending, to be
resumed with a larger budget. Worker processes share one budget
through a shared-memory array.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import TYPE_CHECKING

from council.config import CouncilConfig, MemberConfig
from council.errors import BadInput

if TYPE_CHECKING:
    from council.stages.base import WorkUnit

__all__ = ["Budget", "batch_cost_estimate", "call_cost_estimate", "check_priced"]

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

    @property
    def in_flight_usd(self) -> float:
        """What running calls have reserved and not yet settled."""
        return self._cells[_RESERVED]

    def reserve(self, estimate_usd: float) -> bool:
        with self._lock:
            total = self._cells[_SPENT] + self._cells[_RESERVED] + estimate_usd
            if self.max_usd is not None and total > self.max_usd:
                return False
            self._cells[_RESERVED] += estimate_usd
            return True

    def hold(self, usd: float) -> None:
        """Reserve what is already committed (live provider batches), cap or not."""
        with self._lock:
            self._cells[_RESERVED] += usd

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        with self._lock:
            self._cells[_RESERVED] -= estimate_usd
            self._cells[_SPENT] += actual_usd


def call_cost_estimate(member: MemberConfig, unit: WorkUnit) -> float:
    """What the budget reserves for a unit: the most its calls can bill (its
    ``reserved_tokens``: every call sends ``max_tokens``) at the member's price.

    `council plan` prices its rows with the same tokens, so the plan and the
    reservations cannot disagree.
    """
    from council.providers.litellm_adapter import estimate_cost

    return estimate_cost(member, *unit.reserved_tokens)


def batch_cost_estimate(member: MemberConfig, units: list[WorkUnit]) -> float:
    """What the budget holds for ``units`` sent in a provider batch: each first ask at the
    batch price, the re-asks a judge may make afterwards (asked directly) at the direct
    price — the same most-they-can-bill tokens as `call_cost_estimate`."""
    from council.providers.litellm_adapter import estimate_cost

    first_in = sum(unit.expected_input_tokens for unit in units)
    first_out = sum(unit.expected_output_tokens for unit in units)
    all_in = sum(unit.reserved_tokens[0] for unit in units)
    all_out = sum(unit.reserved_tokens[1] for unit in units)
    batched = estimate_cost(member, first_in, first_out, batch=True)
    return batched + (estimate_cost(member, all_in - first_in, all_out - first_out) if all_in > first_in else 0.0)


def check_priced(config: CouncilConfig) -> None:
    """A budget is only a cap if every paid call has a price: with ``budget.max_usd`` set,
    a remote member whose price neither the file nor litellm knows is `BadInput`."""
    from council.providers.litellm_adapter import estimate_cost
    from council.providers.params import is_remote

    if config.budget.max_usd is None:
        return
    for index, member in enumerate(config.members):
        given = member.input_cost_per_token is not None or member.output_cost_per_token is not None
        if is_remote(member) and not given and estimate_cost(member, 1000, 1000) <= 0:
            raise BadInput(
                f"budget.max_usd cannot cap member {member.name!r}: no price is known for {member.model!r}; "
                "give input_cost_per_token and output_cost_per_token", field=f"members.{index}.model",
            )

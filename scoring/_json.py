"""JSON forms shared by the results' ``to_dict`` methods, and the `Estimate` type."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

__all__ = ["Estimate", "HasEstimates", "finite", "with_interval"]


def finite(value) -> float | None:
    """A float, or None where it is NaN or infinite (JSON has no NaN)."""
    return float(value) if np.isfinite(value) else None


class Estimate(NamedTuple):
    """A point estimate with its interval: floats, or arrays of them side by side.

    Every interval-bearing result in `scoring` gives its estimates in this one shape
    (``result.estimate(name)``); it unpacks as ``estimate, lower, upper``.
    """

    estimate: Any
    lower: Any
    upper: Any

    def to_dict(self) -> dict:
        """``{"estimate", "lower", "upper"}``, each a float or None (a scalar estimate)."""
        return {"estimate": finite(self.estimate), "lower": finite(self.lower), "upper": finite(self.upper)}


def with_interval(estimate, lower, upper) -> dict:
    """``{"estimate", "lower", "upper"}``, each a float or None."""
    return Estimate(estimate, lower, upper).to_dict()


class HasEstimates:
    """For results that store an estimate ``x`` beside ``x_lower`` and ``x_upper``."""

    def estimate(self, name: str) -> Estimate:
        """The `Estimate` of ``name`` (e.g. ``"score"``): its value and interval."""
        try:
            return Estimate(getattr(self, name), getattr(self, f"{name}_lower"), getattr(self, f"{name}_upper"))
        except AttributeError:
            raise KeyError(f"{type(self).__name__} has no estimate with an interval named {name!r}") from None

"""JSON forms shared by the results' ``to_dict`` methods."""

from __future__ import annotations

import numpy as np


def finite(value) -> float | None:
    """A float, or None where it is NaN or infinite (JSON has no NaN)."""
    return float(value) if np.isfinite(value) else None


def with_interval(estimate, lower, upper) -> dict:
    """``{"estimate", "lower", "upper"}``, each a float or None."""
    return {"estimate": finite(estimate), "lower": finite(lower), "upper": finite(upper)}

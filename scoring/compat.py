"""The conventions of the Language Model Council paper's code, for reproduction.

Zhao et al. (2024, arXiv 2406.08598) score a council with Arena-Hard-Auto's recipe:
strong votes count three times, a tie is half a win to each side, a majority draw goes
to the label that sorts first as text, self-judgments count, and intervals come from
100 resamples of single votes. `council score --mode reference` applies these so the
paper's numbers come out; the recommended settings correct what they get wrong.
"""

from __future__ import annotations

__all__ = ["PAPER_CONVENTIONS"]

PAPER_CONVENTIONS = {
    "strong_weight": 3.0,
    "tie_weight": 0.5,
    "resample": "vote",
    "rounds": 100,
    # Plain percentile intervals, as the paper's code computes them.
    "prior_items": 0.0,
    "count_tie": "first_label",
    "include_self": True,
    # sklearn's logistic regression in the paper's code is practically unpenalised.
    "alpha": 1e-8,
}

"""Pairwise jury votes and the verdict scale.

A vote records that one judge, shown one item, read the answer of ``model_a`` in the
first position and the answer of ``model_b`` in the second, and gave a verdict on the
five-point scale of the Language Model Council (Zhao et al., 2024, arXiv 2406.08598):
``A>>B``, ``A>B``, ``A=B``, ``B>A``, ``B>>A``. A vote whose verdict could not be read
is *unscored*: it is carried and counted, but never enters a fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "LABELS",
    "UNSCORED",
    "UNSCORED_MARKERS",
    "Votes",
    "label_of",
    "make_votes",
    "outcome_of",
]

#: Outcome codes, from the first position's point of view: positive favours ``model_a``.
OUTCOME_OF_LABEL = {"A>>B": 2, "A>B": 1, "A=B": 0, "B>A": -1, "B>>A": -2}
LABELS = tuple(OUTCOME_OF_LABEL)
#: The outcome code of a vote that carries no usable verdict.
UNSCORED = -128
#: Verdict values that say "no verdict" rather than being a malformed one.
UNSCORED_MARKERS = frozenset({"", "unscored", "unparseable", "none", "null", "nan"})

_ALIASES = {"B=A": 0, "tie": 0}


def outcome_of(label: object) -> int | None:
    """Outcome code of a verdict label, ``UNSCORED`` for a no-verdict marker.

    Labels may be wrapped the way judges write them (``[[A>B]]``). Returns ``None``
    for a string that is neither a label nor a marker, so callers decide whether that
    is an error (a votes file) or an unscored vote (a judge's output).
    """
    if label is None:
        return UNSCORED
    if isinstance(label, float) and np.isnan(label):
        return UNSCORED
    text = str(label).strip()
    if text.startswith("[[") and text.endswith("]]"):
        text = text[2:-2].strip()
    if text in OUTCOME_OF_LABEL:
        return OUTCOME_OF_LABEL[text]
    if text in _ALIASES:
        return _ALIASES[text]
    if text.lower() in UNSCORED_MARKERS:
        return UNSCORED
    return None


def label_of(outcome: int) -> str | None:
    """The label of an outcome code; ``None`` for an unscored vote."""
    if outcome == UNSCORED:
        return None
    return LABELS[2 - int(outcome)]


def _frozen(values: np.ndarray, dtype) -> np.ndarray:
    array = np.ascontiguousarray(values, dtype=dtype)
    array.flags.writeable = False
    return array


@dataclass(frozen=True, eq=False)
class Votes:
    """Pairwise votes as parallel integer arrays with name tables.

    Attributes
    ----------
    item, judge, model_a, model_b : numpy.ndarray of int32
        Indices into ``items``, ``judges`` and ``models``. ``model_a`` held the first
        position. ``judge`` is ``-1`` for a verdict aggregated over judges.
    outcome : numpy.ndarray of int8
        2 (A>>B), 1 (A>B), 0 (A=B), -1 (B>A), -2 (B>>A) or ``UNSCORED``.
    items, judges, models : tuple of str
        The names behind the indices. Items are the clusters the bootstrap resamples.
    n_unknown : int
        How many votes of the input these were built from had a verdict string that
        was neither a label nor a no-verdict marker (they are unscored). Carried
        unchanged by `select`, as provenance.
    """

    item: np.ndarray
    judge: np.ndarray
    model_a: np.ndarray
    model_b: np.ndarray
    outcome: np.ndarray
    items: tuple[str, ...]
    judges: tuple[str, ...]
    models: tuple[str, ...]
    n_unknown: int = 0

    def __post_init__(self) -> None:
        n = len(self.outcome)
        for name in ("item", "judge", "model_a", "model_b"):
            values = getattr(self, name)
            if len(values) != n:
                raise ValueError(f"votes field {name!r} has {len(values)} rows, outcome has {n}")
            object.__setattr__(self, name, _frozen(values, np.int32))
        object.__setattr__(self, "outcome", _frozen(self.outcome, np.int8))
        for name in ("items", "judges", "models"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if n and (self.model_a == self.model_b).any():
            row = int(np.flatnonzero(self.model_a == self.model_b)[0])
            raise ValueError(f"vote {row} compares model {self.models[self.model_a[row]]!r} with itself")

    def __len__(self) -> int:
        return len(self.outcome)

    @property
    def scored(self) -> np.ndarray:
        """Mask of votes with a usable verdict."""
        return self.outcome != UNSCORED

    @property
    def n_unscored(self) -> int:
        return int((~self.scored).sum())

    @property
    def is_self(self) -> np.ndarray:
        """Mask of self-judgments: the judge is one of the two models compared."""
        if not len(self):
            return np.zeros(0, dtype=bool)
        model_of_judge = np.array([self._model_index(name) for name in self.judges] + [-2], dtype=np.int64)
        own = model_of_judge[self.judge]  # judge == -1 picks the sentinel -2
        return (own == self.model_a) | (own == self.model_b)

    def _model_index(self, name: str) -> int:
        try:
            return self.models.index(name)
        except ValueError:
            return -2

    def select(self, mask: np.ndarray) -> Votes:
        """The votes where ``mask`` is true, with the same name tables."""
        return Votes(
            item=self.item[mask],
            judge=self.judge[mask],
            model_a=self.model_a[mask],
            model_b=self.model_b[mask],
            outcome=self.outcome[mask],
            items=self.items,
            judges=self.judges,
            models=self.models,
            n_unknown=self.n_unknown,
        )


def _factorize(values: Sequence[object]) -> tuple[tuple[str, ...], np.ndarray]:
    text = np.asarray([str(value) for value in values], dtype=str)
    if text.size == 0:
        return (), np.zeros(0, dtype=np.int32)
    names, codes = np.unique(text, return_inverse=True)
    return tuple(str(name) for name in names), codes.astype(np.int32)


def make_votes(
    item: Sequence[object],
    judge: Sequence[object],
    model_a: Sequence[object],
    model_b: Sequence[object],
    verdict: Sequence[object],
) -> Votes:
    """Build `Votes` from parallel sequences of names and verdict labels.

    Parameters
    ----------
    item, judge : sequence
        Item (e.g. dilemma) and judge of each vote; converted to ``str``.
    model_a, model_b : sequence of str
        Models whose answers held the first and the second position.
    verdict : sequence
        Labels (``"A>>B"`` … ``"B>>A"``, optionally ``[[…]]``-wrapped), outcome codes,
        or no-verdict markers (``None``, ``""``, ``"unscored"``). Any other string is
        kept as an unscored vote and counted in ``Votes.n_unknown``.

    Returns
    -------
    Votes
        Names are sorted, so equal inputs give equal indices.
    """
    n = len(verdict)
    if not (len(item) == len(judge) == len(model_a) == len(model_b) == n):
        raise ValueError("item, judge, model_a, model_b and verdict must have the same length")
    outcome = np.empty(n, dtype=np.int8)
    unknown = 0
    for row, value in enumerate(verdict):
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            code = int(value) if int(value) in (-2, -1, 0, 1, 2, UNSCORED) else None
        else:
            code = outcome_of(value)
        if code is None:
            unknown += 1
            code = UNSCORED
        outcome[row] = code
    items, item_codes = _factorize(item)
    judges, judge_codes = _factorize(judge)
    models, model_codes = _factorize(list(model_a) + list(model_b))
    return Votes(
        item=item_codes,
        judge=judge_codes,
        model_a=model_codes[:n],
        model_b=model_codes[n:],
        outcome=outcome,
        items=items,
        judges=judges,
        models=models,
        n_unknown=unknown,
    )

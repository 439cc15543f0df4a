"""Leaderboards per slice of the votes, and the authorship bias of a council.

A slice is the votes on the items of one category, of one author, or on one criterion:
each gets the usual leaderboard (`rank_models`: item bootstrap, intervals honest at the
boundary, separability), so "best on billing questions" carries its own uncertainty
and a slice of a few items says so by the width of its intervals. In a council the
members also write the items (Zhao et al., 2024, arXiv 2406.08598, §3.1); whether an
author's items favour its own model is a judge-bias question of the same kind as
self-enhancement (§4.3), answered here by comparing a model's score on its own items
with its score on everyone else's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scoring._json import HasEstimates
from scoring.display import ShowsTable, estimate_text
from scoring.errors import ScoringError
from scoring.leaderboard import Leaderboard, rank_models
from scoring.ranking import percentile_intervals
from scoring.settings import ScoringSettings
from scoring.votes import Votes

__all__ = ["SMALL_SLICE_ITEMS", "AuthorshipBias", "SliceBoard", "SlicedLeaderboards", "authorship_bias", "rank_slices"]

#: A slice of fewer items than this is flagged small: its intervals are wide, and an
#: interval from so few clusters is less sure of its level.
SMALL_SLICE_ITEMS = 10
_ELO = 400.0 / np.log(10.0)


@dataclass(frozen=True, eq=False)
class SliceBoard:
    """One slice: its name, how many items and votes it holds, and its leaderboard
    (None with a ``note`` when it cannot be ranked: one item, or a model pair with no
    vote connecting it)."""

    name: str
    n_items: int
    n_votes: int
    leaderboard: Leaderboard | None
    note: str | None = None

    @property
    def small(self) -> bool:
        return self.n_items < SMALL_SLICE_ITEMS

    def to_dict(self) -> dict[str, Any]:
        board = self.leaderboard.to_dict() if self.leaderboard is not None else {"models": []}
        return {"slice": self.name, "n_items": self.n_items, "n_votes": self.n_votes, "small": self.small,
                "note": self.note, "separability": board.get("separability"), "models": board["models"]}


@dataclass(frozen=True, eq=False)
class SlicedLeaderboards(ShowsTable):
    """A leaderboard per slice (`rank_slices`), largest slice first."""

    by: str
    slices: tuple[SliceBoard, ...]
    settings: ScoringSettings

    def to_dict(self) -> dict[str, Any]:
        """``{"by", "settings", "slices": [{"slice", "n_items", "n_votes", "small", "note",
        "separability", "models": [...]}]}``; each model row as in `Leaderboard.to_dict`."""
        return {"by": self.by, "settings": self.settings.to_dict(), "slices": [s.to_dict() for s in self.slices]}

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        rows = []
        for piece in self.slices:
            board = piece.leaderboard
            if board is None:
                rows.append([piece.name, str(piece.n_items), "—", "—", piece.note or ""])
                continue
            digits = 2 if board.settings.reference is not None else 0
            rows.append([piece.name, str(piece.n_items), board.models[0],
                         estimate_text(board.score[0], board.score_lower[0], board.score_upper[0], digits=digits),
                         f"separability {board.separability:.0f}%" + (" — small slice" if piece.small else "")])
        return (["slice", "items", "first", "score", ""], rows,
                f"{len(self.slices)} slices by {self.by}; small: fewer than {SMALL_SLICE_ITEMS} items")


def rank_slices(votes: Votes, labels: Sequence[object], settings: ScoringSettings | None = None, *,
                by: str = "slice") -> SlicedLeaderboards:
    """A leaderboard for each slice of ``votes``.

    Parameters
    ----------
    votes : Votes
    labels : sequence, one per vote
        The slice of each vote (its item's category or author, its criterion); None or
        an empty string leaves the vote out of every slice.
    settings : ScoringSettings, optional
        As for `rank_models`, applied to each slice alone (the same seed for each).
    by : str
        What the slices are, for the result's name.

    Returns
    -------
    SlicedLeaderboards
        Slices with more items first, then by name. A slice that cannot be ranked keeps
        its counts and says why in ``note``.
    """
    settings = settings or ScoringSettings()
    names = [None if label is None or str(label) == "" else str(label) for label in labels]
    if len(names) != len(votes):
        raise ValueError(f"labels has {len(names)} entries for {len(votes)} votes")
    of_vote = np.asarray(names, dtype=object)
    found = []
    for name in sorted({label for label in names if label is not None}):
        mask: np.ndarray = of_vote == name
        piece = votes.select(mask)
        n_items = len(np.unique(piece.item))
        try:
            found.append(SliceBoard(name, n_items, int(mask.sum()), rank_models(piece, settings)))
        except ScoringError as error:
            found.append(SliceBoard(name, n_items, int(mask.sum()), None, f"not ranked: {error}"))
    found.sort(key=lambda piece: (-piece.n_items, piece.name))
    return SlicedLeaderboards(by, tuple(found), settings)


@dataclass(frozen=True, eq=False)
class AuthorshipBias(HasEstimates, ShowsTable):
    """Each author-model's Elo on the items it wrote and on everyone else's.

    Attributes
    ----------
    models : tuple of str
        The models that wrote items and were ranked on both sides.
    own, own_lower, own_upper : numpy.ndarray
        Elo on its own items (the leaderboard of those items alone).
    others, others_lower, others_upper : numpy.ndarray
        Elo on the other authors' items.
    delta, delta_lower, delta_upper : numpy.ndarray
        ``own − others``: above 0, its own items favour it. The interval holds the
        difference of independent item bootstraps of the two sides, widened at the
        boundary as the leaderboard's are.
    n_own_items, n_other_items : numpy.ndarray of int
    """

    models: tuple[str, ...]
    own: np.ndarray
    own_lower: np.ndarray
    own_upper: np.ndarray
    others: np.ndarray
    others_lower: np.ndarray
    others_upper: np.ndarray
    delta: np.ndarray
    delta_lower: np.ndarray
    delta_upper: np.ndarray
    n_own_items: np.ndarray
    n_other_items: np.ndarray
    settings: ScoringSettings

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for i, model in enumerate(self.models):
            row: dict[str, Any] = {"model": model, "n_own_items": int(self.n_own_items[i]),
                                   "n_other_items": int(self.n_other_items[i])}
            for name in ("own", "others", "delta"):
                row[name] = {"estimate": float(getattr(self, name)[i]),
                             "lower": float(getattr(self, f"{name}_lower")[i]),
                             "upper": float(getattr(self, f"{name}_upper")[i])}
            rows.append(row)
        return {"settings": self.settings.to_dict(), "models": rows}

    def _table(self) -> tuple[list[str], list[list[str]], str]:
        rows = [[model, str(int(self.n_own_items[i])),
                 estimate_text(self.own[i], self.own_lower[i], self.own_upper[i], digits=0),
                 estimate_text(self.others[i], self.others_lower[i], self.others_upper[i], digits=0),
                 estimate_text(self.delta[i], self.delta_lower[i], self.delta_upper[i], digits=0)]
                for i, model in enumerate(self.models)]
        return (["model", "own items", "Elo on own items", "Elo on others' items", "own − others"], rows,
                f"authorship bias: {100 * self.settings.level:g}% intervals; above 0, an author's own items favour it")


def _elo_of(board: Leaderboard, model: str) -> tuple[float, np.ndarray, np.ndarray | None]:
    k = board.models.index(model)
    prior = None if board.prior_draws is None else 1000.0 + _ELO * board.prior_draws[:, k]
    return float(board.elo[k]), 1000.0 + _ELO * board.draws[:, k], prior


def authorship_bias(votes: Votes, author_of_item: dict[str, str], settings: ScoringSettings | None = None,
                    ) -> AuthorshipBias:
    """How much better each author-model does on the items it wrote than on the rest.

    For a model ``m`` that wrote items, the votes split in two: those on ``m``'s items
    and those on everyone else's. Each side gets its own leaderboard (`rank_models`, on
    the Elo scale, reference or not) and ``m``'s Elo on the two is compared. Both
    leaderboards resample items independently — the two sides share none — so the
    difference of their draws is a bootstrap of the difference; its interval is the
    wider, bound by bound, of the percentile bootstrap's and the prior's, as every
    interval here (`rank_models`, Notes). This is self-enhancement through authorship:
    the items a model writes may suit its own answers (Zhao et al., 2024, §3.1, §4.3).

    Parameters
    ----------
    votes : Votes
    author_of_item : dict
        Item name -> the model that wrote it; items without an author are on no side.
    settings : ScoringSettings, optional
        As for `rank_models`; its ``reference`` is ignored (scores are on the Elo scale).

    Returns
    -------
    AuthorshipBias
        Authors ranked on both sides (at least two items each, connected votes), in the
        order of ``votes.models``.
    """
    settings = (settings or ScoringSettings()).replace(reference=None)
    item_author = np.array([author_of_item.get(name) for name in votes.items], dtype=object)[votes.item]
    rows: dict[str, list[float]] = {}
    counts: dict[str, tuple[int, int]] = {}
    for model in votes.models:
        mine = item_author == model
        theirs = (item_author != model) & np.array([a is not None for a in item_author], dtype=bool)
        if not mine.any() or not theirs.any():
            continue
        try:
            own_board = rank_models(votes.select(mine), settings)
            other_board = rank_models(votes.select(theirs), settings)
        except ScoringError:
            continue
        if model not in own_board.models or model not in other_board.models:
            continue
        own, own_draws, own_prior = _elo_of(own_board, model)
        other, other_draws, other_prior = _elo_of(other_board, model)
        k_own, k_other = own_board.models.index(model), other_board.models.index(model)
        n = min(len(own_draws), len(other_draws))  # --rounds auto may draw more on one side
        low, high = percentile_intervals((own_draws[:n] - other_draws[:n])[:, None], settings.level)
        if own_prior is not None and other_prior is not None:
            n = min(len(own_prior), len(other_prior))
            prior_low, prior_high = percentile_intervals((own_prior[:n] - other_prior[:n])[:, None], settings.level)
            low, high = np.minimum(low, prior_low), np.maximum(high, prior_high)
        rows[model] = [own, own_board.elo_lower[k_own], own_board.elo_upper[k_own], other,
                       other_board.elo_lower[k_other], other_board.elo_upper[k_other], own - other,
                       float(low[0]), float(high[0])]
        counts[model] = (len(np.unique(votes.item[mine])), len(np.unique(votes.item[theirs])))
    models = tuple(rows)
    table = np.array([rows[m] for m in models], dtype=float).reshape(len(models), 9)
    return AuthorshipBias(models, table[:, 0], table[:, 1], table[:, 2], table[:, 3], table[:, 4], table[:, 5],
                          table[:, 6], table[:, 7], table[:, 8],
                          n_own_items=np.array([counts[m][0] for m in models], dtype=int),
                          n_other_items=np.array([counts[m][1] for m in models], dtype=int), settings=settings)

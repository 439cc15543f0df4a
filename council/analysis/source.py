"""What a PATH given to ``council score|judges|ablate|report`` names: a run directory
or a votes file, read through the same APIs as everywhere else."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from council.errors import BadInput
from council.inputs.votes import ReadOptions, read_votes
from scoring import Votes

if TYPE_CHECKING:
    from council.store.frames import RunStore

__all__ = ["RunFacts", "VoteSource", "open_source", "run_facts"]


@dataclass(frozen=True, eq=False)
class VoteSource:
    """Votes with what is known beside them.

    ``lengths`` are words per answer aligned with ``votes.items`` × ``votes.models``
    (NaN where unknown), present only for runs, which store the answers. ``facts``
    describe where the votes came from, for reports (empty unless asked for).
    """

    path: str
    kind: str  # "run" or "votes file"
    votes: Votes
    lengths: np.ndarray | None
    facts: dict = field(default_factory=dict)
    unknown_verdicts: tuple[tuple[int, str], ...] = ()
    n_duplicates: int = 0
    n_self_pairs_dropped: int = 0
    missing_answers: dict = field(default_factory=dict)  # runs: model -> items it has no answer for
    human: Votes | None = None  # runs: the human labels stored in it (`council label`)
    human_selection: np.ndarray | None = None  # and how likelier than uniform each was offered for labelling
    # What `council score --by` slices by, one value per vote (None: unknown): a run's
    # items' category and author; a votes file's slice columns.
    slices: dict[str, np.ndarray] = field(default_factory=dict)
    # Verdicts per criterion (``judge.per_criterion``, or a votes file's rows that name a
    # criterion), apart from ``votes``, which hold the overall verdicts; and each one's criterion.
    criterion_votes: Votes | None = None
    criterion_labels: np.ndarray | None = None
    word_counts: dict = field(default_factory=dict)  # runs: words per (item, respondent)

    @property
    def criteria(self) -> tuple[str, ...]:
        return () if self.criterion_labels is None else tuple(dict.fromkeys(self.criterion_labels.tolist()))

    def sliced(self, by: str) -> tuple[Votes, np.ndarray]:
        """The votes to slice and each one's slice by ``by`` (category, author or
        criterion); `BadInput` when no vote has one."""
        if by == "criterion":
            votes, values = self.criterion_votes, self.criterion_labels
        else:
            votes, values = self.votes, self.slices.get(by)
        if votes is None or values is None or not any(value is not None for value in values):
            where = ("a votes file with a column " + repr(by)) if self.kind == "votes file" else (
                "a run whose items have one" if by != "criterion" else "a run judged with judge.per_criterion")
            raise BadInput(f"no vote has a {by}: --by {by} needs {where}", path=self.path, field="--by")
        return votes, values

    def for_criterion(self, criterion: str) -> VoteSource:
        """This source with one criterion's verdicts in place of the overall ones."""
        if criterion not in self.criteria:
            known = f"its criteria: {', '.join(self.criteria)}" if self.criteria else "it has no verdict per criterion"
            raise BadInput(f"no verdict on the criterion {criterion!r} ({known})", path=self.path,
                           field="--criterion")
        assert self.criterion_votes is not None and self.criterion_labels is not None
        votes = self.criterion_votes.select(self.criterion_labels == criterion)
        return dataclasses.replace(self, votes=votes, lengths=_aligned_lengths(votes, self.word_counts), slices={},
                                   human=None, human_selection=None)

    def authors(self) -> dict[str, str]:
        """Each item's author, where known (the authorship bias needs them)."""
        values = self.slices.get("author")
        if values is None:
            return {}
        return {self.votes.items[k]: author for k, author in zip(self.votes.item.tolist(), values.tolist())
                if author is not None}

    def missing_note(self) -> str | None:
        """A line saying whose answers are missing, so pairs were left out (None: none)."""
        if not self.missing_answers:
            return None
        who = "; ".join(f"{model} has no answer for {n} item(s)" for model, n in self.missing_answers.items())
        return f"left out: pairs with a missing answer were not judged — {who}"


def _aligned_lengths(votes: Votes, words: dict[tuple[str, str], int]) -> np.ndarray | None:
    if not words:
        return None
    item_at = {name: i for i, name in enumerate(votes.items)}
    model_at = {name: m for m, name in enumerate(votes.models)}
    lengths = np.full((len(votes.items), len(votes.models)), np.nan)
    for (item, model), value in words.items():
        if item in item_at and model in model_at:
            lengths[item_at[item], model_at[model]] = value
    return lengths


@dataclass(frozen=True)
class RunFacts:
    """What a report says about a run: config hash, members, counts, spend."""

    run_dir: str
    config_hash: str | None
    package_version: str | None
    last_run_started: str | None
    members: list[dict[str, Any]]
    counts: dict[str, int]  # items, responses, judgments, unscored
    cost_usd: float
    complete: bool

    def to_dict(self) -> dict[str, Any]:
        facts = {name: getattr(self, name) for name in ("run_dir", "config_hash", "package_version",
                                                          "last_run_started", "members")}
        return {**facts, **self.counts, "cost_usd": self.cost_usd, "complete": self.complete}


def run_facts(store: RunStore) -> RunFacts:
    """What a report says about a run (`RunFacts`)."""
    from council.engine.status import run_status  # a run's completeness is the engine's rule

    invocation = store.latest_invocation() or {}
    config = store.config()
    status = run_status(store.ledger, config)
    members = [{"name": m.name, "model": m.model, "roles": list(m.roles)} for m in (config.members if config else [])]
    return RunFacts(str(store.path), invocation.get("config_hash"), invocation.get("package_version"),
                    invocation.get("started_at"), members, store.counts(), status.cost_usd, status.complete)


def open_source(path: str | Path, read: ReadOptions | None = None, *, facts: bool = True, **options) -> VoteSource:
    """Read a run directory (votes, answer lengths, run facts) or a votes file.

    ``read`` (or its fields as keywords: ``unknown_verdicts``, ``duplicates``,
    ``self_pairs``) says what a votes file's unclean rows do. ``facts=False`` skips
    the run's facts (its status, config and counts), which only a report needs.
    """
    read = read or ReadOptions(**options)
    path = Path(path)
    if path.is_dir():
        from council.store.frames import open_run  # runs only: reading a votes file needs no store

        with open_run(path) as store:
            votes = store.scoring_votes()
            words = store.word_counts()
            human, selection = store.human_votes()
            by_criterion, criterion_labels = store.criterion_votes()
            return VoteSource(str(path), "run", votes, _aligned_lengths(votes, words),
                              run_facts(store).to_dict() if facts else {}, missing_answers=store.missing_answers(),
                              human=human, human_selection=selection, slices=_item_slices(votes, store.items),
                              criterion_votes=by_criterion, criterion_labels=criterion_labels, word_counts=words)
    found = read_votes(path, unknown_verdicts=read.unknown_verdicts, duplicates=read.duplicates,
                       self_pairs=read.self_pairs)
    votes, slices = found.votes, dict(found.slices)
    criterion = slices.pop("criterion", None)
    by_criterion = criterion_labels = None
    if criterion is not None and any(value is not None for value in criterion):
        overall = np.array([value is None for value in criterion.tolist()], dtype=bool)
        by_criterion, criterion_labels = votes.select(~overall), criterion[~overall]
        votes, slices = votes.select(overall), {name: values[overall] for name, values in slices.items()}
    summary = {
        "votes_file": str(path),
        "judgments": len(votes),
        "unscored": votes.n_unscored,
        "unknown_verdicts": len(found.unknown_verdicts),
        "duplicates": found.n_duplicates,
        "self_pairs_dropped": found.n_self_pairs_dropped,
        "items": len(votes.items),
        "judges": len(votes.judges),
        "models": len(votes.models),
    }
    return VoteSource(str(path), "votes file", votes, None, summary if facts else {}, found.unknown_verdicts,
                      found.n_duplicates, found.n_self_pairs_dropped, slices=slices, criterion_votes=by_criterion,
                      criterion_labels=criterion_labels)


def _item_slices(votes: Votes, items) -> dict[str, np.ndarray]:
    """A run's items' category and author (a frame of its items), one per vote (None
    where an item has none, or a store too old to record it)."""
    found = {}
    for name in ("category", "author"):
        by_id = dict(zip(items["id"].to_list(), items[name].to_list()))
        found[name] = np.array([by_id.get(i) or None for i in votes.items], dtype=object)[votes.item]
    return found

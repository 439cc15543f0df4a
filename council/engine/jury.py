"""Rank your own systems, and compare two answers, from Python: `Jury`.

A jury is a council whose members only judge. `Jury.rank` writes the items and the
answers it is given into the run directory (``inputs/``) and runs an ordinary council
on them — the same ledger, pacing, retries, strict verdict parsing and resume as
`council run`, so ``council status|score|judges|report`` read the directory as any
other. `Jury.compare` is a one-item run of two answers.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from council.config import (
    NAME_PATTERN,
    CandidateConfig,
    CouncilConfig,
    MemberConfig,
    TaskConfig,
    check_task_name,
    parse_config,
)
from council.engine.candidates import Answerer
from council.engine.plan import LeftOut
from council.engine.runner import RunReport, run_async, run_coroutine
from council.engine.status import RunStatus
from council.errors import BadInput
from council.inputs.conversations import BadConversation, check_messages
from council.inputs.files import write_atomically
from council.inputs.items import ID_RULE, SEED_ID
from council.store.frames import open_run
from council.vocab import Role
from scoring.display import html_table

if TYPE_CHECKING:
    import polars as pl

    from scoring import Leaderboard, ScoringSettings

__all__ = ["Comparison", "Items", "JudgeVote", "Jury", "RankResult"]

#: Items to rank on, by id: a text, or a conversation's turns ``[{"role", "content"}…]``
#: ending with the user's (the answers are the next assistant turn).
Items = Mapping[str, "str | Sequence[Mapping[str, str]]"]

#: The columns `council score` reads from a votes file.
VOTE_COLUMNS = ("item", "judge", "model_a", "model_b", "verdict")
#: What `Jury.compare` calls the two answers in its run.
FIRST, SECOND = "answer_a", "answer_b"


@dataclass(frozen=True)
class RankResult:
    """What `Jury.rank` found. ``leaderboard`` ranks the candidates (intervals, tiers,
    separability); ``votes`` are the judgments, one row per judge and order; ``complete``
    is False when some work failed (``status`` says which) — the leaderboard then
    stands on the votes there are. ``left_out`` counts the judgments of pairs that could
    not be formed because a candidate did not answer an item."""

    leaderboard: Leaderboard
    votes: pl.DataFrame
    complete: bool
    status: RunStatus
    left_out: LeftOut
    run_dir: str | None  # None: the run lived in a temporary directory, now gone
    estimand: str = "jury"  # what the leaderboard estimates: the jury's preference

    def __str__(self) -> str:
        return f"{self.leaderboard}\n\nrun: {'complete' if self.complete else 'not complete'}" + (
            f"; {self.left_out.line()}" if self.left_out.judgments else "")

    def __repr__(self) -> str:
        return (f"RankResult({len(self.leaderboard.models)} models, {len(self.votes)} votes, "
                f"complete={self.complete}, run_dir={self.run_dir!r})")

    def _repr_html_(self) -> str:
        return self.leaderboard._repr_html_()

    def to_polars(self) -> pl.DataFrame:
        """The leaderboard, one row per model."""
        return self.leaderboard.to_polars()


@dataclass(frozen=True)
class JudgeVote:
    """One judge's verdict in one order. ``label`` is as the judge gave it, about the
    positions it saw; ``corrected`` is the same verdict about ``a`` and ``b`` as they
    were given to `Jury.compare` (A is ``a``). None: the judge gave no readable verdict."""

    judge: str
    order: str  # "ab": a was shown first; "ba": b was
    label: str | None
    corrected: str | None
    reasoning: str | None


@dataclass(frozen=True)
class Comparison:
    """The jury's verdict on ``a`` against ``b``.

    ``verdict`` pools every order-corrected vote by the paper's mean pooling (A>>B … B>>A
    as 2 … −2, averaged, rounded half to even; 0 is the tie ``"A=B"``); None when no
    judge gave a readable verdict. ``agreement`` is the share of judges whose own
    order-corrected mean lies on the consensus side (the tie counts as a side);
    ``position_consistency`` the share of judges whose two orders agree on the side.
    """

    verdict: str | None
    mean: float | None
    votes: tuple[JudgeVote, ...]
    agreement: float | None
    position_consistency: float | None

    def _rows(self) -> list[list[object]]:
        return [[v.judge, v.order, v.label or "—", v.corrected or "—"] for v in self.votes]

    def _summary(self) -> str:
        def share(x: float | None) -> str:
            return "—" if x is None else f"{100 * x:.0f}%"

        mean = "—" if self.mean is None else f"{self.mean:+.2f}"
        return (f"verdict {self.verdict or '— (no readable verdict)'} (mean {mean}; judges on its side "
                f"{share(self.agreement)}, consistent across orders {share(self.position_consistency)})")

    def __str__(self) -> str:
        width = max([len(v.judge) for v in self.votes] + [5])
        lines = [self._summary(), f"{'judge':<{width}}  order  label  corrected"]
        lines += [f"{j:<{width}}  {o:<5}  {lab:<5}  {c}" for j, o, lab, c in map(tuple, self._rows())]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return html_table(["judge", "order", "label", "corrected"], self._rows(), caption=self._summary())

    def to_polars(self) -> pl.DataFrame:
        """One row per judge and order."""
        import polars as pl

        return pl.DataFrame(self._rows(), schema=["judge", "order", "label", "corrected"], orient="row")


def _side(value: float) -> int:
    return (value > 0) - (value < 0)


def _checked_id(kind: str, value: object) -> str:
    text = str(value)
    if not SEED_ID.match(text):
        raise BadInput(f"{kind} id {text!r} {ID_RULE}")
    return text


def _item_fields(key: object, value: object) -> dict:
    """An item given from Python as a file line: a text, or a conversation's turns."""
    if isinstance(value, str):
        return {"text": value}
    try:
        return {"messages": list(check_messages(list(value) if isinstance(value, list | tuple) else value))}
    except BadConversation as error:
        raise BadInput(f"item {str(key)!r}: {error}", field=error.field) from None


def _as_judge(member: MemberConfig | Mapping) -> MemberConfig:
    if isinstance(member, Mapping):
        member = MemberConfig.model_validate(dict(member))
    return member.model_copy(update={"roles": (Role.JUDGE.value,)})


class Jury:
    """Judges and a task; `rank` ranks candidates' answers, `compare` compares two.

    Parameters
    ----------
    judges : list of `council.Member`
        Who judges (whatever roles they were given, they only judge here).
    task : str or `council.Task`
        A built-in task's name (`council tasks` lists them) or a task of your own.
    judge : dict or `council.config.JudgeConfig`, optional
        How pairs are formed and judged (``pairing``, ``allow_tie``, ``max_reasks``…);
        every pair in both orders by every judge unless told otherwise.
    budget_usd : float, optional
        A cap on what the jury may spend per run directory.
    retry : dict, optional
        Retry settings, as a council file's ``retry:`` section.
    seed : int
        The seed of every seeded choice (sampled pairs).
    workers : int or "auto"
        Processes for large stages. 1 (the default) keeps everything in this process:
        worker processes start by importing your ``__main__``, which a script without
        an ``if __name__ == "__main__":`` guard does not survive. ``"auto"`` (as
        `council run`) lifts litellm's per-call CPU cost off one core for 1000+ calls.
    """

    def __init__(self, judges: list[MemberConfig], task: str | TaskConfig | Mapping = "emotional-intelligence", *,
                 judge: Any = None, budget_usd: float | None = None, retry: Any = None, seed: int = 0,
                 workers: int | str = 1):
        if not judges:
            raise BadInput("a jury needs at least one judge")
        self.judges = tuple(_as_judge(member) for member in judges)
        if isinstance(task, Mapping):
            task = TaskConfig.model_validate(dict(task))
        if isinstance(task, TaskConfig):  # template files are relative to where you are, not to the run
            files = {stage: str(Path(path).resolve()) for stage, path in task.prompts.model_dump().items() if path}
            task = task.model_copy(update={"prompts": task.prompts.model_copy(update=files)})
        if isinstance(task, str):
            try:
                check_task_name(task)
            except ValueError as error:
                raise BadInput(str(error)) from None
        self.task = task
        self.sections: dict[str, Any] = {"seed": seed, "workers": workers}
        for name, value in (("judge", judge), ("retry", retry)):
            if value is not None:
                self.sections[name] = value if isinstance(value, Mapping) else value.model_dump()
        if budget_usd is not None:
            self.sections["budget"] = {"max_usd": budget_usd}

    # -- the council behind a call ------------------------------------------------------
    def _config(self, run_dir: Path, items_file: str, candidates: list[CandidateConfig],
                answered_by: frozenset[str]) -> CouncilConfig:
        task = self.task if isinstance(self.task, str) else self.task.model_dump(mode="json")
        document = {
            "name": "jury", **self.sections, "task": task,
            "members": [m.model_dump(mode="json", exclude_defaults=True) | {"roles": [Role.JUDGE.value]}
                        for m in self.judges],
            "test_set": {"items": items_file},
            "candidates": [c.model_dump(mode="json") for c in candidates],
        }
        return parse_config(document, path="<jury>", base_dir=str(run_dir), answered_by=answered_by)

    def _write_inputs(self, run_dir: Path, items: Items,
                      answers: Mapping[str, Mapping[str, str] | Answerer]) -> tuple[list[CandidateConfig], dict]:
        """The items and the answers given as data, as files in ``run_dir/inputs``;
        the candidates, and the functions that answer for the others."""
        if not items:
            raise BadInput("no items to judge")
        if len(answers) < 2:
            raise BadInput("rank needs the answers of at least two candidates")
        folder = run_dir / "inputs"
        (folder / "answers").mkdir(parents=True, exist_ok=True)
        lines = [json.dumps({"id": _checked_id("item", key), **_item_fields(key, value)}, ensure_ascii=False)
                 for key, value in items.items()]
        write_atomically(folder / "items.jsonl", "\n".join(lines) + "\n")
        known = {str(key) for key in items}
        candidates, functions = [], {}
        for name, given in answers.items():
            if not re.match(NAME_PATTERN, str(name)):
                raise BadInput(f"candidate name {name!r} may use only letters, digits and . _ - (at most 64)")
            if callable(given):
                functions[name] = given
                candidates.append(CandidateConfig(name=name))
                continue
            for item, text in given.items():  # said about the data given, not about the file it becomes
                if str(item) not in known:
                    raise BadInput(f"candidate {name!r} answers unknown item {str(item)!r}")
                if not isinstance(text, str) or not text.strip():
                    raise BadInput(f"candidate {name!r}: the answer to item {str(item)!r} is empty or not text")
            rows = [json.dumps({"item": str(item), "answer": text}, ensure_ascii=False) for item, text in given.items()]
            write_atomically(folder / "answers" / f"{name}.jsonl", "\n".join(rows) + "\n")
            candidates.append(CandidateConfig(name=name, answers=f"inputs/answers/{name}.jsonl"))
        return candidates, functions

    @contextmanager
    def _directory(self, run_dir: str | Path | None) -> Iterator[Path]:
        if run_dir is not None:
            path = Path(run_dir)
            path.mkdir(parents=True, exist_ok=True)
            yield path
            return
        with tempfile.TemporaryDirectory(prefix="council-jury-") as temporary:
            yield Path(temporary)

    # -- ranking --------------------------------------------------------------------------
    async def arank(self, items: Items, answers: Mapping[str, Mapping[str, str] | Answerer],
                    run_dir: str | Path | None = None, *, settings: ScoringSettings | None = None,
                    progress: bool = False) -> RankResult:
        """Rank the candidates in ``answers`` on ``items``.

        ``items`` maps item ids to texts; ``answers`` maps each candidate to its answers
        by item id, or to a function ``(item text) -> answer`` (async or not) called once
        per item and stored. With ``run_dir`` the run is kept and resumable: calling
        again asks nothing already stored. ``settings`` are how votes become the
        leaderboard (`scoring.ScoringSettings`; the defaults of `council score`).
        """
        with self._directory(run_dir) as folder:
            candidates, functions = self._write_inputs(folder, items, answers)
            config = self._config(folder, "inputs/items.jsonl", candidates, frozenset(functions))
            report = await run_async(config, folder, progress=progress, answerers=functions)
            return self._result(report, folder, settings, kept=run_dir is not None)

    def rank(self, items: Items, answers: Mapping[str, Mapping[str, str] | Answerer],
             run_dir: str | Path | None = None, *, settings: ScoringSettings | None = None,
             progress: bool = False) -> RankResult:
        """`arank`, waited for (in a notebook too)."""
        return run_coroutine(self.arank(items, answers, run_dir, settings=settings, progress=progress))

    @staticmethod
    def _result(report: RunReport, folder: Path, settings: ScoringSettings | None, kept: bool) -> RankResult:
        with open_run(folder) as store:
            leaderboard = store.leaderboard(settings)
            votes = store.votes.select(VOTE_COLUMNS)
        return RankResult(leaderboard, votes, report.complete, report.status, report.status.left_out,
                          str(folder) if kept else None)

    # -- comparing --------------------------------------------------------------------------
    async def acompare(self, item: str, a: str, b: str, run_dir: str | Path | None = None) -> Comparison:
        """The jury's verdict on answer ``a`` against answer ``b`` to ``item``: every
        judge, both orders. With ``run_dir``, judgments are kept and asked only once."""
        key = "compare-" + hashlib.sha256(f"{item}\0{a}\0{b}".encode()).hexdigest()[:16]
        with self._directory(run_dir) as folder:
            candidates, _ = self._write_inputs(folder, {key: item}, {FIRST: {key: a}, SECOND: {key: b}})
            config = self._config(folder, "inputs/items.jsonl", candidates, frozenset())
            await run_async(config, folder, progress=False)
            with open_run(folder) as store:
                rows = store.votes.filter(item=key).select("judge", "model_a", "verdict", "reasoning").rows()
        return _comparison(rows)

    def compare(self, item: str, a: str, b: str, run_dir: str | Path | None = None) -> Comparison:
        """`acompare`, waited for (in a notebook too)."""
        return run_coroutine(self.acompare(item, a, b, run_dir))


def _comparison(rows: list[tuple]) -> Comparison:
    from scoring import aggregate_votes, make_votes
    from scoring.votes import label_of, outcome_of

    votes = []
    for judge, first, label, reasoning in rows:
        flipped = first != FIRST
        outcome = outcome_of(label) if label is not None else None
        corrected = None if outcome is None else label_of(-outcome if flipped else outcome)
        votes.append(JudgeVote(judge, "ba" if flipped else "ab", label, corrected, reasoning))
    votes.sort(key=lambda vote: (vote.judge, vote.order))
    scored = [v for v in votes if v.corrected is not None]
    if not scored:
        return Comparison(None, None, tuple(votes), None, None)
    pooled = aggregate_votes(make_votes(["item"] * len(scored), [v.judge for v in scored], [FIRST] * len(scored),
                                        [SECOND] * len(scored), [v.corrected for v in scored]), "mean")
    verdict = label_of(int(pooled.outcome[0]))
    mean = sum(outcome_of(v.corrected) for v in scored) / len(scored)  # type: ignore[misc]
    by_judge: dict[str, list[int]] = {}
    for vote in scored:
        by_judge.setdefault(vote.judge, []).append(outcome_of(vote.corrected))  # type: ignore[arg-type]
    side = _side(int(pooled.outcome[0]))
    agreement = sum(_side(sum(o) / len(o)) == side for o in by_judge.values()) / len(by_judge)
    both = [o for o in by_judge.values() if len(o) == 2]
    consistency = sum(_side(o[0]) == _side(o[1]) for o in both) / len(both) if both else None
    return Comparison(verdict, mean, tuple(votes), agreement, consistency)

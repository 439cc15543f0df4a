"""Votes files: JSONL, CSV or Parquet with one vote per row.

Columns are ``item, judge, model_a, model_b, verdict``; the Language Model Council's
own field names (``emobench_id, llm_judge, first_completion_by, second_completion_by,
pairwise_choice``) are read as they are. An empty verdict (or ``unscored``) is an
unscored vote; any other string that is not a label is bad input unless the caller
asks to count it as unscored.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from council.errors import BadInput
from council.inputs.jsonl import read_objects
from scoring import LABELS, UNSCORED, Votes, make_votes, outcome_of

__all__ = ["COLUMNS", "VotesFile", "read_votes"]

COLUMNS = ("item", "judge", "model_a", "model_b", "verdict")
PAPER_COLUMNS = {
    "emobench_id": "item",
    "llm_judge": "judge",
    "first_completion_by": "model_a",
    "second_completion_by": "model_b",
    "pairwise_choice": "verdict",
}
UnknownVerdicts = Literal["error", "unscored"]


@dataclass(frozen=True)
class VotesFile:
    """The votes read from a file, and the rows whose verdict was not a label."""

    votes: Votes
    unknown_verdicts: tuple[tuple[int, str], ...]  # (line, value)


def _column_map(fields: list[str], path: str) -> dict[str, str]:
    """Our column name → the file's, accepting the paper's names."""
    present = {}
    for name in fields:
        ours = PAPER_COLUMNS.get(name, name)
        if ours in COLUMNS and ours not in present:
            present[ours] = name
    missing = [column for column in COLUMNS if column not in present]
    if missing:
        raise BadInput(
            f"missing column {missing[0]!r} (need {', '.join(COLUMNS)}; found {', '.join(fields) or 'none'})",
            path=path,
            field=missing[0],
        )
    return present


def _csv_rows(path: str) -> Iterator[tuple[int, dict]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:
            raise BadInput(f"malformed CSV ({error})", path=path, line=reader.line_num) from None


def _parquet_rows(path: str) -> Iterator[tuple[int, dict]]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # polars raises several kinds for a bad file
        raise BadInput(f"cannot read Parquet ({error})", path=path) from None
    yield from enumerate(frame.iter_rows(named=True), start=1)


def _rows(path: str) -> Iterator[tuple[int, dict]]:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return read_objects(path)
    if suffix == ".csv":
        return _csv_rows(path)
    if suffix in (".parquet", ".pq"):
        return _parquet_rows(path)
    raise BadInput("unknown votes file type: use .jsonl, .csv or .parquet", path=path)


def read_votes(path: str | Path, *, unknown_verdicts: UnknownVerdicts = "error") -> VotesFile:
    """Read a votes file.

    Parameters
    ----------
    path : str or Path
    unknown_verdicts : {"error", "unscored"}
        What a verdict that is neither a label nor empty/``unscored`` does: stop with
        `BadInput` naming its line, or become an unscored vote that is reported.

    Raises
    ------
    BadInput
        Unreadable file, missing column, empty name, unknown verdict, no votes.
    """
    path = str(path)
    if Path(path).is_dir():
        raise BadInput("is a directory; give a votes file (.jsonl, .csv or .parquet)", path=path)
    if not Path(path).exists():
        raise BadInput("no such file", path=path)
    columns: dict[str, list] = {column: [] for column in COLUMNS}
    unknown: list[tuple[int, str]] = []
    mapping: dict[str, str] | None = None
    try:
        for number, row in _rows(path):
            if mapping is None:
                mapping = _column_map(list(row), path)
            names = {}
            for ours, theirs in mapping.items():
                value = row.get(theirs)
                if ours != "verdict" and (value is None or str(value).strip() == ""):
                    raise BadInput("missing or empty", path=path, line=number, field=theirs)
                names[ours] = value
            if str(names["model_a"]).strip() == str(names["model_b"]).strip():
                raise BadInput(
                    f"model_a and model_b are the same model ({names['model_a']!r})", path=path, line=number
                )
            for ours in ("item", "judge", "model_a", "model_b"):
                columns[ours].append(str(names[ours]).strip())
            verdict = names["verdict"]
            code = outcome_of(verdict)
            if code is None:
                if unknown_verdicts == "error":
                    raise BadInput(
                        f"unknown verdict {verdict!r} (expected one of {', '.join(LABELS)}, "
                        "or empty / 'unscored' for a vote without a verdict)",
                        path=path,
                        line=number,
                        field=mapping["verdict"],
                    )
                unknown.append((number, str(verdict)))
                code = UNSCORED
            columns["verdict"].append(code)
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", path=path) from None
    if not columns["verdict"]:
        raise BadInput("contains no votes", path=path)
    votes = make_votes(columns["item"], columns["judge"], columns["model_a"], columns["model_b"], columns["verdict"])
    return VotesFile(votes=votes, unknown_verdicts=tuple(unknown))

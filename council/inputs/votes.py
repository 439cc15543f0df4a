"""Votes files: JSON Lines, a JSON array, CSV or Parquet with one vote per row.

Columns are ``item, judge, model_a, model_b, verdict``; the Language Model Council's
own field names (``emobench_id, llm_judge, first_completion_by, second_completion_by,
pairwise_choice``) are read as they are. An empty verdict (or ``unscored``) is an
unscored vote; any other string that is not a label is bad input unless the caller
asks to count it as unscored. Names are compared as people mean them: stripped and in
Unicode NFC, so a composed and a decomposed "café" are one model.

Files are read column-wise (polars), and names are canonicalised and numbered once per
distinct value, so memory grows with the votes plus the distinct names, not with the
votes times the longest name. A file the fast reader cannot take, or whose first
problem needs its line named, is read again row by row: that slower reader is the one
that says where the problem is.
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from council.errors import BadInput
from council.inputs.jsonl import read_objects
from scoring import LABELS, UNSCORED, Votes, outcome_of
from scoring.aggregation import row_keys

__all__ = [
    "COLUMNS", "SLICE_COLUMNS", "Duplicates", "ReadOptions", "SelfPairs", "UnknownVerdicts", "VotesFile",
    "canonical_name",
    "line_of_row", "read_votes",
]

COLUMNS = ("item", "judge", "model_a", "model_b", "verdict")
NAME_COLUMNS = COLUMNS[:4]
#: Columns a votes file may carry besides: what `council score --by` slices by. An
#: item's category and author are the item's (one per item); a criterion is the vote's.
SLICE_COLUMNS = ("category", "author", "criterion")
ITEM_COLUMNS = ("category", "author")
PAPER_COLUMNS = {
    "emobench_id": "item",
    "llm_judge": "judge",
    "first_completion_by": "model_a",
    "second_completion_by": "model_b",
    "pairwise_choice": "verdict",
}
SUFFIXES = ".jsonl, .json, .csv or .parquet"
UnknownVerdicts = Literal["error", "unscored"]
Duplicates = Literal["keep", "first", "error"]
SelfPairs = Literal["drop", "error"]


@dataclass(frozen=True)
class ReadOptions:
    """What to do with rows that are readable but not clean votes.

    Attributes
    ----------
    unknown_verdicts : {"error", "unscored"}
        A verdict that is neither a label nor empty/``unscored``: stop naming its line,
        or keep the vote as unscored and report it.
    duplicates : {"keep", "first", "error"}
        Votes repeating an earlier one's item, judge, model_a and model_b: count them
        all (and report how many), keep only the first, or stop.
    self_pairs : {"drop", "error"}
        Rows comparing a model with itself (e.g. a reference against itself): leave
        them out with a count, or stop.
    """

    unknown_verdicts: UnknownVerdicts = "error"
    duplicates: Duplicates = "keep"
    self_pairs: SelfPairs = "drop"


@dataclass(frozen=True)
class VotesFile:
    """The votes read from a file, and what reading them set aside or noticed."""

    votes: Votes
    unknown_verdicts: tuple[tuple[int, str], ...]  # (line, value)
    n_duplicates: int = 0  # votes repeating an earlier key (removed when duplicates="first")
    n_self_pairs_dropped: int = 0
    # The file's slice columns (`SLICE_COLUMNS` it has), one value per vote (None: empty).
    slices: dict[str, np.ndarray] = field(default_factory=dict)


def canonical_name(value: object) -> str:
    """A name as it is compared everywhere: stripped, in Unicode NFC."""
    return unicodedata.normalize("NFC", str(value).strip())


class _NeedsLines(Exception):
    """Raised by the fast reader where only a line number makes a good message."""


def _column_map(fields: list[str], path: str) -> dict[str, str]:
    """Our column name → the file's, accepting the paper's names; the slice columns
    the file has come along."""
    present = {}
    for name in fields:
        ours = PAPER_COLUMNS.get(name, name)
        if ours in COLUMNS + SLICE_COLUMNS and ours not in present:
            present[ours] = name
    missing = [column for column in COLUMNS if column not in present]
    if missing:
        raise BadInput(
            f"missing column {missing[0]!r} (need {', '.join(COLUMNS)}; found {', '.join(fields) or 'none'})",
            path=path,
            field=missing[0],
        )
    return present


def _kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        # A .json file is a JSON array of votes, or JSON Lines under another name.
        try:
            with open(path, "rb") as handle:
                start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
        except OSError as error:
            raise BadInput(f"cannot read file ({error.strerror})", path=path) from None
        return "array" if start.startswith(b"[") else "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise BadInput(f"unknown votes file type: use {SUFFIXES}", path=path)


# --- the fast reader: whole columns -------------------------------------------------


def _first_object_fields(path: str, kind: str) -> list[str] | None:
    """The keys of the file's first vote object, from its first 64 KB (None if that
    does not hold one whole)."""
    with open(path, encoding="utf-8-sig", errors="replace") as handle:
        head = handle.read(65536)
    if kind == "array":
        head = head[head.find("[") + 1:]
    try:
        first, _ = json.JSONDecoder().raw_decode(head.lstrip())
    except json.JSONDecodeError:
        return None
    return list(first) if isinstance(first, dict) else None


def _fast_frame(path: str, kind: str):
    """The file's five columns as a polars frame of text and the column map, or None
    when the column reader cannot take the file as it is (the row reader decides)."""
    import polars as pl

    try:
        if kind == "csv":
            mapping = _column_map(pl.read_csv(path, n_rows=0).columns, path)
            frame = pl.read_csv(path, columns=list(mapping.values()), infer_schema=False,
                                schema_overrides=dict.fromkeys(mapping.values(), pl.Categorical))
        elif kind == "parquet":
            mapping = _column_map(list(pl.read_parquet_schema(path)), path)
            frame = pl.read_parquet(path, columns=list(mapping.values()))
        else:
            fields = _first_object_fields(path, kind)
            if fields is None:
                return None
            mapping = _column_map(fields, path)
            # Only the five fields are read, as text (numbers become their decimal text),
            # each distinct value stored once.
            read = pl.read_ndjson if kind == "jsonl" else pl.read_json
            try:
                frame = read(path, schema=dict.fromkeys(mapping.values(), pl.Categorical))
            except Exception:  # numbers do not read as categories: as text, then
                frame = read(path, schema=dict.fromkeys(mapping.values(), pl.String))
    except BadInput:
        raise
    except Exception:  # polars raises many kinds for a file it cannot take; the row reader explains
        return None
    frame = frame.rename({theirs: ours for ours, theirs in mapping.items()})
    for column in SLICE_COLUMNS:
        if column in frame.columns and not (frame.schema[column] in (pl.String, pl.Null, pl.Categorical)
                                            or frame.schema[column].is_integer()):
            return None  # the row reader spells other values as text
    for column in COLUMNS:
        dtype = frame.schema[column]
        if not (dtype.is_integer() or dtype in (pl.String, pl.Null, pl.Categorical)) or (
            column == "verdict" and dtype.is_integer()
        ):
            return None  # floats, booleans, nested values, numeric verdicts: the row reader's rules
    return frame.with_columns(pl.col(column).cast(pl.String).cast(pl.Categorical) for column in COLUMNS
                              if frame.schema[column] != pl.Categorical), mapping


# --- the row reader: every row, with its line ----------------------------------------


def _csv_rows(path: str) -> Iterator[tuple[int, dict]]:
    # utf-8-sig: Excel's "CSV UTF-8" starts with a byte-order mark.
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        try:
            for row in reader:
                yield reader.line_num, row
        except csv.Error as error:
            raise BadInput(f"malformed CSV ({error})", path=path, line=reader.line_num) from None


def _array_rows(path: str) -> Iterator[tuple[int, dict]]:
    """The objects of a JSON array file, each with the line its object starts on."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            text = handle.read()
    except OSError as error:
        raise BadInput(f"cannot read file ({error.strerror})", path=path) from None
    decoder = json.JSONDecoder()
    position, line = text.index("[") + 1, text.count("\n", 0, text.index("[")) + 1

    def skip(position: int) -> int:
        while position < len(text) and text[position] in " \t\r\n":
            position += 1
        return position

    counted = 0
    position = skip(position)
    if position < len(text) and text[position] == "]":
        return
    while True:
        line += text.count("\n", counted, position)
        counted = position
        try:
            row, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as error:
            raise BadInput(f"not valid JSON ({error.msg})", path=path, line=error.lineno) from None
        if not isinstance(row, dict):
            raise BadInput("expected a JSON array of objects", path=path, line=line)
        yield line, row
        position = skip(position)
        if position < len(text) and text[position] == "]":
            if text[skip(position + 1):]:
                raise BadInput("text after the JSON array", path=path)
            return
        if position >= len(text) or text[position] != ",":
            raise BadInput("not valid JSON (expected ',' or ']' between votes)", path=path,
                           line=text.count("\n", 0, position) + 1)
        position = skip(position + 1)


def _parquet_rows(path: str) -> Iterator[tuple[int, dict]]:
    import polars as pl

    try:
        frame = pl.read_parquet(path)
    except Exception as error:  # polars raises several kinds for a bad file
        raise BadInput(f"cannot read Parquet ({error})", path=path) from None
    yield from enumerate(frame.iter_rows(named=True), start=1)


def _text(value: object) -> str | None:
    """A field's value as text, as the column reader gives it (JSON spelling for
    booleans and nested values); None for a missing one."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, dict, list)):
        return json.dumps(value)
    return str(value)


def _slow_frame(path: str, kind: str):
    """The five columns read row by row, with each row's line number."""
    import polars as pl

    rows = {"jsonl": read_objects, "array": _array_rows, "csv": _csv_rows, "parquet": _parquet_rows}[kind](path)
    columns: dict[str, list] = {column: [] for column in COLUMNS}
    lines: list[int] = []
    mapping: dict[str, str] | None = None
    try:
        for number, row in rows:
            if mapping is None:
                mapping = _column_map(list(row), path)
                columns.update({column: [] for column in SLICE_COLUMNS if column in mapping})
            for ours, theirs in mapping.items():
                value = row.get(theirs)
                columns[ours].append(_text(value))
            lines.append(number)
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text", path=path) from None
    if mapping is None:
        raise BadInput("contains no votes", path=path)
    return pl.DataFrame(columns, schema=dict.fromkeys(columns, pl.Categorical)), mapping, np.array(lines)


# --- from columns to votes -----------------------------------------------------------


def _distinct(series) -> tuple[list, np.ndarray]:
    """The distinct values of a categorical column, and each row's index among them."""
    codes = series.to_physical()
    present = codes.unique().drop_nulls()
    lookup = np.full(int(present.max() or 0) + 1, -1, dtype=np.int32)
    lookup[present.to_numpy()] = np.arange(len(present), dtype=np.int32)
    values = series.unique().drop_nulls()
    order = lookup[values.to_physical().to_numpy()]
    distinct: list = [None] * len(present)
    for position, value in zip(order, values.cast(str).to_list()):
        distinct[position] = value
    return distinct, lookup[codes.fill_null(0).to_numpy()]


def _empty_rows(series) -> np.ndarray:
    import polars as pl

    text = series.cast(pl.String)
    return np.flatnonzero((text.is_null() | (text.str.strip_chars() == "")).to_numpy())


def _numbered(series, path: str, field: str, lines) -> tuple[tuple[str, ...], np.ndarray]:
    """Sorted canonical names and each row's index among them, canonicalising each
    distinct value once."""
    distinct, index_of_row = _distinct(series)
    canonical = [canonical_name(value) for value in distinct]
    if series.null_count() or "" in canonical:
        if lines is None:
            raise _NeedsLines
        raise BadInput("missing or empty", path=path, line=int(lines[_empty_rows(series)[0]]), field=field)
    names = sorted(set(canonical))  # code-point order, as make_votes sorts
    position = {name: k for k, name in enumerate(names)}
    to_name = np.array([position[name] for name in canonical], dtype=np.int32)
    return tuple(names), to_name[index_of_row]


def _outcomes(series, options: ReadOptions, path: str, field: str, lines) -> tuple[np.ndarray, tuple]:
    distinct, index_of_row = _distinct(series)
    codes = [outcome_of(value) for value in distinct]
    # A missing verdict is an unscored vote: the row index -1 picks the UNSCORED appended last.
    outcome_of_value = np.array([UNSCORED if code is None else code for code in codes] + [UNSCORED], dtype=np.int8)
    index_of_row = np.where(series.is_null().to_numpy(), -1, index_of_row)
    unknown: tuple[tuple[int, str], ...] = ()
    unknown_values = np.array([code is None for code in codes] + [False])
    rows = np.flatnonzero(unknown_values[index_of_row])
    if rows.size:
        if lines is None:
            raise _NeedsLines
        if options.unknown_verdicts == "error":
            raise BadInput(
                f"unknown verdict {distinct[index_of_row[rows[0]]]!r} (expected one of {', '.join(LABELS)}, "
                "or empty / 'unscored' for a vote without a verdict)",
                path=path, line=int(lines[rows[0]]), field=field,
            )
        unknown = tuple((int(lines[row]), str(distinct[index_of_row[row]])) for row in rows)
    return outcome_of_value[index_of_row], unknown


def _votes(frame, mapping: dict[str, str], lines, options: ReadOptions, path: str) -> VotesFile:
    import polars as pl

    if frame.height == 0:
        raise BadInput("contains no votes", path=path)
    items, item = _numbered(frame["item"], path, mapping["item"], lines)
    judges, judge = _numbered(frame["judge"], path, mapping["judge"], lines)
    both = pl.concat([frame["model_a"], frame["model_b"]])
    if both.null_count() or _empty_rows(both).size:
        # Name the first empty row, whichever of the two columns it is in.
        for column in ("model_a", "model_b"):
            _numbered(frame[column], path, mapping[column], lines)
    models, model = _numbered(both, path, mapping["model_a"], lines)
    model_a, model_b = model[: frame.height], model[frame.height:]
    outcome, unknown = _outcomes(frame["verdict"], options, path, mapping["verdict"], lines)
    slices = {column: _slice_values(frame[column]) for column in SLICE_COLUMNS if column in frame.columns}
    for column in ITEM_COLUMNS:
        if column in slices:
            _one_per_item(slices[column], item, items, lines, path, mapping[column])
    del frame, both
    rows = np.arange(len(outcome))
    same = model_a == model_b
    n_self = int(same.sum())
    if n_self:
        if options.self_pairs == "error":
            if lines is None:
                raise _NeedsLines
            row = int(np.flatnonzero(same)[0])
            raise BadInput(f"model_a and model_b are the same model ({models[model_a[row]]!r}); rows comparing a "
                           "model with itself can be dropped instead", path=path, line=int(lines[row]))
        rows = rows[~same]
    # A vote on a criterion repeats no vote on another criterion (nor the overall one).
    criterion = slices.get("criterion")
    judge_key = judge.astype(np.int64)
    if criterion is not None:
        _, code = np.unique(np.array(["" if c is None else c for c in criterion.tolist()], dtype=str),
                            return_inverse=True)
        judge_key = judge_key * (int(code.max()) + 1) + code
    key = row_keys(item[rows], judge_key[rows], model_a[rows], model_b[rows])
    _, first = np.unique(key, return_index=True)
    n_duplicates = len(rows) - len(first)
    if n_duplicates:
        if options.duplicates == "error":
            if lines is None:
                raise _NeedsLines
            repeated = np.setdiff1d(np.arange(len(rows)), first)[0]
            original = first[np.searchsorted(np.unique(key), key[repeated])]
            raise BadInput(f"duplicate vote: same item, judge, model_a and model_b as line {lines[rows[original]]}",
                           path=path, line=int(lines[rows[repeated]]))
        if options.duplicates == "first":
            rows = rows[np.sort(first)]
    votes = Votes(item=item[rows], judge=judge[rows], model_a=model_a[rows], model_b=model_b[rows],
                  outcome=outcome[rows], items=items, judges=judges, models=models, n_unknown=len(unknown))
    return VotesFile(votes=votes, unknown_verdicts=unknown, n_duplicates=n_duplicates, n_self_pairs_dropped=n_self,
                     slices={column: values[rows] for column, values in slices.items()})


def _slice_values(series) -> np.ndarray:
    """A slice column as names (None where empty), one per row."""
    return np.array([None if value is None or not str(value).strip() else canonical_name(value)
                     for value in series.cast(str).to_list()], dtype=object)


def _one_per_item(values: np.ndarray, item: np.ndarray, items, lines, path: str, field: str) -> None:
    """An item's category (author) is the item's: two on one item is bad input naming the line."""
    seen: dict[int, tuple[str, int]] = {}
    for row, (k, value) in enumerate(zip(item.tolist(), values.tolist())):
        if value is None:
            continue
        first = seen.setdefault(k, (value, row))
        if first[0] != value:
            if lines is None:
                raise _NeedsLines
            raise BadInput(f"item {items[k]!r} has {field} {value!r} here and {first[0]!r} on line "
                           f"{int(lines[first[1]])}: an item has one", path=path, line=int(lines[row]), field=field)


def read_votes(
    path: str | Path,
    *,
    unknown_verdicts: UnknownVerdicts = "error",
    duplicates: Duplicates = "keep",
    self_pairs: SelfPairs = "drop",
) -> VotesFile:
    """Read a votes file.

    Parameters
    ----------
    path : str or Path
        ``.jsonl`` (or ``.ndjson``), ``.json`` (an array of vote objects, or JSON
        Lines), ``.csv`` (a UTF-8 byte-order mark is fine) or ``.parquet``.
    unknown_verdicts, duplicates, self_pairs :
        What to do with unclean rows; see `ReadOptions`.

    Raises
    ------
    BadInput
        Unreadable file, missing column, empty name, unknown verdict, no votes, and
        duplicates or self-pairs when asked to refuse them — naming the line.
    """
    options = ReadOptions(unknown_verdicts, duplicates, self_pairs)
    path = str(path)
    if Path(path).is_dir():
        raise BadInput(f"is a directory; give a votes file ({SUFFIXES})", path=path)
    if not Path(path).exists():
        raise BadInput("no such file", path=path)
    kind = _kind(path)
    fast = _fast_frame(path, kind)
    if fast is not None:
        try:
            frame, mapping = fast
            return _votes(frame, mapping, None, options, path)
        except _NeedsLines:
            pass
    frame, mapping, lines = _slow_frame(path, kind)
    return _votes(frame, mapping, lines, options, path)


def line_of_row(path: str | Path, row: int) -> int:
    """The line (or array position) of the ``row``-th vote of a file that `read_votes`
    read without dropping a row (``duplicates="error"``, no self-pairs), for messages
    about a vote that is readable but wrong where it is used."""
    _, _, lines = _slow_frame(str(path), _kind(str(path)))
    return int(lines[row])

"""Seed scenarios: the short situations authors expand into test items."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from council.errors import BadInput
from council.jsonl import read_objects

__all__ = ["SEED_ID", "Seed", "load_seeds"]

SEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")


@dataclass(frozen=True)
class Seed:
    id: str
    text: str
    category: str | None = None


def load_seeds(path: str | Path) -> list[Seed]:
    """Read a JSONL seed file: one ``{"id", "text", "category"?}`` object per line."""
    path = str(path)
    seeds: list[Seed] = []
    seen: dict[str, int] = {}
    for number, row in read_objects(path):
        unknown = set(row) - {"id", "text", "category"}
        if unknown:
            raise BadInput("unknown field", path=path, line=number, field=sorted(unknown)[0])
        for field in ("id", "text"):
            if not isinstance(row.get(field), (str, int)) or not str(row[field]).strip():
                raise BadInput("missing or empty", path=path, line=number, field=field)
        seed_id = str(row["id"]).strip()
        if not SEED_ID.match(seed_id):
            raise BadInput(
                f"id {seed_id!r} may use only letters, digits and . _ : - (it becomes part of work keys)",
                path=path, line=number, field="id",
            )
        if seed_id in seen:
            raise BadInput(f"id {seed_id!r} repeats line {seen[seed_id]}", path=path, line=number, field="id")
        seen[seed_id] = number
        seeds.append(Seed(seed_id, str(row["text"]).strip(), row.get("category")))
    if not seeds:
        raise BadInput("contains no seed scenarios", path=path)
    return seeds

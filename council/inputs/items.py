"""Seed scenarios, and frozen item sets.

Seeds are the short situations authors expand into test items. A frozen item set is
the finished test items of a run, versioned and digested, so later councils can be
judged on exactly the same items without composing them again.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from council.errors import BadInput
from council.inputs.conversations import BadConversation, check_messages, conversation_text
from council.inputs.files import write_atomically
from council.inputs.jsonl import read_objects

__all__ = [
    "GIVEN_AUTHOR", "ID_RULE", "ITEM_SET_VERSION", "SEED_ID", "FrozenItem", "Seed", "bundled_seeds",
    "describe_test_set", "is_item_set", "load_item_set", "load_items", "load_seeds", "write_item_set",
]

SEED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
#: What `SEED_ID` allows, in words.
ID_RULE = "may use only letters, digits and . _ : - (at most 128: it becomes part of work keys)"


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


ITEM_SET_VERSION = 1


@dataclass(frozen=True)
class FrozenItem:
    id: str
    text: str
    author: str
    seed_id: str
    category: str | None = None


def _digest(items: list[FrozenItem]) -> str:
    canonical = "\n".join(json.dumps(asdict(item), sort_keys=True, ensure_ascii=False) for item in items)
    return hashlib.sha256(canonical.encode()).hexdigest()


def write_item_set(path: str | Path, name: str, items: list[FrozenItem]) -> str:
    """Freeze ``items`` into a versioned item-set file; returns its digest.

    The first line is a header ``{"council_item_set": 1, "name", "items", "sha256"}``;
    every other line is one item. The digest covers the items, so a file edited by
    hand is refused rather than silently giving another test set.
    """
    digest = _digest(items)
    header = {"council_item_set": ITEM_SET_VERSION, "name": name, "items": len(items), "sha256": digest}
    lines = [json.dumps(header)] + [json.dumps(asdict(item), ensure_ascii=False) for item in items]
    write_atomically(path, "\n".join(lines) + "\n")
    return digest


def load_item_set(path: str | Path) -> tuple[dict, list[FrozenItem]]:
    """Read and check a frozen item set: header, fields, unique ids and digest."""
    path = str(path)
    header: dict | None = None
    items: list[FrozenItem] = []
    seen: dict[str, int] = {}
    for number, row in read_objects(path):
        if header is None:
            if row.get("council_item_set") != ITEM_SET_VERSION:
                raise BadInput(
                    f"not a council item set of version {ITEM_SET_VERSION} (header line 'council_item_set')",
                    path=path, line=number, field="council_item_set",
                )
            header = row
            continue
        unknown = set(row) - {"id", "text", "author", "seed_id", "category"}
        if unknown:
            raise BadInput("unknown field", path=path, line=number, field=sorted(unknown)[0])
        for field in ("id", "text", "author", "seed_id"):
            if not isinstance(row.get(field), str) or not row[field].strip():
                raise BadInput("missing or empty", path=path, line=number, field=field)
        for field in ("id", "author", "seed_id"):
            if not SEED_ID.match(row[field]):
                raise BadInput(f"{row[field]!r} may use only letters, digits and . _ : -", path=path, line=number,
                               field=field)
        if row["id"] in seen:
            raise BadInput(f"id {row['id']!r} repeats line {seen[row['id']]}", path=path, line=number, field="id")
        seen[row["id"]] = number
        items.append(FrozenItem(row["id"], row["text"], row["author"], row["seed_id"], row.get("category")))
    if header is None or not items:
        raise BadInput("contains no items", path=path)
    if header.get("sha256") != _digest(items):
        raise BadInput("items do not match the header's sha256: the set was edited after it was frozen",
                       path=path, field="sha256")
    return header, items


#: The author of items given as they are (no member wrote them).
GIVEN_AUTHOR = "given"


def _given_items(path: str) -> list[FrozenItem]:
    """Items written by hand: ``{"id", "text", "category"?}`` per line, or a conversation
    ``{"id", "messages": [{"role", "content"}…], "category"?}`` (other fields ignored)."""
    items: list[FrozenItem] = []
    seen: dict[str, int] = {}
    for number, row in read_objects(path):
        if "messages" in row:
            if "text" in row:
                raise BadInput("an item is a text or a conversation, not both", path=path, line=number, field="text")
            try:
                row = {**row, "text": conversation_text(check_messages(row["messages"]))}
            except BadConversation as error:
                raise BadInput(str(error), path=path, line=number, field=error.field) from None
        for field in ("id", "text"):
            if not isinstance(row.get(field), (str, int)) or isinstance(row.get(field), bool) \
                    or not str(row[field]).strip():
                raise BadInput("missing or empty", path=path, line=number, field=field)
        item_id = str(row["id"]).strip()
        if not SEED_ID.match(item_id):
            raise BadInput(f"id {item_id!r} {ID_RULE}", path=path, line=number, field="id")
        if item_id in seen:
            raise BadInput(f"id {item_id!r} repeats line {seen[item_id]}", path=path, line=number, field="id")
        seen[item_id] = number
        category = row.get("category")
        items.append(FrozenItem(item_id, str(row["text"]).strip(), GIVEN_AUTHOR, item_id,
                                str(category) if category is not None else None))
    if not items:
        raise BadInput("contains no items", path=path)
    return items


def load_items(path: str | Path) -> list[FrozenItem]:
    """A fixed test set: a frozen item set (checked against its digest), or items given
    as ``{"id", "text"}`` lines."""
    if is_item_set(path):
        return load_item_set(path)[1]
    return _given_items(str(path))


def is_item_set(path: str | Path) -> bool:
    """Whether the file's first object is an item-set header (else: seeds)."""
    for _, row in read_objects(str(path)):
        return "council_item_set" in row
    return False


def bundled_seeds() -> Path:
    """The project's own seed scenarios (``dilemmas/seeds-v1.jsonl``), installed or not."""
    from importlib import resources

    try:
        bundled = resources.files("council.dilemmas_data") / "seeds-v1.jsonl"
        if bundled.is_file():
            return Path(str(bundled))
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "dilemmas" / "seeds-v1.jsonl"


def describe_test_set(path: str | Path) -> dict:
    """Check a seed file or a frozen item set and say what it holds: kind, size,
    categories (and the set's name and digest)."""
    from collections import Counter

    if is_item_set(path):
        header, items = load_item_set(path)
        return {"kind": "item_set", "name": header.get("name"), "items": len(items), "sha256": header["sha256"],
                "categories": dict(Counter(item.category or "(none)" for item in items))}
    seeds = load_seeds(path)
    categories = Counter(seed.category or "(none)" for seed in seeds)
    return {"kind": "seeds", "seeds": len(seeds), "categories": dict(categories)}

"""Units of work: what a stage plans and the run executes, one deterministic key each."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field

from council.config import CouncilConfig
from council.dilemmas import FrozenItem, Seed, load_item_set, load_seeds

__all__ = ["StageContext", "WorkUnit", "chars_to_tokens", "with_persona", "work_key"]


def work_key(stage: str, *parts: object) -> str:
    """``stage/part/part…``: names and ids never contain a slash (the config checks)."""
    return "/".join([stage, *map(str, parts)])


def with_persona(persona: str | None, system: str) -> str:
    """A member's persona goes before the system prompt it writes or answers under."""
    return f"{persona.strip()}\n\n{system}" if persona else system


def chars_to_tokens(text: str) -> int:
    """Rough token count for pacing and estimates (about four characters a token)."""
    return max(1, len(text) // 4)


@dataclass(frozen=True)
class WorkUnit:
    key: str
    stage: str
    member: str
    prompt_hash: str
    messages: tuple[dict, ...]
    fields: dict = field(default_factory=dict)
    expected_output_tokens: int = 512

    @property
    def expected_input_tokens(self) -> int:
        return sum(chars_to_tokens(message["content"]) for message in self.messages)


@dataclass
class StageContext:
    config: CouncilConfig
    conn: sqlite3.Connection
    seeds: dict[str, Seed]
    item_set: list[FrozenItem] | None = None

    @classmethod
    def open(cls, config: CouncilConfig, conn: sqlite3.Connection) -> "StageContext":
        """Load the council's test set: seeds to compose from, or a frozen item set."""
        if config.items_path is not None:
            return cls(config, conn, {}, load_item_set(config.items_path)[1])
        return cls(config, conn, {seed.id: seed for seed in load_seeds(config.seeds_path)})

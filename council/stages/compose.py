"""Stage 1: authors expand seed scenarios into test items, in equal numbers.

Each author takes ``items_per_author`` seeds in a seeded order, skipping seeds another
author already took. An author's seeds are read back from the ledger, so adding a
member later hands it fresh seeds and leaves everyone else's items untouched.
"""

from __future__ import annotations

import random

from council.prompts import prompt_hash, render
from council.providers.client import MemberClient
from council.stages.work import StageContext, WorkUnit, with_persona, work_key
from council.store.db import transaction, utc_now
from council.store.ledger import CallRecord

__all__ = ["NAME", "execute", "item_id", "plan"]

NAME = "compose"
TEMPLATES = ("compose.system", "compose.user")


def item_id(seed_id: str, author: str, replicate: int) -> str:
    return f"{seed_id}.{author}" + (f".{replicate}" if replicate else "")


def _assignments(ctx: StageContext) -> list[tuple[str, str, int]]:
    """(author, seed id, replicate) for every item the council should have."""
    config = ctx.config
    planned: dict[str, list[tuple[str, int]]] = {}
    taken: dict[str, int] = {}
    for (key,) in ctx.conn.execute("SELECT key FROM calls WHERE stage = 'compose' ORDER BY rowid"):
        _, author, seed_id, replicate = key.split("/")
        planned.setdefault(author, []).append((seed_id, int(replicate)))
        taken[seed_id] = taken.get(seed_id, 0) + 1
    order = sorted(ctx.seeds)
    random.Random(config.seed).shuffle(order)
    position = {seed_id: i for i, seed_id in enumerate(order)}
    wanted = []
    for member in config.with_role("author"):
        mine = [s for s in planned.get(member.name, []) if s[0] in ctx.seeds][: config.test_set.items_per_author]
        while len(mine) < config.test_set.items_per_author:
            # Least-used seed first, in the seeded order: equal spread when seeds run out.
            own = {s for s, _ in mine}
            seed_id = min(order, key=lambda s: (taken.get(s, 0), s in own, position[s]))
            replicate = sum(1 for s, _ in mine if s == seed_id)
            mine.append((seed_id, replicate))
            taken[seed_id] = taken.get(seed_id, 0) + 1
        wanted.extend((member.name, seed_id, replicate) for seed_id, replicate in mine)
    return wanted


def _import_item_set(ctx: StageContext) -> list[WorkUnit]:
    """A frozen item set needs no calls: its items enter the ledger as done."""
    digest = "item-set:" + prompt_hash(*TEMPLATES)
    now = utc_now()
    with transaction(ctx.conn):
        for item in ctx.item_set:
            key = work_key(NAME, item.author, item.seed_id, item.id)
            ctx.conn.execute(
                "INSERT OR IGNORE INTO calls (key, stage, member, status, prompt_hash, updated_at) "
                "VALUES (?, ?, ?, 'ok', ?, ?)",
                (key, NAME, item.author, digest, now),
            )
            ctx.conn.execute(
                "INSERT OR IGNORE INTO items "
                "(id, call_key, author, seed_id, seed_text, replicate, text, raw_output, category) "
                "VALUES (?, ?, ?, ?, '', 0, ?, ?, ?)",
                (item.id, key, item.author, item.seed_id, item.text, item.text, item.category),
            )
    return []


def plan(ctx: StageContext) -> list[WorkUnit]:
    if ctx.item_set is not None:
        return _import_item_set(ctx)
    digest = prompt_hash(*TEMPLATES)
    units = []
    for author, seed_id, replicate in _assignments(ctx):
        seed = ctx.seeds[seed_id]
        messages = (
            {"role": "system", "content": with_persona(ctx.config.member(author).persona, render("compose.system"))},
            {"role": "user", "content": render("compose.user", seed_text=seed.text)},
        )
        units.append(
            WorkUnit(
                key=work_key(NAME, author, seed_id, replicate),
                stage=NAME,
                member=author,
                prompt_hash=digest,
                messages=messages,
                fields={"id": item_id(seed_id, author, replicate), "author": author, "seed_id": seed_id,
                        "seed_text": seed.text, "replicate": replicate, "category": seed.category},
                expected_output_tokens=400,
            )
        )
    return units


async def execute(unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
    completion, usage = await client.call(
        list(unit.messages), key=unit.key, expected_tokens=unit.expected_input_tokens + unit.expected_output_tokens
    )
    text = completion.text.strip()
    if not text:
        return CallRecord(unit.key, "retryable_error", usage, error="the author returned an empty item")
    product = {**unit.fields, "call_key": unit.key, "text": text, "raw_output": completion.text}
    return CallRecord(unit.key, "ok", usage, product_table="items", product=product)

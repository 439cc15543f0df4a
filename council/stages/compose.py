"""Stage 1: authors expand seed scenarios into test items, in equal numbers.

Each author takes ``items_per_author`` seeds in a seeded order, skipping seeds another
author already took. An author's seeds are read back from the ledger's compose keys,
so adding a member later hands it fresh seeds and leaves everyone else's items
untouched.
"""

from __future__ import annotations

import random

from council.config import CouncilConfig, MemberConfig
from council.errors import BadInput
from council.inputs.conversations import conversation_text, parse_transcript
from council.inputs.items import FrozenItem
from council.providers.client import MemberClient
from council.records import CallRecord
from council.stages.base import (
    CallRequest,
    GivenRecord,
    RunState,
    StageContext,
    WorkUnit,
    given_fingerprint,
    member_cap,
    with_persona,
    work_key,
)
from council.usage import Usage
from council.vocab import CallStatus, Role, StageName

__all__ = ["COMPOSE", "ComposeStage", "current_items", "item_id"]

#: The prompt hash of items that came from a frozen item set, not from a call.
FROZEN_PREFIX = "item-set:"


def item_id(seed_id: str, author: str, replicate: int) -> str:
    """``seed:author:replicate``, which no two items share whatever the names: member
    names have no colon, so the id splits back from the right. (Stores written before
    this rule keep their ``seed.author[.replicate]`` ids, which cannot equal one of these.)"""
    return f"{seed_id}:{author}:{replicate}"


def assignments(ctx: StageContext, compose_keys: tuple[str, ...]) -> list[tuple[str, str, int]]:
    """(author, seed id, replicate) for every item the council should have."""
    config = ctx.config
    planned: dict[str, list[tuple[str, int]]] = {}
    taken: dict[str, int] = {}
    for key in compose_keys:
        _, author, seed_id, number = key.split("/")
        planned.setdefault(author, []).append((seed_id, int(number)))
        taken[seed_id] = taken.get(seed_id, 0) + 1
    order = sorted(ctx.seeds)
    random.Random(config.seed).shuffle(order)
    position = {seed_id: i for i, seed_id in enumerate(order)}
    wanted: list[tuple[str, str, int]] = []
    for member in config.with_role(Role.AUTHOR):
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


def current_items(ctx: StageContext, state: RunState, given_up: frozenset[str] = frozenset()) -> list[str]:
    """Ids of the items the council has or will have: those stored, then those still to
    be composed (an item whose compose unit was given up is never written)."""
    if ctx.item_set is not None:
        planned = [item.id for item in ctx.item_set]
    else:
        planned = [item_id(seed, author, replicate) for author, seed, replicate in assignments(ctx, state.compose_keys)
                   if work_key(StageName.COMPOSE, author, seed, replicate) not in given_up]
    return list(dict.fromkeys([item for item, _ in state.items] + planned))


class ComposeStage:
    name = StageName.COMPOSE
    role = Role.AUTHOR
    cacheable = True

    def output_tokens(self, config: CouncilConfig, member: MemberConfig) -> int:
        return member_cap(member, config.test_set.max_tokens)  # sent with every call: nothing longer is billed

    def keys(self, ctx: StageContext, state: RunState, given_up: frozenset[str] = frozenset()) -> list[str]:
        """The keys `plan` would give its units, without rendering a prompt."""
        if ctx.item_set is not None:
            return [self.frozen_key(item) for item in ctx.item_set]
        return [work_key(self.name, a, s, r) for a, s, r in assignments(ctx, state.compose_keys)]

    def frozen_key(self, item: FrozenItem) -> str:
        """The key under which a frozen set's item enters the ledger."""
        return work_key(self.name, item.author, item.seed_id, item.id)

    def frozen_records(self, ctx: StageContext) -> list[GivenRecord]:
        """A fixed item set needs no calls: its items enter the ledger as done work,
        fingerprinted by their text (an item edited in its file is set aside, with its
        answers and judgments)."""
        digest = FROZEN_PREFIX + ctx.task.compose_hash
        records = []
        for item in ctx.item_set or ():
            key = self.frozen_key(item)
            product = {
                "id": item.id, "call_key": key, "author": item.author, "seed_id": item.seed_id, "seed_text": "",
                "replicate": 0, "text": item.text, "raw_output": item.text, "category": item.category,
            }
            outcome = CallRecord(key, CallStatus.OK, Usage(), product_table="items", product=product)
            fingerprint = given_fingerprint(item.text)
            records.append(GivenRecord(key, self.name.value, item.author, digest, fingerprint, outcome))
        return records

    def check_test_set(self, ctx: StageContext, stored_digests: set[str], run_dir: object) -> None:
        """A run directory keeps the kind of test set it started with: composed items
        and a frozen set's items never mix in one run (`BadInput` if the council file
        switched)."""
        frozen = {digest.startswith(FROZEN_PREFIX) for digest in stored_digests}
        if not frozen or frozen == {ctx.item_set is not None}:
            return
        if True in frozen:
            had, has = "a frozen item set", "seeds"
        else:
            had, has = "items composed from seeds", "a frozen item set"
        raise BadInput(
            f"{run_dir} holds {had}, but the council file now gives {has}: a run directory keeps one test set; "
            "run this council in a new --run-dir (or restore test_set)", field="test_set",
        )

    def plan(self, ctx: StageContext, state: RunState) -> list[WorkUnit]:
        if ctx.item_set is not None:
            return []
        task = ctx.task
        digest = task.compose_hash
        system = task.compose_system.render()
        units = []
        for author, seed_id, replicate in assignments(ctx, state.compose_keys):
            seed = ctx.seeds[seed_id]
            member = ctx.config.member(author)
            messages = (
                {"role": "system", "content": with_persona(member.persona, system)},
                {"role": "user", "content": task.compose_user.render(seed_text=seed.text)},
            )
            units.append(
                WorkUnit(
                    key=work_key(self.name, author, seed_id, replicate),
                    stage=self.name,
                    member=author,
                    prompt_hash=digest,
                    messages=messages,
                    expected_output_tokens=self.output_tokens(ctx.config, member),
                    fields={"id": item_id(seed_id, author, replicate), "author": author, "seed_id": seed_id,
                            "seed_text": seed.text, "replicate": replicate, "category": seed.category},
                )
            )
        return units

    def first_request(self, unit: WorkUnit, member: MemberConfig, ctx: StageContext) -> CallRequest:
        return CallRequest(list(unit.messages), None, unit.expected_output_tokens)

    async def execute(self, unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
        request = self.first_request(unit, client.member, ctx)
        completion, usage = await client.call(request.messages, key=unit.key, expected_tokens=unit.expected_tokens,
                                              max_tokens=request.max_tokens, cacheable=self.cacheable)
        text = completion.text.strip()
        if not text:
            return CallRecord(unit.key, CallStatus.RETRYABLE_ERROR, usage, error="the author returned an empty item")
        if ctx.task.conversations:
            turns = parse_transcript(text)
            if turns is None:
                return CallRecord(unit.key, CallStatus.RETRYABLE_ERROR, usage,
                                  error="the author's conversation could not be read: turns must start with "
                                        "'Customer:' or 'Agent:' and the last must be the customer's")
            text = conversation_text(turns)
        product = {**unit.fields, "call_key": unit.key, "text": text, "raw_output": completion.text}
        return CallRecord(unit.key, CallStatus.OK, usage, product_table="items", product=product,
                          provider_model=completion.provider_model)


COMPOSE = ComposeStage()

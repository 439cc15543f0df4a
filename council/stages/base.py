"""What every stage is: units of work with deterministic keys, planned from data.

A stage plans `WorkUnit`s from the council and the run's stored state (`RunState`,
read by the engine: stages never hold a connection), estimates the tokens of each,
and executes one unit through a member's client, returning the `CallRecord` the
engine commits.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Protocol

from council.config import CouncilConfig, MemberConfig
from council.inputs.answers import load_answers, load_baseline
from council.inputs.items import FrozenItem, Seed, bundled_seeds, load_items, load_seeds
from council.prompts.tasks import TaskPrompts, builtin_task, custom_task
from council.vocab import Role, StageName

if TYPE_CHECKING:
    from council.providers.client import MemberClient
    from council.records import CallRecord

__all__ = [
    "CallRequest", "GivenRecord", "RunState", "Stage", "StageContext", "WorkUnit", "count_tokens", "criteria_of",
    "fingerprint",
    "given_fingerprint", "member_cap", "task_of", "what_changed", "with_persona", "work_key",
]


def work_key(stage: str, *parts: object) -> str:
    """``stage/part/part…``: names and ids never contain a slash (the config checks)."""
    return "/".join([stage, *map(str, parts)])


def with_persona(persona: str | None, system: str) -> str:
    """A member's persona goes before the system prompt it writes or answers under."""
    return f"{persona.strip()}\n\n{system}" if persona else system


def member_cap(member: MemberConfig, stage_cap: int) -> int:
    """The ``max_tokens`` a call sends: the stage's cap, or the member's own if lower."""
    return min(member.max_tokens, stage_cap) if member.max_tokens else stage_cap


def count_tokens(text: str) -> int:
    """Rough token count for pacing, budgets and plans (about four characters a token)."""
    return max(1, len(text) // 4)


#: Tokens a re-ask adds to a conversation besides the reply it answers.
REASK_TOKENS = 64


@dataclass(frozen=True)
class WorkUnit:
    """One unit of work. ``expected_output_tokens`` is the ``max_tokens`` sent with each of
    its calls, and ``asks`` how many calls it may make (a judge re-asks)."""

    key: str
    stage: StageName
    member: str
    prompt_hash: str
    messages: tuple[dict, ...]
    expected_output_tokens: int
    fields: dict = field(default_factory=dict)
    asks: int = 1

    @property
    def expected_input_tokens(self) -> int:
        return sum(count_tokens(message["content"]) for message in self.messages)

    @property
    def expected_tokens(self) -> int:
        return self.expected_input_tokens + self.expected_output_tokens

    @property
    def reserved_tokens(self) -> tuple[int, int]:
        """(input, output) tokens the budget holds for the unit: the most its calls can
        bill, every ask included, each re-ask carrying the replies before it."""
        grown = self.expected_output_tokens + REASK_TOKENS
        extra_input = grown * self.asks * (self.asks - 1) // 2
        return self.asks * self.expected_input_tokens + extra_input, self.asks * self.expected_output_tokens


#: The settings of a member that shape what it writes (its name, key, pacing and
#: prices do not).
SHAPING_SETTINGS = ("model", "api_base", "temperature", "max_tokens", "extra_body", "structured_output", "persona")


def fingerprint(unit: WorkUnit, member: MemberConfig) -> str:
    """What shaped a unit's result, as ``settings.prompt.inputs`` digests: the member's
    shaping settings, the prompt templates, and the full messages with the output cap and
    asks (seed, item and answer texts, word limit, verdict labels are all in there).

    A stored result is reused only when its fingerprint is this one: a member whose
    model changed under the same name does not inherit its old answers.
    """
    def digest(value: object) -> str:
        return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:12]

    settings = {name: getattr(member, name) for name in SHAPING_SETTINGS}
    inputs = {"messages": unit.messages, "max_tokens": unit.expected_output_tokens, "asks": unit.asks}
    return f"{digest(settings)}.{unit.prompt_hash[:12]}.{digest(inputs)}"


def what_changed(unit: WorkUnit, member: MemberConfig, stored: str | None) -> tuple[str, str | None]:
    """The unit's fingerprint now, and — when a stored result was shaped otherwise —
    which of its parts changed, in words (None: nothing stored, or nothing changed)."""
    now = fingerprint(unit, member)
    if stored is None or stored == now:
        return now, None
    names = ("the member's model or parameters", "the prompt templates", "the inputs (seed, item, answers or limits)")
    parts = [name for name, a, b in zip(names, stored.split("."), now.split(".")) if a != b] or ["its settings"]
    return now, ", ".join(parts)


class GivenRecord(NamedTuple):
    """Work done without a call — an item of a fixed set, a candidate's answer — as it
    enters the ledger: done, with the fingerprint of what it holds."""

    key: str
    stage: str
    member: str  # the author or candidate it is credited to
    prompt_hash: str  # says where it came from (``item-set:…``, ``imported:…``)
    fingerprint: str
    outcome: CallRecord


def given_fingerprint(content: str) -> str:
    """The fingerprint of given work: its content, so a file edited since is noticed."""
    return "given." + hashlib.sha256(content.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class RunState:
    """What the run has stored so far, as the stages plan from it."""

    compose_keys: tuple[str, ...] = ()  # in the order first planned
    items: tuple[tuple[str, str], ...] = ()  # (id, text), in the order stored
    answers: dict[str, dict[str, str]] = field(default_factory=dict)  # item -> respondent -> text
    # Adaptive judging's chosen slots, item -> ((model_a, model_b, judge), ...)
    chosen: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)


def criteria_of(config: CouncilConfig) -> tuple[str, ...]:
    """The task's criteria, without resolving its templates (cheap: asked per unit)."""
    task = config.task
    return builtin_task(task).criteria if isinstance(task, str) else task.criteria


def task_of(config: CouncilConfig) -> TaskPrompts:
    """The council's task, resolved into templates (`BadInput` for a bad template file)."""
    task = config.task
    if isinstance(task, str):
        resolved = builtin_task(task)
    else:
        files = {stage: config.path_of(path) for stage, path in task.prompts.model_dump().items() if path is not None}
        resolved = custom_task(task.name, task.instructions, task.criteria, files)
    return resolved.judging_per_criterion() if config.judge.per_criterion else resolved


@dataclass(frozen=True)
class StageContext:
    """The council, its task and its test set: seeds to compose from, or a fixed item
    set; and the answers candidates gave (by candidate, then item), read from their files."""

    config: CouncilConfig
    seeds: dict[str, Seed]
    item_set: tuple[FrozenItem, ...] | None = None
    candidate_answers: dict[str, dict[str, str]] = field(default_factory=dict)
    task: TaskPrompts = None  # type: ignore[assignment]  # resolved from the config when not given
    # A round's drift checks: the previous round's answers (member -> item -> text) that
    # judges compare with the new ones.
    baseline: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task is None:
            object.__setattr__(self, "task", task_of(self.config))

    @classmethod
    def open(cls, config: CouncilConfig) -> StageContext:
        """Load the council's task, test set and candidates' answers (`BadInput` naming
        the file if one is bad)."""
        task = task_of(config)
        baseline = load_baseline(config.path_of(config.rounds.baseline)) if config.rounds.baseline else {}
        if config.items_path is None:
            path = config.seeds_path or task.seeds or bundled_seeds()
            return cls(config, {seed.id: seed for seed in load_seeds(path)}, task=task, baseline=baseline)
        items = tuple(load_items(config.items_path))
        ids = {item.id for item in items}
        answers = {c.name: load_answers(config.path_of(c.answers), ids) for c in config.candidates
                   if c.answers is not None}
        return cls(config, {}, items, answers, task, baseline)

    def answers(self, contestant: str, item: str) -> bool:
        """Whether ``contestant`` answers ``item``: a candidate's file may leave items
        out; a respondent member, or a candidate answering through a function, answers all."""
        given = self.candidate_answers.get(contestant)
        return given is None or item in given


class Stage(Protocol):
    """A stage of a run: compose, respond or judge."""

    name: StageName
    role: Role  # the member role that makes this stage's calls
    cacheable: bool  # whether the call cache may answer its calls

    def plan(self, ctx: StageContext, state: RunState) -> list[WorkUnit]:
        """Every unit the council needs in this stage, given what is stored; deterministic."""
        ...

    def keys(self, ctx: StageContext, state: RunState, given_up: frozenset[str] = frozenset()) -> list[str]:
        """The keys of every unit the council needs in this stage, cheaply (no prompt is
        rendered): the items still to be composed count, and work that hangs on a unit
        ``given_up`` does not. What `council status` counts."""
        ...

    def output_tokens(self, config: CouncilConfig, member: MemberConfig) -> int:
        """Tokens a call of this stage may generate: what budgets reserve and plans count."""
        ...

    async def execute(self, unit: WorkUnit, client: MemberClient, ctx: StageContext) -> CallRecord:
        """Make one unit's call(s); provider failures raise `CallFailed`, never return None."""
        ...

    def first_request(self, unit: WorkUnit, member: MemberConfig, ctx: StageContext) -> CallRequest:
        """The unit's first call: `execute` sends exactly this, so `council plan` can tell
        which planned calls the call cache holds, and a provider batch can ask it."""
        ...


class CallRequest(NamedTuple):
    """A call as the stage sends it: messages, response format and output cap."""

    messages: list[dict]
    response_format: dict | None
    max_tokens: int

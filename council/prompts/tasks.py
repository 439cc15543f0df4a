"""Tasks: what the items are about and what a good answer does, as prompt templates.

A task supplies six templates — a system and a user message for each of compose,
respond and judge. A built-in task lives in ``builtin/<name>/`` (``task.yaml``, its
seeds, and any templates of its own); a template it does not give, and every template
of a task written in a council file, comes from ``generic/``, with the task's
instructions and criteria filled in. A council file's task may replace the three user
messages with templates of its own (checked here: required placeholders present, no
unknown ones).

Whatever the task, the judge's system message ends with Council's verdict format
(``verdict_format.txt``) and re-asks use Council's wording, so every task's verdicts
parse the same strict way.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from string import Template

from council.errors import BadInput
from council.prompts import PromptTemplate, packaged, placeholders, prompt_hash

__all__ = ["TEMPLATE_VARIABLES", "TaskPrompts", "builtin_task", "custom_task", "user_template"]

#: Per user template: the placeholders it must use, and those it may use.
TEMPLATE_VARIABLES = {
    "compose": ({"seed_text"}, set()),
    "respond": ({"item"}, {"word_limit"}),
    "judge": ({"item", "answer_a", "answer_b"}, set()),
}
#: Filled in when the task is resolved, in any template of a task.
TASK_VARIABLES = ("instructions", "criteria")
_NAMES = ("compose.system", "compose.user", "respond.system", "respond.user", "judge.system", "judge.user")


@dataclass(frozen=True)
class TaskPrompts:
    """A task resolved into its templates. ``judge_system`` is the task's rubric followed
    by Council's verdict format; ``seeds`` is None for the default task, whose seeds are
    the bundled dilemmas."""

    name: str
    description: str
    instructions: str | None
    criteria: tuple[str, ...]
    seeds: Path | None
    compose_system: PromptTemplate
    compose_user: PromptTemplate
    respond_system: PromptTemplate
    respond_user: PromptTemplate
    judge_system: PromptTemplate
    judge_user: PromptTemplate
    judge_reask: PromptTemplate
    per_criterion: bool = False  # the judge gives a verdict on each criterion too, in the same reply
    conversations: bool = False  # authors write conversations (``items: conversation`` in task.yaml)

    @property
    def compose_hash(self) -> str:
        return prompt_hash(self.compose_system, self.compose_user)

    @property
    def respond_hash(self) -> str:
        return prompt_hash(self.respond_system, self.respond_user)

    @property
    def judge_hash(self) -> str:
        return prompt_hash(self.judge_system, self.judge_user, self.judge_reask)

    def judging_per_criterion(self) -> TaskPrompts:
        """The task with the judge asked for a verdict on each criterion and an overall one,
        in one reply (`BadInput` when the task has no criteria)."""
        if not self.criteria:
            raise BadInput(f"the task {self.name!r} has no criteria to judge one by one", field="judge.per_criterion")
        slots = ", ".join(f'{json.dumps(criterion, ensure_ascii=False)}: "<verdict>"' for criterion in self.criteria)

        def with_slots(template: PromptTemplate) -> str:
            return template.text.replace("$criteria_slots", slots.replace("$", "$$"))

        rubric = self.judge_system.text[: -len(packaged("verdict_format").text)].rstrip("\n")
        system = PromptTemplate("judge.system", f"{rubric}\n\n{with_slots(packaged('verdict_format_criteria'))}")
        reask = PromptTemplate("judge_reask.user", with_slots(packaged("judge_reask_criteria.user")))
        return dataclasses.replace(self, judge_system=system, judge_reask=reask, per_criterion=True)

    @property
    def templates(self) -> tuple[PromptTemplate, ...]:
        return (self.compose_system, self.compose_user, self.respond_system, self.respond_user, self.judge_system,
                self.judge_user, self.judge_reask)

    @property
    def digest(self) -> str:
        """Every template's wording (the task's instructions and criteria are in them)."""
        return prompt_hash(*self.templates)


def _escaped(text: str) -> str:
    return text.replace("$", "$$")  # a dollar in the instructions is a dollar, never a placeholder


def _criteria_block(criteria: tuple[str, ...]) -> str:
    if not criteria:
        return ""
    return "\nWeigh these criteria:\n" + "".join(f"- {criterion}\n" for criterion in criteria)


def _filled(template: PromptTemplate, instructions: str | None, criteria: tuple[str, ...]) -> PromptTemplate:
    """The template with the task's instructions and criteria written in; placeholders
    for the texts of each call are left as they are."""
    values = dict(zip(TASK_VARIABLES, (_escaped(instructions or ""), _escaped(_criteria_block(criteria)))))

    def fill(found: re.Match) -> str:
        name = found.group("named") or found.group("braced")
        return values.get(name, found.group(0))

    return PromptTemplate(template.name, Template.pattern.sub(fill, template.text))


def _assemble(name: str, description: str, instructions: str | None, criteria: tuple[str, ...],
              seeds: Path | None, templates: dict[str, PromptTemplate]) -> TaskPrompts:
    filled = {key: _filled(template, instructions, criteria) for key, template in templates.items()}
    rubric = filled["judge.system"].text.rstrip("\n")
    judge_system = PromptTemplate("judge.system", f"{rubric}\n\n{packaged('verdict_format').text}")
    return TaskPrompts(
        name=name, description=description, instructions=instructions, criteria=criteria,
        seeds=seeds, compose_system=filled["compose.system"], compose_user=filled["compose.user"],
        respond_system=filled["respond.system"], respond_user=filled["respond.user"], judge_system=judge_system,
        judge_user=filled["judge.user"], judge_reask=packaged("judge_reask.user"),
    )


@cache
def builtin_task(name: str) -> TaskPrompts:
    """A built-in task by name (`council.config.BUILTIN_TASKS` lists them)."""
    import yaml

    folder = resources.files(__package__).joinpath("builtin").joinpath(name)
    definition = yaml.safe_load(folder.joinpath("task.yaml").read_text(encoding="utf-8"))
    templates = {}
    for template in _NAMES:
        own = folder.joinpath(f"{template}.txt")
        templates[template] = (PromptTemplate(template, own.read_text(encoding="utf-8")) if own.is_file()
                               else packaged(f"generic/{template}"))
    seeds = Path(str(folder.joinpath(definition["seeds"]))) if definition.get("seeds") else None
    instructions = definition.get("instructions")
    task = _assemble(name, definition["description"].strip(), instructions.strip() if instructions else None,
                     tuple(definition.get("criteria", ())), seeds, templates)
    return dataclasses.replace(task, conversations=definition.get("items") == "conversation")


def user_template(stage: str, path: Path) -> PromptTemplate:
    """A task's own template for ``stage``'s user message, checked (`BadInput` naming
    the file and the placeholder)."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise BadInput(f"cannot read the {stage} template ({error.strerror})", path=str(path)) from None
    except UnicodeDecodeError:
        raise BadInput(f"the {stage} template is not UTF-8 text", path=str(path)) from None
    used, bad_line = placeholders(text)
    if bad_line is not None:
        raise BadInput("a '$' that starts no placeholder (write $$ for a dollar sign)", path=str(path), line=bad_line)
    required, optional = TEMPLATE_VARIABLES[stage]
    allowed = required | optional | set(TASK_VARIABLES)
    missing, unknown = sorted(required - used), sorted(used - allowed)
    if missing:
        raise BadInput(f"the {stage} template must use ${missing[0]}", path=str(path), field=f"${missing[0]}")
    if unknown:
        raise BadInput(f"unknown placeholder ${unknown[0]} (a {stage} template may use: "
                       f"{', '.join('$' + n for n in sorted(allowed))})", path=str(path), field=f"${unknown[0]}")
    return PromptTemplate(f"{stage}.user", text)


def custom_task(name: str, instructions: str, criteria: tuple[str, ...] = (),
                user_templates: dict[str, Path] | None = None) -> TaskPrompts:
    """A task written in a council file (or `council.Task`): the generic templates with
    its instructions and criteria, and its own user templates where it gives them."""
    templates = {template: packaged(f"generic/{template}") for template in _NAMES}
    for stage, path in (user_templates or {}).items():
        templates[f"{stage}.user"] = user_template(stage, path)
    return _assemble(name, "", instructions, tuple(criteria), None, templates)

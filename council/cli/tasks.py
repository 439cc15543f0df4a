"""``council tasks [NAME]``: the built-in tasks, and what one of them asks."""

from __future__ import annotations

import json

import click

__all__ = ["COMMANDS"]


def _summary(name: str) -> dict:
    from council.inputs.items import bundled_seeds, load_seeds
    from council.prompts.tasks import builtin_task

    task = builtin_task(name)
    seeds = task.seeds or bundled_seeds()
    return {"name": name, "description": task.description, "criteria": list(task.criteria),
            "seeds": len(load_seeds(seeds)), "seeds_file": str(seeds), "prompt_hash": task.digest}


@click.command("tasks")
@click.argument("name", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def tasks_command(name, as_json) -> None:
    """List the built-in tasks (`task:` in a council file), or show one task's prompts."""
    from council.config import BUILTIN_TASKS
    from council.errors import BadInput

    if name is None:
        rows = [_summary(task) for task in BUILTIN_TASKS]
        if as_json:
            click.echo(json.dumps(rows, indent=2))
            return
        from council.analysis.display import text_table

        click.echo(text_table(["task", "seeds", "what a good answer is judged on"],
                              [[row["name"], str(row["seeds"]), row["description"]] for row in rows],
                              right={1}, fold=2))
        click.echo("\nuse one with `task: NAME` in a council file; `council tasks NAME` shows its prompts")
        return
    if name not in BUILTIN_TASKS:
        raise BadInput(f"unknown task {name!r} (built-in: {', '.join(BUILTIN_TASKS)})")
    from council.prompts.tasks import builtin_task

    task = builtin_task(name)
    prompts = {template.name: template.text for template in task.templates}
    if as_json:
        click.echo(json.dumps({**_summary(name), "instructions": task.instructions, "prompts": prompts}, indent=2))
        return
    summary = _summary(name)
    click.echo(f"{name}: {summary['description']}")
    click.echo(f"seeds: {summary['seeds']} in {summary['seeds_file']}")
    for title, text in prompts.items():
        click.echo(f"\n--- {title} ---\n{text.strip()}")


COMMANDS = [tasks_command]

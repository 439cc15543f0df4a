"""The layers of `council/` point one way, and nothing imports in a circle.

cli → analysis → engine → stages → providers | store → config | inputs | prompts →
errors | vocab | usage → scoring. Every import counts, those inside functions and
under ``TYPE_CHECKING`` too: a lazy import is still an arrow.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import council

PACKAGE = Path(council.__file__).parent
#: Higher imports lower; two different layers of one rank never import each other.
RANKS = {
    "council.__main__": 8,
    "council.cli": 7,
    "council.analysis": 6,
    "council.engine": 5,
    "council.stages": 4,
    "council.providers": 3, "council.store": 3,
    "council.config": 2, "council.inputs": 2, "council.prompts": 2,
    "council.records": 2,
    "council.errors": 1, "council.vocab": 1, "council.usage": 1, "council.secrets": 1,
    "scoring": 0,
}
#: Narrower than their rank allows: the council file's model knows errors, and the
#: vocabularies scoring's settings define (so a setting's choices are written once).
ONLY = {"council.config": {"council.errors", "scoring.settings"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """Every council or scoring module ``name`` imports, anywhere in its code."""
    found = set()
    for node in ast.walk(ast.parse(MODULES[name].read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from council.store import ledger` imports the module council.store.ledger
            targets = [f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in MODULES else node.module
                       for alias in node.names]
        else:
            continue
        found.update(t for t in targets if t.split(".")[0] in ("council", "scoring"))
    return found


def _layer(module: str) -> str:
    for layer in sorted(RANKS, key=len, reverse=True):
        if module == layer or module.startswith(layer + "."):
            return layer
    return module


def test_every_module_has_a_layer():
    assert not [m for m in MODULES if m != "council" and _layer(m) not in RANKS]


@pytest.mark.parametrize("name", sorted(m for m in MODULES if m != "council"))
def test_imports_point_down(name):
    here = _layer(name)
    wrong = []
    for target in _imports(name):
        there = _layer(target)
        if there == here or target == "council":
            continue
        allowed = target in ONLY[here] if here in ONLY else RANKS[there] < RANKS[here]
        if not allowed:
            wrong.append(f"{name} -> {target}")
    assert not wrong, f"imports against the layers: {wrong}"


def test_no_import_cycles():
    graph = {name: {t for t in _imports(name) if t in MODULES} for name in MODULES}
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    cycles = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"


_SQL = re.compile(r"\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|ALTER|DROP|PRAGMA|BEGIN|COMMIT|ROLLBACK)\b")


def test_sql_lives_in_the_store():
    speaking = set()
    for name, path in MODULES.items():
        if _layer(name) == "council.store":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and _SQL.match(node.value):
                speaking.add(f"{name}: {node.value.strip()[:40]!r}")
    assert not speaking, f"SQL outside council/store: {sorted(speaking)}"


def test_every_command_is_listed_where_the_cli_loads_it():
    from council.cli.app import COMMAND_MODULES

    defined = {}
    for module in set(COMMAND_MODULES.values()):
        for command in __import__(f"council.cli.{module}", fromlist=["COMMANDS"]).COMMANDS:
            defined[command.name] = module
    assert defined == COMMAND_MODULES

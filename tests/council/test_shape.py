"""The engine keeps one shape: short parameter lists (what a run carries travels in one
session), schema probes only where a store is opened, work-key formats only in the
stages, a pairing's name compared only by the pairing rule and the config, and typed
results instead of bare dicts from the engine and the analysis."""

from __future__ import annotations

import ast
from pathlib import Path

import council

PACKAGE = Path(council.__file__).parent
#: Parameters a function may take: ``self``/``cls`` and keyword-only ones with a default
#: are not counted (they name themselves at every call).
MAX_PARAMETERS = 6


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text())


def _functions(tree):
    return (node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef))


def test_no_function_takes_more_than_six_parameters():
    long = []
    for name, tree in _modules():
        for function in _functions(tree):
            args = function.args
            counted = [a.arg for a in args.posonlyargs + args.args if a.arg not in ("self", "cls")]
            counted += [a.arg for a, default in zip(args.kwonlyargs, args.kw_defaults) if default is None]
            if len(counted) > MAX_PARAMETERS:
                long.append(f"{name}:{function.lineno} {function.name} ({len(counted)})")
    assert not long, long


def test_the_schema_is_probed_only_where_a_store_is_opened():
    probing = set()
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                    "table_info" in node.value.lower() or "sqlite_master" in node.value.lower()):
                probing.add(name)
    assert probing <= {"store/sqlite.py"}, probing  # read_schema, called by Ledger when it opens a store


def test_work_keys_are_built_only_in_the_stages():
    def called(node: ast.AST) -> str:
        return getattr(node, "id", getattr(node, "attr", ""))

    building = {name for name, tree in _modules() if not name.startswith("stages/") for node in ast.walk(tree)
                if isinstance(node, ast.Call) and called(node.func) == "work_key"}
    assert not building, building


def test_a_pairings_name_is_compared_only_by_the_pairing_rule_and_the_config():
    comparing = set()
    for name, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Compare) and any(
                    isinstance(c, ast.Constant) and c.value in ("adaptive", "all_pairs", "reference", "sampled")
                    for c in [node.left, *node.comparators]):
                comparing.add(name)
    assert comparing <= {"stages/pairing.py", "config.py"}, comparing


def test_the_engine_and_the_analysis_return_typed_results_not_bare_dicts():
    bare = []
    for name, tree in _modules():
        if name.split("/")[0] not in ("engine", "analysis"):
            continue
        for function in _functions(tree):
            if not function.name.startswith("_") and function.returns is not None \
                    and ast.unparse(function.returns) in ("dict", "Dict", "dict | None"):
                bare.append(f"{name}:{function.lineno} {function.name}")
    assert not bare, bare

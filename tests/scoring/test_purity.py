"""`scoring` is a pure statistics library: no I/O, and it never imports `council`."""

import ast
import subprocess
import sys
from pathlib import Path

import scoring

PACKAGE = Path(scoring.__file__).parent
FORBIDDEN_MODULES = {
    "council", "os", "io", "pathlib", "json", "csv", "sqlite3", "socket", "urllib", "requests", "polars",
}


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module.split(".")[0]


def _outside_to_polars(tree):
    """The module without its ``to_polars`` methods: a DataFrame is asked for, never read or written."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            node.body = [n for n in node.body if not (isinstance(n, ast.FunctionDef) and n.name == "to_polars")]
    return tree


def test_no_io_and_no_council_imports():
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        assert not set(_imports(_outside_to_polars(ast.parse(path.read_text())))) & FORBIDDEN_MODULES, path.name
        calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        assert not calls & {"open", "print", "input"}, path.name


def test_importing_scoring_loads_nothing_of_council():
    code = (
        "import sys, scoring; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('council', 'litellm', 'polars')))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_public_names_are_exported():
    for name in scoring.__all__:
        assert hasattr(scoring, name), name

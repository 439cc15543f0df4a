"""CONTRIBUTING.md's layout names every module of `council/` in the folder it lives in,
so the map a newcomer reads is the code there is."""

from __future__ import annotations

import re
from pathlib import Path

import council

ROOT = Path(council.__file__).parent.parent
PACKAGE = ROOT / "council"


def _layout_blocks() -> dict[str, str]:
    """Each folder's text in the layout (``  engine/  …`` and its continuation lines)."""
    text = (ROOT / "CONTRIBUTING.md").read_text()
    layout = text.split("```", 2)[1]
    blocks: dict[str, str] = {"": layout}
    current = None
    for line in layout.splitlines():
        match = re.match(r"  (\w+)/\s", line)
        if match:
            current = match.group(1)
            blocks[current] = line
        elif current is not None and line.startswith(" " * 14):
            blocks[current] += "\n" + line
        else:
            current = None
    return blocks


def test_every_module_of_council_is_named_where_it_lives():
    blocks = _layout_blocks()
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.name == "__init__.py":
            continue
        if len(relative.parts) == 1:
            if path.name not in blocks[""]:
                missing.append(str(relative))
        elif not re.search(rf"\b{re.escape(path.stem)}\b", blocks.get(relative.parts[0], "")):
            missing.append(str(relative))
    assert not missing, f"modules CONTRIBUTING.md's layout does not name: {missing}"


def test_the_layout_names_no_module_that_is_gone():
    folders = {p.name for p in PACKAGE.iterdir() if p.is_dir() and not p.name.startswith("__")}
    assert set(_layout_blocks()) - {""} <= folders

"""The analytics core stays plain Python: no Home Assistant import, directly or via a sibling."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "custom_components" / "balance"
PLAIN_SIBLINGS = {"tariffs"}


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(0, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.level, node.module or ""))
    return found


def test_analytics_imports_no_home_assistant() -> None:
    modules = sorted((PACKAGE / "analytics").glob("*.py"))
    assert modules
    for path in modules:
        for level, name in _imports(path):
            assert not name.startswith("homeassistant"), path.name
            if level == 2:
                assert name.split(".")[0] in PLAIN_SIBLINGS, (path.name, name)
            assert level <= 2, path.name
    for path in (PACKAGE / "tariffs").glob("*.py"):
        assert all(not n.startswith("homeassistant") and lv <= 1 for lv, n in _imports(path))

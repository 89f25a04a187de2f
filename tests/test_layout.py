"""The code layout the README describes: small modules, a top level that shows the
architecture, pages that read through the UI's helpers.  (The import rules between the
packages are ``lint-imports`` in ``make test``.)"""

from __future__ import annotations

import ast
from pathlib import Path

from bs_core.entities import ENTITIES

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "bs_core"


def test_no_module_is_over_300_lines():
    long = {str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py")
            if (n := len(p.read_text().splitlines())) > 300}
    assert long == {}


def test_the_top_level_has_at_most_12_modules_besides_its_packages():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert len(modules) <= 12, modules
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert {"client", "store", "sync", "read", "ui", "cli", "simulator", "process"} <= packages


def _imported(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_pages_never_import_the_sync_or_the_store():
    for page in [ROOT / "streamlit_app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        wrong = {m for m in _imported(page) if m.startswith(("bs_core.sync", "bs_core.store"))}
        assert wrong == set(), page.name


def test_every_entity_page_exists_and_is_in_the_navigation():
    from bs_core.ui.layout import NAVIGATION

    paths = [path for path, _, _ in NAVIGATION]
    for entity in ENTITIES.values():
        if entity.page:
            assert (ROOT / entity.page).exists() and entity.page in paths, entity.name

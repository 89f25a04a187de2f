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
    from bs_core.ui.navigation import NAVIGATION

    paths = [path for path, _, _ in NAVIGATION]
    for entity in ENTITIES.values():
        if entity.page:
            assert (ROOT / entity.page).exists() and entity.page in paths, entity.name


def import_cycles(graph) -> list[set[str]]:
    """The groups of modules that import one another round a circle (strongly connected
    components of more than one module), by Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.add(member)
                    if member == node:
                        break
                if len(group) > 1:
                    cycles.append(group)
    return cycles


def test_no_modules_import_each_other_round_a_circle():
    """In the graph import-linter builds (imports inside functions count too): a circle
    hides which module is the lower floor."""
    import grimp

    graph = grimp.build_graph("bs_core", exclude_type_checking_imports=True)
    assert import_cycles(graph) == []
    # the check sees a circle when there is one
    graph.add_import(importer="bs_core.errors", imported="bs_core.store._writer")
    assert any({"bs_core.errors", "bs_core.store._writer"} <= c for c in import_cycles(graph))


def test_a_packages_private_modules_are_imported_by_that_package_only():
    """``bs_core/sync/_engine.py`` is the sync's own: outside code imports ``bs_core.sync``,
    its face (lint-imports' protected contracts name today's private modules; this holds
    the rule for every one added later)."""
    import grimp

    graph = grimp.build_graph("bs_core", exclude_type_checking_imports=True)
    deep = []
    for module in graph.modules:
        package, _, name = module.rpartition(".")
        if not name.startswith("_") or name.startswith("__") or package == "bs_core":
            continue
        deep += [f"{importer} -> {module}" for importer in graph.find_modules_that_directly_import(module)
                 if importer != package and not importer.startswith(package + ".")]
    assert deep == []
    faces = [p for p in PACKAGE.glob("*/__init__.py") if p.parent.name not in ("ui",)]
    assert [str(p.relative_to(ROOT)) for p in faces if "__all__" not in p.read_text()] == []

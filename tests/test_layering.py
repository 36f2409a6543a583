"""The layering of the project's apps, read from the source with ``ast`` (nothing is imported):

- ``core`` is a leaf: it imports no app of the project, at module level or inside a function;
- only ``dashboard`` itself imports ``dashboard`` (``config`` and the tests are not apps);
- app-to-app imports at module level form no cycle except through the edges allowed below,
  which are the cycles that exist today: a new cycle fails, and so does an allowed edge that
  no longer closes one (then delete it from the list).

Imports under ``if TYPE_CHECKING:`` are left out of the cycle check (they never run) but count
for the two rules above."""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# The project's own apps: the installed apps that are folders of this repository.
APPS = sorted(app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").is_file())

# Module-level app-to-app imports that close a cycle today. Each names the module(s) behind it.
# The graph without these edges has no cycle. Remove an entry when its cycle goes away.
ALLOWED_CYCLE_EDGES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Import:
    module: str  # the importing file, relative to the repository
    target: str  # the app imported
    module_level: bool
    type_checking: bool


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path) -> list[Import]:
    own = path.relative_to(ROOT).parts[0]
    found: list[Import] = []

    def visit(node: ast.AST, in_function: bool, type_checking: bool) -> None:
        for child in ast.iter_child_nodes(node):
            names: list[str] = []
            if isinstance(child, ast.Import):
                names = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                names = [child.module]
            for name in names:
                target = name.split(".")[0]
                if target in APPS and target != own:
                    found.append(
                        Import(str(path.relative_to(ROOT)), target, not in_function, type_checking)
                    )
            visit(
                child,
                in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)),
                type_checking or (isinstance(child, ast.If) and _is_type_checking(child.test)),
            )

    visit(ast.parse(path.read_text(encoding="utf-8"), str(path)), False, False)
    return found


def _all_imports() -> dict[str, list[Import]]:
    by_app: dict[str, list[Import]] = {}
    for app in APPS:
        by_app[app] = [i for path in sorted((ROOT / app).rglob("*.py")) for i in _imports(path)]
    return by_app


def _graph(skip: frozenset[tuple[str, str]] = frozenset()) -> dict[str, dict[str, list[str]]]:
    """app -> imported app -> the modules importing it at module level (at run time)."""
    graph: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for app, imports in _all_imports().items():
        for i in imports:
            if i.module_level and not i.type_checking and (app, i.target) not in skip:
                graph[app][i.target].append(i.module)
    return graph


def _path(graph: dict[str, dict[str, list[str]]], start: str, goal: str) -> list[str] | None:
    """The shortest chain of apps from ``start`` to ``goal``, or None."""
    previous: dict[str, str | None] = {start: None}
    queue = [start]
    while queue:
        app = queue.pop(0)
        if app == goal:
            chain: list[str] = []
            node: str | None = app
            while node is not None:
                chain.append(node)
                node = previous[node]
            return chain[::-1]
        for target in graph.get(app, {}):
            if target not in previous:
                previous[target] = app
                queue.append(target)
    return None


def test_the_scan_sees_the_apps_and_their_imports():
    # Guards the test itself: it must find the apps and a known import of each kind.
    assert {"core", "portfolios", "prices", "dashboard"} <= set(APPS)
    imports = _all_imports()
    assert any(i.target == "core" and i.module_level for i in imports["prices"])
    assert any(i.target == "portfolios" and i.module_level for i in imports["dashboard"])


def test_core_imports_no_app_of_the_project():
    offending = [f"{i.module} imports {i.target}" for i in _all_imports()["core"]]
    assert offending == [], "core must stay a leaf:\n" + "\n".join(offending)


def test_only_the_dashboard_imports_the_dashboard():
    offending = [
        f"{i.module} imports dashboard"
        for app, imports in _all_imports().items()
        if app != "dashboard"
        for i in imports
        if i.target == "dashboard"
    ]
    assert offending == [], "\n".join(offending)


def test_no_new_import_cycle_between_apps():
    graph = _graph(skip=frozenset(ALLOWED_CYCLE_EDGES))
    cycles = []
    for app, targets in graph.items():
        for target, modules in targets.items():
            back = _path(graph, target, app)
            if back:
                cycles.append(f"{app} -> {' -> '.join(back)} (first edge: {sorted(set(modules))})")
    assert cycles == [], "module-level import cycles between apps:\n" + "\n".join(cycles)


def test_every_allowed_cycle_edge_still_closes_a_cycle():
    graph = _graph()
    stale = [
        f"{app} -> {target}"
        for app, target in ALLOWED_CYCLE_EDGES
        if target not in graph.get(app, {}) or _path(graph, target, app) is None
    ]
    assert stale == [], "no longer a cycle, remove from ALLOWED_CYCLE_EDGES: " + ", ".join(stale)

"""The cost-basis engine is pure: no Django, no ORM, nothing of the project but the ledger's
movement kinds (a plain enum). Read from the source with ``ast``, nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

ENGINE = Path(settings.BASE_DIR) / "costbasis" / "engine"
ALLOWED_PROJECT_MODULES = {"ledger.kinds"}
PROJECT_PACKAGES = {path.parent.name for path in Path(settings.BASE_DIR).glob("*/__init__.py")}


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_the_engine_imports_neither_django_nor_the_project_beyond_the_movement_kinds():
    modules = sorted(ENGINE.glob("*.py"))
    assert len(modules) >= 5  # the package is where this test looks
    offending = {
        f"{path.name}: {name}"
        for path in modules
        for name in _imported(path)
        if name.split(".")[0] in {"django", "rest_framework", "celery"}
        or (
            name.split(".")[0] in PROJECT_PACKAGES
            and not name.startswith("costbasis.engine")
            and name not in ALLOWED_PROJECT_MODULES
        )
    }
    assert offending == set()

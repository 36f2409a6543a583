"""Every package pinned in requirements*.txt is used: imported by the project's code or tests,
named in the settings (an installed app, a middleware), or on the short list below of packages
that run without being imported by us. A pin nobody uses fails here."""

from __future__ import annotations

import ast
import importlib.metadata
import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Used without an import of ours; each says how.
RUN_NOT_IMPORTED = {
    "gunicorn": "the web server process that serves config.wsgi",
    "psycopg": "the PostgreSQL driver Django loads for a postgres:// DATABASE_URL",
    "redis": "the client Celery and Django's cache load for a redis:// REDIS_URL",
    "pytest-django": "a pytest plugin",
    "ruff": "the linter (make lint)",
    "mypy": "the type checker (make lint)",
    # Type information mypy reads for the libraries we import (pyproject.toml [tool.mypy]).
    "django-stubs": "types of Django, and mypy's Django plugin",
    "django-stubs-ext": "what django-stubs needs at run time of mypy",
    "djangorestframework-stubs": "types of DRF, and mypy's DRF plugin",
    "types-requests": "types of requests",
    "celery-types": "types of Celery",
    "types-oauthlib": "types of oauthlib",
    "types-requests-oauthlib": "types of requests-oauthlib",
}


def _pinned() -> list[str]:
    names = []
    for file in ("requirements.txt", "requirements-dev.txt"):
        for line in (ROOT / file).read_text().splitlines():
            line = line.split("#")[0].strip()
            if line and not line.startswith("-"):
                names.append(re.split(r"[\[=<>~!; ]", line)[0].lower().replace("_", "-"))
    return names


def _used_modules() -> set[str]:
    used: set[str] = set()
    for path in ROOT.rglob("*.py"):
        if ".venv" in path.parts or "node_modules" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                used |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                used.add(node.module.split(".")[0])
    # Installed apps, middleware and backends are imported by Django from their dotted names.
    for path in (ROOT / "config").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"[A-Za-z_][\w.]*", node.value)
            ):
                used.add(node.value.split(".")[0])
    return used


def test_every_pinned_package_is_used():
    modules_of: dict[str, set[str]] = {}
    for module, dists in importlib.metadata.packages_distributions().items():
        for dist in dists:
            modules_of.setdefault(dist.lower().replace("_", "-"), set()).add(module)
    used = _used_modules()
    unused = [
        name
        for name in _pinned()
        if name not in RUN_NOT_IMPORTED and not (modules_of.get(name, set()) & used)
    ]
    assert unused == [], f"pinned but never used: {unused}"


def test_the_scan_knows_a_pinned_package_that_is_used():
    # Guards the test itself: pycryptodome is imported as ``Crypto`` (addresses/chains).
    assert "pycryptodome" in _pinned()
    assert "Crypto" in _used_modules()

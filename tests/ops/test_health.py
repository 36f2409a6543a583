"""Liveness and readiness for a process manager: ``/healthz`` answers while the process runs,
without the database; ``/readyz`` answers 200 only when the database answers and holds every
migration, and says which check failed otherwise. Both answer any host name and plain http,
as probes inside a network do."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_liveness(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"alive": True}
    assert response["Cache-Control"] == "no-store"


def test_readiness_names_each_check(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "ready": True,
        "checks": {"database": "ok", "migrations": "ok", "cache": "ok"},
    }


def test_probes_answer_any_host_plain_http_and_leave_no_audit_row(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["tracker.example.com"]
    for path in ("/healthz", "/readyz", "/readyz/"):
        assert client.get(path, HTTP_HOST="10.0.0.7:8000").status_code == 200
    assert client.get("/auth/login/", HTTP_HOST="10.0.0.7:8000").status_code == 400
    assert client.post("/healthz").status_code == 405
    assert AuditEvent.objects.count() == 0


def test_not_ready_while_a_migration_is_missing(client):
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'audit' AND name = '0001_initial'"
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "migrations": "failing", "cache": "ok"}
    assert client.get("/healthz").status_code == 200  # alive all the same: no restart loop


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


PROBE = """
import json, django
django.setup()
from django.test import Client
client = Client()
answers = {path: client.get(path) for path in ("/healthz", "/readyz")}
print(json.dumps({path: [r.status_code, r.json()] for path, r in answers.items()}))
"""


def test_not_ready_without_the_database_but_alive(tmp_path):
    """A process whose database does not answer (a closed port): readiness 503, liveness 200."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{closed_port()}/nothing",
        "LOG_LEVEL": "ERROR",
    }
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert answers["/healthz"] == [200, {"alive": True}]
    status, body = answers["/readyz"]
    assert status == 503
    assert body == {
        "ready": False,
        "checks": {"database": "failing", "migrations": "unknown", "cache": "failing"},
    }

"""Every answer names its request id (``X-Request-ID``), every failure envelope repeats it as
``request_id``, and every log line written for the request, Django's own included, and by a
task the request enqueued carries it. A proxy's plain id is kept; anything else is replaced."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import shared_task
from django.conf import settings
from django.db import connection

from core.requestid import bound_request_id
from core.tasks import enqueue

pytestmark = pytest.mark.django_db

HEX_ID = re.compile(r"[0-9a-f]{32}")


def test_failure_envelopes_and_logs_carry_the_id(api, caplog):
    caplog.set_level(logging.INFO)
    missing = api.get("/api/portfolios/999999")
    invalid = api.post("/api/portfolios", {"title": ""}, "json")
    unauthorized = api.credentials(HTTP_AUTHORIZATION="Bearer nope") or api.get("/api/user")
    for response, status in ((missing, 404), (invalid, 422), (unauthorized, 401)):
        assert response.status_code == status
        assert HEX_ID.fullmatch(response["X-Request-ID"])
        assert response.json()["request_id"] == response["X-Request-ID"]
    # Django's "Not Found" line is written after the middleware returned: it has the id too
    (line,) = [r for r in caplog.records if r.getMessage() == "Not Found: /api/portfolios/999999"]
    assert line.request_id == missing["X-Request-ID"]
    # and a line written outside any request has none
    logging.getLogger("tests").warning("between requests")
    assert caplog.records[-1].request_id == "-"


def test_success_answers_name_the_id_but_keep_their_envelope(api):
    response = api.get("/api/portfolios")
    assert HEX_ID.fullmatch(response["X-Request-ID"])
    assert "request_id" not in response.json()


@pytest.mark.parametrize(
    "incoming, kept",
    [
        ("3f2b9c1e-8d4a-4f7e-9a6b-1c2d3e4f5a6b", True),
        ("req-2025.01_a", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("two words", False),
        ('x"y', False),
        ("caf\u00e9", False),
        ("", False),
    ],
)
def test_a_plain_incoming_id_is_kept_anything_else_replaced(client, incoming, kept):
    response = client.get("/api/nothing-here", HTTP_X_REQUEST_ID=incoming)
    assert response.status_code == 404
    if kept:
        assert response["X-Request-ID"] == incoming
    else:
        assert HEX_ID.fullmatch(response["X-Request-ID"])
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_dashboard_pages_send_the_header(client):
    assert HEX_ID.fullmatch(client.get("/auth/login/")["X-Request-ID"])


@shared_task(name="tests.ops.log_something")
def log_something() -> None:
    logging.getLogger("tests.ops.task").info("task ran")


def test_a_task_logs_under_the_id_of_the_request_that_enqueued_it(
    settings, caplog, django_capture_on_commit_callbacks, monkeypatch
):
    """On the in-process pool (another thread), as without a broker."""
    settings.TASKS_SYNC = False
    settings.TASKS_IN_PROCESS = True
    # The pool thread closes its database connection when the task ends (the worker heartbeat
    # after every task writes the database cache), so none outlives the test database.
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    caplog.set_level(logging.INFO, logger="tests.ops.task")
    with django_capture_on_commit_callbacks(execute=True), bound_request_id("req-from-web"):
        enqueue(log_something)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = [r for r in caplog.records if r.name == "tests.ops.task"]
        if lines:
            break
        time.sleep(0.05)
    assert [r.request_id for r in lines] == ["req-from-web"]


def test_json_log_lines(tmp_path):
    """LOG_FORMAT=json: one JSON object per line, with the request id."""
    code = (
        "import django; django.setup()\n"
        "from django.test import Client\n"
        "r = Client().get('/api/nothing-here', HTTP_X_REQUEST_ID='req-json-1')\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "0",
        "SECRET_KEY": "x" * 50,
        "ALLOWED_HOSTS": "testserver",
        "LOG_FORMAT": "json",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(settings.BASE_DIR),
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    (not_found,) = [line for line in lines if line["message"] == "Not Found: /api/nothing-here"]
    assert not_found["request_id"] == "req-json-1"
    assert not_found["level"] == "WARNING" and not_found["logger"] == "django.request"

"""A real Celery worker on a real Redis logs a task under the id of the request that enqueued
it (the id travels as a message header), and its own lines outside tasks under ``-``. Needs
REDIS_URL; the worker gets its own Redis database (INTEGRATION_REDIS_DB, as the other worker
tests)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

import pytest
from django.conf import settings as django_settings

from core.requestid import bound_request_id
from core.tasks import enqueue, worker_heartbeat
from tests.live.test_integration_worker import _redis_url_on_own_db, broker_for_this_test, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_worker_log_lines_carry_the_enqueuing_requests_id(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    if not os.environ.get("REDIS_URL"):
        pytest.skip("integration: set REDIS_URL (a real Redis) to run a Celery worker")
    redis_url = _redis_url_on_own_db()
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",  # the heartbeat needs none
        "TASKS_SYNC": "0",
        "TASKS_IN_PROCESS": "0",
    }
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
    command += ["--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    command += ["-n", f"ops-{uuid.uuid4().hex[:8]}@%h"]
    with broker_for_this_test(settings, redis_url), log.open("w") as out:
        worker = subprocess.Popen(
            command, cwd=django_settings.BASE_DIR, env=env, stdout=out, stderr=subprocess.STDOUT
        )
        try:
            wait_for("the worker to start", lambda: " ready." in log.read_text(), 60)
            with (
                django_capture_on_commit_callbacks(execute=True),
                bound_request_id("req-worker-7"),
            ):
                enqueue(worker_heartbeat)  # sent when the (test's) transaction commits
            wait_for("the task to run", lambda: "succeeded" in log.read_text(), 60)
        finally:
            worker.terminate()
            worker.wait(timeout=15)
    text = log.read_text()
    (done,) = [
        line for line in text.splitlines() if "worker_heartbeat" in line and "succeeded" in line
    ]
    assert "[req-worker-7]" in done, text
    (ready,) = [line for line in text.splitlines() if " ready." in line]
    assert "[-]" in ready, text

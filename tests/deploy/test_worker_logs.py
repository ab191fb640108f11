"""Issue 26, point 6: a worker started as the units start it writes its log records as
JSON lines (docs/deployment.md, "Logs"), scrubbed like the web processes'."""

import json
import subprocess
import time

import pytest

from core.testing import BIN, ROOT, production_env
from tests.celery_stack import need_services

pytestmark = [pytest.mark.services, pytest.mark.django_db]


def test_a_worker_logs_json_lines(tmp_path):
    need_services()
    env = production_env(8000, CELERY_BEAT_SCHEDULE_FILENAME=str(tmp_path / "schedule"))
    log = tmp_path / "worker.log"
    with open(log, "w") as out:
        worker = subprocess.Popen(
            [str(BIN / "celery"), "-A", "badges_project", "worker", "-Q", "logs-test"]
            + ["-n", "logs-test@%h", "--pool=solo", "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while "ready" not in log.read_text() and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            worker.terminate()
            worker.wait(timeout=30)
    # the start-up banner is text; every log record after it is one JSON object
    lines = [line for line in log.read_text().splitlines() if line.startswith(("{", "["))]
    records = [json.loads(line) for line in lines if line.startswith("{")]
    assert not [line for line in lines if line.startswith("[20")], lines  # Celery's text
    assert any("ready" in r["message"] for r in records), log.read_text()[-2000:]
    assert {"time", "level", "logger", "message"} <= set(records[0])

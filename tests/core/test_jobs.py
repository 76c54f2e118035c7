"""Background jobs run in a real worker, on SQLite by default and on Redis when configured."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey.storage import RedisStorage, SqliteStorage
from sqlalchemy import select

from lms import jobs
from lms.core.models import JobPing
from lms.extensions import db

ROOT = Path(__file__).resolve().parents[2]


def test_ping_runs_immediately_in_tests(app_context):
    jobs.ping("langsung")
    assert db.session.scalar(select(JobPing.note)) == "langsung"


@pytest.mark.parametrize("backend", ["sqlite", "redis"])
def test_a_worker_process_runs_a_queued_job(app, tmp_path, backend):
    queue_file = str(tmp_path / "jobs.sqlite")
    if backend == "redis":
        storage = RedisStorage(jobs.huey.name, url=app.config["REDIS_URL"])
        try:
            storage.conn.ping()
        except Exception:  # noqa: BLE001
            pytest.fail(f"Redis is not running at {app.config['REDIS_URL']}: start it (see README)")
        storage.flush_queue()
    else:
        storage = SqliteStorage(jobs.huey.name, filename=queue_file)
    environment = {
        **os.environ,
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "JOBS_BACKEND": backend,
        "JOBS_SQLITE_PATH": queue_file,
        "REDIS_URL": app.config["REDIS_URL"],
        "INSTANCE_DIR": app.config["INSTANCE_DIR"],
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "lms", "jobs", "worker", "--workers", "1"],
        cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    saved = jobs.huey.storage
    note = f"lewat-{backend}"
    try:
        jobs.huey.immediate = False
        jobs.huey.storage = storage
        jobs.ping(note)
        deadline = time.monotonic() + 30
        with app.app_context():
            while not db.session.scalar(select(JobPing.note).where(JobPing.note == note)):
                db.session.rollback()
                if time.monotonic() > deadline or worker.poll() is not None:
                    worker.kill()
                    pytest.fail("the worker did not run the job: " + worker.stderr.read().decode(errors="replace"))
                time.sleep(0.2)
    finally:
        worker.terminate()
        worker.wait(10)
        jobs.huey.storage = saved
        jobs.huey.immediate = True

"""Background jobs on Huey: SQLite by default, Redis when configured, immediate in tests."""

import functools

from huey import Huey, MemoryHuey
from huey.storage import RedisStorage, SqliteStorage

huey: Huey = MemoryHuey("kelas-imigrasi", immediate=True)
_app = None


def init_app(app) -> None:
    """Point the job queue at the configured backend and remember the app for job contexts."""
    global _app
    _app = app
    backend = app.config["JOBS_BACKEND"]
    if backend == "immediate":
        huey.immediate = True
        return
    huey.immediate = False
    if backend == "redis":
        huey.storage = RedisStorage(huey.name, url=app.config["REDIS_URL"])
    elif backend == "sqlite":
        huey.storage = SqliteStorage(huey.name, filename=app.config["JOBS_SQLITE_PATH"])
    else:
        raise ValueError(f"unknown JOBS_BACKEND {backend!r}")


def _in_app_context(func):
    """Wrap a task so it runs inside an application context and leaves no database session behind."""

    @functools.wraps(func)
    def run_in_app(*args, **kwargs):
        from lms.extensions import db

        with _app.app_context():
            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run_in_app


def job(**task_options):
    """Declare a background job that runs inside an application context."""

    def decorate(func):
        return huey.task(**task_options)(_in_app_context(func))

    return decorate


def periodic_job(validate_datetime, **task_options):
    """Declare a task the worker runs on a schedule (e.g. huey.crontab(minute="*")), inside an application context."""

    def decorate(func):
        return huey.periodic_task(validate_datetime, **task_options)(_in_app_context(func))

    return decorate


def queue_state() -> dict:
    """Describe the queue for the health check."""
    backend = _app.config["JOBS_BACKEND"] if _app else "unconfigured"
    try:
        pending = huey.pending_count()
    except Exception as error:  # noqa: BLE001 - the health check reports any backend failure
        return {"ok": False, "backend": backend, "error": type(error).__name__}
    return {"ok": True, "backend": backend, "pending": pending}


@job()
def ping(note: str) -> str:
    """Answer with the note: proves the queue and a worker are wired."""
    from lms.core.models import JobPing
    from lms.extensions import db

    db.session.add(JobPing(note=note))
    db.session.commit()
    return note


def run_worker(workers: int) -> None:
    """Run a Huey consumer in this process until interrupted."""
    from huey.consumer import Consumer

    consumer = Consumer(huey, workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()

"""Long work on lists, in the background with progress: a region's participants exported to a file, a big roster saved.

A job is a FileJob row: the page that starts it records the row and queues the job; the job writes
its progress on the row after each step (a batch of villages, a batch of villagers), so the progress
page can show a percentage and, for an export, a download once the file is complete. Asking for the
same thing again while it runs (a double submit) finds the running job instead of starting another.
Finished files are swept away after a day.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from huey import crontab
from sqlalchemy import select, update

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.clock import utcnow
from lms.core.stored_pages import NOBODY
from lms.extensions import db
from lms.jobs import job, periodic_job
from lms.progress.models import DONE, EXPORT, FAILED, QUEUED, ROSTER_SAVE, RUNNING, FileJob, RosterImport

log = logging.getLogger(__name__)

#: Folder (under MEDIA_ROOT) finished exports are kept in.
EXPORTS_FOLDER = "exports"
#: How long a finished file is kept.
KEEP_FILES = timedelta(days=1)
#: A job asked for again within this time (and any job still running) is the same job.
SAME_REQUEST = timedelta(minutes=2)
#: Villages read per step of an export.
VILLAGES_PER_STEP = 25
#: A job running this long without progress is taken for dead (its worker stopped).
STALLED = timedelta(hours=1)


def exports_directory() -> Path:
    """Return the folder finished exports are kept in."""
    return Path(current_app.config["MEDIA_ROOT"]) / EXPORTS_FOLDER


def file_path(file_job: FileJob) -> Path | None:
    """Return a finished job's file, if it still exists."""
    if file_job.status != DONE or not file_job.filename:
        return None
    path = exports_directory() / file_job.filename
    return path if path.is_file() else None


def find_job(user, job_id: int) -> FileJob | None:
    """Return one of the person's own jobs (anyone else's is as unknown as a missing one)."""
    found = db.session.get(FileJob, job_id)
    return found if found is not None and found.requested_by_id == user.id else None


def _start(user, kind: str, key: str, params: dict) -> tuple[FileJob, bool]:
    """Return the person's running or just-finished job for the same request, else a new queued one (flushed)."""
    recent = utcnow() - SAME_REQUEST
    existing = db.session.scalar(
        select(FileJob)
        .where(FileJob.requested_by_id == user.id, FileJob.key == key)
        .where(FileJob.status.in_((QUEUED, RUNNING)) | (FileJob.created_dt >= recent))
        .where(FileJob.status != FAILED)
        .order_by(FileJob.id.desc())
        .limit(1)
    )
    if existing is not None:
        return existing, False
    file_job = FileJob(kind=kind, requested_by_id=user.id, key=key[:120], params=params)
    db.session.add(file_job)
    db.session.flush()
    return file_job, True


def _set(job_id: int, **values) -> None:
    """Write a job's progress and commit it, so the progress page sees it at once."""
    db.session.execute(update(FileJob).where(FileJob.id == job_id).values(**values), execution_options=NOBODY)
    db.session.commit()


def _claim(job_id: int) -> FileJob | None:
    """Move a queued job to running; return None when another worker has it or it is gone."""
    claimed = db.session.execute(
        update(FileJob)
        .where(FileJob.id == job_id, FileJob.status == QUEUED)
        .values(status=RUNNING)
        .execution_options(synchronize_session=False, **NOBODY)
    )
    db.session.commit()
    return db.session.get(FileJob, job_id) if claimed.rowcount == 1 else None


def _fail(job_id: int, reason: str) -> None:
    db.session.rollback()
    _set(job_id, status=FAILED, failure=reason, finished_dt=utcnow())


# --- Exports of a region's participants ------------------------------------------------------------


def start_region_export(user, region_code: str, kind: str, course_slug: str | None, locale: str) -> FileJob:
    """Queue (or find) the export of every participant of a region the officer may see; the caller commits."""
    key = f"{EXPORT}:{region_code}:{kind}:{course_slug or ''}:{locale}"
    params = {"region": region_code, "format": kind, "course": course_slug, "locale": locale}
    file_job, is_new = _start(user, EXPORT, key, params)
    if is_new:
        db.session.info.setdefault("file_jobs_due", []).append(file_job.id)
    return file_job


def queue_due_jobs() -> None:
    """Queue the jobs recorded in the transaction just committed."""
    for job_id in db.session.info.pop("file_jobs_due", []):
        run_file_job(job_id)


def region_villages(user, region_code: str) -> list[str]:
    """Return the codes of the villages with residents in a region, inside the person's area (one query)."""
    from lms.regions.models import Region
    from lms.reports.operations import area_of, within

    region = db.session.get(Region, region_code)
    statement = (
        select(User.village_code)
        .where(User.role == RESIDENT, ~User.is_deleted, User.village_code.is_not(None))
        .where(*within(User.village_code, area_of(user), region))
        .distinct()
    )
    return sorted(db.session.scalars(statement))


def _write_export(file_job: FileJob, user, path: Path) -> None:
    from lms.courses import reading
    from lms.progress import dashboard
    from lms.progress.exports import ListWriter
    from lms.progress.leaders import participant_table
    from lms.regions.models import Region

    params = file_job.params
    languages = reading.load_languages(params.get("locale") or "id")
    courses = dashboard.published_courses(languages)
    if params.get("course"):
        courses = [course for course in courses if course.slug == params["course"]]
    codes = region_villages(user, params["region"])
    _set(file_job.id, total=len(codes))
    names = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes or [""]))).all())
    with path.open("wb") as output:
        writer = ListWriter(output, params["format"], participant_table(courses, [], names)[0], params["region"])
        for start in range(0, len(codes), VILLAGES_PER_STEP):
            chunk = codes[start : start + VILLAGES_PER_STEP]
            for row in participant_table(courses, dashboard.participants(chunk, courses), names)[1]:
                writer.append(row)
            _set(file_job.id, done=start + len(chunk))
            db.session.expire_all()
        writer.close()


def run_export(file_job: FileJob) -> None:
    """Write a region's participants to a file, a batch of villages at a time, with progress on the job."""
    user = db.session.get(User, file_job.requested_by_id)
    filename = f"{file_job.id}-{secrets.token_hex(8)}.{file_job.params['format']}"
    path = exports_directory() / filename
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with current_app.test_request_context(), force_locale(file_job.params.get("locale") or "id"):
        _write_export(file_job, user, partial)
    os.replace(partial, path)
    _set(file_job.id, status=DONE, filename=filename, finished_dt=utcnow())


# --- Saving a big roster --------------------------------------------------------------------------


def start_roster_save(leader, record: RosterImport) -> FileJob:
    """Queue (or find) the saving of a checked roster; the caller commits."""
    params = {"import_id": record.id, "token": record.token}
    file_job, is_new = _start(leader, ROSTER_SAVE, f"{ROSTER_SAVE}:{record.id}", params)
    if is_new:
        file_job.total = len(record.rows)
        db.session.info.setdefault("file_jobs_due", []).append(file_job.id)
    return file_job


def roster_job_for(leader, record: RosterImport) -> FileJob | None:
    """Return the newest job saving this roster, if it is saved in the background."""
    return db.session.scalar(
        select(FileJob)
        .where(FileJob.requested_by_id == leader.id, FileJob.key == f"{ROSTER_SAVE}:{record.id}")
        .order_by(FileJob.id.desc())
        .limit(1)
    )


def run_roster_save(file_job: FileJob) -> None:
    """Save a checked roster a batch at a time, each batch committed with the progress (resumable)."""
    from lms.progress.roster import save_next_batch

    leader = db.session.get(User, file_job.requested_by_id)
    record = db.session.get(RosterImport, file_job.params["import_id"])
    if record is None or leader is None:
        _fail(file_job.id, "gone")
        return
    while True:
        saved, remaining = save_next_batch(leader, record)
        db.session.flush()
        _set(file_job.id, done=saved, total=saved + remaining)
        if not remaining:
            break
    _set(file_job.id, status=DONE, finished_dt=utcnow())


RUNNERS = {EXPORT: run_export, ROSTER_SAVE: run_roster_save}


@job()
def run_file_job(job_id: int) -> None:
    """Run one queued file job; whatever breaks, the job says it failed."""
    file_job = _claim(job_id)
    if file_job is None:
        return
    try:
        RUNNERS[file_job.kind](file_job)
    except Exception:  # noqa: BLE001 - whatever broke, the page must say the job failed
        log.exception("file job %s failed", job_id)
        _fail(job_id, "error")


# --- Sweeping ------------------------------------------------------------------------------------


def sweep_file_jobs(now=None) -> int:
    """Delete finished files older than a day, fail jobs whose worker died; return how many files went."""
    now = now or utcnow()
    stalled = now - STALLED
    db.session.execute(
        update(FileJob)
        .where(FileJob.status.in_((QUEUED, RUNNING)), FileJob.created_dt < stalled)
        .values(status=FAILED, failure="worker_lost", finished_dt=now)
        .execution_options(synchronize_session=False, **NOBODY)
    )
    old = db.session.scalars(
        select(FileJob).where(FileJob.filename.is_not(None), FileJob.finished_dt < now - KEEP_FILES)
    ).all()
    for file_job in old:
        (exports_directory() / file_job.filename).unlink(missing_ok=True)
        file_job.filename = None
    for leftover in exports_directory().glob("*.partial") if exports_directory().is_dir() else []:
        if leftover.stat().st_mtime < (now - STALLED).timestamp():
            leftover.unlink(missing_ok=True)
    db.session.commit()
    return len(old)


@periodic_job(crontab(minute="17"))
def sweep_file_jobs_hourly() -> None:
    """Delete exports older than a day, every hour."""
    sweep_file_jobs()

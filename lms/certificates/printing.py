"""Certificate PDFs through the app: one to download, or a village's batch as a background job with progress."""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.accounts.models import User
from lms.certificates.document import format_issue_date, render_certificate_pdf, render_certificates_pdf
from lms.certificates.models import DONE, FAILED, QUEUED, RUNNING, BulkPrint, Certificate
from lms.certificates.operations import (
    CertificateError,
    issue_certificate,
    may_oversee_village,
    sign,
    verify_url,
)
from lms.clock import utcnow
from lms.core.stored_pages import NOBODY
from lms.courses.models import Course
from lms.extensions import db
from lms.i18n import ui_locale_for
from lms.jobs import job
from lms.regions.models import VILLAGE, Region

log = logging.getLogger(__name__)

#: The certificate's labels, shown in the holder's language beneath the Indonesian the template prints.
LABELS = {
    "title": _l("Certificate"),
    "awarded_to": _l("Awarded to"),
    "completed": _l("for successfully completing the course"),
    "issued_on": _l("Issue date"),
    "issued_by": _l("Issued by"),
    "serial": _l("Serial number"),
    "verify": _l("Scan to check authenticity"),
}
PRINTS_FOLDER = "certificate-prints"


# --- One certificate ---------------------------------------------------------------------------------


def labels_for(language: str) -> dict[str, str] | None:
    """Return the labels in a holder's language when the interface has a catalog for it."""
    locale = ui_locale_for(language)
    if locale is None or locale == current_app.config["BABEL_DEFAULT_LOCALE"]:
        return None
    with force_locale(locale):
        return {key: str(label) for key, label in LABELS.items()}


def certificate_context(certificate: Certificate, labels: dict | None = None) -> dict:
    """Return what the PDF template needs for one certificate (signing it first if it has no token)."""
    if not certificate.token:
        sign(certificate)
    if labels is None:
        labels = {}
    if certificate.language not in labels:
        labels[certificate.language] = labels_for(certificate.language)
    return {
        "holder_name": certificate.holder_name,
        "course_title_id": certificate.course_title,
        "course_title_local": certificate.course_title_local,
        "language": certificate.language,
        "issued_on_id": format_issue_date(certificate.issued_on, "id"),
        "issued_on_local": format_issue_date(certificate.issued_on, certificate.language),
        "office_name": certificate.office_name,
        "serial": certificate.serial,
        "verify_url": verify_url(certificate),
        "labels_local": labels[certificate.language],
    }


def render_certificate(certificate: Certificate) -> bytes:
    """Render one certificate as a one-page PDF."""
    return render_certificate_pdf(certificate_context(certificate))


def pdf_filename(certificate: Certificate) -> str:
    """Return the name a downloaded certificate is saved under."""
    return f"sertifikat-{certificate.serial}.pdf"


# --- Choosing whom to print for ----------------------------------------------------------------------


def printable_courses() -> list[Course]:
    """Return the published courses, in catalogue order."""
    query = select(Course).where(Course.is_published.is_(True)).order_by(Course.position, Course.slug)
    return list(db.session.scalars(query))


def printable_villages(user: User) -> list[Region]:
    """Return the villages a person may print for that have residents: a leader's own, an officer's area."""
    if user.role == LEADER:
        return list(user.led_villages)
    if user.role not in (OFFICER, ADMIN):
        return []
    codes = select(User.village_code).where(User.role == RESIDENT, User.is_deleted.is_(False)).distinct()
    villages = db.session.scalars(
        select(Region).where(Region.level == VILLAGE, Region.code.in_(codes)).order_by(Region.name, Region.code)
    )
    return [village for village in villages if may_oversee_village(user, village.code)]


def completed_user_ids(course: Course, village_code: str) -> set[int] | None:
    """Return who completed a course in a village, or None while completions are not recorded."""
    try:
        from lms.progress.models import CourseCompletion
    except ImportError:
        return None
    query = (
        select(CourseCompletion.user_id)
        .join(User, User.id == CourseCompletion.user_id)
        .where(CourseCompletion.course_id == course.id, User.village_code == village_code)
    )
    return set(db.session.scalars(query))


@dataclass
class Candidate:
    """A resident of the village, their certificate for the course if any, and whether they may get one."""

    user: User
    certificate: Certificate | None
    #: Whether the resident completed the course; None when completions are not recorded.
    has_completed: bool | None

    @property
    def is_eligible(self) -> bool:
        return self.has_completed is not False or self.certificate is not None

    @property
    def is_preselected(self) -> bool:
        return bool(self.has_completed) or self.certificate is not None


def print_candidates(course: Course, village_code: str) -> list[Candidate]:
    """Return the residents of a village with their certificate for a course, by name."""
    users = db.session.scalars(
        select(User)
        .where(User.role == RESIDENT, User.is_deleted.is_(False), User.village_code == village_code)
        .order_by(User.name, User.id)
    ).all()
    query = select(Certificate).where(
        Certificate.course_id == course.id, Certificate.user_id.in_([u.id for u in users])
    )
    certificates = {certificate.user_id: certificate for certificate in db.session.scalars(query)}
    completed = completed_user_ids(course, village_code)
    return [
        Candidate(user, certificates.get(user.id), None if completed is None else user.id in completed)
        for user in users
    ]


# --- Bulk printing -----------------------------------------------------------------------------------


def prints_directory() -> Path:
    """Return the folder finished bulk PDFs are kept in."""
    return Path(current_app.config["MEDIA_ROOT"]) / PRINTS_FOLDER


def start_bulk_print(requester: User, course: Course, village_code: str, user_ids: list[int]) -> BulkPrint:
    """Record a bulk print for the chosen residents of a village; the caller commits, then queues it."""
    if not may_oversee_village(requester, village_code):
        raise CertificateError("village")
    candidates = {candidate.user.id: candidate for candidate in print_candidates(course, village_code)}
    chosen = [
        user_id for user_id in dict.fromkeys(user_ids) if user_id in candidates and candidates[user_id].is_eligible
    ]
    if not chosen:
        raise CertificateError("nobody")
    # A double submit finds the run the first one started.
    running = db.session.scalars(
        select(BulkPrint).where(
            BulkPrint.requested_by_id == requester.id,
            BulkPrint.course_id == course.id,
            BulkPrint.village_code == village_code,
            BulkPrint.status.in_((QUEUED, RUNNING)),
        )
    )
    for bulk in running:
        if bulk.user_ids == chosen:
            return bulk
    bulk = BulkPrint(
        requested_by_id=requester.id, course_id=course.id, village_code=village_code, user_ids=chosen, total=len(chosen)
    )
    db.session.add(bulk)
    db.session.flush()
    return bulk


@job()
def print_certificates_job(print_id: int) -> None:
    """Print a village's certificates in the background."""
    run_bulk_print(print_id)


def queue_bulk_print(bulk: BulkPrint) -> None:
    """Queue a committed bulk print."""
    print_certificates_job(bulk.id)


def _set_progress(print_id: int, **values) -> None:
    db.session.execute(update(BulkPrint).where(BulkPrint.id == print_id).values(**values), execution_options=NOBODY)
    db.session.commit()


def run_bulk_print(print_id: int) -> None:
    """Issue what is missing, lay out one page per resident, write the PDF, with progress on the row."""
    bulk = db.session.get(BulkPrint, print_id)
    if bulk is None or bulk.status != QUEUED:
        return
    _set_progress(print_id, status=RUNNING, done=0)
    try:
        course = bulk.course
        users = {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(bulk.user_ids)))}
        certificates = [
            issue_certificate(users[user_id], course)
            for user_id in bulk.user_ids
            if user_id in users and not users[user_id].is_deleted
        ]
        labels: dict = {}
        contexts = [certificate_context(certificate, labels) for certificate in certificates]
        db.session.commit()
        if not contexts:
            _set_progress(print_id, status=FAILED, failure="nobody", finished_dt=utcnow())
            return
        _set_progress(print_id, total=len(contexts))
        pdf = render_certificates_pdf(contexts, on_progress=lambda done, total: _set_progress(print_id, done=done))
        filename = f"{print_id}-{secrets.token_hex(8)}.pdf"
        _write_atomically(prints_directory() / filename, pdf)
        _set_progress(print_id, status=DONE, done=len(contexts), filename=filename, finished_dt=utcnow())
    except Exception as error:  # noqa: BLE001 - whatever broke, the page must say the run failed
        db.session.rollback()
        log.exception("bulk print %s failed", print_id)
        _set_progress(print_id, status=FAILED, failure=f"{type(error).__name__}: {error}"[:500], finished_dt=utcnow())


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_bytes(data)
    os.replace(partial, path)


def print_path(bulk: BulkPrint) -> Path | None:
    """Return the finished PDF of a bulk print, if it exists."""
    if bulk.status != DONE or not bulk.filename:
        return None
    path = prints_directory() / bulk.filename
    return path if path.is_file() else None


def delete_prints_of(user: User) -> None:
    """Delete the bulk PDFs that print a person's name (their account is being deleted)."""
    for bulk in db.session.scalars(select(BulkPrint).where(BulkPrint.filename.is_not(None))):
        if user.id in (bulk.user_ids or []):
            (prints_directory() / bulk.filename).unlink(missing_ok=True)
            bulk.filename = None

"""Issuing, finding, verifying and revoking certificates, and who may see each one."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from huey import crontab
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.access import ADMIN, LEADER, OFFICER
from lms.accounts.models import User
from lms.certificates.keys import NoSigningKey, key_ring, signing_ring
from lms.certificates.models import Certificate
from lms.certificates.serials import new_serial, normalize_serial
from lms.certificates.signing import CertificateFields, InvalidToken, VerifiedToken, sign_certificate, verify_token
from lms.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.jobs import job, periodic_job
from lms.regions.models import Office, office_regions

log = logging.getLogger(__name__)

#: The issuer named when no immigration office covers the holder's village.
DIRECTORATE_GENERAL = "Direktorat Jenderal Imigrasi"
#: What a certificate names as its holder once the holder deleted their account.
DELETED_HOLDER_NAME = "data dihapus atas permintaan pemilik"
#: The short route the QR code opens: {PUBLIC_BASE_URL}/v/<token>.
TOKEN_PATH = "/v/"  # noqa: S105 - a URL path, not a secret
#: Serials drawn before giving up; two collisions in a row are already vanishingly rare.
SERIAL_ATTEMPTS = 5
REASON_MAX_LENGTH = 500

#: Verification outcomes, as the verify page shows them.
VALID, REVOKED, UNKNOWN, INVALID = "valid", "revoked", "unknown", "invalid"


class CertificateError(ValueError):
    """A certificate action that cannot be done; the reason is a code the views explain."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- Issuing -----------------------------------------------------------------------------------------


def office_name_for(village_code: str | None) -> str:
    """Return the office covering a village (the most specific area wins), else the Directorate General."""
    if not village_code:
        return DIRECTORATE_GENERAL
    parts = village_code.split(".")
    areas = [".".join(parts[: length + 1]) for length in range(len(parts))]
    rows = db.session.execute(
        select(Office.name, office_regions.c.region_code)
        .join(office_regions, office_regions.c.office_id == Office.id)
        .where(office_regions.c.region_code.in_(areas))
        .order_by(Office.id)
    ).all()
    if not rows:
        return DIRECTORATE_GENERAL
    return max(rows, key=lambda row: len(row.region_code)).name


def course_titles(course: Course, language: str) -> tuple[str, str | None]:
    """Return a course's title in Indonesian and, when it differs, in the learner's language."""
    indonesian = course.text("id") or course.text(course.source_language) or (course.texts[0] if course.texts else None)
    title_id = indonesian.title if indonesian else course.slug
    local = course.text(language) if language and language != "id" else None
    title_local = local.title if local and local.title != title_id else None
    return title_id, title_local


def local_today() -> datetime.date:
    """Return today's date where the programme runs (the configured time zone)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.datetime.now(zone).date()


def certificate_fields(certificate: Certificate) -> CertificateFields:
    """Return what a certificate's token states."""
    return CertificateFields(
        serial=certificate.serial,
        holder_name=certificate.holder_name,
        course_slug=certificate.course_slug,
        course_title=certificate.course_title,
        issued_on=certificate.issued_on,
        office_name=certificate.office_name,
    )


def sign(certificate: Certificate) -> None:
    """Sign a certificate's fields with the active key, storing the token and the key id."""
    ring = signing_ring()
    certificate.token = sign_certificate(ring, certificate_fields(certificate))
    certificate.kid = ring.active_kid


def issue_certificate(user: User, course: Course, *, draw_serial: Callable[[], str] = new_serial) -> Certificate:
    """Return the person's certificate for a course, issuing it when there is none yet."""
    query = select(Certificate).where(Certificate.user_id == user.id, Certificate.course_id == course.id)
    existing = db.session.scalar(query)
    if existing is not None:
        return existing
    language = user.language or "id"
    title_id, title_local = course_titles(course, language)
    for _attempt in range(SERIAL_ATTEMPTS):
        certificate = Certificate(
            serial=draw_serial(),
            user_id=user.id,
            course_id=course.id,
            holder_name=user.name,
            course_slug=course.slug,
            course_title=title_id,
            course_title_local=title_local,
            language=language,
            office_name=office_name_for(user.village_code),
            issued_on=local_today(),
            issued_dt=utcnow(),
        )
        sign(certificate)
        try:
            with db.session.begin_nested():
                db.session.add(certificate)
        except IntegrityError:
            # Either another job issued this person's certificate first (a double completion),
            # or the serial is taken: take theirs, or draw again.
            existing = db.session.scalar(query)
            if existing is not None:
                return existing
            continue
        return certificate
    raise RuntimeError(f"No free serial after {SERIAL_ATTEMPTS} draws")


@job(retries=3, retry_delay=60)
def issue_certificate_job(user_id: int, course_id: int) -> str | None:
    """Issue one certificate in the background; return its serial."""
    if key_ring().active_kid is None:
        # Retrying cannot help until an operator creates a key; the periodic sweep issues it then.
        log.warning("no signing key: the certificate of user %s for course %s waits", user_id, course_id)
        return None
    user = db.session.get(User, user_id)
    course = db.session.get(Course, course_id)
    if user is None or course is None or user.is_deleted:
        return None
    certificate = issue_certificate(user, course)
    db.session.commit()
    return certificate.serial


def issue_certificate_later(user_id: int, course_id: int):
    """Queue issuing a certificate; call it after committing the completion it rewards."""
    return issue_certificate_job(user_id, course_id)


def issue_missing_certificates(limit: int = 500) -> int:
    """Issue the certificates that recorded completions still lack (a lost job, no key at the time); return how many."""
    try:
        from lms.progress.models import CourseCompletion
    except ImportError:
        return 0
    if key_ring().active_kid is None:
        log.warning("completions wait for certificates: no signing key yet")
        return 0
    rows = db.session.execute(
        select(User, Course)
        .join(CourseCompletion, CourseCompletion.user_id == User.id)
        .join(Course, Course.id == CourseCompletion.course_id)
        .outerjoin(
            Certificate,
            (Certificate.user_id == CourseCompletion.user_id) & (Certificate.course_id == CourseCompletion.course_id),
        )
        .where(Certificate.id.is_(None), User.is_deleted.is_(False))
        .order_by(CourseCompletion.id)
        .limit(limit)
    ).all()
    for user, course in rows:
        issue_certificate(user, course)
    db.session.commit()
    return len(rows)


@periodic_job(crontab(minute="*/10"))
def issue_missing_certificates_job() -> None:
    """Every ten minutes, issue what completions still lack."""
    issue_missing_certificates()


def certificates_of(user: User) -> list[Certificate]:
    """Return a person's certificates, newest first."""
    query = select(Certificate).where(Certificate.user_id == user.id)
    return list(db.session.scalars(query.order_by(Certificate.issued_dt.desc(), Certificate.id.desc())))


# --- Finding and verifying ---------------------------------------------------------------------------


def find_certificate(serial: str) -> Certificate | None:
    """Return the certificate with a serial however it was typed, or None."""
    normalized = normalize_serial(serial or "")
    if normalized is None:
        return None
    return db.session.scalar(select(Certificate).where(Certificate.serial == normalized))


def verify_url(certificate: Certificate) -> str:
    """Return the address the certificate's QR code opens."""
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + TOKEN_PATH + certificate.token


@dataclass
class Verification:
    """What the verify page says about a serial or a token."""

    outcome: str  #: valid, revoked, unknown or invalid
    certificate: Certificate | None = None
    #: Why a token did not verify: malformed, unknown_key or bad_signature.
    reason: str | None = None
    token: VerifiedToken | None = None


def verify_serial(serial: str) -> Verification:
    """Say whether a serial names a valid, revoked or no certificate."""
    certificate = find_certificate(serial)
    if certificate is None:
        return Verification(UNKNOWN)
    return Verification(REVOKED if certificate.is_revoked else VALID, certificate)


def verify_certificate_token(token: str, serial: str | None = None) -> Verification:
    """Check a token's signature, then say what the certificate it names is now."""
    try:
        verified = verify_token(key_ring(), token)
    except InvalidToken as error:
        return Verification(INVALID, reason=error.reason)
    if serial is not None and normalize_serial(serial) != verified.serial:
        return Verification(INVALID, reason="bad_signature")
    result = verify_serial(verified.serial)
    result.token = verified
    return result


_TOKEN = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Lookup:
    """What a person typed or pasted to check a certificate: a serial, or a token (with the serial of its URL)."""

    serial: str | None = None
    token: str | None = None


def parse_lookup(text: str) -> Lookup | None:
    """Read a serial, a token, or a verification address as the QR code holds it; None when it is none of them."""
    text = (text or "").strip()
    parsed = urlsplit(text)
    path = parsed.path if parsed.scheme in ("http", "https") or text.startswith("/") else ""
    if TOKEN_PATH in path:
        token = path.rsplit(TOKEN_PATH, 1)[1]
        return Lookup(token=token) if _TOKEN.fullmatch(token) else None
    if "/verify/" in path:
        serial = normalize_serial(unquote(path.rsplit("/verify/", 1)[1]))
        token = parse_qs(parsed.query).get("t", [None])[0]
        if serial is None:
            return None
        return Lookup(serial=serial, token=token or None)
    if _TOKEN.fullmatch(text):
        return Lookup(token=text)
    serial = normalize_serial(text)
    return Lookup(serial=serial) if serial else None


def revocation_list() -> dict:
    """Return every revoked certificate with its date and reason, for offline verifiers."""
    rows = db.session.execute(
        select(Certificate.serial, Certificate.revoked_dt, Certificate.revocation_reason)
        .where(Certificate.revoked_dt.is_not(None))
        .order_by(Certificate.revoked_dt, Certificate.serial)
    ).all()
    return {
        "updated": utcnow().replace(microsecond=0).isoformat() + "Z",
        "revoked": [
            {"serial": serial, "revoked_on": revoked_dt.date().isoformat(), "reason": reason or ""}
            for serial, revoked_dt, reason in rows
        ],
    }


# --- Who may do what ---------------------------------------------------------------------------------


def may_oversee_village(user: User, village_code: str | None) -> bool:
    """Tell whether staff or a leader looks after a village: a leader theirs, an officer their area."""
    if user.role == ADMIN:
        return True
    if not village_code:
        return False
    if user.role == LEADER:
        return any(village.code == village_code for village in user.led_villages)
    if user.role == OFFICER:
        return user.office is not None and user.office.covers(village_code)
    return False


def may_download(user: User, certificate: Certificate) -> bool:
    """Tell whether a person may download a certificate: its holder, or who looks after their village."""
    if certificate.user_id == user.id:
        return True
    return may_oversee_village(user, certificate.holder.village_code)


def may_revoke(user: User, certificate: Certificate) -> bool:
    """Tell whether a person may revoke a certificate: an admin, or an officer of the holder's area."""
    if user.role == ADMIN:
        return True
    return user.role == OFFICER and may_oversee_village(user, certificate.holder.village_code)


def revoke_certificate(certificate: Certificate, by: User, reason: str) -> bool:
    """Revoke a certificate with a reason; return False when it already was (the first revocation stays)."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise CertificateError("reason_missing")
    if len(reason) > REASON_MAX_LENGTH:
        raise CertificateError("reason_too_long")
    if certificate.is_revoked:
        return False
    certificate.revoked_dt = utcnow()
    certificate.revocation_reason = reason
    certificate.revoked_by_id = by.id
    db.session.flush()
    return True


# --- Account deletion --------------------------------------------------------------------------------


def anonymise_certificates(user: User) -> int:
    """Replace a holder's name on their certificates, keeping them verifiable; return how many."""
    certificates = certificates_of(user)
    for certificate in certificates:
        certificate.holder_name = DELETED_HOLDER_NAME
        try:
            sign(certificate)
        except NoSigningKey:
            # The old token states the name: drop it, the next download signs afresh.
            log.warning("no signing key: certificate %s keeps no token until one exists", certificate.serial)
            certificate.token = ""
            certificate.kid = ""
    from lms.certificates.printing import delete_prints_of

    delete_prints_of(user)
    db.session.flush()
    return len(certificates)


def on_account_deleted(sender, user: User, **extra) -> None:
    """Anonymise the certificates of an account being deleted."""
    anonymise_certificates(user)

"""Outreach rules: who may organise a session where, the roster, idempotent attendance, signed QR check-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import delete, func, or_, select
from sqlalchemy.exc import IntegrityError

from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.accounts.models import User
from lms.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.outreach.models import QR, ROSTER, Attendance, OutreachSession
from lms.progress.completion import enrol_many, evaluate_completions
from lms.progress.models import LEADER as VIA_LEADER
from lms.regions.models import VILLAGE
from lms.regions.operations import get_region

#: The longest a session may last.
LONGEST = timedelta(hours=12)
#: Residents shown on a roster page at once (search narrows it).
ROSTER_LIMIT = 300
#: What check-in says: the outcome codes the page explains.
CHECKED_IN, ALREADY, NOT_YET, CLOSED = "checked_in", "already", "not_yet", "closed"


class OutreachError(Exception):
    """A session that cannot be scheduled as asked; the message is a code the form explains."""


# --- Who may do what ----------------------------------------------------------------------------------


def may_organise_in(user, village_code: str | None) -> bool:
    """Tell whether a person may schedule and run sessions in a village."""
    if not village_code:
        return False
    if user.role == ADMIN:
        return True
    if user.role == OFFICER:
        return user.office is not None and user.office.covers(village_code)
    if user.role == LEADER:
        return any(village.code == village_code for village in user.led_villages)
    return False


def may_manage(user, session: OutreachSession) -> bool:
    """Tell whether a person may see a session's roster, mark attendance and export it."""
    return may_organise_in(user, session.village_code)


def find_session(user, session_id: int) -> OutreachSession | None:
    """Return a session the person may manage; None for an unknown id and for another area's session alike."""
    session = db.session.get(OutreachSession, session_id)
    if session is None or not may_manage(user, session):
        return None
    return session


def area_condition(user):
    """Return the SQL condition on OutreachSession.village_code for the sessions a person may manage."""
    if user.role == ADMIN:
        return OutreachSession.id.is_not(None)
    if user.role == OFFICER and user.office is not None:
        prefixes = [region.code + "." for region in user.office.regions]
        return or_(*[OutreachSession.village_code.startswith(p, autoescape=True) for p in prefixes] or [False])
    if user.role == LEADER:
        return OutreachSession.village_code.in_([village.code for village in user.led_villages])
    return OutreachSession.id.is_(None)


@dataclass
class SessionRow:
    """A session in a list, with how many attended."""

    session: OutreachSession
    attended: int


def sessions_for(user, *, upcoming: bool, now: datetime | None = None, limit: int = 50) -> list[SessionRow]:
    """Return the sessions a person manages, upcoming (soonest first) or past (latest first) (two queries)."""
    now = now or utcnow()
    query = select(OutreachSession).where(area_condition(user))
    if upcoming:
        query = query.where(OutreachSession.ends_dt >= now).order_by(OutreachSession.starts_dt)
    else:
        query = query.where(OutreachSession.ends_dt < now).order_by(OutreachSession.starts_dt.desc())
    sessions = list(db.session.scalars(query.limit(limit)))
    counts = dict(
        db.session.execute(
            select(Attendance.session_id, func.count())
            .where(Attendance.session_id.in_([s.id for s in sessions]))
            .group_by(Attendance.session_id)
        ).all()
    )
    return [SessionRow(session, counts.get(session.id, 0)) for session in sessions]


# --- Scheduling ---------------------------------------------------------------------------------------


def schedule_session(
    user,
    *,
    village_code: str,
    course_id: int | None,
    topic: str,
    place: str,
    starts_dt: datetime,
    ends_dt: datetime,
) -> OutreachSession:
    """Schedule a session in a village the person may organise in; times are UTC."""
    village = get_region(village_code, VILLAGE)
    if village is None:
        raise OutreachError("village")
    if not may_organise_in(user, village.code):
        raise OutreachError("not_your_village")
    if course_id and db.session.get(Course, course_id) is None:
        raise OutreachError("course")
    if not course_id and not topic.strip():
        raise OutreachError("topic")
    if ends_dt <= starts_dt:
        raise OutreachError("order")
    if ends_dt - starts_dt > LONGEST:
        raise OutreachError("too_long")
    session = OutreachSession(
        village_code=village.code,
        course_id=course_id or None,
        topic=topic.strip(),
        place=place.strip(),
        starts_dt=starts_dt,
        ends_dt=ends_dt,
        office_id=user.office_id if user.role == OFFICER else None,
        created_by_id=user.id,
    )
    db.session.add(session)
    db.session.flush()
    return session


# --- Roster and attendance ----------------------------------------------------------------------------


@dataclass
class RosterEntry:
    """A resident on a session's roster."""

    user_id: int
    name: str
    sign_in_name: str
    village_code: str | None
    #: How they were recorded present ("roster" or "qr"), or None when absent.
    method: str | None
    checked_in_dt: datetime | None


def roster(session: OutreachSession, query: str = "", limit: int = ROSTER_LIMIT) -> tuple[list[RosterEntry], int]:
    """Return the village's residents and anyone else present, by name, and how many match (two queries)."""
    present = (
        select(Attendance.user_id, Attendance.method, Attendance.checked_in_dt)
        .where(Attendance.session_id == session.id)
        .subquery()
    )
    condition = (
        (User.role == RESIDENT) & ~User.is_deleted & (User.village_code == session.village_code)
    ) | present.c.user_id.is_not(None)
    statement = select(User.id, User.name, User.username, User.phone, User.village_code, present.c.method).outerjoin(
        present, present.c.user_id == User.id
    )
    statement = statement.add_columns(present.c.checked_in_dt).where(condition)
    if query:
        statement = statement.where(func.lower(User.name).contains(query.lower(), autoescape=True))
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    rows = db.session.execute(statement.order_by(User.name, User.id).limit(limit))
    entries = [
        RosterEntry(row.id, row.name, row.username or row.phone or "", row.village_code, row.method, row.checked_in_dt)
        for row in rows
    ]
    return entries, total or 0


def attendance_count(session: OutreachSession) -> int:
    return db.session.scalar(select(func.count()).where(Attendance.session_id == session.id)) or 0


def _after_attendance(session: OutreachSession, user_ids: list[int], by_id: int | None) -> None:
    """Enrol new attendees in the session's course and check whether attending completes it."""
    if session.course_id is None or not user_ids:
        return
    enrol_many(user_ids, session.course_id, via=VIA_LEADER if by_id else "self", by_id=by_id)
    evaluate_completions(user_ids, session.course_id)


def save_roster(session: OutreachSession, present: set[int], listed: set[int], by) -> tuple[int, int]:
    """Make the roster's ticks true for the residents listed on the page; return (added, removed).

    Saving the same ticks again changes nothing. Residents not on the page are left alone, and so
    is a QR check-in (the resident said so themselves). Ids that are not the village's residents
    or present already are ignored.
    """
    known = set(
        db.session.scalars(
            select(User.id).where(
                User.id.in_(listed),
                (
                    (User.role == RESIDENT) & ~User.is_deleted & (User.village_code == session.village_code)
                    | User.id.in_(select(Attendance.user_id).where(Attendance.session_id == session.id))
                ),
            )
        )
    )
    current = dict(
        db.session.execute(
            select(Attendance.user_id, Attendance.method).where(
                Attendance.session_id == session.id, Attendance.user_id.in_(known)
            )
        ).all()
    )
    now = utcnow()
    to_add = sorted((present & known) - set(current))
    to_remove = sorted(u for u in known - present if current.get(u) == ROSTER)
    for user_id in to_add:
        try:
            with db.session.begin_nested():
                record = Attendance(session_id=session.id, user_id=user_id, checked_in_dt=now, method=ROSTER)
                record.marked_by_id = by.id
                db.session.add(record)
        except IntegrityError:
            continue  # checked in by QR a moment ago
    if to_remove:
        db.session.execute(
            delete(Attendance).where(
                Attendance.session_id == session.id, Attendance.user_id.in_(to_remove), Attendance.method == ROSTER
            )
        )
    db.session.flush()
    _after_attendance(session, to_add, by.id)
    return len(to_add), len(to_remove)


# --- QR check-in --------------------------------------------------------------------------------------


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="outreach-check-in")


def check_in_token(session: OutreachSession) -> str:
    """Return the signed token a session's QR code carries; nobody can make one for another session."""
    return _serializer().dumps(session.id)


def session_for_token(token: str) -> OutreachSession | None:
    """Return the session a check-in token names, or None when it is forged or unknown."""
    try:
        session_id = _serializer().loads(token)
    except BadSignature:
        return None
    if not isinstance(session_id, int):
        return None
    return db.session.get(OutreachSession, session_id)


def check_in_state(session: OutreachSession, user, now: datetime | None = None) -> str | None:
    """Return what checking in now would say before doing it: already, not_yet, closed, or None (open)."""
    now = now or utcnow()
    exists = db.session.scalar(
        select(Attendance.id).where(Attendance.session_id == session.id, Attendance.user_id == user.id)
    )
    if exists:
        return ALREADY
    if now < session.starts_dt:
        return NOT_YET
    if now > session.ends_dt:
        return CLOSED
    return None


def check_in(session: OutreachSession, user, now: datetime | None = None) -> str:
    """Record a resident's own check-in once, within the session's time window; return the outcome."""
    now = now or utcnow()
    state = check_in_state(session, user, now)
    if state is not None:
        return state
    try:
        with db.session.begin_nested():
            db.session.add(Attendance(session_id=session.id, user_id=user.id, checked_in_dt=now, method=QR))
    except IntegrityError:
        return ALREADY  # a double scan a moment ago
    _after_attendance(session, [user.id], None)
    return CHECKED_IN


def attendance_rows(session: OutreachSession) -> list[tuple]:
    """Return who attended a session, for exports: name, sign-in name, village, when, how."""
    from lms.regions.models import Region

    return db.session.execute(
        select(User.name, User.username, User.phone, Region.name, Attendance.checked_in_dt, Attendance.method)
        .join(Attendance, Attendance.user_id == User.id)
        .outerjoin(Region, Region.code == User.village_code)
        .where(Attendance.session_id == session.id)
        .order_by(User.name, User.id)
    ).all()

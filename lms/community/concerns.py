"""Concern reports: a resident's private report to the office covering their village, and its handling.

Concerns reach officers only: never admins, leaders or other residents. An officer of another area
gets None (the views answer 404), the same as for a missing report.
"""

from sqlalchemy import select

from lms.access import OFFICER
from lms.clock import utcnow
from lms.community.models import Concern
from lms.community.operations import LIST_LIMIT, CommunityError, store_once
from lms.extensions import db
from lms.reports.operations import area_of, may_see, within


def report_concern(user, *, kind: str, body: str, form_token: str) -> tuple[Concern, bool]:
    """Store a concern for the office covering the reporter's village; a repeated form stores nothing."""
    if not user.village_code:
        raise CommunityError("no_village")
    concern = Concern(user_id=user.id, village_code=user.village_code, kind=kind, body=body, form_token=form_token)
    stored, is_new = store_once(concern, form_token, Concern)
    if not is_new and stored.user_id != user.id:
        raise CommunityError("token")
    return stored, is_new


def own_concerns(user, limit: int = 20) -> list[Concern]:
    """Return the concerns a person reported, newest first."""
    return list(
        db.session.scalars(select(Concern).where(Concern.user_id == user.id).order_by(Concern.id.desc()).limit(limit))
    )


def find_own_concern(user, concern_id: int) -> Concern | None:
    """Return a concern its reporter may read; None for anyone else."""
    concern = db.session.get(Concern, concern_id)
    if concern is None or concern.user_id != user.id:
        return None
    return concern


def _officer_area(user) -> list[str]:
    """Return the regions of an officer's office; concerns reach officers only, never admins or leaders."""
    return area_of(user) if user.role == OFFICER else []


def office_concerns(user, *, handled: bool = False) -> list[Concern]:
    """Return the concerns of the officer's area: open ones oldest first, handled ones newest first."""
    area = _officer_area(user)
    if not area:
        return []
    query = select(Concern).where(*within(Concern.village_code, area))
    if handled:
        query = query.where(Concern.handled_dt.is_not(None)).order_by(Concern.handled_dt.desc(), Concern.id.desc())
    else:
        query = query.where(Concern.handled_dt.is_(None)).order_by(Concern.created_dt, Concern.id)
    return list(db.session.scalars(query.limit(LIST_LIMIT)))


def find_concern_for_officer(user, concern_id: int) -> Concern | None:
    """Return a concern of the officer's area; None for an unknown id and another area's concern alike."""
    concern = db.session.get(Concern, concern_id)
    area = _officer_area(user)
    if concern is None or not area or not may_see(area, concern.village_code):
        return None
    return concern


def handle_concern(officer, concern: Concern, note: str) -> None:
    """Mark a concern handled with what the office did (a later note corrects it)."""
    concern.handling_note = note
    concern.handled_by_id = officer.id
    concern.handled_dt = concern.handled_dt or utcnow()
    db.session.flush()

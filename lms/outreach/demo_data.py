"""Demo content for outreach: a past session in Kelurahan Dempo Makmur that warga1 and warga2 attended."""

from datetime import datetime, time, timedelta

from flask_babel import to_user_timezone, to_utc
from sqlalchemy import select

from lms.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.outreach.models import OutreachSession
from lms.outreach.operations import save_roster

DEMO_TOPIC = "Penyuluhan paspor dan bekerja aman di luar negeri"


def add_demo_session(accounts: dict) -> None:
    """Schedule yesterday's session in the demo village (led by kades1) with two attendees; safe to run again."""
    from lms.demo import DEMO_VILLAGE

    leader = accounts["kades1"]
    exists = db.session.scalar(
        select(OutreachSession.id).where(
            OutreachSession.village_code == DEMO_VILLAGE,
            OutreachSession.topic == DEMO_TOPIC,
            OutreachSession.created_by_id == leader.id,
        )
    )
    if exists:
        return
    course = db.session.scalar(select(Course).where(Course.slug == "paspor"))
    yesterday = to_user_timezone(utcnow()).date() - timedelta(days=1)
    session = OutreachSession(
        village_code=DEMO_VILLAGE,
        course_id=course.id if course else None,
        topic=DEMO_TOPIC,
        place="Balai Kelurahan Dempo Makmur",
        starts_dt=to_utc(datetime.combine(yesterday, time(9, 0))),
        ends_dt=to_utc(datetime.combine(yesterday, time(11, 0))),
        created_by_id=leader.id,
    )
    db.session.add(session)
    db.session.flush()
    attendees = {accounts["warga1"].id, accounts["warga2"].id}
    save_roster(session, attendees, attendees, leader)

"""Outreach sessions and who attended them."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.courses.models import Course
from lms.extensions import db
from lms.regions.models import Region

#: How an attendance was recorded: ticked on the roster by the organiser, or checked in by the resident's QR scan.
ROSTER, QR = "roster", "qr"


class OutreachSession(db.Model):
    """A penyuluhan in a village, on a course or a topic, within a time window."""

    __tablename__ = "outreach_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The course the session teaches; attendance counts toward it when the course asks for it.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    #: What the session is about, in the organiser's words (required when there is no course).
    topic: Mapped[str] = mapped_column(String(200), default="")
    #: Where in the village: the village hall, a mosque, a school…
    place: Mapped[str] = mapped_column(String(200), default="")
    #: The time window, in UTC: QR check-in is open from start to end.
    starts_dt: Mapped[datetime]
    ends_dt: Mapped[datetime]
    #: The office of the officer who scheduled it; None when a community leader did.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    village: Mapped[Region] = relationship(lazy="joined")
    course: Mapped[Course | None] = relationship()

    def __repr__(self) -> str:
        return f"<OutreachSession {self.id} in {self.village_code}>"

    def is_open(self, now: datetime) -> bool:
        """Tell whether check-in is open at a moment (UTC)."""
        return self.starts_dt <= now <= self.ends_dt


class Attendance(db.Model):
    """One person present at an outreach session; recorded once, whichever way."""

    __tablename__ = "outreach_attendances"
    __table_args__ = (UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    session_id: Mapped[int] = mapped_column(ForeignKey("outreach_sessions.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    checked_in_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: "roster" (ticked by the organiser) or "qr" (the resident scanned the session's code).
    method: Mapped[str] = mapped_column(String(10), default=ROSTER)
    #: Who ticked it on the roster; None for a QR check-in.
    marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<Attendance session={self.session_id} user={self.user_id} {self.method}>"

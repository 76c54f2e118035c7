"""Certificates as issued (a snapshot of what they state) and bulk printing runs for a village."""

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db

#: States of a bulk print, in the order a successful one passes through them.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
PRINT_STATUSES = (QUEUED, RUNNING, DONE, FAILED)


class Certificate(db.Model):
    """A certificate for one person and one course, with what it states frozen at issue time."""

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Printed form, e.g. KI-7H4-Q9M-XCE (see lms.certificates.serials).
    serial: Mapped[str] = mapped_column(String(14), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    #: None once the course itself is deleted; the certificate keeps its own copy of the title.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    #: The holder's name exactly as written at issue time (replaced when the holder deletes their account).
    holder_name: Mapped[str] = mapped_column(String(80))
    course_slug: Mapped[str] = mapped_column(String(80))
    #: The course title in Indonesian at issue time.
    course_title: Mapped[str] = mapped_column(String(200))
    #: The course title in the holder's language at issue time, when it has one that differs.
    course_title_local: Mapped[str | None] = mapped_column(String(200))
    #: The holder's language at issue time, a BCP-47 tag.
    language: Mapped[str] = mapped_column(String(20), default="id")
    #: The immigration office covering the holder's village, or the Directorate General.
    office_name: Mapped[str] = mapped_column(String(120))
    issued_on: Mapped[date]
    issued_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: The signed token the QR code carries (lms.certificates.signing), and the key that signed it.
    token: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(8))
    revoked_dt: Mapped[datetime | None]
    revocation_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    holder = relationship("User", foreign_keys=[user_id])
    course = relationship("Course")

    def __repr__(self) -> str:
        return f"<Certificate {self.serial}>"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_dt is not None


class BulkPrint(db.Model):
    """One run printing a village's certificates for a course as a single PDF, with its progress."""

    __tablename__ = "bulk_prints"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The residents to print for, in page order.
    user_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    #: Pages laid out so far, out of total.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: The finished PDF under MEDIA_ROOT/certificate-prints/; None until done, or after it was deleted.
    filename: Mapped[str | None] = mapped_column(String(100))
    #: What went wrong, for the person who reports it.
    failure: Mapped[str | None] = mapped_column(Text)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finished_dt: Mapped[datetime | None]

    course = relationship("Course")
    village = relationship("Region")

    def __repr__(self) -> str:
        return f"<BulkPrint {self.id} {self.status} {self.done}/{self.total}>"

    @property
    def percent(self) -> float:
        return 100.0 * self.done / self.total if self.total else 0.0

"""What learners have done: progress per lesson (never per translation), enrolments, completions, roster imports."""

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class LessonProgress(db.Model):
    """One learner's progress in one lesson: read or not, and how far the video got."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    #: When the learner marked the lesson as read; None until then.
    read_dt: Mapped[datetime | None]
    #: Where the video player was last, in seconds.
    video_position_s: Mapped[float] = mapped_column(default=0.0)
    #: The furthest point of the video watched, in seconds.
    video_furthest_s: Mapped[float] = mapped_column(default=0.0)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<LessonProgress user={self.user_id} lesson={self.lesson_id}>"


#: How someone came to be enrolled: they started the course themselves, or a community leader enrolled them.
SELF, LEADER = "self", "leader"


class Enrolment(db.Model):
    """A learner taking a course: made when they start it, or by a leader on their behalf."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: "self" (started the course) or "leader" (enrolled by a community leader).
    via: Mapped[str] = mapped_column(String(10), default=SELF)
    #: The leader who enrolled them, when via is "leader".
    enrolled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def __repr__(self) -> str:
        return f"<Enrolment user={self.user_id} course={self.course_id} via={self.via}>"


class CourseCompletion(db.Model):
    """A learner met a course's completion rules; kept when the rules change later."""

    __tablename__ = "course_completions"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    completed_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<CourseCompletion user={self.user_id} course={self.course_id}>"


class RosterImport(db.Model):
    """A roster file a leader uploaded: its checked rows wait here between the preview and the confirmation."""

    __tablename__ = "roster_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Random, in the preview's URL and form: confirming the same token twice saves once.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200), default="")
    #: The rows that passed every check: [{"line", "name", "phone", "village_code"}].
    rows: Mapped[list] = mapped_column(JSON, default=list)
    #: The rows refused, with their reasons: [{"line", "name", "errors": [code, …]}].
    refused: Mapped[list] = mapped_column(JSON, default=list)
    #: How many rows were refused (only the first few hundred are kept in `refused`).
    refused_count: Mapped[int] = mapped_column(default=0)
    #: The course every saved villager is enrolled in, if the leader chose one.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: Set once the rows are saved; None while the preview waits.
    confirmed_dt: Mapped[datetime | None]
    saved_count: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<RosterImport {self.id} of leader {self.leader_id}>"


#: States of a background file job, in the order a successful one passes through them.
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
#: Kinds of background file jobs.
EXPORT, ROSTER_SAVE = "export", "roster"


class FileJob(db.Model):
    """A long export or roster save that runs in the background, with its progress and, for exports, its file."""

    __tablename__ = "file_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: "export" (a list written to a file) or "roster" (a checked roster saved).
    kind: Mapped[str] = mapped_column(String(10))
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: What was asked, so the same request twice finds the job already running: e.g. "export:16.72:csv:paspor".
    key: Mapped[str] = mapped_column(String(120), index=True)
    #: What the job needs: the region, format and course of an export; the roster import's id.
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: queued, running, done or failed.
    status: Mapped[str] = mapped_column(String(10), default=QUEUED)
    #: Steps done so far (villages written, rows saved), out of total.
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    #: The finished file under MEDIA_ROOT/exports/; None until done, and again once swept away.
    filename: Mapped[str | None] = mapped_column(String(100))
    #: Why it failed, as a code the page explains in plain words.
    failure: Mapped[str | None] = mapped_column(String(40))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    finished_dt: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<FileJob {self.id} {self.kind} {self.status} {self.done}/{self.total}>"

    @property
    def percent(self) -> float:
        if self.status == DONE:
            return 100.0
        return min(100.0 * self.done / self.total, 100.0) if self.total else 0.0

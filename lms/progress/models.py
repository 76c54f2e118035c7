"""What a learner has done with each lesson; it attaches to the lesson, never to a translation."""

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint
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

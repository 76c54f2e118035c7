"""What residents say about what they learned: a course's feedback and a lesson's rating, one per person."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class CourseFeedback(db.Model):
    """A resident's feedback at the end of a course; sending it again replaces it.

    Reports show it by village only: the user is kept so one person has one feedback, never shown.
    """

    __tablename__ = "course_feedback"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The writer's village when they wrote it: reports group by it and never name the writer.
    village_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    #: 1 (not clear) to 5 (very clear); None when left out.
    clarity: Mapped[int | None]
    #: 1 (not useful) to 5 (very useful); None when left out.
    usefulness: Mapped[int | None]
    #: "What was hard?", as written.
    hard_text: Mapped[str] = mapped_column(Text, default="")
    #: "What else do you want to learn?", as written.
    wish_text: Mapped[str] = mapped_column(Text, default="")
    #: The interface language the resident wrote in, so officers know how to read it.
    language: Mapped[str] = mapped_column(String(20), default="id")
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<CourseFeedback course={self.course_id} village={self.village_code}>"


class LessonRating(db.Model):
    """How clear a resident found one lesson, 1 to 5; rating again replaces it."""

    __tablename__ = "lesson_ratings"
    __table_args__ = (UniqueConstraint("lesson_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: The rater's village when they rated, for reports by village.
    village_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    rating: Mapped[int]
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"<LessonRating lesson={self.lesson_id} {self.rating}>"

"""Residents' feedback and lesson ratings: one per person and course or lesson, the latest replacing the earlier."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.evaluation.models import CourseFeedback, LessonRating
from lms.extensions import db


def find_course(slug: str) -> Course | None:
    """Return the published course with this slug."""
    return db.session.scalar(select(Course).where(Course.slug == slug, Course.is_published))


def find_lesson(slug: str, lesson_slug: str) -> Lesson | None:
    """Return a lesson residents can read: of a published course, not archived."""
    return db.session.scalar(
        select(Lesson)
        .join(Course, Course.id == Lesson.course_id)
        .where(Course.slug == slug, Course.is_published, Lesson.slug == lesson_slug, Lesson.is_archived.is_(False))
    )


def feedback_of(user_id: int, course_id: int) -> CourseFeedback | None:
    """Return what a resident said about a course, if anything."""
    return db.session.scalar(
        select(CourseFeedback).where(CourseFeedback.course_id == course_id, CourseFeedback.user_id == user_id)
    )


def _upsert(model, keys: dict, values: dict):
    """Insert a person's row or replace its values; a double submit racing this one ends with one row."""
    statement = select(model).filter_by(**keys)
    record = db.session.scalar(statement)
    if record is None:
        try:
            with db.session.begin_nested():
                record = model(**keys, **values)
                db.session.add(record)
                db.session.flush()
            return record
        except IntegrityError:  # the same person's other request inserted it a moment ago
            record = db.session.scalar(statement)
    for name, value in values.items():
        setattr(record, name, value)
    db.session.flush()
    return record


def save_course_feedback(user, course: Course, data: dict, language: str) -> CourseFeedback:
    """Store a resident's feedback on a course, replacing what they sent before."""
    values = {
        "clarity": data.get("clarity"),
        "usefulness": data.get("usefulness"),
        "hard_text": (data.get("hard_text") or "").strip(),
        "wish_text": (data.get("wish_text") or "").strip(),
        "village_code": user.village_code,
        "language": language,
        "updated_dt": utcnow(),
    }
    return _upsert(CourseFeedback, {"course_id": course.id, "user_id": user.id}, values)


def rate_lesson(user, lesson: Lesson, rating: int) -> LessonRating:
    """Store how clear a resident found a lesson, replacing their earlier rating."""
    values = {"rating": rating, "village_code": user.village_code, "updated_dt": utcnow()}
    return _upsert(LessonRating, {"lesson_id": lesson.id, "user_id": user.id}, values)

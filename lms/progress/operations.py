"""Recording what learners do; every recording is idempotent and never takes progress away."""

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.clock import utcnow
from lms.extensions import db
from lms.progress.models import LessonProgress


def get_lesson_progress(user, lesson) -> LessonProgress:
    """Return a learner's progress record for a lesson, creating it when missing (safe under races)."""
    query = select(LessonProgress).where(LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id)
    progress = db.session.scalar(query)
    if progress is not None:
        return progress
    try:
        with db.session.begin_nested():
            progress = LessonProgress(user_id=user.id, lesson_id=lesson.id)
            db.session.add(progress)
    except IntegrityError:
        # Another request (a double tap) created it first.
        progress = db.session.scalar(query)
    return progress


def record_lesson_read(user, lesson) -> LessonProgress:
    """Record that a learner read a lesson; reading it again keeps the first date."""
    progress = get_lesson_progress(user, lesson)
    if progress.read_dt is None:
        progress.read_dt = utcnow()
        db.session.flush()
    return progress


def record_video_position(user, lesson, position_s: float, duration_s: float) -> LessonProgress:
    """Record where a learner is in a lesson's video; the furthest point only grows, never past the end."""
    progress = get_lesson_progress(user, lesson)
    position_s = max(0.0, min(position_s, duration_s))
    progress.video_position_s = position_s
    progress.video_furthest_s = max(progress.video_furthest_s, position_s)
    db.session.flush()
    return progress

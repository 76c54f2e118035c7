"""Course completion, computed from recorded facts: lessons read, videos watched, quiz passed, attendance.

A course's rules (Course.lessons_to_read, video_share, is_quiz_required, is_attendance_required) are
checked against what the learner did, never against a running score, so a changed rule can be
re-evaluated for everyone. A completion once recorded is kept: a certificate may have been issued on it.

The checks run by themselves (see triggers.py) when lessons are read, videos watched or quizzes
taken; outreach attendance calls evaluate_completions directly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from lms.clock import utcnow
from lms.courses.models import Course, Lesson, LessonText
from lms.extensions import db
from lms.jobs import job
from lms.progress.models import SELF, CourseCompletion, Enrolment, LessonProgress

#: The Course attributes that make up its completion rules.
RULE_ATTRIBUTES = ("lessons_to_read", "video_share", "is_quiz_required", "is_attendance_required")
#: Most user ids one query lists (PostgreSQL takes at most 65,535 parameters, SQLite 32,766).
USERS_PER_QUERY = 5000
#: Seconds of slack when comparing how far a video was watched (players report positions a little early).
VIDEO_SLACK_S = 1.0


@dataclass
class Requirements:
    """What completes one course, resolved against its current lessons, videos and quiz."""

    course_id: int
    #: The lessons a resident can read, in course order.
    lesson_ids: tuple[int, ...]
    #: How many of them must be read.
    lessons_needed: int
    #: Lesson id → seconds of its video to watch; empty when no video is asked for.
    video_seconds: dict[int, float]
    #: The quiz to pass, or None when none is asked for (or the course has no quiz with questions).
    quiz_id: int | None
    needs_attendance: bool
    #: The course's quiz, asked for or not (attempts count as activity).
    any_quiz_id: int | None = None

    @property
    def steps(self) -> int:
        """Return how many steps completion takes: each lesson, each video, the quiz, the session."""
        return self.lessons_needed + len(self.video_seconds) + (self.quiz_id is not None) + self.needs_attendance


@dataclass
class Facts:
    """What one learner did in one course."""

    read: set[int] = field(default_factory=set)
    watched: set[int] = field(default_factory=set)
    is_quiz_passed: bool = False
    has_attended: bool = False
    #: Any record at all: a lesson opened for its video, a quiz attempt, an attendance.
    has_activity: bool = False
    last_activity_dt: datetime | None = None

    def seen(self, moment: datetime | None) -> None:
        self.has_activity = True
        if moment is not None and (self.last_activity_dt is None or moment > self.last_activity_dt):
            self.last_activity_dt = moment

    def done_steps(self, requirements: Requirements) -> int:
        """Return how many of the course's steps are done."""
        lessons = min(len(self.read.intersection(requirements.lesson_ids)), requirements.lessons_needed)
        videos = len(self.watched.intersection(requirements.video_seconds))
        quiz = requirements.quiz_id is not None and self.is_quiz_passed
        return lessons + videos + quiz + (requirements.needs_attendance and self.has_attended)

    def meets(self, requirements: Requirements) -> bool:
        """Tell whether these facts complete the course."""
        return self.done_steps(requirements) >= requirements.steps


# --- Reading the rules and the facts, in a fixed number of queries ------------------------------------


def readable_lessons_condition():
    """Return the condition for a lesson residents can read: current, published in some language."""
    return ~Lesson.is_archived & Lesson.texts.any(LessonText.published_version_id.is_not(None))


def requirements_for(course_ids: Iterable[int]) -> dict[int, Requirements]:
    """Resolve the completion rules of several courses (four queries, whatever their number)."""
    from lms.media.models import READY, Video
    from lms.quizzes.models import Question, Quiz

    course_ids = list(set(course_ids))
    if not course_ids:
        return {}
    courses = db.session.execute(
        select(Course.id, *[getattr(Course, name) for name in RULE_ATTRIBUTES]).where(Course.id.in_(course_ids))
    ).all()
    lessons: dict[int, list[int]] = {}
    for course_id, lesson_id in db.session.execute(
        select(Lesson.course_id, Lesson.id)
        .where(Lesson.course_id.in_(course_ids), readable_lessons_condition())
        .order_by(Lesson.course_id, Lesson.position, Lesson.id)
    ):
        lessons.setdefault(course_id, []).append(lesson_id)
    all_lessons = [lesson_id for ids in lessons.values() for lesson_id in ids]
    durations: dict[int, float] = {}
    if all_lessons:
        # The newest ready video of a lesson is the one residents watch.
        for lesson_id, duration in db.session.execute(
            select(Video.lesson_id, Video.duration_s)
            .where(Video.lesson_id.in_(all_lessons), Video.status == READY)
            .order_by(Video.id)
        ):
            durations[lesson_id] = duration
    quizzes = {
        course_id: (quiz_id, questions)
        for course_id, quiz_id, questions in db.session.execute(
            select(Quiz.course_id, Quiz.id, func.count(Question.id))
            .outerjoin(Question, (Question.quiz_id == Quiz.id) & ~Question.is_retired)
            .where(Quiz.course_id.in_(course_ids))
            .group_by(Quiz.course_id, Quiz.id)
        )
    }
    result = {}
    for course_id, lessons_to_read, video_share, is_quiz_required, is_attendance_required in courses:
        ids = tuple(lessons.get(course_id, ()))
        needed = len(ids) if lessons_to_read is None else min(max(lessons_to_read, 0), len(ids))
        videos = {
            lesson_id: max(durations[lesson_id] * video_share - VIDEO_SLACK_S, 0.0)
            for lesson_id in ids
            if lesson_id in durations and video_share > 0
        }
        quiz_id, questions = quizzes.get(course_id, (None, 0))
        result[course_id] = Requirements(
            course_id=course_id,
            lesson_ids=ids,
            lessons_needed=needed,
            video_seconds=videos,
            quiz_id=quiz_id if is_quiz_required and questions else None,
            needs_attendance=is_attendance_required,
            any_quiz_id=quiz_id,
        )
    return result


def _user_filter(column, users: Select | Iterable[int]):
    return column.in_(users if isinstance(users, Select) else list(users))


def facts_for(requirements: dict[int, Requirements], users: Select | Iterable[int]) -> dict[tuple[int, int], Facts]:
    """Collect what the given users did in the given courses: {(user_id, course_id): Facts} (three queries).

    `users` is a list of ids or a SELECT of ids, so a village's residents are never loaded one by one.
    """
    from lms.outreach.models import Attendance, OutreachSession
    from lms.quizzes.models import Attempt

    if not isinstance(users, Select):
        users = list(users)
        if len(users) > USERS_PER_QUERY:  # databases cap the parameters of one statement
            facts = {}
            for start in range(0, len(users), USERS_PER_QUERY):
                facts.update(facts_for(requirements, users[start : start + USERS_PER_QUERY]))
            return facts
    facts: dict[tuple[int, int], Facts] = {}
    lesson_course = {lesson: req.course_id for req in requirements.values() for lesson in req.lesson_ids}
    if lesson_course:
        rows = db.session.execute(
            select(
                LessonProgress.user_id,
                LessonProgress.lesson_id,
                LessonProgress.read_dt,
                LessonProgress.video_furthest_s,
                LessonProgress.updated_dt,
            ).where(LessonProgress.lesson_id.in_(list(lesson_course)), _user_filter(LessonProgress.user_id, users))
        )
        for user_id, lesson_id, read_dt, furthest, updated_dt in rows:
            requirement = requirements[lesson_course[lesson_id]]
            entry = facts.setdefault((user_id, requirement.course_id), Facts())
            entry.seen(updated_dt)
            if read_dt is not None:
                entry.read.add(lesson_id)
            needed = requirement.video_seconds.get(lesson_id)
            if needed is not None and furthest >= needed:
                entry.watched.add(lesson_id)
    quiz_course = {req.any_quiz_id: req.course_id for req in requirements.values() if req.any_quiz_id is not None}
    if quiz_course:
        rows = db.session.execute(
            select(
                Attempt.user_id,
                Attempt.quiz_id,
                func.max(cast(Attempt.is_passed, Integer)),  # PostgreSQL has no max() of booleans
                func.max(Attempt.started_dt),
            )
            .where(Attempt.quiz_id.in_(list(quiz_course)), _user_filter(Attempt.user_id, users))
            .group_by(Attempt.user_id, Attempt.quiz_id)
        )
        for user_id, quiz_id, is_passed, started_dt in rows:
            entry = facts.setdefault((user_id, quiz_course[quiz_id]), Facts())
            entry.seen(started_dt)
            entry.is_quiz_passed = bool(is_passed)
    rows = db.session.execute(
        select(Attendance.user_id, OutreachSession.course_id, func.max(Attendance.checked_in_dt))
        .join(OutreachSession, OutreachSession.id == Attendance.session_id)
        .where(OutreachSession.course_id.in_(list(requirements)), _user_filter(Attendance.user_id, users))
        .group_by(Attendance.user_id, OutreachSession.course_id)
    )
    for user_id, course_id, checked_in_dt in rows:
        entry = facts.setdefault((user_id, course_id), Facts())
        entry.seen(checked_in_dt)
        entry.has_attended = True
    return facts


# --- Enrolling and recording completions ------------------------------------------------------------


def enrol(user_id: int, course_id: int, via: str = SELF, by_id: int | None = None) -> Enrolment:
    """Enrol a learner in a course, or return the enrolment they have (safe under races)."""
    query = select(Enrolment).where(Enrolment.user_id == user_id, Enrolment.course_id == course_id)
    enrolment = db.session.scalar(query)
    if enrolment is not None:
        return enrolment
    try:
        with db.session.begin_nested():
            enrolment = Enrolment(user_id=user_id, course_id=course_id, via=via, enrolled_by_id=by_id)
            db.session.add(enrolment)
    except IntegrityError:
        enrolment = db.session.scalar(query)
    return enrolment


def enrol_many(user_ids: Iterable[int], course_id: int, via: str = SELF, by_id: int | None = None) -> int:
    """Enrol several learners at once (two queries); those enrolled already keep their enrolment."""
    user_ids = set(user_ids)
    if not user_ids:
        return 0
    have = set(
        db.session.scalars(
            select(Enrolment.user_id).where(Enrolment.course_id == course_id, Enrolment.user_id.in_(user_ids))
        )
    )
    now = utcnow()
    rows = [
        {"user_id": u, "course_id": course_id, "enrolled_dt": now, "via": via, "enrolled_by_id": by_id}
        for u in sorted(user_ids - have)
    ]
    if not rows:
        return 0
    try:
        with db.session.begin_nested():
            db.session.execute(Enrolment.__table__.insert(), rows)
    except IntegrityError:  # someone enrolled at the same moment: one by one, keeping theirs
        for row in rows:
            enrol(row["user_id"], course_id, via, by_id)
    return len(rows)


def _record_completions(pairs: list[tuple[int, int]], now: datetime | None = None) -> list[tuple[int, int]]:
    """Insert completions for (user_id, course_id) pairs that have none; return the ones inserted."""
    if not pairs:
        return []
    now = now or utcnow()
    inserted = []
    for user_id, course_id in pairs:
        try:
            with db.session.begin_nested():
                db.session.add(CourseCompletion(user_id=user_id, course_id=course_id, completed_dt=now))
        except IntegrityError:
            continue  # recorded a moment ago by another request
        inserted.append((user_id, course_id))
    if inserted:
        db.session.info.setdefault("certificates_due", []).extend(inserted)
    return inserted


def evaluate_completion(user_id: int, course_id: int) -> CourseCompletion | None:
    """Check one learner's completion of one course from the facts; record it when newly met."""
    completion = db.session.scalar(
        select(CourseCompletion).where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)
    )
    if completion is not None:
        return completion
    requirements = requirements_for([course_id]).get(course_id)
    if requirements is None:
        return None
    facts = facts_for({course_id: requirements}, [user_id]).get((user_id, course_id), Facts())
    if not facts.meets(requirements):
        return None
    enrol(user_id, course_id)
    _record_completions([(user_id, course_id)])
    return db.session.scalar(
        select(CourseCompletion).where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)
    )


def evaluate_completions(user_ids: Iterable[int], course_id: int) -> list[int]:
    """Check several learners' completion of one course (a fixed number of queries); return who completed now."""
    user_ids = list(set(user_ids))
    if not user_ids:
        return []
    requirements = requirements_for([course_id]).get(course_id)
    if requirements is None:
        return []
    done = set(
        db.session.scalars(
            select(CourseCompletion.user_id).where(
                CourseCompletion.course_id == course_id, CourseCompletion.user_id.in_(user_ids)
            )
        )
    )
    facts = facts_for({course_id: requirements}, user_ids)
    met = [u for u in user_ids if u not in done and facts.get((u, course_id), Facts()).meets(requirements)]
    for user_id in met:
        enrol(user_id, course_id)
    return [user_id for user_id, _ in _record_completions([(u, course_id) for u in met])]


@dataclass
class Reevaluation:
    """What re-evaluating a course found."""

    course_id: int
    #: Learners with any record in the course.
    learners: int = 0
    #: Completions recorded now, because the rules are met (perhaps only since they changed).
    completed_now: int = 0
    #: Completions recorded before that still meet the rules.
    still_met: int = 0
    #: Completions recorded before that the current rules would not give; they are kept.
    kept_unmet: int = 0


def reevaluate_course(course: Course) -> Reevaluation:
    """Check every learner of a course against its current rules and record the completions now met.

    Learners are everyone with a record in the course (enrolment, progress, attempt, attendance); the
    work is a fixed number of set-based queries plus one insert per new completion.
    """
    from lms.outreach.models import Attendance, OutreachSession
    from lms.quizzes.models import Attempt, Quiz

    requirements = requirements_for([course.id])[course.id]
    learners = (
        select(Enrolment.user_id)
        .where(Enrolment.course_id == course.id)
        .union(
            select(LessonProgress.user_id)
            .join(Lesson, Lesson.id == LessonProgress.lesson_id)
            .where(Lesson.course_id == course.id),
            select(Attempt.user_id).join(Quiz, Quiz.id == Attempt.quiz_id).where(Quiz.course_id == course.id),
            select(Attendance.user_id)
            .join(OutreachSession, OutreachSession.id == Attendance.session_id)
            .where(OutreachSession.course_id == course.id),
        )
    )
    user_ids = set(db.session.scalars(learners))
    facts = facts_for({course.id: requirements}, user_ids) if user_ids else {}
    done = set(db.session.scalars(select(CourseCompletion.user_id).where(CourseCompletion.course_id == course.id)))
    result = Reevaluation(course_id=course.id, learners=len(user_ids))
    newly = []
    for user_id in user_ids:
        meets = facts.get((user_id, course.id), Facts()).meets(requirements)
        if user_id in done:
            result.still_met += meets
            result.kept_unmet += not meets
        elif meets:
            newly.append(user_id)
    enrolled = set(db.session.scalars(select(Enrolment.user_id).where(Enrolment.course_id == course.id)))
    now = utcnow()
    missing = [{"user_id": u, "course_id": course.id, "enrolled_dt": now, "via": SELF} for u in user_ids - enrolled]
    if missing:
        db.session.execute(Enrolment.__table__.insert(), missing)
    if newly:
        db.session.execute(
            CourseCompletion.__table__.insert(),
            [{"user_id": u, "course_id": course.id, "completed_dt": now} for u in newly],
        )
        db.session.info.setdefault("certificates_due", []).extend((u, course.id) for u in newly)
    result.completed_now = len(newly)
    return result


@job()
def reevaluate_course_later(course_id: int) -> None:
    """Re-evaluate a course's completions in the background (after its rules were saved)."""
    course = db.session.get(Course, course_id)
    if course is not None:
        reevaluate_course(course)
        db.session.commit()

"""A resident's own learning: each enrolled course with what is done, the next step and certificates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, url_for
from sqlalchemy import and_, select

from lms.clock import utcnow
from lms.courses.models import Course, Lesson, LessonText
from lms.courses.reading import Languages, Shown, pick
from lms.extensions import db
from lms.progress.completion import Facts, Requirements, facts_for, requirements_for
from lms.progress.dashboard import published_courses
from lms.progress.models import CourseCompletion, Enrolment

#: Kinds of next step, in the order a course asks for them.
READ, WATCH, QUIZ, ATTEND, DONE = "read", "watch", "quiz", "attend", "done"


@dataclass
class NextStep:
    """What the learner should do next in a course, and where."""

    kind: str
    url: str | None = None
    #: The lesson to read or watch.
    lesson_title: Shown | None = None
    #: For attendance: the next session in their village on this course.
    session: object | None = None


@dataclass
class LearningCourse:
    """One course on the resident's "Belajar saya" page."""

    slug: str
    title: Shown
    requirements: Requirements
    facts: Facts
    enrolled_dt: datetime
    completed_dt: datetime | None
    next_step: NextStep
    lessons_total: int
    certificates: list = field(default_factory=list)

    @property
    def steps(self) -> int:
        return self.requirements.steps

    @property
    def done_steps(self) -> int:
        return self.steps if self.completed_dt else self.facts.done_steps(self.requirements)

    @property
    def percent(self) -> int:
        return 100 if self.completed_dt or not self.steps else round(100 * self.done_steps / self.steps)

    @property
    def lessons_read(self) -> int:
        return len(self.facts.read.intersection(self.requirements.lesson_ids))

    @property
    def videos_watched(self) -> int:
        return len(self.facts.watched.intersection(self.requirements.video_seconds))


def certificates_of(user) -> list:
    """Return the user's certificates when the certificates package offers them, else none."""
    try:
        from lms.certificates import operations as certificates
    except ImportError:
        return []
    find = getattr(certificates, "certificates_of", None)
    return list(find(user)) if find else []


def certificate_url(certificate) -> str | None:
    """Return the download address of a certificate, when the certificates pages exist."""
    if "certificates.download" not in current_app.view_functions:
        return None
    return url_for("certificates.download", serial=certificate.serial)


def _lesson_titles(requirements: dict[int, Requirements], languages: Languages) -> dict[int, tuple[str, Shown]]:
    """Return lesson id → (slug, title in the reader's language) for the courses' readable lessons (one query)."""
    lesson_ids = [lesson for req in requirements.values() for lesson in req.lesson_ids]
    if not lesson_ids:
        return {}
    rows = db.session.execute(
        select(Lesson.id, Lesson.slug, Course.source_language, LessonText.language, LessonText.title)
        .join(Course, Course.id == Lesson.course_id)
        .join(LessonText, and_(LessonText.lesson_id == Lesson.id, LessonText.published_version_id.is_not(None)))
        .where(Lesson.id.in_(lesson_ids))
    ).all()
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append(row)
    titles = {}
    for lesson_id, texts in grouped.items():
        tag, text = pick({t.language: t for t in texts}, languages.for_course(texts[0].source_language))
        text = text or texts[0]
        titles[lesson_id] = (texts[0].slug, Shown(text.title, tag or text.language, languages.wanted))
    return titles


def _next_sessions(user, course_ids: list[int]) -> dict[int, object]:
    """Return the next outreach session in the user's village for each course (one query)."""
    from lms.outreach.models import OutreachSession

    if not user.village_code or not course_ids:
        return {}
    sessions = db.session.scalars(
        select(OutreachSession)
        .where(
            OutreachSession.village_code == user.village_code,
            OutreachSession.course_id.in_(course_ids),
            OutreachSession.ends_dt >= utcnow(),
        )
        .order_by(OutreachSession.starts_dt)
    )
    result: dict[int, object] = {}
    for session in sessions:
        result.setdefault(session.course_id, session)
    return result


def _next_step(slug: str, req: Requirements, facts: Facts, titles, sessions) -> NextStep:
    if len(facts.read.intersection(req.lesson_ids)) < req.lessons_needed:
        lesson = next(lesson for lesson in req.lesson_ids if lesson not in facts.read)
        lesson_slug, title = titles.get(lesson, ("", None))
        return NextStep(READ, url_for("courses.lesson", slug=slug, lesson_slug=lesson_slug), title)
    unwatched = [lesson for lesson in req.video_seconds if lesson not in facts.watched]
    if unwatched:
        lesson_slug, title = titles.get(unwatched[0], ("", None))
        return NextStep(WATCH, url_for("courses.lesson", slug=slug, lesson_slug=lesson_slug), title)
    if req.quiz_id is not None and not facts.is_quiz_passed:
        url = url_for("quizzes.take", slug=slug) if "quizzes.take" in current_app.view_functions else None
        return NextStep(QUIZ, url)
    if req.needs_attendance and not facts.has_attended:
        return NextStep(ATTEND, session=sessions.get(req.course_id))
    return NextStep(DONE, url_for("courses.course", slug=slug))


def my_learning(user, languages: Languages) -> list[LearningCourse]:
    """Return the published courses a resident is enrolled in, most recent first, with progress and next steps."""
    enrolments = {
        course_id: enrolled_dt
        for course_id, enrolled_dt in db.session.execute(
            select(Enrolment.course_id, Enrolment.enrolled_dt).where(Enrolment.user_id == user.id)
        )
    }
    if not enrolments:
        return []
    courses = [course for course in published_courses(languages) if course.id in enrolments]
    completed = dict(
        db.session.execute(
            select(CourseCompletion.course_id, CourseCompletion.completed_dt).where(CourseCompletion.user_id == user.id)
        ).all()
    )
    requirements = requirements_for([course.id for course in courses])
    facts = facts_for(requirements, [user.id])
    titles = _lesson_titles(requirements, languages)
    waiting = [c.id for c in courses if requirements[c.id].needs_attendance and c.id not in completed]
    sessions = _next_sessions(user, waiting)
    certificates: dict[int, list] = {}
    for certificate in certificates_of(user):
        certificates.setdefault(certificate.course_id, []).append(certificate)
    result = []
    for course in courses:
        req = requirements[course.id]
        fact = facts.get((user.id, course.id)) or Facts()
        step = NextStep(DONE, url_for("courses.course", slug=course.slug)) if course.id in completed else None
        result.append(
            LearningCourse(
                slug=course.slug,
                title=course.title,
                requirements=req,
                facts=fact,
                enrolled_dt=enrolments[course.id],
                completed_dt=completed.get(course.id),
                next_step=step or _next_step(course.slug, req, fact, titles, sessions),
                lessons_total=len(req.lesson_ids),
                certificates=certificates.get(course.id, []),
            )
        )
    # Courses under way first (most recent activity first), finished ones after.
    result.sort(
        key=lambda item: (
            item.completed_dt is not None,
            -(item.facts.last_activity_dt or item.enrolled_dt).timestamp(),
        )
    )
    return result

"""What the office's evaluation shows for a period and an area: reach, completions, knowledge gain, feedback.

Every figure is one grouped query over the area (the office's regencies, as lms.reports computes
them), so the page costs the same whatever the number of villages or residents.

Definitions (the page states them too):

- pre-test score: the resident's submitted pre-test (a pre-test ended unsubmitted is left out);
- final score: the resident's best submitted quiz attempt finished by the end of the period;
- participants: residents with both, whose latest quiz attempt was finished within the period;
- gain: average final score minus average pre-test score of the same participants, in points of 100;
- residents reached: different people who attended an outreach session in the area or enrolled in a
  course during the period, each counted once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask import current_app
from flask_babel import to_user_timezone, to_utc
from sqlalchemy import Float, and_, cast, func, literal, select, union

from lms.accounts.models import User
from lms.clock import utcnow
from lms.courses.models import Course, Lesson, LessonText
from lms.courses.reading import Languages, Shown, pick
from lms.evaluation.models import CourseFeedback, LessonRating
from lms.extensions import db
from lms.progress.dashboard import certificate_model, valid_certificates_condition
from lms.progress.models import CourseCompletion, Enrolment
from lms.quizzes.models import Attempt, Quiz
from lms.regions.models import Region
from lms.reports.operations import within

#: The period a page covers when none is chosen.
DEFAULT_DAYS = 91
#: How many lessons and questions the page lists.
TOP = 5


@dataclass(frozen=True)
class Period:
    """Whole days in the interface's time zone, from `first` to `last` included."""

    first: date
    last: date

    @classmethod
    def default(cls, today: date) -> Period:
        return cls(today - timedelta(days=DEFAULT_DAYS - 1), today)

    @property
    def start_dt(self) -> datetime:
        return to_utc(datetime.combine(self.first, time())).replace(tzinfo=None)

    @property
    def end_dt(self) -> datetime:
        """Return the first moment after the period (UTC)."""
        return to_utc(datetime.combine(self.last + timedelta(days=1), time())).replace(tzinfo=None)

    def holds(self, column):
        return and_(column >= self.start_dt, column < self.end_dt)


def local_today() -> date:
    """Return today's date in the interface's time zone."""
    return to_user_timezone(utcnow()).date()


def _percent(model=Attempt):
    return cast(model.score, Float) * 100.0 / model.max_score


# --- Knowledge gain ---------------------------------------------------------------------------------


@dataclass
class Gain:
    """Average pre-test and final scores (0–100) of the participants who have both, in a course and village."""

    course_id: int
    village_code: str | None
    participants: int = 0
    pre: float = 0.0
    final: float = 0.0

    @property
    def gain(self) -> float:
        return self.final - self.pre


def gains(area: list[str] | None, period: Period) -> list[Gain]:
    """Return the gain per course and village (one query); see the module's definitions."""
    pre = (
        select(Attempt.user_id, Attempt.quiz_id, _percent().label("score"))
        .where(
            Attempt.is_pretest,
            Attempt.finished_dt.is_not(None),
            Attempt.is_expired.is_(False),
            Attempt.max_score > 0,
        )
        .subquery()
    )
    final = (
        select(
            Attempt.user_id,
            Attempt.quiz_id,
            func.max(_percent()).label("score"),
            func.max(Attempt.finished_dt).label("last_dt"),
        )
        .where(
            Attempt.is_pretest.is_(False),
            Attempt.finished_dt.is_not(None),
            Attempt.finished_dt < period.end_dt,
            Attempt.max_score > 0,
        )
        .group_by(Attempt.user_id, Attempt.quiz_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            Quiz.course_id,
            User.village_code,
            func.count(),
            func.avg(pre.c.score),
            func.avg(final.c.score),
        )
        .select_from(pre)
        .join(final, and_(final.c.user_id == pre.c.user_id, final.c.quiz_id == pre.c.quiz_id))
        .join(Quiz, Quiz.id == pre.c.quiz_id)
        .join(User, User.id == pre.c.user_id)
        .where(final.c.last_dt >= period.start_dt, User.village_code.is_not(None))
        .where(*within(User.village_code, area))
        .group_by(Quiz.course_id, User.village_code)
    )
    return [Gain(course, village, count, float(pre), float(final)) for course, village, count, pre, final in rows]


def gains_by_course(rows: list[Gain]) -> list[Gain]:
    """Add the villages' gains up per course, weighting each village by its participants."""
    totals: dict[int, Gain] = {}
    for row in rows:
        total = totals.setdefault(row.course_id, Gain(row.course_id, None))
        total.pre += row.pre * row.participants
        total.final += row.final * row.participants
        total.participants += row.participants
    for total in totals.values():
        total.pre /= total.participants
        total.final /= total.participants
    return list(totals.values())


def overall_gain(rows: list[Gain]) -> Gain | None:
    """Return the gain over every participant of the area, or None without participants."""
    people = sum(row.participants for row in rows)
    if not people:
        return None
    pre = sum(row.pre * row.participants for row in rows) / people
    final = sum(row.final * row.participants for row in rows) / people
    return Gain(0, None, people, pre, final)


# --- Feedback and ratings --------------------------------------------------------------------------------


@dataclass
class CourseRating:
    """Feedback on a course from one village (or all of them): how many sent it and the average ratings."""

    course_id: int
    village_code: str | None
    count: int
    clarity: float | None
    usefulness: float | None


def course_ratings(area: list[str] | None, period: Period) -> list[CourseRating]:
    """Return the feedback counts and average ratings per course and village (one query)."""
    rows = db.session.execute(
        select(
            CourseFeedback.course_id,
            CourseFeedback.village_code,
            func.count(),
            func.avg(CourseFeedback.clarity),
            func.avg(CourseFeedback.usefulness),
        )
        .where(period.holds(CourseFeedback.updated_dt), *within(CourseFeedback.village_code, area))
        .group_by(CourseFeedback.course_id, CourseFeedback.village_code)
        .order_by(CourseFeedback.course_id, CourseFeedback.village_code)
    )
    return [
        CourseRating(course, village, count, _float(clarity), _float(usefulness))
        for course, village, count, clarity, usefulness in rows
    ]


@dataclass
class Comment:
    """What one resident wrote, without who: the course, the village and the month."""

    course_id: int
    village_code: str | None
    clarity: int | None
    usefulness: int | None
    hard_text: str
    wish_text: str
    language: str
    month: date


def comments(area: list[str] | None, period: Period, course_id: int | None = None) -> list[Comment]:
    """Return the written feedback of the period, newest first; never who wrote it (one query)."""
    statement = (
        select(
            CourseFeedback.course_id,
            CourseFeedback.village_code,
            CourseFeedback.clarity,
            CourseFeedback.usefulness,
            CourseFeedback.hard_text,
            CourseFeedback.wish_text,
            CourseFeedback.language,
            CourseFeedback.updated_dt,
        )
        .where(period.holds(CourseFeedback.updated_dt), *within(CourseFeedback.village_code, area))
        .where((CourseFeedback.hard_text != "") | (CourseFeedback.wish_text != ""))
        .order_by(CourseFeedback.updated_dt.desc(), CourseFeedback.id.desc())
    )
    if course_id is not None:
        statement = statement.where(CourseFeedback.course_id == course_id)
    return [Comment(*row[:7], month=row.updated_dt.date().replace(day=1)) for row in db.session.execute(statement)]


@dataclass
class LessonScore:
    """A lesson's clarity ratings in a village (or all of them)."""

    lesson_id: int
    course_id: int
    village_code: str | None
    count: int
    average: float


def lesson_ratings(area: list[str] | None, period: Period, *, by_village: bool = True) -> list[LessonScore]:
    """Return the ratings per lesson (and village), lowest average first (one query)."""
    village = LessonRating.village_code if by_village else literal(None)
    columns = [LessonRating.lesson_id, Lesson.course_id]
    rows = db.session.execute(
        select(*columns, village, func.count(), func.avg(LessonRating.rating))
        .join(Lesson, Lesson.id == LessonRating.lesson_id)
        .where(period.holds(LessonRating.updated_dt), *within(LessonRating.village_code, area))
        .group_by(*columns, *([LessonRating.village_code] if by_village else []))
        .order_by(func.avg(LessonRating.rating), func.count().desc(), LessonRating.lesson_id)
    )
    return [LessonScore(lesson, course, code, count, float(average)) for lesson, course, code, count, average in rows]


def _float(value) -> float | None:
    return None if value is None else float(value)


# --- Reach -----------------------------------------------------------------------------------------


@dataclass
class Reach:
    """The period's outreach and learning in the area."""

    sessions: int = 0
    reached: int = 0
    completions: int = 0
    certificates: int = 0


def reach(area: list[str] | None, period: Period, now: datetime | None = None) -> Reach:
    """Count sessions held, residents reached, completions and certificates in the period (four queries)."""
    from lms.outreach.models import Attendance, OutreachSession

    now = now or utcnow()
    held = and_(period.holds(OutreachSession.starts_dt), OutreachSession.starts_dt <= now)
    in_area = within(OutreachSession.village_code, area)
    result = Reach()
    result.sessions = db.session.scalar(select(func.count()).select_from(OutreachSession).where(held, *in_area)) or 0
    attended = (
        select(Attendance.user_id)
        .join(OutreachSession, OutreachSession.id == Attendance.session_id)
        .where(held, *in_area)
    )
    enrolled = (
        select(Enrolment.user_id)
        .join(User, User.id == Enrolment.user_id)
        .where(period.holds(Enrolment.enrolled_dt), *within(User.village_code, area))
    )
    people = union(attended, enrolled).subquery()
    result.reached = db.session.scalar(select(func.count()).select_from(people)) or 0
    result.completions = (
        db.session.scalar(
            select(func.count())
            .select_from(CourseCompletion)
            .join(User, User.id == CourseCompletion.user_id)
            .where(period.holds(CourseCompletion.completed_dt), *within(User.village_code, area))
        )
        or 0
    )
    model = certificate_model()
    if model is not None:
        result.certificates = (
            db.session.scalar(
                select(func.count())
                .select_from(model)
                .join(User, User.id == model.user_id)
                .where(
                    period.holds(model.issued_dt),
                    valid_certificates_condition(model),
                    *within(User.village_code, area),
                )
            )
            or 0
        )
    return result


# --- Questions residents asked --------------------------------------------------------------------------


@dataclass
class AskedAbout:
    """How many questions residents asked about a lesson or a course (both None: about nothing in particular)."""

    lesson_id: int | None
    course_id: int | None
    count: int


def top_questions(area: list[str] | None, period: Period) -> list[AskedAbout] | None:
    """Return what residents asked most about in the period (one query), or None where questions are not kept.

    Counted from the Tanya Petugas questions (lms.community) of the area's villages, hidden ones left
    out; only counts, never the questions' text, since many are private.
    """
    if "community" not in current_app.blueprints:
        return None
    from lms.community.models import ResidentQuestion as Question

    rows = db.session.execute(
        select(Question.lesson_id, Question.course_id, func.count())
        .where(period.holds(Question.created_dt), Question.is_hidden.is_(False))
        .where(*within(Question.village_code, area))
        .group_by(Question.lesson_id, Question.course_id)
        .order_by(func.count().desc(), Question.lesson_id, Question.course_id)
        .limit(TOP)
    )
    return [AskedAbout(lesson, course, count) for lesson, course, count in rows]


# --- Names -----------------------------------------------------------------------------------------


@dataclass
class Names:
    """How the page names courses, lessons and villages, in the reader's language where there is a choice."""

    courses: dict[int, Shown] = field(default_factory=dict)
    lessons: dict[int, Shown] = field(default_factory=dict)
    villages: dict[str, str] = field(default_factory=dict)

    def course(self, course_id: int) -> str:
        shown = self.courses.get(course_id)
        return shown.value if shown else str(course_id)

    def lesson(self, lesson_id: int) -> str:
        shown = self.lessons.get(lesson_id)
        return shown.value if shown else str(lesson_id)

    def village(self, code: str | None) -> str:
        return self.villages.get(code, code or "–") if code else "–"


def names_for(languages: Languages, lesson_ids, village_codes) -> Names:
    """Look up the titles and village names a page shows (three queries at most)."""
    from lms.progress.dashboard import published_courses

    names = Names(courses={course.id: course.title for course in published_courses(languages)})
    lesson_ids = sorted(set(lesson_ids))
    if lesson_ids:
        rows = db.session.execute(
            select(LessonText.lesson_id, LessonText.language, LessonText.title, Course.source_language)
            .join(Lesson, Lesson.id == LessonText.lesson_id)
            .join(Course, Course.id == Lesson.course_id)
            .where(LessonText.lesson_id.in_(lesson_ids), LessonText.published_version_id.is_not(None))
        ).all()
        grouped: dict[int, dict] = {}
        for row in rows:
            grouped.setdefault(row.lesson_id, {})[row.language] = row
        for lesson_id, texts in grouped.items():
            source = next(iter(texts.values())).source_language
            tag, text = pick(texts, languages.for_course(source))
            text = text or next(iter(texts.values()))
            names.lessons[lesson_id] = Shown(text.title, tag or text.language, languages.wanted)
    codes = sorted({code for code in village_codes if code})
    if codes:
        names.villages = dict(db.session.execute(select(Region.code, Region.name).where(Region.code.in_(codes))).all())
    return names

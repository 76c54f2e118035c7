"""What leaders (and officers drilling down to a village) see: participants' status per course, the funnel,
weekly activity and the hardest questions; each in a fixed number of queries, whatever the population."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Integer, case, cast, extract, func, literal, select, union_all
from sqlalchemy.sql import Select

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.clock import utcnow
from lms.courses.models import Course, CourseText
from lms.courses.reading import Languages, Shown, pick
from lms.extensions import db
from lms.progress.completion import Facts, facts_for, requirements_for
from lms.progress.models import CourseCompletion, Enrolment, LessonProgress

NOT_STARTED, IN_PROGRESS, COMPLETED, CERTIFIED = "not_started", "in_progress", "completed", "certified"
STATUSES = (NOT_STARTED, IN_PROGRESS, COMPLETED, CERTIFIED)
#: Steps of a course's funnel, each a subset of the one before.
FUNNEL_STEPS = ("enrolled", "started", "completed", "certified")
#: Weeks the activity chart covers.
ACTIVITY_WEEKS = 12
#: A question needs this many answers before it is called hard.
MIN_ANSWERS = 3


@dataclass
class CourseColumn:
    """A published course as lists name it."""

    id: int
    slug: str
    title: Shown


def published_courses(languages: Languages) -> list[CourseColumn]:
    """Return the published courses in catalogue order, titled in the reader's language (one query)."""
    rows = db.session.execute(
        select(Course.id, Course.slug, Course.source_language, CourseText.language, CourseText.title)
        .join(CourseText, CourseText.course_id == Course.id)
        .where(Course.is_published)
        .order_by(Course.position, Course.id)
    ).all()
    grouped: dict[int, list] = {}
    for row in rows:
        grouped.setdefault(row.id, []).append(row)
    columns = []
    for course_id, texts in grouped.items():
        chain = languages.for_course(texts[0].source_language)
        tag, text = pick({t.language: t for t in texts}, chain)
        text = text or texts[0]
        title = Shown(text.title, tag or text.language, languages.wanted)
        columns.append(CourseColumn(course_id, texts[0].slug, title))
    return columns


def residents_of(village_codes: list[str]) -> Select:
    """Return a SELECT of the ids of the residents of some villages (never loaded one by one)."""
    return select(User.id).where(User.role == RESIDENT, ~User.is_deleted, User.village_code.in_(village_codes))


# --- Certificates, when the certificates package keeps them -------------------------------------------


def certificate_model():
    """Return the certificates package's model when it has one with user and course, else None."""
    try:
        from lms.certificates.models import Certificate
    except ImportError:
        return None
    if not (hasattr(Certificate, "user_id") and hasattr(Certificate, "course_id")):
        return None
    return Certificate


def valid_certificates_condition(model):
    """Return the condition for a certificate that was not revoked, as far as the model tells."""
    if hasattr(model, "revoked_dt"):
        return model.revoked_dt.is_(None)
    if hasattr(model, "is_revoked"):
        return ~model.is_revoked
    return literal(True)


def certified_pairs(users: Select) -> set[tuple[int, int]]:
    """Return the (user_id, course_id) pairs with a valid certificate, for a SELECT of user ids (one query)."""
    model = certificate_model()
    if model is None:
        return set()
    rows = db.session.execute(
        select(model.user_id, model.course_id)
        .where(model.user_id.in_(users), valid_certificates_condition(model))
        .distinct()
    )
    return {(user_id, course_id) for user_id, course_id in rows}


# --- Participants -------------------------------------------------------------------------------------


@dataclass
class CourseState:
    """One participant in one course."""

    status: str
    is_enrolled: bool
    done_steps: int
    steps: int
    completed_dt: datetime | None = None


@dataclass
class Participant:
    """A resident of a village as the leader's list shows them."""

    id: int
    name: str
    sign_in_name: str
    phone: str | None
    village_code: str
    is_assisted: bool
    created_dt: datetime
    last_activity_dt: datetime | None
    courses: dict[int, CourseState] = field(default_factory=dict)

    def state(self, course_id: int) -> CourseState:
        return self.courses.get(course_id) or CourseState(NOT_STARTED, False, 0, 0)


def participants(
    village_codes: list[str],
    courses: list[CourseColumn],
    query: str = "",
    requirements: dict | None = None,
    states: dict | None = None,
) -> list[Participant]:
    """Return the residents of some villages with their status in every course (a fixed number of queries).

    `states` may hold the villages' course_states() computed before (they are read from the facts here otherwise).
    """
    if not village_codes:
        return []
    statement = select(
        User.id,
        User.name,
        User.username,
        User.phone,
        User.village_code,
        User.is_assisted,
        User.created_dt,
        User.last_active_dt,
    ).where(User.role == RESIDENT, ~User.is_deleted, User.village_code.in_(village_codes))
    users = residents_of(village_codes)
    if query:
        condition = func.lower(User.name).contains(query.lower(), autoescape=True)
        statement = statement.where(condition)
        users = users.where(condition)
    people = [
        Participant(
            id=row.id,
            name=row.name,
            sign_in_name=row.username or row.phone or "",
            phone=row.phone,
            village_code=row.village_code,
            is_assisted=row.is_assisted,
            created_dt=row.created_dt,
            last_activity_dt=row.last_active_dt,
        )
        for row in db.session.execute(statement.order_by(User.name, User.id))
    ]
    if not people or not courses:
        return people
    if states is None:
        states = course_states(users, [course.id for course in courses], requirements)
    for person in people:
        person.courses, latest = states.get(person.id, ({}, None))
        if latest is not None and (person.last_activity_dt is None or latest > person.last_activity_dt):
            person.last_activity_dt = latest
    return people


def course_states(users: Select, course_ids: list[int], requirements: dict | None = None) -> dict:
    """Return {user_id: ({course_id: CourseState}, their latest recorded activity)} for some users (six queries)."""
    enrolled = set(
        db.session.execute(
            select(Enrolment.user_id, Enrolment.course_id).where(
                Enrolment.user_id.in_(users), Enrolment.course_id.in_(course_ids)
            )
        ).all()
    )
    completed = {
        (user_id, course_id): completed_dt
        for user_id, course_id, completed_dt in db.session.execute(
            select(CourseCompletion.user_id, CourseCompletion.course_id, CourseCompletion.completed_dt).where(
                CourseCompletion.user_id.in_(users), CourseCompletion.course_id.in_(course_ids)
            )
        )
    }
    certified = certified_pairs(users)
    requirements = requirements if requirements is not None else requirements_for(course_ids)
    facts = facts_for(requirements, users)
    states: dict[int, tuple[dict[int, CourseState], datetime | None]] = {}
    for user_id in {key[0] for key in (*enrolled, *completed, *certified, *facts)}:
        courses: dict[int, CourseState] = {}
        latest = None
        for course_id in course_ids:
            key = (user_id, course_id)
            fact = facts.get(key) or Facts()
            if fact.last_activity_dt is not None and (latest is None or fact.last_activity_dt > latest):
                latest = fact.last_activity_dt
            if key in certified:
                status = CERTIFIED
            elif key in completed:
                status = COMPLETED
            elif key in enrolled or fact.has_activity:
                status = IN_PROGRESS if fact.has_activity else NOT_STARTED
            else:
                continue
            requirement = requirements[course_id]
            done = requirement.steps if status in (COMPLETED, CERTIFIED) else fact.done_steps(requirement)
            courses[course_id] = CourseState(
                status, key in enrolled or fact.has_activity, done, requirement.steps, completed.get(key)
            )
        states[user_id] = (courses, latest)
    return states


def filter_participants(people: list[Participant], course_id: int | None, status: str | None) -> list[Participant]:
    """Keep the participants with a status in a course."""
    if course_id is None or status not in STATUSES:
        return people
    return [person for person in people if person.state(course_id).status == status]


@dataclass
class Funnel:
    """How far a course's participants got: each step counts the ones that reached it."""

    course: CourseColumn
    enrolled: int = 0
    started: int = 0
    completed: int = 0
    certified: int = 0

    @property
    def steps(self) -> list[tuple[str, int]]:
        return [(name, getattr(self, name)) for name in FUNNEL_STEPS]


def funnels(people: list[Participant], courses: list[CourseColumn]) -> list[Funnel]:
    """Count each course's funnel from the participants (no query)."""
    result = []
    for course in courses:
        funnel = Funnel(course)
        for person in people:
            state = person.courses.get(course.id)
            if state is None:
                continue
            funnel.enrolled += 1
            funnel.started += state.status != NOT_STARTED
            funnel.completed += state.status in (COMPLETED, CERTIFIED)
            funnel.certified += state.status == CERTIFIED
        result.append(funnel)
    return result


# --- Weekly activity ----------------------------------------------------------------------------------

#: Weeks are counted from this Monday.
EPOCH = datetime(2000, 1, 3)


def week_number(column):
    """Return an SQL expression for the number of whole weeks between EPOCH and a date-time column."""
    if db.engine.dialect.name == "postgresql":
        return cast(func.floor(extract("epoch", column - EPOCH) / 604800), Integer)
    return cast((func.julianday(column) - func.julianday(EPOCH)) / 7, Integer)


def week_start(number: int) -> date:
    return (EPOCH + timedelta(weeks=number)).date()


def current_week(now: datetime | None = None) -> int:
    """Return the number of this week (counted from EPOCH)."""
    return int(((now or utcnow()) - EPOCH).days // 7)


def weekly_activity(users: Select, weeks: int = ACTIVITY_WEEKS, now: datetime | None = None) -> list[tuple[date, int]]:
    """Count the learners active each week (reading, watching, answering, attending), oldest week first (one query)."""
    from lms.outreach.models import Attendance
    from lms.quizzes.models import Attempt

    current = current_week(now)
    since = EPOCH + timedelta(weeks=current - weeks + 1)
    events = union_all(
        select(LessonProgress.user_id.label("user_id"), LessonProgress.updated_dt.label("moment")).where(
            LessonProgress.user_id.in_(users), LessonProgress.updated_dt >= since
        ),
        select(Attempt.user_id, Attempt.started_dt).where(Attempt.user_id.in_(users), Attempt.started_dt >= since),
        select(Attendance.user_id, Attendance.checked_in_dt).where(
            Attendance.user_id.in_(users), Attendance.checked_in_dt >= since
        ),
    ).subquery()
    week = week_number(events.c.moment).label("week")
    counts = dict(db.session.execute(select(week, func.count(events.c.user_id.distinct())).group_by(week)).all())
    return [(week_start(number), counts.get(number, 0)) for number in range(current - weeks + 1, current + 1)]


# --- Hardest questions --------------------------------------------------------------------------------


@dataclass
class HardQuestion:
    """A quiz question the participants often get wrong."""

    course: CourseColumn | None
    text: Shown
    answered: int
    correct: int

    @property
    def share_correct(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


def hardest_questions(users: Select, languages: Languages, courses: list[CourseColumn], limit: int = 5):
    """Return the questions the participants answer correctly least often (two queries)."""
    from lms.quizzes.models import Answer, Attempt, Question, QuestionText, Quiz

    correct = func.sum(case((Answer.points >= 1.0, 1), else_=0))
    answered = func.count(Answer.id)
    rows = db.session.execute(
        select(Answer.question_id, Quiz.course_id, answered, correct)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        # a pre-test is answered before the lessons: what it gets wrong says nothing of how they teach
        .where(Attempt.user_id.in_(users), Attempt.finished_dt.is_not(None), Attempt.is_pretest.is_(False))
        .group_by(Answer.question_id, Quiz.course_id)
        .having(answered >= MIN_ANSWERS)
        .order_by((correct * 1.0 / answered).asc(), answered.desc(), Answer.question_id)
        .limit(limit)
    ).all()
    if not rows:
        return []
    texts: dict[int, dict[str, str]] = {}
    for question_id, language, text in db.session.execute(
        select(QuestionText.question_id, QuestionText.language, QuestionText.text)
        .join(Question, Question.id == QuestionText.question_id)
        .where(QuestionText.question_id.in_([row[0] for row in rows]))
    ):
        texts.setdefault(question_id, {})[language] = text
    by_id = {course.id: course for course in courses}
    result = []
    for question_id, course_id, count, right in rows:
        options = texts.get(question_id, {})
        tag, text = pick(options, languages)
        if text is None and options:
            tag, text = next(iter(options.items()))
        result.append(
            HardQuestion(by_id.get(course_id), Shown(text or "", tag or "", languages.wanted), count, int(right or 0))
        )
    return result


# --- What a village's figures were computed from ------------------------------------------------------


def village_fingerprint(village_codes: list[str]) -> tuple:
    """Return sums and latest moments of everything a village's figures are computed from (one query).

    Any write the kept figures would show changes one of them: a resident added or removed (the sum
    of their ids); a lesson opened or read (updated_dt follows every change of a progress row); an
    attempt started or finished; an attendance, enrolment, completion or certificate added or removed
    (the sum of ids), a certificate revoked. Each is a correlated subquery per resident, so every
    table is read through its user_id index whatever the planner guesses about the village's size.
    """
    from lms.outreach.models import Attendance
    from lms.quizzes.models import Attempt

    def per_resident(model, aggregate):
        return select(aggregate).where(model.user_id == User.id).correlate(User).scalar_subquery()

    columns = [
        func.count(User.id),
        func.sum(User.id),
        func.max(per_resident(LessonProgress, func.max(LessonProgress.updated_dt))),
        func.max(per_resident(Attempt, func.max(func.coalesce(Attempt.finished_dt, Attempt.started_dt)))),
        func.sum(per_resident(Attendance, func.sum(Attendance.id))),
        func.sum(per_resident(Enrolment, func.sum(Enrolment.id))),
        func.sum(per_resident(CourseCompletion, func.sum(CourseCompletion.id))),
    ]
    model = certificate_model()
    if model is not None:
        revoked = case((valid_certificates_condition(model), 0), else_=1)
        columns.append(func.sum(per_resident(model, func.sum(2 * model.id + revoked))))
    statement = select(*columns).where(User.role == RESIDENT, ~User.is_deleted, User.village_code.in_(village_codes))
    return tuple(db.session.execute(statement).one())


class FiguresCache:
    """A village's computed figures, kept in this process while its fingerprint stays the same.

    Kept at most max_age seconds, which bounds how long a change the fingerprint cannot see (a regraded
    answer, a session moved to another course) stays unseen; a question's text edited changes the key.
    """

    def __init__(self, max_entries: int = 256, max_age: float = 60.0) -> None:
        self.max_entries, self.max_age = max_entries, max_age
        self._values: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        """Return the figures kept for a key, building and keeping them when missing or too old."""
        now = time.monotonic()
        with self._lock:
            found = self._values.get(key)
            if found is not None and now - found[0] <= self.max_age:
                self._values.move_to_end(key)
                return found[1]
        value = build()
        with self._lock:
            self._values[key] = (now, value)
            self._values.move_to_end(key)
            while len(self._values) > self.max_entries:
                self._values.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


figures_cache = FiguresCache()

"""Taking a quiz: starting or resuming an attempt, saving answers, submitting, grading, time limits.

Review policy (Quiz.review), for a finished attempt:

- ``always``: the correct options and the explanation are shown after every attempt;
- ``after_pass``: they are shown once the resident has passed, or has no attempts left;
- ``never``: they are never shown.

In every case the resident sees the score, whether they passed, which questions they answered
correctly, and the feedback written for the options they chose.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import JSON, DateTime, bindparam, exists, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from lms.clock import utcnow
from lms.core.stored_pages import CHANGES_PEOPLE
from lms.core.versions import watch
from lms.core.writes import write_at_once
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.drawing import PoolQuestion, make_draw
from lms.quizzes.grading import QUESTION_TYPES, grade
from lms.quizzes.models import ALWAYS, NEVER, Answer, Attempt, Option, Question, QuestionText, Quiz

#: Time allowed after the deadline for answers and submissions already on their way over a slow network.
GRACE = timedelta(seconds=30)
#: Stamp of the quiz settings and question texts stored pages show (the pre-test invitation on a course page, the
#: hardest questions on a village dashboard): a change shows on the next page (lms/core/stored_pages.py).
QUIZZES = "quizzes"
watch(QUIZZES, Quiz, Question, QuestionText)
#: Highest client sequence number accepted (fits a 32-bit column everywhere).
MAX_SEQUENCE = 2**31 - 1


class QuizError(Exception):
    """Something a resident asked for that cannot be done; the view explains it."""


@dataclass(frozen=True)
class SaveResult:
    """What became of a save: stored, or ignored because a newer answer is there, or refused."""

    #: True when this save changed the stored answer.
    is_saved: bool
    #: The sequence number of the answer now stored.
    sequence: int
    #: None, "finished" (the attempt was already submitted) or "expired" (it ran out of time now).
    refusal: str | None = None


# --- Finding --------------------------------------------------------------------------------------


def find_quiz(slug: str, *, published_only: bool = True) -> Quiz | None:
    """Return the quiz of the course with this slug, if it has one."""
    statement = select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug)
    if published_only:
        statement = statement.where(Course.is_published)
    return db.session.scalar(statement)


def _own_attempt(*columns):
    """Select from a resident's own attempt at the quiz of a course, by attempt id, user id and course slug."""
    return (
        select(*columns)
        .select_from(Attempt)
        .join(Quiz, Quiz.id == Attempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(
            Attempt.id == bindparam("attempt_id"),
            Attempt.user_id == bindparam("user_id"),
            Course.slug == bindparam("slug"),
        )
    )


#: A resident's own attempt at the quiz of a course, found by its id; built once (every quiz request reads it).
_OWN_ATTEMPT = _own_attempt(Attempt).options(joinedload(Attempt.quiz))
#: A submission locks the row on PostgreSQL so a save in flight finishes first; pages read the answers too.
_OWN_ATTEMPT_FOR_UPDATE = _OWN_ATTEMPT.with_for_update(of=Attempt)
_OWN_ATTEMPT_WITH_ANSWERS = _OWN_ATTEMPT.options(selectinload(Attempt.answers))


def find_attempt(slug: str, attempt_id: int, user_id: int, *, for_update: bool = False) -> Attempt | None:
    """Return a resident's own attempt at the quiz of a course; another resident's attempt is not found."""
    statement = _OWN_ATTEMPT_FOR_UPDATE if for_update else _OWN_ATTEMPT_WITH_ANSWERS
    return db.session.scalar(statement, {"attempt_id": attempt_id, "user_id": user_id, "slug": slug})


def attempts_of(quiz: Quiz, user_id: int) -> list[Attempt]:
    """Return a resident's attempts at a quiz, first to last (the pre-test is not one of them)."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.is_pretest.is_(False))
            .order_by(Attempt.number)
        )
    )


def pretest_of(quiz: Quiz, user_id: int) -> Attempt | None:
    """Return a resident's pre-test at a quiz, open or finished, if they started one."""
    return db.session.scalar(
        select(Attempt).where(Attempt.quiz_id == quiz.id, Attempt.user_id == user_id, Attempt.is_pretest)
    )


def pretest_invitation(course_id: int, user_id: int) -> str | None:
    """Tell whether a resident is invited to a course's pre-test (one query): "start", "continue" or None.

    Invited while the quiz has a pre-test and the resident has made no attempt at it yet.
    """
    rows = db.session.execute(
        select(Attempt.is_pretest, Attempt.finished_dt)
        .select_from(Quiz)
        .outerjoin(Attempt, (Attempt.quiz_id == Quiz.id) & (Attempt.user_id == user_id))
        .where(Quiz.course_id == course_id, Quiz.has_pretest)
    ).all()
    if not rows:
        return None
    if rows == [(None, None)]:
        return "start"
    if len(rows) == 1 and rows[0].is_pretest and rows[0].finished_dt is None:
        return "continue"
    return None


def has_passed(user_id: int, course_id: int) -> bool:
    """Tell whether a resident has passed a course's quiz (for completion rules)."""
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    Attempt.user_id == user_id,
                    Attempt.is_passed,
                    Attempt.quiz_id == select(Quiz.id).where(Quiz.course_id == course_id).scalar_subquery(),
                )
            )
        )
    )


@dataclass(frozen=True)
class Standing:
    """Where a resident stands with a quiz."""

    attempts: list[Attempt]
    open_attempt: Attempt | None
    is_passed: bool
    #: Attempts still allowed, or None without a limit.
    attempts_left: int | None
    #: The open attempt ran out of time and was finished just now (so there is something to commit).
    finished_now: bool = False

    @property
    def may_start(self) -> bool:
        return self.open_attempt is None and not self.is_passed and self.attempts_left != 0

    @property
    def last_finished(self) -> Attempt | None:
        return next((attempt for attempt in reversed(self.attempts) if not attempt.is_open), None)


def standing(quiz: Quiz, user_id: int, now: datetime | None = None) -> Standing:
    """Return a resident's attempts, open attempt (ending it if its time ran out) and what is left."""
    attempts = attempts_of(quiz, user_id)
    current = next((attempt for attempt in attempts if attempt.is_open), None)
    finished_now = current is not None and finish_if_expired(current, now)
    if finished_now:
        current = None
    left = None if not quiz.max_attempts else max(quiz.max_attempts - len(attempts), 0)
    return Standing(attempts, current, any(attempt.is_passed for attempt in attempts), left, finished_now)


def shows_answers(quiz: Quiz, attempt: Attempt, attempts: list[Attempt]) -> bool:
    """Tell whether a finished attempt's review may show the correct options and the explanations."""
    if attempt.is_open or attempt.is_pretest or quiz.review == NEVER:  # a pre-test must not teach the quiz
        return False
    if quiz.review == ALWAYS:
        return True
    finished = [a for a in attempts if not a.is_open]
    used_up = bool(quiz.max_attempts) and len(finished) >= quiz.max_attempts
    return used_up or any(a.is_passed for a in finished)


# --- Starting -------------------------------------------------------------------------------------


def usable_questions(quiz: Quiz) -> list[Question]:
    """Return the pool's questions a resident can answer: current, of a known type, with sound options."""
    pool = db.session.scalars(
        select(Question)
        .where(Question.quiz_id == quiz.id, Question.is_retired.is_(False))
        .order_by(Question.position, Question.id)
        .options(selectinload(Question.texts), selectinload(Question.options))
    )
    usable = []
    for question in pool:
        kind = QUESTION_TYPES.get(question.type)
        if kind is not None and question.texts and not kind.problems(question.options):
            usable.append(question)
    return usable


def start_pretest(quiz: Quiz, user_id: int, now: datetime | None = None, seed: int | None = None) -> Attempt:
    """Start a resident's pre-test (once, before any attempt), or return it while it is open.

    Drawn from the same pool as the quiz, without a time limit; it never passes, so it counts
    toward no attempt limit, completion or certificate.
    """
    if not quiz.has_pretest:
        raise QuizError("no_pretest")
    pretest = pretest_of(quiz, user_id)
    if pretest is not None:
        if pretest.is_open:
            return pretest
        raise QuizError("pretest_taken")
    if attempts_of(quiz, user_id):
        raise QuizError("pretest_too_late")
    return _draw_attempt(quiz, user_id, 0, now or utcnow(), seed, is_pretest=True)


def start_attempt(quiz: Quiz, user_id: int, now: datetime | None = None, seed: int | None = None) -> Attempt:
    """Start a resident's next attempt, or return the open one; a double start makes one attempt."""
    now = now or utcnow()
    state = standing(quiz, user_id, now)
    if state.open_attempt is not None:
        return state.open_attempt
    if state.is_passed:
        raise QuizError("passed")
    if state.attempts_left == 0:
        raise QuizError("no_attempts_left")
    if quiz.has_pretest:  # a pre-test left open is ended now: taken after the quiz began, it would measure nothing
        pretest = pretest_of(quiz, user_id)
        if pretest is not None and pretest.is_open:
            finish_attempt(pretest, now=now, is_expired=True)  # not submitted: the gain leaves it out
    return _draw_attempt(quiz, user_id, len(state.attempts) + 1, now, seed)


def _draw_attempt(
    quiz: Quiz, user_id: int, number: int, now: datetime, seed: int | None, *, is_pretest: bool = False
) -> Attempt:
    """Draw an attempt's questions and store it with its blank answers; a double start resumes the first."""
    pool = [
        PoolQuestion(q.id, q.type, q.lesson_id, tuple(option.key for option in q.options))
        for q in usable_questions(quiz)
    ]
    if not pool:
        raise QuizError("no_questions")
    draw = make_draw(pool, quiz.questions_per_attempt, secrets.randbits(64) if seed is None else seed)
    attempt = Attempt(
        quiz_id=quiz.id,
        user_id=user_id,
        number=number,
        is_pretest=is_pretest,
        started_dt=now,
        deadline_dt=now + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes and not is_pretest
        else None,
        max_score=len(draw),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
            db.session.flush()
            rows = [
                {"attempt_id": attempt.id, "position": position, "question_id": question_id, "option_order": order}
                for position, (question_id, order) in enumerate(draw, start=1)
            ]
            # One multi-row insert: the drawn questions are the attempt's answer rows, still blank.
            db.session.execute(insert(Answer), [row | {"selected": [], "sequence": 0} for row in rows])
    except IntegrityError:
        # Another request started the same attempt a moment ago (a double tap): resume that one.
        attempt = db.session.scalar(
            select(Attempt).where(
                Attempt.quiz_id == quiz.id,
                Attempt.user_id == user_id,
                Attempt.finished_dt.is_(None),
                Attempt.is_pretest.is_(is_pretest),
            )
        )
        if attempt is None:
            if is_pretest:
                raise QuizError("pretest_taken") from None
            raise QuizError("no_attempts_left") from None
    return attempt


# --- Saving ---------------------------------------------------------------------------------------


def choices_to_keys(option_order: list[str], choices: list[int], question_type: str) -> list[str]:
    """Turn the option numbers a browser sent into option keys; refuse numbers that name no option."""
    if any(not 1 <= number <= len(option_order) for number in choices) or len(set(choices)) != len(choices):
        raise QuizError("invalid_choice")
    kind = QUESTION_TYPES.get(question_type)
    if kind is not None and not kind.is_multiple and len(choices) > 1:
        raise QuizError("one_choice")
    return [option_order[number - 1] for number in sorted(choices)]


#: The save path runs on every tap, so its two statements are built once, with parameters.
_SAVE_LOOKUP = (
    _own_attempt(
        Attempt.finished_dt, Attempt.deadline_dt, Answer.id, Answer.option_order, Answer.sequence, Question.type
    )
    .join(Answer, Answer.attempt_id == Attempt.id)
    .join(Question, Question.id == Answer.question_id)
    .where(Answer.position == bindparam("position"))
    .with_for_update(of=Attempt)
)
_SAVE_WRITE = (
    update(Answer)
    .where(
        Answer.id == bindparam("answer_id"),
        Answer.sequence < bindparam("new_sequence"),
        exists().where(Attempt.id == bindparam("open_attempt_id"), Attempt.finished_dt.is_(None)),
    )
    .values(
        selected=bindparam("keys", type_=JSON),
        sequence=bindparam("new_sequence"),
        saved_dt=bindparam("now", type_=DateTime),
    )
    .execution_options(synchronize_session=False)
)


def save_answer(
    *, user_id: int, slug: str, attempt_id: int, position: int, choices: list[int], sequence: int, now=None
) -> SaveResult | None:
    """Store an answer unless a newer one is stored; None when the attempt or question is not the user's.

    One read (locking the attempt row on PostgreSQL, so a submission waits for it) and, when the
    answer is newer, one guarded write: it happens only while the attempt is open and the stored
    sequence number is lower, so a submission or a newer save in between wins.
    """
    now = now or utcnow()
    parameters = {"attempt_id": attempt_id, "user_id": user_id, "position": position, "slug": slug}
    # A plain read on the session's connection: the ORM's execution path would cost a twentieth of a save.
    row = db.session.connection().execute(_SAVE_LOOKUP, parameters).first()
    if row is None:
        return None
    if row.finished_dt is not None:
        return SaveResult(False, row.sequence, "finished")
    if row.deadline_dt is not None and now > row.deadline_dt + GRACE:
        finish_attempt(db.session.get(Attempt, attempt_id), now=now, is_expired=True)
        return SaveResult(False, row.sequence, "expired")
    if not 0 < sequence <= MAX_SEQUENCE:
        raise QuizError("invalid_sequence")
    keys = choices_to_keys(row.option_order, choices, row.type)
    if row.sequence >= sequence:  # a repeat or a late arrival: the stored answer is newer
        return SaveResult(False, row.sequence)
    written = {"answer_id": row.id, "new_sequence": sequence, "open_attempt_id": attempt_id, "keys": keys, "now": now}
    if write_at_once(_SAVE_WRITE, written) == 1:
        return SaveResult(True, sequence)
    # Between the read and the write the attempt was submitted, or (where rows are not locked, on SQLite)
    # a newer save of the same question landed: tell which, so a late save is not taken for the end.
    row = db.session.connection().execute(_SAVE_LOOKUP, parameters).first()
    if row is None:  # the attempt was deleted in between (the account with it)
        return None
    return SaveResult(False, row.sequence, None if row.finished_dt is None else "finished")


# --- Finishing ------------------------------------------------------------------------------------


@dataclass
class _Graded:
    """A question as grading needs it: its type, options and the keys chosen."""

    type: str
    options: list
    selected: list


#: A submission's statements, built once: grading is on every submit, and a statement built anew costs as much
#: again as running it.
_GRADING_ROWS = (
    select(Answer.id, Answer.selected, Question.type, Option.key, Option.is_correct)
    .join(Question, Question.id == Answer.question_id)
    .outerjoin(Option, Option.question_id == Question.id)
    .where(Answer.attempt_id == bindparam("attempt_id"))
)
#: What closing an attempt writes; each value goes in as the parameter "new_<column>", typed as its column.
_CLOSING_COLUMNS = ("finished_dt", "score", "max_score", "is_expired", "submit_token", "is_passed")
_CLOSE_ATTEMPT = (
    update(Attempt)
    .where(Attempt.id == bindparam("closing_id"), Attempt.finished_dt.is_(None))
    .values({name: bindparam(f"new_{name}", type_=Attempt.__table__.c[name].type) for name in _CLOSING_COLUMNS})
    .execution_options(synchronize_session=False)
)
_ANSWER_POINTS = (
    update(Answer)
    .where(Answer.id == bindparam("answer_id"))
    .values(points=bindparam("earned", type_=Answer.__table__.c.points.type))
    .execution_options(synchronize_session=False)
)


def finish_attempt(attempt: Attempt, *, now: datetime | None = None, token: str | None = None, is_expired=False):
    """Grade an open attempt with the answers saved so far and close it; False when it was already closed.

    Points come only from the stored answers and the answer key; nothing the browser says about a
    score is read. The closing write is guarded, so two submissions grade it once.
    """
    now = now or utcnow()
    connection = db.session.connection()
    rows = connection.execute(_GRADING_ROWS, {"attempt_id": attempt.id}).all()
    questions: dict[int, _Graded] = {}
    for row in rows:
        graded = questions.setdefault(row.id, _Graded(row.type, [], row.selected))
        if row.key is not None:
            graded.options.append(row)
    points = {answer_id: grade(graded, graded.selected) for answer_id, graded in questions.items()}
    values = {
        "finished_dt": now,
        "score": sum(points.values()),
        "max_score": len(points),
        "is_expired": is_expired,
        "submit_token": token,
    }
    passes = bool(points) and values["score"] * 100 >= attempt.quiz.pass_mark * len(points) - 1e-9
    values["is_passed"] = passes and not attempt.is_pretest  # a pre-test measures; it never passes the course
    closing = {"closing_id": attempt.id, **{f"new_{name}": values[name] for name in _CLOSING_COLUMNS}}
    closed = db.session.execute(_CLOSE_ATTEMPT, closing, execution_options={CHANGES_PEOPLE: (attempt.user_id,)})
    if closed.rowcount != 1:
        db.session.refresh(attempt)
        return False
    if points:  # the answers' table renews no stamp, so its points go straight to the session's connection
        connection.execute(_ANSWER_POINTS, [{"answer_id": key, "earned": value} for key, value in points.items()])
    for name, value in values.items():
        set_committed_value(attempt, name, value)
    return True


def finish_if_expired(attempt: Attempt, now: datetime | None = None) -> bool:
    """End an open attempt whose time ran out (grace included); True when it did."""
    now = now or utcnow()
    if attempt.is_open and attempt.deadline_dt is not None and now > attempt.deadline_dt + GRACE:
        finish_attempt(attempt, now=now, is_expired=True)
        return True
    return False


def finish_expired_attempts(quiz: Quiz, now: datetime | None = None) -> int:
    """End every open attempt at a quiz whose time ran out (the resident never came back); return how many."""
    now = now or utcnow()
    expired = db.session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.finished_dt.is_(None), Attempt.deadline_dt < now - GRACE)
        .options(joinedload(Attempt.quiz))
    ).all()
    return sum(1 for attempt in expired if finish_attempt(attempt, now=now, is_expired=True))


@dataclass(frozen=True)
class SubmitResult:
    """What became of a submission."""

    attempt: Attempt
    #: "submitted" (graded now), "repeated" (this page had already submitted it), "stale" (finished before:
    #: from another tab, or by the time limit), "expired" (its time ran out before this submission).
    outcome: str


#: Whether a resident's attempt is finished, and with which submission: a finished attempt never opens again.
_CLOSED_ATTEMPT = _own_attempt(Attempt.submit_token).where(Attempt.finished_dt.is_not(None))


def resubmission(slug: str, attempt_id: int, user_id: int, token: str | None) -> str | None:
    """Tell a submission of an attempt already finished apart without loading it: "repeated" (the same page
    sent again: a double tap, a resent request) or "stale" (another tab); None when it is open or not found."""
    row = (
        db.session.connection()
        .execute(_CLOSED_ATTEMPT, {"attempt_id": attempt_id, "user_id": user_id, "slug": slug})
        .first()
    )
    return None if row is None else _repeated_or_stale(row.submit_token, token)


def _repeated_or_stale(submitted: str | None, token: str | None) -> str:
    """Name a submission of a finished attempt: the page that finished it sent again, or another (an old tab)."""
    return "repeated" if token and submitted == token else "stale"


def submit_attempt(attempt: Attempt, token: str | None, now: datetime | None = None) -> SubmitResult:
    """Submit an attempt once: a repeat from the same page is the same result, an old tab is refused."""
    now = now or utcnow()
    if not attempt.is_open:  # read under the row lock, so it cannot reopen: no grading needed
        return SubmitResult(attempt, _repeated_or_stale(attempt.submit_token, token))
    if attempt.deadline_dt is not None and now > attempt.deadline_dt + GRACE:
        finish_attempt(attempt, now=now, is_expired=True)
        return SubmitResult(attempt, "expired")
    if finish_attempt(attempt, now=now, token=token or None):
        return SubmitResult(attempt, "submitted")
    return SubmitResult(attempt, _repeated_or_stale(attempt.submit_token, token))


def answered_count(attempt: Attempt) -> int:
    """Return how many of an attempt's questions have an answer."""
    return sum(1 for answer in attempt.answers if answer.is_answered)


def count_attempts(quiz: Quiz) -> int:
    """Return how many attempts have been made at a quiz."""
    return db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.quiz_id == quiz.id)) or 0

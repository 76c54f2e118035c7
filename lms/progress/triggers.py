"""Completion checks that run by themselves: when a transaction that recorded a lesson read, a video
position or a quiz attempt commits, the learners concerned are enrolled (starting a course enrols) and
their completion is checked; a course whose rules were saved is re-evaluated in the background; new
completions are handed to the certificates package once committed.

They hang on the database session's events, so every page and command that records progress is
covered without calling anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from sqlalchemy import inspect, select

from lms.courses.models import Course, Lesson
from lms.extensions import db, listen_to_sessions
from lms.progress.completion import RULE_ATTRIBUTES, enrol, evaluate_completion, reevaluate_course_later
from lms.progress.models import LessonProgress

log = logging.getLogger(__name__)


# --- Certificates -------------------------------------------------------------------------------------


def issue_certificates(pairs: Iterable[tuple[int, int]]) -> None:
    """Ask the certificates package to issue certificates for new completions, when it offers to."""
    try:
        from lms.certificates import operations as certificates
    except ImportError:
        return
    issue = getattr(certificates, "issue_certificate_later", None)
    if issue is None:
        return
    for user_id, course_id in pairs:
        try:
            issue(user_id, course_id)
        except Exception:  # noqa: BLE001 - the completion is committed; a failed hand-over is logged, not fatal
            log.exception("could not hand completion of course %s by user %s to certificates", course_id, user_id)


# --- Evaluating when facts change ---------------------------------------------------------------------


def _is_nested(session) -> bool:
    return session.get_nested_transaction() is not None


def _note_changes(session, flush_context) -> None:
    """Remember, after each flush, which learners' facts changed and which courses' rules did."""
    from lms.quizzes.models import Attempt

    pending = session.info.setdefault("progress_pending", set())
    for record in list(session.new) + list(session.dirty):
        if isinstance(record, LessonProgress) and record.user_id and record.lesson_id:
            pending.add(("lesson", record.user_id, record.lesson_id))
        elif isinstance(record, Attempt) and record.user_id and record.quiz_id:
            pending.add(("quiz", record.user_id, record.quiz_id))
        elif isinstance(record, Course) and record not in session.new:
            state = inspect(record)
            if any(state.attrs[name].history.has_changes() for name in RULE_ATTRIBUTES):
                session.info.setdefault("rules_changed", set()).add(record.id)


def _passed_attempts(session) -> set[tuple[str, int, int]]:
    from lms.quizzes.models import Attempt

    return {
        ("quiz", record.user_id, record.quiz_id)
        for record in list(session.identity_map.values())
        if isinstance(record, Attempt) and record.is_passed and record.finished_dt is not None
    }


def _evaluate_pending(session) -> None:
    """Before a commit: enrol the learners whose facts changed and check their completions."""
    if _is_nested(session) or session.info.get("progress_evaluating") or db.session.registry() is not session:
        return  # a savepoint, our own flush, or a session outside the application's scope
    session.flush()  # changes made without a flush are noted now
    pending = session.info.pop("progress_pending", set()) | _passed_attempts(session)
    checked = session.info.setdefault("progress_checked", set())
    pending -= checked
    if not pending:
        return
    checked |= pending
    from lms.quizzes.models import Quiz

    lesson_ids = {ident for kind, _, ident in pending if kind == "lesson"}
    quiz_ids = {ident for kind, _, ident in pending if kind == "quiz"}
    lesson_course = dict(db.session.execute(select(Lesson.id, Lesson.course_id).where(Lesson.id.in_(lesson_ids))).all())
    quiz_course = dict(db.session.execute(select(Quiz.id, Quiz.course_id).where(Quiz.id.in_(quiz_ids))).all())
    pairs = set()
    for kind, user_id, ident in pending:
        course_id = (lesson_course if kind == "lesson" else quiz_course).get(ident)
        if course_id is not None:
            pairs.add((user_id, course_id))
    session.info["progress_evaluating"] = True
    try:
        for user_id, course_id in sorted(pairs):
            enrol(user_id, course_id)
            evaluate_completion(user_id, course_id)
        session.flush()
    finally:
        session.info["progress_evaluating"] = False


def _after_commit(session) -> None:
    """After a commit: hand new completions to the certificates and queue re-evaluations of changed rules."""
    if _is_nested(session):
        return
    due = session.info.pop("certificates_due", [])
    changed = session.info.pop("rules_changed", set())
    session.info.pop("progress_checked", None)
    if due:
        issue_certificates(due)
    for course_id in sorted(changed):
        reevaluate_course_later(course_id)


def _after_soft_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:
        for key in ("progress_pending", "certificates_due", "rules_changed", "progress_checked"):
            session.info.pop(key, None)


def install_hooks() -> None:
    """Listen to the application's database sessions (once)."""
    listen_to_sessions(
        ("after_flush", _note_changes),
        ("before_commit", _evaluate_pending),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    )

"""What officers change in a quiz: its settings, its questions and their translations, retiring and restoring.

Kept apart from operations.py (taking a quiz) so each stays short; the rules are the same as the
quiz.yml import's (files.apply_question), so a question saved here exports and imports unchanged.
"""

import string
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from lms.access import ADMIN, OFFICER
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.files import OptionData, QuestionData, apply_question
from lms.quizzes.grading import QUESTION_TYPES
from lms.quizzes.models import Question, Quiz


class EditError(ValueError):
    """A change an officer asked for that cannot be made; the message is shown to them."""


def may_edit(user, course: Course) -> bool:
    """Tell whether someone may edit a course's quiz: admins all, officers built-in courses and their office's."""
    if user.role == ADMIN:
        return True
    return user.role == OFFICER and (course.office_id is None or course.office_id == user.office_id)


def find_course(slug: str) -> Course | None:
    """Return the course with this slug, published or not."""
    return db.session.scalar(select(Course).where(Course.slug == slug))


def get_or_create_quiz(course: Course) -> Quiz:
    """Return a course's quiz, creating an empty one with the default settings."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        quiz = Quiz(course_id=course.id, pass_mark=70, questions_per_attempt=8, max_attempts=3, time_limit_minutes=0)
        db.session.add(quiz)
        db.session.flush()
    return quiz


def save_settings(quiz: Quiz, data: dict) -> None:
    """Change how a quiz is taken; attempts already started keep their questions and deadline."""
    for name in ("pass_mark", "questions_per_attempt", "max_attempts", "time_limit_minutes", "review", "has_pretest"):
        if getattr(quiz, name) != data[name]:
            setattr(quiz, name, data[name])
    db.session.flush()


def next_question_key(quiz: Quiz) -> str:
    """Return an unused question key: q01, q02, …"""
    used = {question.key for question in quiz.questions}
    number = len(used) + 1
    while f"q{number:02d}" in used:
        number += 1
    return f"q{number:02d}"


@dataclass
class OptionRow:
    """One option row of the editor, as posted."""

    key: str
    is_correct: bool
    source_text: str
    source_feedback: str
    target_text: str
    target_feedback: str


def _row_keys(kind: str, rows: list[OptionRow]) -> list[str]:
    """Give each filled row its key: the one it had, else the next free letter; true/false rows by order."""
    if kind == "true_false":
        if len(rows) > 2:
            raise EditError(_l("A true/false question has exactly two options: true, then false."))
        return ["true", "false"][: len(rows)]
    used = {row.key for row in rows if row.key and row.key not in ("true", "false")}
    keys = []
    free = (letter for letter in string.ascii_lowercase if letter not in used)
    for row in rows:
        keys.append(row.key if row.key in used else next(free))
    return keys


def save_question(
    quiz: Quiz,
    question: Question | None,
    *,
    kind: str,
    lesson_slug: str | None,
    source: str,
    target: str | None,
    texts: dict,
    rows: list[OptionRow],
    is_translation_current: bool = False,
) -> Question:
    """Create or change a question from the editor: the source language, and optionally one translation.

    Languages other than these two are kept as they are; a translation whose source changed is
    flagged (its source_hash no longer matches) until it is edited or confirmed as current.
    """
    if kind not in QUESTION_TYPES:
        raise EditError(_l("Choose a question type."))
    filled = [row for row in rows if row.source_text.strip()]
    keys = _row_keys(kind, filled)
    course = quiz.course
    if question is None:
        question = Question(key=next_question_key(quiz), type=kind, position=len(quiz.questions) + 1)
        quiz.questions.append(question)
    target = target if target and target != source else None
    languages = {source, *([target] if target else []), *question.languages}
    for option in question.options:
        languages |= {text.language for text in option.texts}
    data = QuestionData(key=question.key, type=kind, lesson=lesson_slug or None, texts={}, explanations={})
    existing_options = {option.key: option for option in question.options}
    for row, key in zip(filled, keys, strict=True):
        old = existing_options.get(row.key) if row.key else None
        option_texts, option_feedback = {}, {}
        for language in languages:
            text = old.text(language) if old else None
            if text is not None:
                option_texts[language], option_feedback[language] = text.text, text.feedback
        option_texts[source], option_feedback[source] = row.source_text.strip(), row.source_feedback.strip()
        if target:
            option_texts[target], option_feedback[target] = row.target_text.strip(), row.target_feedback.strip()
        data.options.append(
            OptionData(
                key=key,
                is_correct=row.is_correct,
                texts={k: v for k, v in option_texts.items() if v},
                feedback={k: v for k, v in option_feedback.items() if v and option_texts.get(k)},
            )
        )
    for language in languages:
        text = question.text(language)
        if text is not None:
            data.texts[language], data.explanations[language] = text.text, text.explanation
    data.texts[source], data.explanations[source] = texts["source_text"].strip(), texts["source_explanation"].strip()
    if target:
        data.texts[target] = texts["target_text"].strip()
        data.explanations[target] = texts["target_explanation"].strip()
    data.texts = {k: v for k, v in data.texts.items() if v}
    data.explanations = {k: v for k, v in data.explanations.items() if v and k in data.texts}
    problems = QUESTION_TYPES[kind].problems(data.options)
    if problems:
        raise EditError(problems[0])
    lessons = {lesson.slug: lesson.id for lesson in course.lessons}
    if data.lesson and data.lesson not in lessons:
        raise EditError(_l("Choose a lesson of this course."))
    apply_question(question, data, source, lessons, question.position or len(quiz.questions))
    if target and is_translation_current and question.text(target) is not None:
        question.text(target).source_hash = question.content_hash(source)
    db.session.flush()
    return question


def set_retired(question: Question, is_retired: bool) -> None:
    """Take a question out of the pool, or put it back; past attempts keep it either way."""
    question.is_retired = is_retired
    db.session.flush()


def needs_update(question: Question, language: str, source: str) -> bool:
    """Tell whether a translation was written from an older source text than today's."""
    text = question.text(language)
    if text is None or language == source:
        return False
    return text.source_hash != question.content_hash(source)

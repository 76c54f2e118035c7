"""A course's quiz.yml (format in courses/README.md): read into the database on import, written back on export.

Importing is idempotent and never loses a resident's work: a file unchanged since the last import
changes nothing (so officers' web edits stay), and a question missing from an edited file is
retired, not deleted, so past attempts and their answers keep their questions.
"""

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import force_locale
from sqlalchemy import select

from lms.core.models import Language
from lms.courses.files import LANGUAGE_TAG, CourseFileError, Mapping
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes.grading import QUESTION_TYPES
from lms.quizzes.models import REVIEW_POLICIES, Option, OptionText, Question, QuestionText, Quiz

FILENAME = "quiz.yml"
KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$")
OPTION_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
#: Settings in the order quiz.yml lists them, with their defaults and largest values.
SETTINGS = (
    ("pass_mark", 70, 100),
    ("questions_per_attempt", 8, 500),
    ("max_attempts", 3, 100),
    ("time_limit_minutes", 0, 600),
)


@dataclass
class OptionData:
    key: str
    is_correct: bool
    texts: dict[str, str]
    feedback: dict[str, str]


@dataclass
class QuestionData:
    key: str
    type: str
    lesson: str | None
    texts: dict[str, str]
    explanations: dict[str, str]
    options: list[OptionData] = field(default_factory=list)


# --- Reading --------------------------------------------------------------------------------------


def _number(data: Mapping, key: str, path: Path, default: int, largest: int) -> int:
    value = data.get(key, default)
    if value is None:
        value = default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= largest:
        raise CourseFileError(path, f"'{key}' must be a whole number from 0 to {largest}", data.line_of(key))
    return value


def _texts(data: Mapping, key: str, path: Path, where: str, *, required: bool) -> dict[str, str]:
    value = data.get(key)
    if value is None:
        if required:
            raise CourseFileError(path, f"{where}: missing key '{key}'", data.line)
        return {}
    if not isinstance(value, dict):
        raise CourseFileError(path, f"{where}: '{key}' must be a mapping of language tags to texts", data.line_of(key))
    texts = {}
    for language, text in value.items():
        language = str(language)
        line = value.line_of(language) if isinstance(value, Mapping) else data.line_of(key)
        if not LANGUAGE_TAG.match(language):
            raise CourseFileError(path, f"{where}: '{language}' is not a language tag", line)
        if not isinstance(text, str | int | float) or isinstance(text, bool) or not str(text).strip():
            raise CourseFileError(path, f"{where}: '{key}.{language}' must be a text", line)
        texts[language] = str(text).strip()
    return texts


def _option(data, path: Path, where: str) -> OptionData:
    if not isinstance(data, Mapping):
        raise CourseFileError(path, f"{where}: an option must be a mapping with key, correct and text")
    key = data.get("key")
    if isinstance(key, bool):  # YAML reads an unquoted true/false as a boolean
        key = "true" if key else "false"
    if not isinstance(key, str) or not OPTION_KEY.match(key):
        raise CourseFileError(path, f"{where}: an option's 'key' must be a short name like a or true", data.line)
    where = f"{where}, option '{key}'"
    correct = data.get("correct", False)
    if not isinstance(correct, bool):
        raise CourseFileError(path, f"{where}: 'correct' must be true or false", data.line_of("correct"))
    return OptionData(
        key=key,
        is_correct=correct,
        texts=_texts(data, "text", path, where, required=True),
        feedback=_texts(data, "feedback", path, where, required=False),
    )


def _question(data, path: Path, source: str, lessons: set[str], seen: set[str]) -> QuestionData:
    if not isinstance(data, Mapping):
        raise CourseFileError(path, "each question must be a mapping with key, type, text and options")
    key = data.get("key")
    if not isinstance(key, str) or not KEY.match(key):
        raise CourseFileError(path, "a question's 'key' must be a short name like q01", data.line_of("key"))
    if key in seen:
        raise CourseFileError(path, f"question '{key}' appears twice", data.line_of("key"))
    seen.add(key)
    where = f"question '{key}'"
    kind = data.get("type")
    if kind not in QUESTION_TYPES:
        names = ", ".join(QUESTION_TYPES)
        raise CourseFileError(path, f"{where}: 'type' must be one of {names}", data.line_of("type"))
    lesson = data.get("lesson")
    if lesson is not None and lesson not in lessons:
        raise CourseFileError(path, f"{where}: the course has no lesson '{lesson}'", data.line_of("lesson"))
    texts = _texts(data, "text", path, where, required=True)
    if source not in texts:
        raise CourseFileError(path, f"{where}: 'text' has no text in the source language '{source}'", data.line)
    raw_options = data.get("options")
    if not isinstance(raw_options, list):
        raise CourseFileError(path, f"{where}: 'options' must be a list", data.line_of("options"))
    question = QuestionData(
        key=key,
        type=kind,
        lesson=lesson,
        texts=texts,
        explanations=_texts(data, "explanation", path, where, required=False),
        options=[_option(option, path, where) for option in raw_options],
    )
    with force_locale("en"):  # file errors are for operators, in English like the other course files' errors
        problems = [str(problem) for problem in QUESTION_TYPES[kind].problems(question.options)]
    if problems:
        raise CourseFileError(path, f"{where}: {problems[0]}", data.line_of("options"))
    for option in question.options:
        if source not in option.texts:
            raise CourseFileError(path, f"{where}, option '{option.key}': no text in the source language '{source}'")
    return question


def read_quiz(course: Course, data: Mapping, path: Path) -> tuple[dict, list[QuestionData]]:
    """Check a quiz.yml's content against its course; return the settings and questions, or raise CourseFileError."""
    settings = {name: _number(data, name, path, default, largest) for name, default, largest in SETTINGS}
    review = data.get("review", "after_pass")
    if review not in REVIEW_POLICIES:
        raise CourseFileError(path, f"'review' must be one of {', '.join(REVIEW_POLICIES)}", data.line_of("review"))
    settings["review"] = review
    pretest = data.get("pretest", False)
    if not isinstance(pretest, bool):
        raise CourseFileError(path, "'pretest' must be true or false", data.line_of("pretest"))
    settings["has_pretest"] = pretest
    if settings["pass_mark"] < 1:
        raise CourseFileError(path, "'pass_mark' must be at least 1", data.line_of("pass_mark"))
    raw_questions = data.get("questions") or []
    if not isinstance(raw_questions, list):
        raise CourseFileError(path, "'questions' must be a list", data.line_of("questions"))
    lessons = {lesson.slug for lesson in course.lessons}
    seen: set[str] = set()
    questions = [_question(item, path, course.source_language, lessons, seen) for item in raw_questions]
    return settings, questions


def content_hash(data) -> str:
    """Return a stable hash of a quiz file's content, whatever its layout."""
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()


# --- Import ---------------------------------------------------------------------------------------


def load(course: Course, data: Mapping, path: Path) -> None:
    """Import a course's quiz.yml; unchanged since the last import, it changes nothing."""
    settings, questions = read_quiz(course, data, path)
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    digest = content_hash(data)
    if quiz is not None and quiz.imported_hash == digest:
        return
    if quiz is None:
        quiz = Quiz(course_id=course.id)
        db.session.add(quiz)
    apply_quiz(quiz, course, settings, questions)
    quiz.imported_hash = digest
    db.session.flush()


def apply_quiz(quiz: Quiz, course: Course, settings: dict, questions: list[QuestionData]) -> None:
    """Make a quiz match the given settings and questions; questions left out are retired."""
    for name, value in settings.items():
        if getattr(quiz, name) != value:
            setattr(quiz, name, value)
    lessons = {lesson.slug: lesson.id for lesson in course.lessons}
    existing = {question.key: question for question in quiz.questions}
    listed = {question.key for question in questions}
    for question in quiz.questions:
        if question.key not in listed and not question.is_retired:
            question.is_retired = True
    for position, data in enumerate(questions, start=1):
        question = existing.get(data.key)
        if question is None:
            question = Question(key=data.key, type=data.type)
            quiz.questions.append(question)
        apply_question(question, data, course.source_language, lessons, position)


def _set(record, **values) -> None:
    """Assign only what differs, so an unchanged import writes nothing."""
    for name, value in values.items():
        if getattr(record, name) != value:
            setattr(record, name, value)


def apply_question(question: Question, data: QuestionData, source: str, lessons: dict, position: int) -> None:
    """Make one question match its data; a changed translation is marked as written from today's source."""
    languages = set(data.texts) | set(data.explanations)
    for option in data.options:
        languages |= set(option.texts) | set(option.feedback)
    before = {language: question.content_hash(language) for language in languages | set(question.languages)}
    _set(
        question,
        type=data.type,
        lesson_id=lessons.get(data.lesson) if data.lesson else None,
        position=position,
        is_retired=False,
    )
    by_key = {option.key: option for option in question.options}
    for option in list(question.options):
        if option.key not in {o.key for o in data.options}:
            question.options.remove(option)
    for option_position, option_data in enumerate(data.options, start=1):
        option = by_key.get(option_data.key)
        if option is None:
            option = Option(key=option_data.key)
            question.options.append(option)
        _set(option, is_correct=option_data.is_correct, position=option_position)
        for text in list(option.texts):
            if text.language not in option_data.texts:
                option.texts.remove(text)
        for language, words in option_data.texts.items():
            text = option.text(language)
            if text is None:
                option.texts.append(OptionText(language=language, text=words, feedback=""))
                text = option.texts[-1]
            _set(text, text=words, feedback=option_data.feedback.get(language, ""))
    for text in list(question.texts):
        if text.language not in data.texts:
            question.texts.remove(text)
    for language, words in data.texts.items():
        text = question.text(language)
        if text is None:
            text = QuestionText(language=language, text=words, explanation="", source_hash="")
            question.texts.append(text)
        _set(text, text=words, explanation=data.explanations.get(language, ""))
    source_hash = question.content_hash(source)
    for text in question.texts:
        changed = before.get(text.language) != question.content_hash(text.language)
        if text.language == source or changed or not text.source_hash:
            _set(text, source_hash=source_hash)


# --- Export ---------------------------------------------------------------------------------------


def language_order(course: Course, languages) -> list[str]:
    """Order language tags as files list them: the source first, then the admin's order."""
    positions = dict(db.session.execute(select(Language.code, Language.position)).all())
    return sorted(set(languages), key=lambda tag: (tag != course.source_language, positions.get(tag, 1000), tag))


def _texts_of(rows, attribute: str, order: list[str]) -> dict[str, str]:
    by_language = {row.language: getattr(row, attribute) for row in rows}
    return {language: by_language[language] for language in order if by_language.get(language)}


def dump(course: Course) -> dict | None:
    """Return a course's quiz.yml content (the current pool only), or None when it has no quiz."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None:
        return None
    data: dict = {name: getattr(quiz, name) for name, _, _ in SETTINGS}
    data["review"] = quiz.review
    data["pretest"] = quiz.has_pretest
    data["questions"] = []
    for question in quiz.current_questions:
        order = language_order(course, question.languages)
        item: dict = {"key": question.key, "type": question.type}
        if question.lesson is not None:
            item["lesson"] = question.lesson.slug
        item["text"] = _texts_of(question.texts, "text", order)
        explanations = _texts_of(question.texts, "explanation", order)
        if explanations:
            item["explanation"] = explanations
        item["options"] = []
        for option in question.options:
            option_order = language_order(course, [text.language for text in option.texts])
            entry: dict = {"key": option.key, "correct": option.is_correct}
            entry["text"] = _texts_of(option.texts, "text", option_order)
            feedback = _texts_of(option.texts, "feedback", option_order)
            if feedback:
                entry["feedback"] = feedback
            item["options"].append(entry)
        data["questions"].append(item)
    return data

"""Fixtures for quiz tests: a small published course with a quiz whose every text is recognisable."""

import pytest
from sqlalchemy import select

from lms.courses.models import Course, CourseText, Lesson
from lms.extensions import db
from lms.quizzes.files import OptionData, QuestionData, apply_quiz
from lms.quizzes.models import Answer, Attempt, Option, Question, Quiz

SLUG = "kuis-uji"


def sample_questions(count: int = 4) -> list[QuestionData]:
    """Return questions whose correct option is "a" (true/false: "true"); texts name their question and option."""
    questions = []
    for number in range(1, count + 1):
        key = f"q{number:02d}"
        kind = ("single", "multiple", "true_false")[(number - 1) % 3]
        keys = ("true", "false") if kind == "true_false" else ("a", "b", "c")
        correct = {"a", "b"} if kind == "multiple" else {keys[0]}
        options = [
            OptionData(
                key=option,
                is_correct=option in correct,
                texts={"id": f"Pilihan {key}-{option}", "en": f"Option {key}-{option}"},
                feedback={"id": f"Umpan balik {key}-{option}", "en": f"Feedback {key}-{option}"},
            )
            for option in keys
        ]
        questions.append(
            QuestionData(
                key=key,
                type=kind,
                lesson="pelajaran-satu" if number % 2 else None,
                texts={"id": f"Pertanyaan {key}?", "en": f"Question {key}?"},
                explanations={"id": f"Penjelasan {key}.", "en": f"Explanation {key}."},
                options=options,
            )
        )
    return questions


def create_quiz(app, slug: str = SLUG, *, questions=None, office_id=None, **settings) -> str:
    """Create a published course with a quiz (3 of the sample questions per attempt by default); return its slug."""
    with app.app_context():
        course = Course(slug=slug, source_language="id", is_published=True, office_id=office_id)
        course.texts = [
            CourseText(language="id", title="Kursus Uji", summary=""),
            CourseText(language="en", title="Test Course", summary=""),
        ]
        course.lessons = [Lesson(slug="pelajaran-satu", position=1)]
        db.session.add(course)
        db.session.flush()
        quiz = Quiz(course_id=course.id)
        db.session.add(quiz)
        db.session.flush()
        values = {
            "pass_mark": 70,
            "questions_per_attempt": 3,
            "max_attempts": 3,
            "time_limit_minutes": 0,
            "review": "after_pass",
        }
        values.update(settings)
        apply_quiz(quiz, course, values, sample_questions() if questions is None else questions)
        db.session.commit()
        return slug


@pytest.fixture
def make_quiz(app):
    """Return a factory for a published course with a quiz; it returns the course slug."""
    return lambda slug=SLUG, **options: create_quiz(app, slug, **options)


@pytest.fixture
def quiz_slug(make_quiz):
    """A quiz of 4 questions drawing 3 per attempt, pass mark 70 %, 3 attempts."""
    return make_quiz()


def attempt_of(app, user_id: int) -> Attempt | None:
    """Return a user's newest attempt (detached, with answers loaded)."""
    with app.app_context():
        attempt = db.session.scalar(
            select(Attempt).where(Attempt.user_id == user_id).order_by(Attempt.id.desc()).limit(1)
        )
        if attempt is not None:
            attempt.answers  # noqa: B018 - load before the session closes
            db.session.expunge_all()
        return attempt


def right_choices(app, answer: Answer) -> list[int]:
    """Return the option numbers (as the page shows them) of the correct options of an answer's question."""
    with app.app_context():
        correct = set(
            db.session.scalars(select(Option.key).where(Option.question_id == answer.question_id, Option.is_correct))
        )
    return [number for number, key in enumerate(answer.option_order, start=1) if key in correct]


def wrong_choices(app, answer: Answer) -> list[int]:
    """Return one wrong option's number for an answer's question."""
    right = right_choices(app, answer)
    return [next(n for n in range(1, len(answer.option_order) + 1) if n not in right)]


def question_key(app, answer: Answer) -> str:
    with app.app_context():
        return db.session.get(Question, answer.question_id).key

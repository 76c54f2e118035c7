"""Fixtures for evaluation tests: a course whose quiz has a pre-test, attempts with exact scores, another office."""

import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.courses.files import import_courses
from lms.courses.models import Course
from lms.extensions import db
from lms.quizzes import operations
from lms.quizzes.files import apply_quiz
from lms.quizzes.models import Option, Quiz
from lms.regions.operations import ensure_office
from tests.courses.conftest import write_course
from tests.quizzes.conftest import sample_questions

SLUG = "kuis-uji"
#: A village of Kota Pagar Alam other than the demo village, in the demo office's area.
OTHER_VILLAGE = "16.72.02.1003"
#: A village of Jakarta Pusat, outside the demo office's area.
FAR_VILLAGE = "31.71.01.1001"
FAR_OFFICE = "Kantor Imigrasi Jakarta Pusat"


def single_answer_questions(count: int = 8):
    """Return questions with one right option each (single choice and true/false), so scores are exact quarters."""
    return [question for question in sample_questions(count * 2) if question.type != "multiple"][:count]


def create_pretest_course(app, slug: str = SLUG, **settings) -> str:
    """Import a published course with two readable lessons, completed by passing its quiz, which has a pre-test;
    4 one-answer questions an attempt, pass mark 70 %, 3 attempts; return its slug."""
    values = {
        "pass_mark": 70,
        "questions_per_attempt": 4,
        "max_attempts": 3,
        "time_limit_minutes": 0,
        "review": "after_pass",
        "has_pretest": True,
    }
    values.update(settings)
    lessons = {
        "pelajaran-satu": {"id": ("Pelajaran satu", "Isi pertama.")},
        "pelajaran-dua": {"id": ("Pelajaran dua", "Isi kedua.")},
    }
    with tempfile.TemporaryDirectory() as folder, app.app_context():
        write_course(Path(folder), slug, lessons=lessons)
        import_courses(Path(folder))
        course = db.session.scalar(select(Course).where(Course.slug == slug))
        course.is_published = True
        course.lessons_to_read, course.is_quiz_required = 0, True  # completed by passing the quiz alone
        quiz = Quiz(course_id=course.id)
        db.session.add(quiz)
        db.session.flush()
        apply_quiz(quiz, course, values, single_answer_questions())
        db.session.commit()
    return slug


def take(app, slug: str, user_id: int, right: int, *, pretest: bool = False) -> int:
    """Answer `right` of an attempt's questions correctly and the others wrong, submit it; return its id."""
    with app.app_context():
        quiz = db.session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug))
        start = operations.start_pretest if pretest else operations.start_attempt
        attempt = start(quiz, user_id)
        for answer in attempt.answers:
            options = db.session.execute(
                select(Option.key, Option.is_correct).where(Option.question_id == answer.question_id)
            ).all()
            keys = [key for key, is_correct in options if is_correct == (answer.position <= right)][:1]
            choices = [number for number, key in enumerate(answer.option_order, start=1) if key in keys]
            operations.save_answer(
                user_id=user_id,
                slug=slug,
                attempt_id=attempt.id,
                position=answer.position,
                choices=choices,
                sequence=1,
            )
        operations.submit_attempt(attempt, f"test-{attempt.id}")
        attempt_id = attempt.id
        db.session.commit()
        return attempt_id


@pytest.fixture
def course_slug(app):
    """A course with a pre-test: 4 questions an attempt, pass mark 70 %, 3 attempts."""
    return create_pretest_course(app)


@pytest.fixture
def far_officer(app, create_user):
    """An officer of an office covering Jakarta Pusat only."""
    with app.app_context():
        office_id = ensure_office(FAR_OFFICE, ["31.71"]).id
        db.session.commit()
    return create_user("officer", "petugas_jakarta", office_id=office_id)

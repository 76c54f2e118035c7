"""Fixtures for progress tests: small published courses with lessons, videos and quizzes, and real learning."""

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.courses.models import PUBLISHED, Course, CourseText, Lesson, LessonText, LessonVersion
from lms.extensions import db
from lms.media.models import READY, Video
from lms.progress.operations import record_lesson_read, record_video_position
from lms.quizzes import operations as quizzes
from lms.quizzes.files import OptionData, QuestionData, apply_quiz
from lms.quizzes.models import Option, Quiz


def questions(count: int = 3) -> list[QuestionData]:
    """Return single-choice questions whose option "a" is right."""
    return [
        QuestionData(
            key=f"q{number}",
            type="single",
            lesson=None,
            texts={"id": f"Pertanyaan {number}?", "en": f"Question {number}?"},
            explanations={"id": "", "en": ""},
            options=[OptionData(key, key == "a", {"id": f"Pilihan {key}", "en": f"Option {key}"}, {}) for key in "abc"],
        )
        for number in range(1, count + 1)
    ]


def add_course(
    slug="kursus-uji", lessons=3, *, quiz=False, videos=(), published=True, title="Kursus Uji", **rules
) -> Course:
    """Create a course with published lessons (in Indonesian and English), in the current app context."""
    course = Course(slug=slug, source_language="id", is_published=published, **rules)
    course.texts = [
        CourseText(language="id", title=title, summary=""),
        CourseText(language="en", title=f"{title} (en)", summary=""),
    ]
    db.session.add(course)
    for number in range(1, lessons + 1):
        lesson = Lesson(slug=f"pelajaran-{number}", position=number, minutes=3)
        course.lessons.append(lesson)
        for language in ("id", "en"):
            title_text = f"Pelajaran {number}" if language == "id" else f"Lesson {number}"
            text = LessonText(language=language, title=title_text, status=PUBLISHED)
            lesson.texts.append(text)
            text.versions.append(
                LessonVersion(title=title_text, body_markdown="Isi.", body_html="<p>Isi.</p>", status=PUBLISHED)
            )
    db.session.flush()
    for lesson in course.lessons:
        for text in lesson.texts:
            text.published_version_id = text.versions[0].id
        if lesson.position in videos:
            db.session.add(Video(lesson_id=lesson.id, status=READY, duration_s=100.0))
    if quiz:
        record = Quiz(course_id=course.id)
        db.session.add(record)
        db.session.flush()
        settings = {"pass_mark": 70, "questions_per_attempt": 3, "max_attempts": 3, "time_limit_minutes": 0}
        apply_quiz(record, course, {**settings, "review": "after_pass"}, questions())
    db.session.flush()
    return course


@pytest.fixture
def make_course(app):
    """Return a factory for a published course (committed); it returns the course id."""

    def factory(*args, **kwargs) -> int:
        with app.app_context():
            course = add_course(*args, **kwargs)
            db.session.commit()
            return course.id

    return factory


def read_lessons(user_id: int, course_id: int, count: int | None = None) -> None:
    """Mark a user's first lessons of a course as read, as the lesson page does, and commit."""
    user = db.session.get(User, user_id)
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course_id).order_by(Lesson.position))
    for lesson in list(lessons)[:count]:
        record_lesson_read(user, lesson)
    db.session.commit()


def watch(user_id: int, course_id: int, position: int, seconds: float) -> None:
    """Record how far a user watched the video of a lesson (by its position), and commit."""
    user = db.session.get(User, user_id)
    lesson = db.session.scalar(select(Lesson).where(Lesson.course_id == course_id, Lesson.position == position))
    record_video_position(user, lesson, seconds, 100.0)
    db.session.commit()


def take_quiz(user_id: int, course_id: int, *, right: bool = True) -> bool:
    """Take a course's quiz with the quizzes' own operations (right or wrong answers); return whether it passed."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course_id))
    slug = db.session.get(Course, course_id).slug
    attempt = quizzes.start_attempt(quiz, user_id)
    db.session.commit()
    for answer in attempt.answers:
        correct = set(
            db.session.scalars(select(Option.key).where(Option.question_id == answer.question_id, Option.is_correct))
        )
        numbers = [n for n, key in enumerate(answer.option_order, start=1) if (key in correct) == right]
        quizzes.save_answer(
            user_id=user_id,
            slug=slug,
            attempt_id=attempt.id,
            position=answer.position,
            choices=numbers[:1],
            sequence=1,
        )
    result = quizzes.submit_attempt(attempt, "token")
    db.session.commit()
    return result.attempt.is_passed

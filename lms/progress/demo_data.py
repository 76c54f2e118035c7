"""Demo progress: warga2 has finished the passport course (a real, graded quiz attempt), warga1 is half-way."""

from sqlalchemy import select

from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.progress.completion import enrol, evaluate_completion, readable_lessons_condition
from lms.progress.operations import record_lesson_read, record_video_position

DEMO_COURSE = "paspor"


def _pass_quiz(user, course: Course) -> None:
    """Take the course's quiz with the quizzes' own operations, answering every question right."""
    from lms.quizzes import operations as quizzes
    from lms.quizzes.models import Option, Quiz

    quiz = db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    if quiz is None or quizzes.has_passed(user.id, course.id):
        return
    attempt = quizzes.start_attempt(quiz, user.id)
    for answer in attempt.answers:
        correct = set(
            db.session.scalars(select(Option.key).where(Option.question_id == answer.question_id, Option.is_correct))
        )
        choices = [number for number, key in enumerate(answer.option_order, start=1) if key in correct]
        quizzes.save_answer(
            user_id=user.id,
            slug=course.slug,
            attempt_id=attempt.id,
            position=answer.position,
            choices=choices,
            sequence=1,
        )
    quizzes.submit_attempt(attempt, "demo")


def _video_durations(lesson_ids: list[int]) -> dict[int, float]:
    """Return the length of each lesson's newest video, converted or not."""
    from lms.media.models import Video

    rows = db.session.execute(
        select(Video.lesson_id, Video.duration_s).where(Video.lesson_id.in_(lesson_ids)).order_by(Video.id)
    )
    return {lesson_id: duration for lesson_id, duration in rows if duration}


def add_demo_progress(accounts: dict) -> None:
    """Let warga2 finish the passport course and warga1 read half of it; safe to run again."""
    course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    if course is None:
        return  # the built-in courses are not loaded
    lessons = list(
        db.session.scalars(
            select(Lesson).where(Lesson.course_id == course.id, readable_lessons_condition()).order_by(Lesson.position)
        )
    )
    finished, halfway = accounts["warga2"], accounts["warga1"]
    durations = _video_durations([lesson.id for lesson in lessons])
    for lesson in lessons:
        record_lesson_read(finished, lesson)
        if lesson.id in durations:  # watched to the end, whether or not the video is converted yet
            record_video_position(finished, lesson, durations[lesson.id], durations[lesson.id])
    for lesson in lessons[: len(lessons) // 2]:
        record_lesson_read(halfway, lesson)
    enrol(finished.id, course.id)
    enrol(halfway.id, course.id)
    _pass_quiz(finished, course)
    db.session.flush()
    evaluate_completion(finished.id, course.id)

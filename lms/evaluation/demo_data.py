"""Demo evaluation: warga2 took the passport pre-test before the lessons, then gave feedback and rated lessons."""

from sqlalchemy import select

from lms.courses.models import Course, Lesson
from lms.evaluation.operations import feedback_of, rate_lesson, save_course_feedback
from lms.extensions import db

DEMO_COURSE = "paspor"
#: Questions warga2 got right in the pre-test; the rest are answered wrong (the lessons teach them).
PRETEST_RIGHT = 3
DEMO_FEEDBACK = {
    "clarity": 4,
    "usefulness": 5,
    "hard_text": "Syarat paspor untuk anak di bawah umur agak membingungkan.",
    "wish_text": "Cara melapor kalau ada tawaran kerja ke luar negeri yang mencurigakan.",
}
#: Clarity ratings (1–5) of the passport course's lessons, by position, from warga2 and warga1.
DEMO_RATINGS = {"warga2": (5, 3, 4), "warga1": (4, 2)}


def take_demo_pretest(accounts: dict) -> None:
    """Let warga2 take the passport pre-test, before any attempt at the quiz; safe to run again."""
    from lms.quizzes import operations as quizzes
    from lms.quizzes.models import Option, Quiz

    course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    quiz = course and db.session.scalar(select(Quiz).where(Quiz.course_id == course.id))
    user = accounts["warga2"]
    if quiz is None or not quiz.has_pretest or quizzes.pretest_invitation(course.id, user.id) != "start":
        return
    pretest = quizzes.start_pretest(quiz, user.id, seed=2026)
    for answer in pretest.answers:
        options = db.session.execute(
            select(Option.key, Option.is_correct).where(Option.question_id == answer.question_id)
        ).all()
        right = answer.position <= PRETEST_RIGHT
        wanted = {key for key, is_correct in options if is_correct == right}
        if not right:  # one wrong option is enough to miss the question
            wanted = {next(iter(sorted(wanted)))}
        choices = [number for number, key in enumerate(answer.option_order, start=1) if key in wanted]
        quizzes.save_answer(
            user_id=user.id,
            slug=DEMO_COURSE,
            attempt_id=pretest.id,
            position=answer.position,
            choices=choices,
            sequence=1,
        )
    quizzes.submit_attempt(pretest, "demo-pretest")
    db.session.flush()


def give_demo_feedback(accounts: dict) -> None:
    """Let warga2 send feedback on the passport course, and both residents rate its first lessons; idempotent."""
    course = db.session.scalar(select(Course).where(Course.slug == DEMO_COURSE))
    if course is None:
        return
    if feedback_of(accounts["warga2"].id, course.id) is None:
        save_course_feedback(accounts["warga2"], course, DEMO_FEEDBACK, "id")
    lessons = list(db.session.scalars(select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.position)))
    for username, ratings in DEMO_RATINGS.items():
        for lesson, rating in zip(lessons, ratings, strict=False):
            rate_lesson(accounts[username], lesson, rating)
    db.session.flush()

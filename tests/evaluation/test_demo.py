"""The demo: warga2 took the passport pre-test before the quiz and gave feedback, so the evaluation shows a gain."""

from pathlib import Path

from sqlalchemy import func, select

from lms import demo
from lms.courses.files import import_courses
from lms.evaluation.models import CourseFeedback, LessonRating
from lms.extensions import db
from lms.quizzes.models import Attempt

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"


def test_the_demo_shows_a_gain_and_feedback(app, client, auth):
    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
        for _ in range(2):  # safe to run again
            accounts = demo.seed()
            db.session.commit()
        warga2 = accounts["warga2"].id
        pretest, final = db.session.scalars(
            select(Attempt).where(Attempt.user_id == warga2).order_by(Attempt.started_dt)
        ).all()
        assert pretest.is_pretest and pretest.started_dt <= final.started_dt and final.is_passed
        assert (pretest.score, pretest.max_score, final.score) == (3, 8, 8)
        assert db.session.scalar(select(func.count()).select_from(CourseFeedback)) == 1
        assert db.session.scalar(select(func.count()).select_from(LessonRating)) == 5
    auth.sign_in("petugas1", app.config["DEMO_PASSWORD"])
    page = client.get("/evaluasi").get_data(as_text=True)
    assert "+62,5" in page  # 3 of 8 (37.5) before the lessons, 8 of 8 after
    comments = client.get("/evaluasi/umpan-balik").get_data(as_text=True)
    assert "Syarat paspor untuk anak di bawah umur" in comments and "Budi" not in comments

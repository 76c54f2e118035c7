"""The demo: warga2 finished the passport course with a real graded attempt, warga1 is half-way, a session was held."""

from pathlib import Path

from sqlalchemy import func, select

from lms import demo
from lms.courses.files import import_courses
from lms.extensions import db
from lms.outreach.models import Attendance, OutreachSession
from lms.progress.models import CourseCompletion, Enrolment, LessonProgress
from lms.quizzes.models import Attempt

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"


def test_demo_progress_and_session(app_context):
    import_courses(COURSES_DIR)
    db.session.commit()
    for _ in range(2):  # safe to run again
        accounts = demo.seed()
        db.session.commit()
    warga1, warga2 = accounts["warga1"].id, accounts["warga2"].id
    assert db.session.scalar(select(CourseCompletion.user_id)) == warga2
    attempt = db.session.scalar(select(Attempt).where(Attempt.user_id == warga2, Attempt.is_pretest.is_(False)))
    assert attempt.is_passed and attempt.score == attempt.max_score and attempt.finished_dt is not None
    # The quiz attempt, and the pre-test warga2 took before the lessons (lms.evaluation's demo step).
    assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.is_pretest.is_(False))) == 1
    read = dict(
        db.session.execute(
            select(LessonProgress.user_id, func.count())
            .where(LessonProgress.read_dt.is_not(None))
            .group_by(LessonProgress.user_id)
        ).all()
    )
    assert read[warga2] == 6 and read[warga1] == 3
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) == 2
    session = db.session.scalar(select(OutreachSession))
    assert session.village_code == demo.DEMO_VILLAGE and session.course.slug == "paspor"
    assert set(db.session.scalars(select(Attendance.user_id))) == {warga1, warga2}
    assert db.session.scalar(select(func.count()).select_from(OutreachSession)) == 1

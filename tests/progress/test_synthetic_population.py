"""`flask demo synth`: a realistic population, consistent with the completion rules, made with bulk inserts."""

from pathlib import Path

from sqlalchemy import func, select

from lms.accounts.models import User, leader_villages
from lms.courses.files import import_courses
from lms.courses.models import Course
from lms.extensions import db
from lms.progress.completion import reevaluate_course
from lms.progress.models import CourseCompletion, Enrolment
from lms.progress.synth import synthesize
from lms.quizzes.models import Attempt
from lms.regions.models import Office

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"


def test_synthetic_population_follows_the_rules(app_context):
    import_courses(COURSES_DIR)
    db.session.commit()
    result = synthesize(villages=4, residents=120, seed=7)
    db.session.commit()
    assert result.counts["users"] == 124 and result.counts["leader_villages"] == 4
    villages = set(db.session.scalars(select(User.village_code).where(User.role == "resident")))
    assert len(villages) == 4
    office = db.session.scalar(select(Office))
    assert all(office.covers(code) for code in villages)
    assert db.session.scalar(select(func.count()).select_from(Enrolment)) > 60
    attempts = db.session.execute(select(func.count(), func.sum(Attempt.is_passed.cast(db.Integer)))).one()
    assert attempts[0] > 10 and 0 < attempts[1] < attempts[0]  # some fail, some pass
    # Every completion the population holds is one the rules give, and the rules give no other.
    for course in db.session.scalars(select(Course)):
        check = reevaluate_course(course)
        assert check.completed_now == 0 and check.kept_unmet == 0, course.slug
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) > 5
    assert db.session.scalar(select(func.count()).select_from(leader_villages)) == 4


def test_synth_command_prints_counts_and_refuses_a_used_seed(app):
    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "synth", "--villages", "2", "--residents", "10", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert "users: 12" in result.output and "Done in" in result.output
    again = runner.invoke(args=["demo", "synth", "--villages", "2", "--residents", "10", "--seed", "3"])
    assert again.exit_code != 0 and "seed 3 exists already" in again.output


def test_many_villages_widen_the_demo_office(app_context):
    import_courses(COURSES_DIR)
    db.session.commit()
    result = synthesize(villages=300, residents=300, seed=9)
    assert result.added_regencies == ["16.04"]
    assert len(set(db.session.scalars(select(User.village_code).where(User.role == "resident")))) == 300

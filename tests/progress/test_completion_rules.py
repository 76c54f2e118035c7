"""Completion follows each course's rules, computed from what learners did; changed rules are re-evaluated."""

from sqlalchemy import func, select

from lms.courses.models import Course
from lms.extensions import db
from lms.progress.completion import reevaluate_course
from lms.progress.models import SELF, CourseCompletion, Enrolment
from tests.progress.conftest import read_lessons, take_quiz, watch


def completed(user_id: int, course_id: int) -> bool:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(CourseCompletion)
            .where(CourseCompletion.user_id == user_id, CourseCompletion.course_id == course_id)
        )
        == 1
    )


def test_reading_a_lesson_enrols_and_reading_all_completes(app_context, make_course, resident):
    course = make_course(lessons=3)
    read_lessons(resident, course, 1)
    enrolment = db.session.scalar(select(Enrolment).where(Enrolment.user_id == resident))
    assert enrolment.course_id == course and enrolment.via == SELF
    assert not completed(resident, course)
    read_lessons(resident, course)
    assert completed(resident, course)
    read_lessons(resident, course)  # reading again changes nothing
    assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1


def test_a_course_may_ask_for_only_some_lessons(app_context, make_course, resident):
    course = make_course(lessons=4, lessons_to_read=2)
    read_lessons(resident, course, 1)
    assert not completed(resident, course)
    read_lessons(resident, course, 2)
    assert completed(resident, course)


def test_videos_must_be_watched_to_the_courses_share(app_context, make_course, resident):
    course = make_course(lessons=2, videos=(2,), video_share=0.9)
    read_lessons(resident, course)
    assert not completed(resident, course)
    watch(resident, course, 2, 50)
    assert not completed(resident, course)
    watch(resident, course, 2, 89.5)  # a player reports the end a little early
    assert completed(resident, course)


def test_a_required_quiz_must_be_passed(app_context, make_course, resident):
    course = make_course(lessons=2, quiz=True, is_quiz_required=True)
    read_lessons(resident, course)
    assert not take_quiz(resident, course, right=False)
    assert not completed(resident, course)
    assert take_quiz(resident, course, right=True)
    assert completed(resident, course)


def test_a_quiz_not_required_does_not_hold_completion_back(app_context, make_course, resident):
    course = make_course(lessons=1, quiz=True, is_quiz_required=False)
    read_lessons(resident, course)
    assert completed(resident, course)


def test_starting_the_quiz_enrols(app_context, make_course, resident):
    course = make_course(lessons=1, quiz=True, is_quiz_required=True)
    take_quiz(resident, course, right=False)
    assert db.session.scalar(select(Enrolment.course_id).where(Enrolment.user_id == resident)) == course


def test_saving_looser_rules_completes_those_who_now_meet_them(app_context, make_course, resident, create_user):
    course_id = make_course(lessons=2, quiz=True, is_quiz_required=True)
    other = create_user()
    read_lessons(resident, course_id)
    read_lessons(other, course_id, 1)
    assert not completed(resident, course_id)
    course = db.session.get(Course, course_id)
    course.is_quiz_required = False  # as the officer's course settings page saves it
    db.session.commit()  # the re-evaluation runs as a background job (at once in tests)
    assert completed(resident, course_id)
    assert not completed(other, course_id)


def test_stricter_rules_keep_recorded_completions(app_context, make_course, resident):
    course_id = make_course(lessons=2, quiz=True, is_quiz_required=False)
    read_lessons(resident, course_id)
    assert completed(resident, course_id)
    course = db.session.get(Course, course_id)
    course.is_quiz_required = True
    db.session.commit()
    assert completed(resident, course_id)
    result = reevaluate_course(course)
    assert (result.learners, result.completed_now, result.still_met, result.kept_unmet) == (1, 0, 0, 1)


def test_reevaluate_command(app, make_course, resident):
    with app.app_context():
        course_id = make_course(lessons=2, lessons_to_read=2)
        read_lessons(resident, course_id, 1)
        # An operator loosens the rule directly in the database; the command catches up.
        db.session.execute(Course.__table__.update().values(lessons_to_read=1))
        db.session.commit()
        assert not completed(resident, course_id)
    result = app.test_cli_runner().invoke(args=["progress", "reevaluate", "--course", "kursus-uji"])
    assert result.exit_code == 0, result.output
    assert "1 completed now" in result.output
    with app.app_context():
        assert completed(resident, course_id)
    result = app.test_cli_runner().invoke(args=["progress", "reevaluate", "--course", "tidak-ada"])
    assert result.exit_code != 0 and "tidak-ada" in result.output


def test_an_officer_saving_the_course_page_reevaluates_it(app, client, auth, officer, make_course, resident):
    course_id = make_course(lessons=2, quiz=True, is_quiz_required=True)
    with app.app_context():
        read_lessons(resident, course_id)
        assert not completed(resident, course_id)
    auth.sign_in(officer)
    form = {
        "slug": "kursus-uji",
        "source_language": "id",
        "position": "100",
        "video_percent": "90",
        "lessons_to_read": "",
        "title_id": "Kursus Uji",
        "title_en": "Kursus Uji (en)",
        "is_published": "y",
    }  # the quiz is no longer required
    response = client.post("/kelola/kursus/kursus-uji", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        assert completed(resident, course_id)

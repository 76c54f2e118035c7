"""The pre-test: taken once before the quiz, it shows the score only and counts toward nothing."""

import yaml
from sqlalchemy import func, select

from lms.courses.models import Course
from lms.extensions import db
from lms.progress.models import CourseCompletion
from lms.quizzes import files, operations
from lms.quizzes.models import Attempt, Quiz
from tests.evaluation.conftest import SLUG, create_pretest_course, take


def _quiz(slug=SLUG):
    return db.session.scalar(select(Quiz).join(Course, Course.id == Quiz.course_id).where(Course.slug == slug))


def test_a_perfect_pretest_passes_nothing_and_uses_no_attempt(app, client, auth, resident):
    create_pretest_course(app, max_attempts=1)
    pretest = take(app, SLUG, resident, right=4, pretest=True)
    with app.app_context():
        attempt = db.session.get(Attempt, pretest)
        assert attempt.is_pretest and attempt.score == 4 and not attempt.is_passed
        assert not operations.has_passed(resident, attempt.quiz.course_id)
        state = operations.standing(_quiz(), resident)
        assert state.attempts == [] and state.attempts_left == 1 and state.may_start
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 0
        from lms.certificates.models import Certificate

        assert db.session.scalar(select(func.count()).select_from(Certificate)) == 0
    auth.sign_in(resident)
    page = client.get(f"/kursus/{SLUG}/kuis").get_data(as_text=True)
    assert "0 dari 1 sudah dipakai" in page and "Mulai kuis" in page
    # The one allowed attempt is still there, and passing it completes the course.
    take(app, SLUG, resident, right=4)
    with app.app_context():
        assert operations.has_passed(resident, _quiz().course_id)
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 1


def test_the_pretest_result_shows_the_score_but_not_the_answers(app, client, auth, resident, course_slug):
    pretest = take(app, course_slug, resident, right=1, pretest=True)
    auth.sign_in(resident)
    response = client.get(f"/kursus/{course_slug}/kuis/{pretest}/hasil")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 dari 4 poin (25%)" in page
    assert "Penjelasan" not in page and "jawaban benar" not in page and "Pilihan q0" not in page
    assert "Umpan balik q0" not in page and "Pertanyaan q0" not in page


def test_the_pretest_is_taken_once_and_only_before_the_quiz(app, client, auth, resident, create_user, course_slug):
    auth.sign_in(resident)
    first = client.post(f"/kursus/{course_slug}/pra-tes")
    again = client.post(f"/kursus/{course_slug}/pra-tes")  # a double tap resumes the same pre-test
    assert first.status_code == again.status_code == 303 and first.location == again.location
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1
    pretest = int(first.location.split("/")[-2])
    client.post(f"/kursus/{course_slug}/kuis/{pretest}/kirim", data={"token": "t"})
    refused = client.post(f"/kursus/{course_slug}/pra-tes", follow_redirects=True)
    assert "Anda sudah mengerjakan pra-tes" in refused.get_data(as_text=True)
    # Someone who started the quiz first is not offered a pre-test any more.
    other = create_user("resident", "warga_kuis")
    take(app, course_slug, other, right=1)
    with app.app_context():
        assert operations.pretest_invitation(_quiz(course_slug).course_id, other) is None
        try:
            operations.start_pretest(_quiz(course_slug), other)
            raise AssertionError("a pre-test after the quiz was started")
        except operations.QuizError as error:
            assert str(error) == "pretest_too_late"
        assert db.session.scalar(select(func.count()).select_from(Attempt).where(Attempt.user_id == other)) == 1


def test_the_course_page_invites_to_the_pretest_until_it_is_taken(app, client, auth, resident, course_slug):
    auth.sign_in(resident)
    assert f'href="/kursus/{course_slug}/pra-tes"' in client.get(f"/kursus/{course_slug}").get_data(as_text=True)
    take(app, course_slug, resident, right=2, pretest=True)
    assert "pra-tes" not in client.get(f"/kursus/{course_slug}").get_data(as_text=True)


def test_a_course_without_a_pretest_invites_to_none(app, client, auth, resident):
    create_pretest_course(app, has_pretest=False)
    auth.sign_in(resident)
    assert "pra-tes" not in client.get(f"/kursus/{SLUG}").get_data(as_text=True)
    assert client.get(f"/kursus/{SLUG}/pra-tes").status_code == 404


def test_an_open_pretest_is_ended_when_the_quiz_starts(app, client, auth, resident, course_slug):
    auth.sign_in(resident)
    client.post(f"/kursus/{course_slug}/pra-tes")
    client.post(f"/kursus/{course_slug}/kuis")
    with app.app_context():
        pretest = db.session.scalar(select(Attempt).where(Attempt.is_pretest))
        assert pretest.finished_dt is not None and pretest.is_expired  # left out of the gain: never submitted


def test_officers_switch_the_pretest_on_and_it_travels_in_quiz_yml(app, client, auth, officer):
    create_pretest_course(app, has_pretest=False)
    auth.sign_in(officer)
    form = {"pass_mark": 70, "questions_per_attempt": 4, "max_attempts": 3, "time_limit_minutes": 0}
    response = client.post(f"/kelola/kursus/{SLUG}/kuis", data=form | {"review": "after_pass", "has_pretest": "y"})
    assert response.status_code == 303
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == SLUG))
        assert _quiz().has_pretest
        assert files.dump(course)["pretest"] is True


def test_the_built_in_courses_offer_a_pretest():
    from pathlib import Path

    for path in sorted(Path(__file__).resolve().parents[2].joinpath("courses").glob("*/quiz.yml")):
        assert yaml.safe_load(path.read_text())["pretest"] is True, path


def test_item_statistics_count_quiz_attempts_only(app, resident, course_slug):
    from lms.quizzes.statistics import item_statistics, villages_with_attempts

    take(app, course_slug, resident, right=4, pretest=True)
    with app.app_context():
        assert sum(statistic.answered for statistic in item_statistics(_quiz(course_slug))) == 0
        assert villages_with_attempts(_quiz(course_slug)) == []
    take(app, course_slug, resident, right=4)
    with app.app_context():
        assert sum(statistic.answered for statistic in item_statistics(_quiz(course_slug))) == 4

"""A resident's "Belajar saya": enrolled courses with a progress bar, what is done and the next step."""

from lms.extensions import db
from lms.progress.completion import enrol
from tests.progress.conftest import read_lessons, take_quiz


def test_nothing_started_points_to_the_catalogue(client, auth, resident):
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You have not started a course yet." in page and 'href="/kursus"' in page


def test_progress_bar_and_continue_where_left_off(app, client, auth, make_course, resident):
    course = make_course(lessons=4, quiz=True, is_quiz_required=True)
    with app.app_context():
        read_lessons(resident, course, 2)
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    # 4 lessons + the quiz = 5 steps, 2 done.
    assert '<progress id="progress-kursus-uji" max="100" value="40">' in page
    assert "2 of 5 steps done (40%)" in page
    assert "Lessons read: 2 of 4" in page and "Quiz not passed yet" in page
    assert 'href="/kursus/kursus-uji/pelajaran-3"' in page and "Continue: Lesson 3" in page


def test_after_the_lessons_the_next_step_is_the_quiz(app, client, auth, make_course, resident):
    course = make_course(lessons=2, quiz=True, is_quiz_required=True)
    with app.app_context():
        read_lessons(resident, course)
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'href="/kursus/kursus-uji/kuis"' in page and "Take the quiz" in page


def test_a_completed_course_says_so(app, client, auth, make_course, resident):
    course = make_course(lessons=1, quiz=True, is_quiz_required=True)
    with app.app_context():
        read_lessons(resident, course)
        take_quiz(resident, course)
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Completed on" in page and 'value="100"' in page


def test_a_course_a_leader_enrolled_them_in_shows_before_they_start(app, client, auth, make_course, resident, leader):
    make_course(lessons=2, title="Kursus Kades")
    with app.app_context():
        from lms.courses.models import Course

        enrol(resident, db.session.scalar(db.select(Course.id)), via="leader", by_id=leader)
        db.session.commit()
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Kursus Kades (en)" in page and "0 of 2 steps done" in page


def test_only_the_residents_own_progress_shows(app, client, auth, make_course, resident, create_user):
    course = make_course(lessons=2)
    other = create_user()
    with app.app_context():
        read_lessons(other, course)
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You have not started a course yet." in page


def test_completion_hands_over_to_certificates_and_shows_them(app, client, auth, make_course, resident, leader):
    from lms.certificates.keys import ensure_signing_key
    from lms.certificates.models import Certificate

    course = make_course(lessons=1)
    with app.app_context():
        ensure_signing_key()
        db.session.commit()
        read_lessons(resident, course)  # completes the course; the certificate follows in the background
        serial = db.session.scalar(db.select(Certificate.serial).where(Certificate.user_id == resident))
    assert serial
    auth.sign_in(resident)
    page = client.get("/belajar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f"Certificate {serial}" in page and f'href="/sertifikat/{serial}.pdf"' in page
    auth.sign_out()
    auth.sign_in(leader)
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "status-certified" in page and "Certified: 1" in page

"""Stored pages: the home page, catalogue, a course or a lesson asked for again is sent as kept, never old."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from lms.accounts.models import User, UserSession
from lms.courses.models import Lesson
from lms.extensions import db
from lms.progress.models import LessonProgress
from tests.courses.conftest import import_test_course
from tests.sql import recorded_statements

ROOT = Path(__file__).resolve().parents[2]
COURSE = "/kursus/kursus-uji"
LESSON = f"{COURSE}/pelajaran-satu"
READ = "Anda sudah membaca pelajaran ini."
NOT_YET = "Saya sudah membaca pelajaran ini"
SIGN_IN_TO_TRACK = "Masuk untuk mencatat pelajaran yang sudah Anda baca."


@pytest.fixture
def course(app, tmp_path):
    import_test_course(app, tmp_path)


def _statements(app, client, path, **kwargs):
    with recorded_statements(app) as statements:
        response = client.get(path, **kwargs)
    return response, statements


def _mark_read(app, user_id):
    """Record a lesson read as the lesson page's button does, but outside any request of this client."""
    from lms.progress.operations import record_lesson_read

    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "pelajaran-satu"))
        record_lesson_read(db.session.get(User, user_id), lesson)
        db.session.commit()


def test_a_page_asked_for_again_is_sent_as_kept_without_running_the_app(app, client, auth, course, resident):
    auth.sign_in(resident)
    client.get("/")  # the welcome message, shown once
    for path in ("/", "/kursus", COURSE, LESSON):
        first = client.get(path)
        again, statements = _statements(app, client, path)
        assert again.status_code == 200 and statements == []
        assert again.get_data() == first.get_data()
        for header in ("Content-Security-Policy", "Cache-Control", "Vary", "Content-Encoding", "Content-Type"):
            assert again.headers.get(header) == first.headers.get(header)
        assert "Set-Cookie" not in again.headers


def test_marking_a_lesson_read_shows_on_the_very_next_page(app, client, auth, course, resident):
    auth.sign_in(resident)
    assert NOT_YET in client.get(LESSON).get_data(as_text=True)
    assert NOT_YET in client.get(LESSON).get_data(as_text=True)  # kept now
    client.post(f"{LESSON}/dibaca")
    page = client.get(LESSON).get_data(as_text=True)
    assert READ in page and NOT_YET not in page


def test_progress_recorded_by_another_worker_process_is_seen_at_once(app, client, auth, course, resident):
    auth.sign_in(resident)
    assert NOT_YET in client.get(LESSON).get_data(as_text=True)
    assert NOT_YET in client.get(LESSON).get_data(as_text=True)  # kept now
    # Another gunicorn worker (the video player's position, the other tab): its own memory, the same database.
    script = (
        "from lms import create_app\n"
        "from lms.accounts.models import User\n"
        "from lms.courses.models import Lesson\n"
        "from lms.extensions import db\n"
        "from lms.progress.operations import record_lesson_read\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    lesson = db.session.scalar(db.select(Lesson).where(Lesson.slug == 'pelajaran-satu'))\n"
        f"    record_lesson_read(db.session.get(User, {resident}), lesson)\n"
        "    db.session.commit()\n"
    )
    database_url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_DIR=app.config["INSTANCE_DIR"], JOBS_BACKEND="immediate")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert READ in client.get(LESSON).get_data(as_text=True)


def test_nobody_is_sent_the_page_kept_for_someone_else(app, auth, course, create_user):
    first, second = app.test_client(), app.test_client()
    first_id, second_id = create_user(username="pertama"), create_user(username="kedua")
    type(auth)(first, app).sign_in(first_id)
    type(auth)(second, app).sign_in(second_id)
    _mark_read(app, first_id)
    assert READ in first.get(LESSON).get_data(as_text=True)
    assert READ in first.get(LESSON).get_data(as_text=True)
    assert NOT_YET in second.get(LESSON).get_data(as_text=True)
    anonymous = app.test_client().get(LESSON).get_data(as_text=True)
    assert SIGN_IN_TO_TRACK in anonymous and READ not in anonymous


def test_a_session_ended_elsewhere_or_an_account_switched_off_stops_at_once(app, client, auth, course, resident):
    auth.sign_in(resident)
    _mark_read(app, resident)
    assert READ in client.get(LESSON).get_data(as_text=True)
    assert READ in client.get(LESSON).get_data(as_text=True)  # kept now
    with app.app_context():  # "sign out everywhere", as deleting the account does: a statement, not objects
        db.session.execute(delete(UserSession).where(UserSession.user_id == resident))
        db.session.commit()
    page = client.get(LESSON).get_data(as_text=True)
    assert SIGN_IN_TO_TRACK in page and READ not in page

    auth.sign_in(resident)
    assert READ in client.get(LESSON).get_data(as_text=True)
    assert READ in client.get(LESSON).get_data(as_text=True)
    with app.app_context():
        db.session.get(User, resident).is_disabled = True
        db.session.commit()
    page = client.get(LESSON).get_data(as_text=True)
    assert SIGN_IN_TO_TRACK in page and READ not in page


def test_a_statement_writing_progress_for_unnamed_people_makes_every_kept_page_old(app, client, auth, course, resident):
    auth.sign_in(resident)
    _mark_read(app, resident)
    assert READ in client.get(LESSON).get_data(as_text=True)
    assert READ in client.get(LESSON).get_data(as_text=True)
    with app.app_context():
        db.session.execute(delete(LessonProgress))
        db.session.commit()
    assert NOT_YET in client.get(LESSON).get_data(as_text=True)


def test_a_message_is_shown_once_and_never_kept(app, client, auth, course, resident):
    auth.sign_in(resident)
    client.post(f"{LESSON}/dibaca")
    client.post(f"{COURSE}/pelajaran-dua/dibaca")  # the last lesson: back to the course, with a message
    done = "Anda sudah membaca semua pelajaran kursus ini."
    assert done in client.get(COURSE).get_data(as_text=True)
    assert done not in client.get(COURSE).get_data(as_text=True)
    assert done not in client.get(COURSE).get_data(as_text=True)


def test_each_language_and_encoding_gets_its_own_page(app, client, course):
    english = client.get("/kursus", headers={"Accept-Language": "en"}).get_data(as_text=True)
    indonesian = client.get("/kursus", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Test Course" in english and "Kursus Uji" in indonesian
    assert "Test Course" in client.get("/kursus", headers={"Accept-Language": "en"}).get_data(as_text=True)
    compressed = client.get("/kursus", headers={"Accept-Encoding": "br", "Accept-Language": "id"})
    plain = client.get("/kursus", headers={"Accept-Language": "id"})
    assert compressed.headers.get("Content-Encoding") == "br" and "Content-Encoding" not in plain.headers
    assert "Kursus Uji" in plain.get_data(as_text=True)


def test_a_kept_page_is_made_again_once_it_is_too_old(app, client, course):
    store = app.extensions["stored_pages"]
    client.get("/kursus")  # a first visit gets a session cookie: that page is not kept
    client.get("/kursus")
    assert _statements(app, client, "/kursus")[1] == []
    kept_for = store.max_age
    store.max_age = 0.05
    try:
        time.sleep(0.1)
        response, statements = _statements(app, client, "/kursus")
    finally:
        store.max_age = kept_for
    assert response.status_code == 200 and statements != []


def test_a_worker_keeps_at_most_as_many_bytes_as_configured(app, course):
    store = app.extensions["stored_pages"]
    size = len(app.test_client().get("/kursus").get_data())
    kept_at_most = store.max_bytes
    store.max_bytes = 2 * size + size // 2
    try:
        for number in range(5):
            client = app.test_client()
            for _ in range(2):  # the first visit gets a session cookie
                client.get("/kursus", headers={"User-Agent": f"telepon-{number}"})
            assert len(store) == min(number + 1, 2) and store.kept_bytes <= store.max_bytes
        # the page asked for least recently went first
        with recorded_statements(app) as statements:
            client.get("/kursus", headers={"User-Agent": "telepon-4"})
        assert statements == []
    finally:
        store.max_bytes = kept_at_most


def test_a_pre_test_an_officer_turns_on_shows_on_the_next_course_page(app, client, auth, resident):
    from lms.quizzes.models import Quiz
    from tests.progress.conftest import add_course

    with app.app_context():
        course_id = add_course("kursus-kuis", quiz=True).id
        db.session.commit()
    auth.sign_in(resident)
    client.get("/")  # the welcome message, shown once
    invitation = "Sebelum mulai"
    assert invitation not in client.get("/kursus/kursus-kuis").get_data(as_text=True)
    assert invitation not in client.get("/kursus/kursus-kuis").get_data(as_text=True)  # kept now
    with app.app_context():
        db.session.scalar(select(Quiz).where(Quiz.course_id == course_id)).has_pretest = True
        db.session.commit()
    assert invitation in client.get("/kursus/kursus-kuis").get_data(as_text=True)


def test_residents_of_one_village_writing_at_once_do_not_wait_for_each_other(app, course, create_user):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("SQLite has one write lock for the whole database")
    from sqlalchemy import text

    from lms.progress.operations import record_lesson_read

    first, second = create_user(username="pertama"), create_user(username="kedua")  # the same village
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "pelajaran-satu"))
        record_lesson_read(db.session.get(User, first), lesson)
        db.session.flush()  # written, not yet committed: the village's stamp must not be held until it is
        with app.app_context():  # another request at the same moment, on its own connection
            db.session.execute(text("SET LOCAL lock_timeout = '5s'"))  # a wait fails the test, never hangs it
            other = db.session.scalar(select(Lesson).where(Lesson.slug == "pelajaran-satu"))
            record_lesson_read(db.session.get(User, second), other)
            db.session.commit()
        db.session.commit()
    with app.app_context():
        assert db.session.query(LessonProgress).count() == 2


def test_a_change_committed_after_a_savepoint_rolled_back_is_seen_at_once(app, client, auth, resident):
    auth.sign_in(resident)
    client.get("/")  # the welcome message, shown once
    assert "Nama Baru" not in client.get("/").get_data(as_text=True)
    assert "Nama Baru" not in client.get("/").get_data(as_text=True)  # kept now
    with app.app_context():
        user = db.session.get(User, resident)
        attempt = db.session.begin_nested()
        user.name = "Nama Sementara"
        db.session.flush()
        attempt.rollback()  # what it wrote, the person's stamp included, is gone
        user.name = "Nama Baru"
        db.session.commit()
    assert "Nama Baru" in client.get("/").get_data(as_text=True)

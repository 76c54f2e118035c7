"""The readers' pages keep courses in each worker's memory, yet never show a text older than the last publication."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, select

from lms.accounts.models import User
from lms.core.models import ContentVersion
from lms.courses.models import Course, CourseText, Lesson
from lms.courses.operations import get_or_create_text, publish_version, save_version
from lms.extensions import db
from tests.courses.conftest import import_test_course
from tests.sql import recorded_statements

ROOT = Path(__file__).resolve().parents[2]
LESSON = "/kursus/kursus-uji/pelajaran-satu"


@pytest.fixture(autouse=True)
def _stamped(app):
    """Start with a stamp, as a migrated database has: the cache is in use from the first page on."""
    with app.app_context():
        db.session.execute(delete(ContentVersion))
        db.session.execute(insert(ContentVersion).values(name="courses", stamp=secrets.token_hex(16)))
        db.session.commit()


def _statements_of(app, client, path):
    with recorded_statements(app) as statements:
        response = client.get(path)
    return response, statements


def test_a_lesson_read_again_asks_the_database_only_whether_the_course_changed(app, client, auth, tmp_path, resident):
    import_test_course(app, tmp_path)
    auth.sign_in(resident)
    assert "Isi <strong>pertama</strong>." in client.get(LESSON).get_data(as_text=True)
    response, statements = _statements_of(app, client, LESSON)
    assert response.status_code == 200 and "Isi <strong>pertama</strong>." in response.get_data(as_text=True)
    course_tables = ("courses", "course_texts", "lesson_texts", "lesson_versions", "languages")
    read_tables = [s for s in statements if any(f"FROM {table} " in s + " " for table in course_tables)]
    assert read_tables == [], read_tables


def test_a_reader_sees_a_publication_on_the_very_next_page(app, client, auth, tmp_path, resident, admin):
    import_test_course(app, tmp_path)
    auth.sign_in(resident)
    for path in (LESSON, "/kursus/kursus-uji", "/kursus"):
        assert client.get(path).status_code == 200  # kept in the cache now
    with app.app_context():
        lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "pelajaran-satu"))
        officer = db.session.get(User, admin)
        version = save_version(get_or_create_text(lesson, "id"), "Judul baru", "Isi yang **diperbarui**.", officer)
        publish_version(version, officer)
        db.session.commit()
    page = client.get(LESSON).get_data(as_text=True)
    assert "Isi yang <strong>diperbarui</strong>." in page and "Judul baru" in page
    assert "Isi <strong>pertama</strong>." not in page
    assert "Judul baru" in client.get("/kursus/kursus-uji").get_data(as_text=True)


def test_a_change_rolled_back_is_never_shown(app, client, tmp_path):
    import_test_course(app, tmp_path)
    assert "Kursus Uji" in client.get("/kursus").get_data(as_text=True)
    with app.test_request_context("/kursus"):
        text = db.session.scalar(select(CourseText).where(CourseText.language == "id"))
        text.title = "Judul yang dibatalkan"
        db.session.flush()
        from lms.courses.reading import catalogue, load_languages

        assert catalogue(load_languages("id"), None)[0].title.value == "Judul yang dibatalkan"
        db.session.rollback()
    page = client.get("/kursus").get_data(as_text=True)
    assert "Kursus Uji" in page and "Judul yang dibatalkan" not in page


def test_a_change_committed_by_another_worker_process_is_seen_at_once(app, client, tmp_path):
    import_test_course(app, tmp_path)
    assert "Kursus Uji" in client.get("/kursus/kursus-uji").get_data(as_text=True)
    # Another gunicorn worker: its own process and memory, the same database.
    script = (
        "from lms import create_app\n"
        "from lms.courses.models import Course\n"
        "from lms.extensions import db\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    course = db.session.scalar(db.select(Course).where(Course.slug == 'kursus-uji'))\n"
        "    course.text('id').title = 'Judul dari pekerja lain'\n"
        "    course.is_published = True\n"
        "    db.session.commit()\n"
    )
    database_url = app.config["SQLALCHEMY_DATABASE_URI"].replace("postgresql+psycopg://", "postgresql://")
    env = dict(os.environ, DATABASE_URL=database_url, INSTANCE_DIR=app.config["INSTANCE_DIR"], JOBS_BACKEND="immediate")
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    assert "Judul dari pekerja lain" in client.get("/kursus/kursus-uji").get_data(as_text=True)
    assert "Judul dari pekerja lain" in client.get("/kursus").get_data(as_text=True)


def test_archiving_or_unpublishing_takes_effect_at_once(app, client, tmp_path):
    import_test_course(app, tmp_path)
    assert client.get(LESSON).status_code == 200
    assert client.get("/kursus/kursus-uji/pelajaran-dua").status_code == 200
    with app.app_context():
        db.session.scalar(select(Lesson).where(Lesson.slug == "pelajaran-dua")).is_archived = True
        db.session.commit()
    assert client.get("/kursus/kursus-uji/pelajaran-dua").status_code == 404
    with app.app_context():
        db.session.execute(db.update(Course).values(is_published=False))  # a statement, not an object
        db.session.commit()
    assert client.get(LESSON).status_code == 404
    assert "Kursus Uji" not in client.get("/kursus").get_data(as_text=True)

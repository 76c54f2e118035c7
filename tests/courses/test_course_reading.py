"""Residents read courses in their language, with the fallback shown, from stored HTML in few queries."""

import gzip
import re

import pytest
from sqlalchemy import select

from lms.accounts.models import User
from lms.core.models import Language
from lms.courses.models import Course
from lms.extensions import db
from lms.progress.models import LessonProgress
from tests.sql import recorded_statements


@pytest.fixture
def javanese_resident(create_user):
    return create_user("resident", "wargajawa", language="jv")


def test_catalogue_lists_published_courses_in_the_readers_language(client, builtin_courses, app):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "orang-asing-di-desa"))
        course.is_published = False
        db.session.commit()
    page = client.get("/kursus", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="en">Passports and the M-Paspor App</a>' in page
    assert "Foreigners in Our Village" not in page
    assert client.get("/kursus/orang-asing-di-desa").status_code == 404


def test_course_page_shows_summary_lessons_and_time(client, builtin_courses):
    page = client.get("/kursus/paspor", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Paspor dan Aplikasi M-Paspor" in page and "35 menit" in page
    assert page.count('href="/kursus/paspor/') >= 7  # six lessons and the start button
    assert "Siapa yang perlu paspor?" in page


def test_javanese_reader_gets_javanese_where_translated(client, auth, builtin_courses, javanese_resident):
    auth.sign_in(javanese_resident)
    page = client.get("/kursus/paspor/siapa-perlu-paspor").get_data(as_text=True)
    assert '<article class="lesson" lang="jv">' in page and "Sapa sing butuh paspor?" in page
    assert "fallback-note" not in page


def test_untranslated_parts_fall_back_with_a_note_and_their_own_lang(client, auth, builtin_courses, javanese_resident):
    auth.sign_in(javanese_resident)
    page = client.get("/kursus/hak-dan-kewajiban/hak-keluar-masuk").get_data(as_text=True)
    assert '<article class="lesson" lang="id">' in page
    assert 'class="crumbs"><a href="/kursus/hak-dan-kewajiban" lang="id">' in page
    note = re.search(r'<p class="fallback-note">(.*?)</p>', page).group(1)
    assert note == (
        'Belum tersedia dalam <span lang="jv">Basa Jawa</span> — '
        'ditampilkan dalam <span lang="id">Bahasa Indonesia</span>'
    ) or ("Basa Jawa" in note and "Bahasa Indonesia" in note)


def test_the_admins_chain_decides_the_fallback(client, auth, app, builtin_courses, create_user):
    with app.app_context():
        db.session.get(Language, "jv").fallbacks = "en id"
        db.session.commit()
    auth.sign_in(create_user("resident", "wargajawa2", language="jv"))
    page = client.get("/kursus/hak-dan-kewajiban/hak-keluar-masuk").get_data(as_text=True)
    assert '<article class="lesson" lang="en">' in page and "The right to leave and enter Indonesia" in page
    assert '<span lang="en">English</span>' in page


def test_a_language_with_a_partial_translation_mixes_parts(client, auth, app, builtin_courses, create_user):
    """Course title in Javanese, lesson in Indonesian: each part says its own language."""
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "hak-dan-kewajiban"))
        from lms.courses.models import CourseText

        course.texts.append(CourseText(language="jv", title="Hak lan Kuwajiban", summary=""))
        db.session.commit()
    auth.sign_in(create_user("resident", "wargajawa3", language="jv"))
    page = client.get("/kursus/hak-dan-kewajiban").get_data(as_text=True)
    assert '<h1 lang="jv">Hak lan Kuwajiban</h1>' in page
    assert re.search(r'<p lang="id">Mengenal Undang-Undang', page)  # the summary fell back
    assert page.count('class="fallback-note"') == 1


def test_anonymous_reader_gets_the_interface_language(client, builtin_courses):
    page = client.get("/kursus/paspor/biaya-paspor", headers={"Accept-Language": "su"}).get_data(as_text=True)
    assert '<article class="lesson" lang="su">' in page


def test_mark_read_records_progress_and_goes_on(client, auth, app, builtin_courses, resident):
    auth.sign_in(resident)
    response = client.post("/kursus/paspor/siapa-perlu-paspor/dibaca")
    assert response.status_code == 302 and response.headers["Location"] == "/kursus/paspor/dokumen-persyaratan"
    again = client.post("/kursus/paspor/siapa-perlu-paspor/dibaca")  # a double tap
    assert again.status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(LessonProgress)).all()
        assert len(rows) == 1 and rows[0].read_dt is not None
    page = client.get("/kursus/paspor/siapa-perlu-paspor").get_data(as_text=True)
    assert "I have read this lesson" not in page and 'class="read-mark"' in page
    last = client.post("/kursus/paspor/paspor-bukan-jaminan/dibaca")
    assert last.headers["Location"] == "/kursus/paspor"


def test_reading_again_keeps_the_first_date(app_context, builtin_courses, resident):
    from lms.progress.operations import record_lesson_read

    user = db.session.get(User, resident)
    lesson = db.session.scalar(select(Course).where(Course.slug == "paspor")).lessons[0]
    first = record_lesson_read(user, lesson).read_dt
    progress = record_lesson_read(user, lesson)
    progress.video_furthest_s = 30.0
    db.session.flush()
    assert record_lesson_read(user, lesson).read_dt == first and progress.video_furthest_s == 30.0


def test_unknown_course_and_lesson_are_not_found(client, builtin_courses, auth, resident):
    assert client.get("/kursus/tidak-ada").status_code == 404
    assert client.get("/kursus/paspor/tidak-ada").status_code == 404
    auth.sign_in(resident)
    assert client.post("/kursus/paspor/tidak-ada/dibaca").status_code == 404


def test_lesson_page_uses_at_most_five_queries_whatever_the_course_size(app, client, auth, tmp_path, resident):
    from lms.courses.files import import_courses
    from tests.courses.conftest import write_course

    lessons = {
        f"pelajaran-{n}": {"id": (f"Pelajaran {n}", f"Isi {n}."), "en": (f"Lesson {n}", "Body.")} for n in range(60)
    }
    write_course(tmp_path, lessons=lessons)
    with app.app_context():
        import_courses(tmp_path)
        db.session.commit()
    auth.sign_in(resident)
    client.post("/kursus/kursus-uji/pelajaran-3/dibaca")
    client.get("/kursus/kursus-uji/pelajaran-30")  # the first reader of a lesson loads it into the worker's cache
    with recorded_statements(app) as statements:
        response = client.get("/kursus/kursus-uji/pelajaran-30")
    assert response.status_code == 200 and "Isi 30." in response.get_data(as_text=True)
    # Session, content stamp, the reader's progress, the video; +1 for the FAQs under it (community/_lesson.html)
    assert len(statements) <= 5, statements
    assert not any(statement.lstrip().upper().startswith(("INSERT", "UPDATE")) for statement in statements)


def test_lesson_page_is_light_and_needs_no_script(client, auth, builtin_courses, resident):
    auth.sign_in(resident)
    response = client.get("/kursus/paspor/dokumen-persyaratan")
    page = response.get_data()
    assert len(gzip.compress(page)) < 30 * 1024
    assert b"<script" not in page


def test_the_lesson_entry_carries_the_video_position(app, builtin_courses, resident):
    from lms.courses import reading
    from lms.progress.operations import get_lesson_progress

    with app.test_request_context("/"):
        user = db.session.get(User, resident)
        lesson = db.session.scalar(select(Course).where(Course.slug == "paspor")).lessons[1]
        get_lesson_progress(user, lesson).video_position_s = 12.5
        db.session.flush()
        view, languages = reading.load_course("paspor")
        reading.load_lessons(view, languages, resident, reading=lesson.slug)
        assert [entry.video_position_s for entry in view.lessons[:3]] == [0.0, 12.5, 0.0]
        db.session.rollback()

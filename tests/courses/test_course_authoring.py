"""Officers write, translate, review and publish lessons through the web pages."""

import re

import pytest
from sqlalchemy import select

from lms.courses.models import Course, Lesson, LessonVersion
from lms.extensions import db


@pytest.fixture(autouse=True)
def _english(client):
    """Read the pages in English, the language of the interface strings."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


@pytest.fixture
def second_officer(create_user):
    return create_user("officer", "petugasdua")


def _course(slug="kursus-petugas"):
    return db.session.scalar(select(Course).where(Course.slug == slug))


def _write_lesson(
    client, slug="kursus-petugas", lesson="pelajaran-baru", body="Isi **pelajaran**.", action="submit_review"
):
    client.post("/kelola/kursus/baru", data={"slug": slug, "source_language": "id", "title": "Kursus Petugas"})
    return client.post(
        f"/kelola/kursus/{slug}/pelajaran/baru",
        data={"slug": lesson, "minutes": "4", "title": "Pelajaran baru", "body": body, action: "1"},
    )


def _latest_version(app, slug="kursus-petugas", lesson="pelajaran-baru", language="id") -> int:
    with app.app_context():
        return _course(slug).lessons[0].text(language).latest_version.id


def test_an_officer_writes_a_lesson_and_another_publishes_it(app, client, auth, officer, second_officer, resident):
    auth.sign_in(officer)
    response = _write_lesson(client)
    assert (
        response.status_code == 302
        and response.headers["Location"] == "/kelola/kursus/kursus-petugas/pelajaran-baru/id"
    )
    version_id = _latest_version(app)
    refused = client.post(f"/kelola/versi/{version_id}/tinjau", data={"action": "publish"})
    assert refused.status_code == 422 and "own change" in refused.get_data(as_text=True)
    auth.sign_out()

    auth.sign_in(second_officer)
    assert "Pelajaran baru" in client.get("/kelola/kursus").get_data(as_text=True)  # waiting for review
    published = client.post(f"/kelola/versi/{version_id}/tinjau", data={"action": "publish"})
    assert published.status_code == 302
    client.post("/kelola/kursus/kursus-petugas", data={**_course_fields(app), "is_published": "y"})
    auth.sign_out()

    auth.sign_in(resident)
    page = client.get("/kursus/kursus-petugas/pelajaran-baru").get_data(as_text=True)
    assert "<strong>pelajaran</strong>" in page
    with app.app_context():
        version = db.session.get(LessonVersion, version_id)
        assert version.status == "published" and version.reviewer_id == second_officer and version.author_id == officer


def _course_fields(app, slug="kursus-petugas") -> dict:
    with app.app_context():
        course = _course(slug)
        return {
            "slug": course.slug,
            "source_language": course.source_language,
            "position": str(course.position),
            "estimated_minutes": "10",
            "video_percent": "90",
            "title_id": course.text("id").title,
            "summary_id": "Ringkasan.",
        }


def test_an_admin_may_publish_their_own_change(app, client, auth, admin):
    auth.sign_in(admin)
    response = _write_lesson(client, action="publish")
    assert response.status_code == 302
    with app.app_context():
        text = _course().lessons[0].text("id")
        assert text.published_version is not None and text.published_version.author_id == admin


def test_an_officer_cannot_use_the_admins_publish_button(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client)
    response = client.post(
        "/kelola/kursus/kursus-petugas/pelajaran-baru/id", data={"title": "X", "body": "Y", "publish": "1"}
    )
    assert response.status_code == 403
    with app.app_context():
        assert _course().lessons[0].text("id").published_version_id is None


def test_a_reviewer_returns_a_change_with_a_comment(app, client, auth, officer, second_officer):
    auth.sign_in(officer)
    _write_lesson(client)
    version_id = _latest_version(app)
    auth.sign_out()
    auth.sign_in(second_officer)
    without = client.post(f"/kelola/versi/{version_id}/tinjau", data={"action": "return", "comment": " "})
    assert without.status_code == 422 and "what the author should change" in without.get_data(as_text=True)
    returned = client.post(
        f"/kelola/versi/{version_id}/tinjau", data={"action": "return", "comment": "Tambahkan sumber."}
    )
    assert returned.status_code == 302
    auth.sign_out()
    auth.sign_in(officer)
    page = client.get("/kelola/kursus/kursus-petugas/pelajaran-baru/id").get_data(as_text=True)
    assert "Tambahkan sumber." in page and "Returned" in page
    with app.app_context():
        version = db.session.get(LessonVersion, version_id)
        assert version.status == "returned" and version.reviewer_id == second_officer


def test_an_officer_of_another_office_cannot_touch_the_course(app, client, auth, officer, create_user):
    from lms.regions.operations import ensure_office

    auth.sign_in(officer)
    _write_lesson(client)
    auth.sign_out()
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Bandar Lampung", ["18.71"]).id
        db.session.commit()
    auth.sign_in(create_user("officer", "petugaslain", office_id=other_office))
    assert client.get("/kelola/kursus/kursus-petugas").status_code == 403
    assert client.post(f"/kelola/versi/{_latest_version(app)}/tinjau", data={"action": "publish"}).status_code == 403
    assert "kursus-petugas" not in client.get("/kelola/kursus").get_data(as_text=True)


def test_preview_renders_without_saving(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client)
    response = client.post(
        "/kelola/kursus/kursus-petugas/pelajaran-baru/id",
        data={"title": "Judul", "body": "## Baru\n\n<script>x</script>", "preview": "1"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<h2>Baru</h2>" in page and "&lt;script&gt;x&lt;/script&gt;" in page
    with app.app_context():
        assert len(_course().lessons[0].text("id").versions) == 1


def test_saving_twice_keeps_one_version(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client, action="save")
    data = {"title": "Pelajaran baru", "body": "Isi **pelajaran**.", "save": "1"}
    client.post("/kelola/kursus/kursus-petugas/pelajaran-baru/id", data=data)
    client.post("/kelola/kursus/kursus-petugas/pelajaran-baru/id", data=data)
    with app.app_context():
        assert len(_course().lessons[0].text("id").versions) == 1


def test_versions_are_kept_diffed_and_restored(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client, body="Baris satu.\nBaris <dua>.\nBaris tiga.", action="save")
    client.post(
        "/kelola/kursus/kursus-petugas/pelajaran-baru/id",
        data={"title": "Pelajaran baru", "body": "Baris satu.\nBaris <dua> diubah.\nBaris tiga.", "save": "1"},
    )
    with app.app_context():
        first, second = sorted(v.id for v in _course().lessons[0].text("id").versions)
    listing = client.get("/kelola/kursus/kursus-petugas/pelajaran-baru/id/versi").get_data(as_text=True)
    assert f"dari={first}&amp;ke={second}" in listing
    page = client.get(f"/kelola/kursus/kursus-petugas/pelajaran-baru/id/beda?dari={first}&ke={second}")
    diff = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<ins>diubah.</ins>" in diff or re.search(r"<ins>[^<]*diubah", diff)
    assert "&lt;dua&gt;" in diff and "<dua>" not in diff
    restored = client.post(f"/kelola/versi/{first}/pulihkan")
    assert restored.status_code == 302
    with app.app_context():
        versions = _course().lessons[0].text("id").versions
        assert len(versions) == 3
        newest = versions[0]
        assert newest.status == "draft" and newest.body_markdown == "Baris satu.\nBaris <dua>.\nBaris tiga."
        assert newest.author_id == officer


def test_a_translation_beside_its_source_and_the_grid(app, client, auth, officer, second_officer):
    auth.sign_in(second_officer)
    _write_lesson(client)
    source_version = _latest_version(app)
    auth.sign_out()
    auth.sign_in(officer)
    client.post(f"/kelola/versi/{source_version}/tinjau", data={"action": "publish"})
    editor = client.get("/kelola/kursus/kursus-petugas/pelajaran-baru/jv").get_data(as_text=True)
    assert "Source text" in editor and '<div class="lesson-body" lang="id">' in editor
    grid = client.get("/kelola/kursus/kursus-petugas/terjemahan").get_data(as_text=True)
    assert 'class="state-missing" href="/kelola/kursus/kursus-petugas/pelajaran-baru/jv"' in grid

    client.post(
        "/kelola/kursus/kursus-petugas/pelajaran-baru/jv",
        data={"title": "Piwulang anyar", "body": "Isine **piwulang**.", "submit_review": "1"},
    )
    auth.sign_out()
    auth.sign_in(second_officer)
    client.post(f"/kelola/versi/{_latest_version(app, language='jv')}/tinjau", data={"action": "publish"})
    grid = client.get("/kelola/kursus/kursus-petugas/terjemahan").get_data(as_text=True)
    assert 'class="state-current" href="/kelola/kursus/kursus-petugas/pelajaran-baru/jv"' in grid

    # The source changes and is published: the translation now needs an update.
    client.post(
        "/kelola/kursus/kursus-petugas/pelajaran-baru/id",
        data={"title": "Pelajaran baru", "body": "Isi yang diperbarui.", "submit_review": "1"},
    )
    auth.sign_out()
    auth.sign_in(officer)
    client.post(f"/kelola/versi/{_latest_version(app)}/tinjau", data={"action": "publish"})
    grid = client.get("/kelola/kursus/kursus-petugas/terjemahan").get_data(as_text=True)
    assert 'class="state-outdated" href="/kelola/kursus/kursus-petugas/pelajaran-baru/jv"' in grid
    assert "needs update" in grid


def test_course_settings_and_texts_per_language(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client)
    fields = _course_fields(app)
    response = client.post(
        "/kelola/kursus/kursus-petugas",
        data={
            **fields,
            "title_jv": "Kursus Petugas (Jawa)",
            "lessons_to_read": "1",
            "video_percent": "80",
            "is_quiz_required": "y",
        },
    )
    assert response.status_code == 302
    with app.app_context():
        course = _course()
        assert course.text("jv").title == "Kursus Petugas (Jawa)" and course.text("id").summary == "Ringkasan."
        assert course.completion == {"lessons_read": 1, "video_share": 0.8, "quiz_passed": True, "attendance": False}
        assert course.office_id is not None and not course.is_published
    bad = client.post("/kelola/kursus/kursus-petugas", data={**fields, "slug": "Bukan Slug!", "video_percent": "150"})
    assert bad.status_code == 422
    assert "small letters" in bad.get_data(as_text=True) and "From 1 to 100" in bad.get_data(as_text=True)


def test_lessons_move_up_and_down(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client)
    client.post(
        "/kelola/kursus/kursus-petugas/pelajaran/baru",
        data={"slug": "kedua", "minutes": "3", "title": "Kedua", "body": "Isi.", "save": "1"},
    )
    with app.app_context():
        second = db.session.scalar(select(Lesson).where(Lesson.slug == "kedua")).id
    client.post("/kelola/kursus/kursus-petugas/urutan", data={"lesson_id": second, "direction": "up"})
    with app.app_context():
        assert [lesson.slug for lesson in _course().current_lessons] == ["kedua", "pelajaran-baru"]
    client.post("/kelola/kursus/kursus-petugas/urutan", data={"lesson_id": second, "direction": "down"})
    with app.app_context():
        assert [lesson.slug for lesson in _course().current_lessons] == ["pelajaran-baru", "kedua"]


def test_bad_lesson_input_is_refused_with_messages(app, client, auth, officer):
    auth.sign_in(officer)
    _write_lesson(client)
    response = client.post(
        "/kelola/kursus/kursus-petugas/pelajaran/baru", data={"slug": "kuis", "title": "", "body": "", "save": "1"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Please write a title." in page and "Please write the lesson text." in page
    taken = client.post(
        "/kelola/kursus/kursus-petugas/pelajaran/baru",
        data={"slug": "pelajaran-baru", "title": "A", "body": "B", "save": "1"},
    )
    assert taken.status_code == 422 and "already uses this address name" in taken.get_data(as_text=True)
    reserved = client.post(
        "/kelola/kursus/kursus-petugas/pelajaran/baru", data={"slug": "kuis", "title": "A", "body": "B", "save": "1"}
    )
    assert reserved.status_code == 422


def test_residents_cannot_author(client, auth, resident):
    auth.sign_in(resident)
    assert client.get("/kelola/kursus").status_code == 403

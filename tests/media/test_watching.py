"""Residents watch ready videos: files with ranges and cache headers, captions, transcripts, saved position."""

import io

import pytest

from lms.extensions import db
from lms.media.models import Video
from lms.progress.models import LessonProgress


def upload(client, lesson_id: int, path):
    data = {"video": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post(f"/video/pelajaran/{lesson_id}/unggah", data=data, content_type="multipart/form-data")


GOOD_SRT = (
    b"1\n00:00:00,000 --> 00:00:02,000\nSelamat datang.\n\n"
    b"2\n00:00:02,500 --> 00:00:04,000\nMari belajar <b>paspor</b>.\n"
)
BAD_SRT = b"1\n00:00:00,000 --> 00:00:02,000\nSatu.\n\n2\n00:00:03 -> 00:00:04,000\nDua.\n"


@pytest.fixture
def watchable(app, client, auth, officer, make_lesson, upload_clips):
    """A ready video with Indonesian captions in a course; returns (lesson id, video id, officer id)."""

    def factory(is_published: bool = True):
        lesson_id = make_lesson(is_published=is_published)
        auth.sign_in(officer)
        assert upload(client, lesson_id, upload_clips["good"]).status_code == 302
        with app.app_context():
            video_id = db.session.scalars(db.select(Video.id)).one()
        data = {
            f"captions-{video_id}-language": "id",
            f"captions-{video_id}-captions": (io.BytesIO(GOOD_SRT), "teks.srt"),
        }
        assert client.post(f"/video/{video_id}/teks", data=data, content_type="multipart/form-data").status_code == 302
        auth.sign_out()
        return lesson_id, video_id

    return factory


def test_captions_are_stored_as_webvtt_with_a_transcript(app, client, watchable):
    _, video_id = watchable()
    vtt = client.get(f"/video/{video_id}/teks/id.vtt")
    assert vtt.status_code == 200 and vtt.mimetype == "text/vtt"
    body = vtt.get_data(as_text=True)
    assert body.startswith("WEBVTT") and "00:00:02.500 --> 00:00:04.000" in body and "<b>" not in body
    transcript = client.get(f"/video/{video_id}/transkrip/id.txt")
    assert transcript.mimetype == "text/plain" and "attachment" in transcript.headers["Content-Disposition"]
    assert transcript.get_data(as_text=True).strip() == "Selamat datang. Mari belajar paspor."


def test_a_malformed_caption_file_names_the_line(app, client, auth, officer, watchable):
    lesson_id, video_id = watchable()
    auth.sign_in(officer)
    data = {f"captions-{video_id}-language": "en", f"captions-{video_id}-captions": (io.BytesIO(BAD_SRT), "bad.srt")}
    response = client.post(f"/video/{video_id}/teks", data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Baris 6: waktunya tidak ditulis seperti" in response.get_data(as_text=True)
    data = {
        f"captions-{video_id}-language": "en",
        f"captions-{video_id}-captions": (io.BytesIO(b"00:01 halo"), "x.vtt"),
    }
    response = client.post(f"/video/{video_id}/teks", data=data, content_type="multipart/form-data")
    assert response.status_code == 422 and "Baris 1: berkas WebVTT harus diawali kata WEBVTT" in response.get_data(
        as_text=True
    )
    assert client.get(f"/video/{video_id}/teks/en.vtt").status_code == 404


def test_files_are_served_with_ranges_types_and_long_caching(client, watchable):
    _, video_id = watchable()
    whole = client.get(f"/video/{video_id}/berkas/download.mp4")
    assert whole.status_code == 200 and whole.mimetype == "video/mp4"
    assert whole.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert whole.headers["X-Content-Type-Options"] == "nosniff" and whole.headers["Accept-Ranges"] == "bytes"
    part = client.get(f"/video/{video_id}/berkas/download.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and len(part.data) == 100
    assert part.headers["Content-Range"] == f"bytes 100-199/{len(whole.data)}"
    assert part.data == whole.data[100:200]
    types = {
        "master.m3u8": "application/vnd.apple.mpegurl",
        "240p.m3u8": "application/vnd.apple.mpegurl",
        "240p_init.mp4": "video/mp4",
        "240p_00000.m4s": "video/iso.segment",
        "audio_00000.ts": "video/mp2t",
        "poster.jpg": "image/jpeg",
        "audio.m4a": "audio/mp4",
    }
    for name, mimetype in types.items():
        response = client.get(f"/video/{video_id}/berkas/{name}")
        assert response.status_code == 200 and response.mimetype == mimetype, name


def test_nothing_outside_the_whitelist_is_served(client, watchable):
    _, video_id = watchable()
    for name in ("..%2F..%2Fconfig.py", "original.mp4", "master.m3u8.bak", "%2Fetc%2Fpasswd", "captions", "..", "hls"):
        assert client.get(f"/video/{video_id}/berkas/{name}").status_code == 404, name


def test_an_unpublished_video_is_for_staff_only(client, auth, resident, officer, watchable):
    _, video_id = watchable(is_published=False)
    for path in ("berkas/master.m3u8", "berkas/download.mp4", "teks/id.vtt", "transkrip/id.txt"):
        assert client.get(f"/video/{video_id}/{path}").status_code == 404, path
    auth.sign_in(resident)
    assert client.get(f"/video/{video_id}/berkas/download.mp4").status_code == 404
    assert client.post(f"/video/{video_id}/posisi", json={"position": 3}).status_code == 404
    auth.sign_out()
    auth.sign_in(officer)
    response = client.get(f"/video/{video_id}/berkas/download.mp4")
    assert response.status_code == 200 and response.headers["Cache-Control"].startswith("private")


def test_position_is_saved_and_the_furthest_point_never_decreases(app, client, auth, resident, watchable):
    lesson_id, video_id = watchable()
    auth.sign_in(resident)
    assert client.post(f"/video/{video_id}/posisi", json={"position": 3.5, "duration": 5}).get_json() == {
        "position": 3.5,
        "furthest": 3.5,
    }
    assert client.post(f"/video/{video_id}/posisi", json={"position": 1.0}).get_json()["furthest"] == 3.5
    assert client.post(f"/video/{video_id}/posisi", json={"position": 999}).get_json()["furthest"] <= 5.1
    assert client.post(f"/video/{video_id}/posisi", data={"position": "2"}).get_json()["position"] == 2
    assert client.post(f"/video/{video_id}/posisi", json={"position": "nan"}).status_code == 422
    assert client.post(f"/video/{video_id}/posisi", json={"position": "x"}).status_code == 422
    with app.app_context():
        progress = db.session.scalars(db.select(LessonProgress)).one()
        assert progress.video_position_s == 2 and progress.video_furthest_s == pytest.approx(5, abs=0.1)
        from lms.courses.models import Lesson
        from lms.media.operations import player_context

        with app.test_request_context():
            from flask_login import login_user

            from lms.accounts.models import User

            login_user(db.session.get(User, resident))
            player = player_context(db.session.get(Lesson, lesson_id), db.session.get(User, resident))
            assert player.position_s == 2 and player.tracks[0][0] == "id"
            assert player.qualities[0].name == "240p" and player.qualities[-1].name == "audio"


def test_the_lesson_page_offers_the_video_without_javascript(client, auth, resident, watchable):
    _, video_id = watchable()
    auth.sign_in(resident)
    page = client.get("/kursus/kursus-video/pelajaran-video").get_data(as_text=True)
    assert '<video controls preload="none"' in page
    assert f'<source src="/video/{video_id}/berkas/download.mp4" type="video/mp4">' in page
    assert '<track kind="captions" srclang="id"' in page
    assert "Unduh video (" in page and " MB)" in page
    assert "Baca transkrip" in page and "Audio saja (hemat kuota)" in page
    assert "Kelola video" not in page


def test_a_lesson_page_with_a_video_still_needs_at_most_four_queries(app, client, auth, watchable, resident):
    from sqlalchemy import event

    watchable()
    auth.sign_in(resident)
    client.get("/kursus/kursus-video/pelajaran-video")  # the session's first-visit write is not part of the page
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/kursus/kursus-video/pelajaran-video")
    finally:
        with app.app_context():
            event.remove(db.engine, "before_cursor_execute", count)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<video" in page and 'kind="captions"' in page
    assert len(statements) <= 4, statements

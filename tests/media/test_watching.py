"""Residents watch ready videos: files with ranges and cache headers, captions, transcripts, saved position."""

import io
import time

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
        "audio_init.mp4": "video/mp4",
        "audio_00000.m4s": "video/iso.segment",
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
        from lms.media.watching import player_context

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


def count_queries(app, client, path: str) -> tuple[list[str], str]:
    """Load a page and return the SQL statements it ran, and the page."""
    from tests.sql import recorded_statements

    with recorded_statements(app) as statements:
        response = client.get(path)
    assert response.status_code == 200
    return statements, response.get_data(as_text=True)


def test_the_video_adds_no_query_to_the_lesson_page(app, client, auth, make_lesson, upload_clips, officer, resident):
    lesson_id = make_lesson()
    auth.sign_in(resident)
    client.get("/kursus/kursus-video/pelajaran-video")  # the session's first-visit write is not part of the page
    without, _ = count_queries(app, client, "/kursus/kursus-video/pelajaran-video")
    auth.sign_out()
    auth.sign_in(officer)
    assert upload(client, lesson_id, upload_clips["good"]).status_code == 302
    auth.sign_out()
    auth.sign_in(resident)
    client.get("/kursus/kursus-video/pelajaran-video")
    statements, page = count_queries(app, client, "/kursus/kursus-video/pelajaran-video")
    assert "<video" in page
    # The player reuses the page's lesson row and reading position; only the video row itself is read.
    assert len(statements) <= len(without) + 1, statements


# --- The furthest point grows no faster than the video can play ----------------------------------------


@pytest.fixture
def ten_minute_video(app, make_lesson):
    """A ready 10-minute video in a published lesson (the position endpoint reads only its row); returns its id."""
    from lms.media.models import READY

    lesson_id = make_lesson()
    with app.app_context():
        video = Video(lesson_id=lesson_id, status=READY, duration_s=600.0, width=320, height=240, fps=25.0)
        db.session.add(video)
        db.session.commit()
        return video.id


def report(client, video_id: int, position: float) -> dict:
    response = client.post(f"/video/{video_id}/posisi", json={"position": position})
    assert response.status_code == 200
    return response.get_json()


def seconds_pass(app, resident: int, seconds: float) -> None:
    """Move the learner's previous report back in time, as if the seconds had passed since."""
    from datetime import timedelta

    with app.app_context():
        progress = db.session.scalars(db.select(LessonProgress).where(LessonProgress.user_id == resident)).one()
        db.session.execute(
            db.update(LessonProgress)
            .where(LessonProgress.id == progress.id)
            .values(updated_dt=progress.updated_dt - timedelta(seconds=seconds))
        )
        db.session.commit()


def test_a_forged_jump_to_the_end_does_not_count_as_watched(app, client, auth, resident, ten_minute_video):
    from lms.media.watching import MAX_PLAYBACK_RATE, WATCH_SLACK_S

    auth.sign_in(resident)
    started = time.monotonic()
    answer = report(client, ten_minute_video, 600)
    assert answer["position"] == 600  # where to resume is where they are
    for _ in range(5):  # a burst of forged reports gains only what the clock allows, the head start once
        answer = report(client, ten_minute_video, 599)
    elapsed = time.monotonic() - started
    assert answer["furthest"] <= WATCH_SLACK_S + MAX_PLAYBACK_RATE * elapsed
    assert answer["furthest"] < 60


def test_after_a_wait_the_furthest_point_grows_by_at_most_twice_the_time(app, client, auth, resident, ten_minute_video):
    from lms.media.watching import MAX_PLAYBACK_RATE, WATCH_SLACK_S

    auth.sign_in(resident)
    first = report(client, ten_minute_video, 5)["furthest"]
    assert first == 5
    seconds_pass(app, resident, 30)
    started = time.monotonic()
    furthest = report(client, ten_minute_video, 600)["furthest"]
    took = time.monotonic() - started
    assert WATCH_SLACK_S + 30 * MAX_PLAYBACK_RATE <= furthest <= WATCH_SLACK_S + (30 + took) * MAX_PLAYBACK_RATE + 1
    assert furthest < 100


def test_someone_watching_normally_is_counted_in_full(app, client, auth, resident, ten_minute_video):
    auth.sign_in(resident)
    for position in range(10, 601, 10):  # a report every 10 s of play, 10 s of wall time apart
        answer = report(client, ten_minute_video, position)
        assert answer["furthest"] == position
        seconds_pass(app, resident, 10)


def test_double_speed_viewing_counts_and_faster_does_not(app, client, auth, resident, ten_minute_video):
    auth.sign_in(resident)
    report(client, ten_minute_video, 0.5)
    for position in range(20, 201, 20):
        seconds_pass(app, resident, 10)
        assert report(client, ten_minute_video, position)["furthest"] == position
    for position in range(240, 401, 40):  # 4x: 40 s of video every 10 s
        seconds_pass(app, resident, 10)
        report(client, ten_minute_video, position)
    with app.app_context():
        furthest = db.session.scalars(db.select(LessonProgress.video_furthest_s)).one()
    assert furthest < 400 - 50


def test_videos_converted_with_mpeg_ts_audio_still_play(app, client, watchable):
    """Audio segments were MPEG-TS before they moved to fMP4; those already converted stay served."""
    from pathlib import Path

    _, video_id = watchable()
    old_segment = Path(app.config["MEDIA_ROOT"]) / "videos" / str(video_id) / "hls" / "audio_00000.ts"
    old_segment.write_bytes(b"\x47" + bytes(187))
    response = client.get(f"/video/{video_id}/berkas/audio_00000.ts")
    assert response.status_code == 200 and response.mimetype == "video/mp2t"

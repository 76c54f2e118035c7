"""Officers delete a lesson video: rows, renditions and files go; watch progress on it stops counting."""

import io
import threading
import time
from pathlib import Path

import pytest

from lms.extensions import db
from lms.media.models import PROCESSING, CaptionTrack, Video
from lms.progress.models import CourseCompletion, LessonProgress

LESSON_PAGE = "/kursus/kursus-video/pelajaran-video"
SRT = b"1\n00:00:00,000 --> 00:00:02,000\nSelamat datang.\n"


def upload(client, lesson_id: int, path: Path):
    data = {"video": (io.BytesIO(path.read_bytes()), path.name)}
    return client.post(f"/video/pelajaran/{lesson_id}/unggah", data=data, content_type="multipart/form-data")


@pytest.fixture
def captioned_video(app, client, auth, officer, make_lesson, upload_clips):
    """A ready, captioned video in a published lesson, the officer signed in; returns (lesson id, video id)."""
    lesson_id = make_lesson()
    auth.sign_in(officer)
    assert upload(client, lesson_id, upload_clips["good"]).status_code == 302
    with app.app_context():
        video_id = db.session.scalars(db.select(Video.id)).one()
    data = {f"captions-{video_id}-language": "id", f"captions-{video_id}-captions": (io.BytesIO(SRT), "teks.srt")}
    assert client.post(f"/video/{video_id}/teks", data=data, content_type="multipart/form-data").status_code == 302
    return lesson_id, video_id


def test_an_officer_confirms_then_the_video_and_its_files_are_gone(app, client, captioned_video):
    lesson_id, video_id = captioned_video
    folder = Path(app.config["MEDIA_ROOT"]) / "videos" / str(video_id)
    assert (folder / "hls" / "master.m3u8").is_file()
    manage = client.get(f"/video/pelajaran/{lesson_id}").get_data(as_text=True)
    assert f'href="/video/pelajaran/{lesson_id}/hapus/{video_id}"' in manage and "Hapus video ini" in manage

    confirm = client.get(f"/video/pelajaran/{lesson_id}/hapus/{video_id}")
    assert confirm.status_code == 200
    page = confirm.get_data(as_text=True)
    assert "pelajaran.mp4" in page and "tidak bisa dibatalkan" in page and "Hapus video ini selamanya" in page
    assert "Warga sedang menonton video ini" in page
    with app.app_context():
        assert db.session.get(Video, video_id) is not None  # asking changes nothing

    response = client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}")

    assert response.status_code == 303
    assert "Video sudah dihapus." in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(Video)).all() == []
        assert db.session.scalars(db.select(CaptionTrack)).all() == []
    assert not folder.exists()
    for name in ("master.m3u8", "download.mp4", "240p_init.mp4"):
        assert client.get(f"/video/{video_id}/berkas/{name}").status_code == 404
    assert client.get(f"/video/{video_id}/teks/id.vtt").status_code == 404
    assert "<video" not in client.get(LESSON_PAGE).get_data(as_text=True)


def test_a_double_submit_deletes_once_and_says_so(app, client, captioned_video):
    lesson_id, video_id = captioned_video
    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 303

    again = client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}")

    assert again.status_code == 303
    assert "Video ini sudah dihapus sebelumnya." in client.get(again.headers["Location"]).get_data(as_text=True)
    assert client.get(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 404


def test_only_officers_of_the_course_may_delete(
    app, client, auth, captioned_video, officer, resident, create_user, make_lesson
):
    from lms.accounts.models import User
    from lms.regions.operations import ensure_office

    lesson_id, video_id = captioned_video
    other_lesson = make_lesson(slug="kursus-lain")
    # A video is deleted only through its own lesson.
    assert client.post(f"/video/pelajaran/{other_lesson}/hapus/{video_id}").status_code == 404
    auth.sign_out()
    auth.sign_in(resident)
    assert client.get(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 403
    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 403
    auth.sign_out()
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Lain", ["16.71"]).id
        db.session.commit()
    auth.sign_in(create_user("officer", office_id=other_office))
    with app.app_context():
        from lms.courses.models import Lesson

        course = db.session.get(Lesson, lesson_id).course
        course.office_id = db.session.get(User, officer).office_id  # the course belongs to the uploader's office
        db.session.commit()
    assert client.get(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 404
    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 404
    with app.app_context():
        assert db.session.get(Video, video_id) is not None


def test_watch_progress_on_a_deleted_video_no_longer_counts(
    app, client, auth, captioned_video, officer, resident, upload_clips, clips
):
    lesson_id, video_id = captioned_video
    auth.sign_out()
    auth.sign_in(resident)
    assert client.post(f"/video/{video_id}/posisi", json={"position": 4.9}).status_code == 200
    with app.app_context():
        assert db.session.scalars(db.select(LessonProgress.video_furthest_s)).one() == pytest.approx(4.9)
    auth.sign_out()
    auth.sign_in(officer)

    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 303

    with app.app_context():
        progress = db.session.scalars(db.select(LessonProgress)).one()
        assert (progress.video_furthest_s, progress.video_position_s) == (0.0, 0.0)
    # The lesson's next video starts from nothing: the old furthest point does not count for it.
    assert upload(client, lesson_id, clips["small"]).status_code == 302
    auth.sign_out()
    auth.sign_in(resident)
    assert 'data-position="0.0"' in client.get(LESSON_PAGE).get_data(as_text=True)


def test_deleting_the_video_completes_those_who_read_everything(app, client, auth, captioned_video, officer, resident):
    """The lesson no longer asks for a video: re-evaluating the course completes a learner who read it."""
    lesson_id, video_id = captioned_video
    auth.sign_out()
    auth.sign_in(resident)
    assert client.post("/kursus/kursus-video/pelajaran-video/dibaca").status_code in (302, 303)
    with app.app_context():
        assert db.session.scalars(db.select(CourseCompletion)).all() == []  # the video is not watched
    auth.sign_out()
    auth.sign_in(officer)

    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 303

    with app.app_context():
        assert db.session.scalars(db.select(CourseCompletion.user_id)).all() == [resident]


@pytest.fixture
def long_clip(tmp_path, ffmpeg_bin):
    """A 90-second clip: long enough to still be converting when it is deleted."""
    from tests.media.conftest import _generate

    return _generate(ffmpeg_bin, tmp_path / "panjang.mp4", "640x480", 90, audio=True)


def test_deleting_a_video_while_it_converts_stops_the_job(app, client, auth, officer, make_lesson, long_clip):
    from lms.accounts.models import User
    from lms.courses.models import Lesson
    from lms.media import operations
    from lms.media.jobs import run_transcode

    lesson_id = make_lesson()
    with app.app_context():
        lesson, user = db.session.get(Lesson, lesson_id), db.session.get(User, officer)
        with long_clip.open("rb") as stream:
            video = operations.receive_video(lesson, stream, long_clip.name, user, 10**9)
        db.session.commit()
        video_id, attempt = video.id, video.attempts
    folder = Path(app.config["MEDIA_ROOT"]) / "videos" / str(video_id)
    failures = []

    def job():
        with app.app_context():
            try:
                run_transcode(video_id, attempt)
            except BaseException as error:  # noqa: BLE001 - the test reports any crash of the job
                failures.append(error)
            finally:
                db.session.remove()

    worker = threading.Thread(target=job)
    worker.start()
    deadline = time.monotonic() + 60
    while True:
        with app.app_context():
            state = db.session.get(Video, video_id)
            if state.status == PROCESSING and state.progress_percent > 0:
                break
        assert time.monotonic() < deadline and worker.is_alive(), "the job never reported progress"
        time.sleep(0.1)
    auth.sign_in(officer)
    page = client.get(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").get_data(as_text=True)
    assert "Pengubahan video ini dihentikan." in page

    assert client.post(f"/video/pelajaran/{lesson_id}/hapus/{video_id}").status_code == 303
    stopped_at = time.monotonic()
    worker.join(60)

    assert not worker.is_alive() and failures == []
    assert time.monotonic() - stopped_at < 15  # stopped at its next progress report, not at the end
    assert not folder.exists()
    with app.app_context():
        assert db.session.get(Video, video_id) is None

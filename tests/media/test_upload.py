"""Officers upload a lesson video; it is probed, converted by the job, and its state is shown."""

import io
import stat
import time
from datetime import timedelta
from pathlib import Path

import pytest

from lms.clock import utcnow
from lms.extensions import db
from lms.media import operations
from lms.media.models import FAILED, PROCESSING, READY, Video


def upload(client, lesson_id: int, path: Path, name: str | None = None):
    data = {"video": (io.BytesIO(path.read_bytes()), name or path.name)}
    return client.post(f"/video/pelajaran/{lesson_id}/unggah", data=data, content_type="multipart/form-data")


def media_files(app) -> list[Path]:
    root = Path(app.config["MEDIA_ROOT"]) / "videos"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def ready_video(app, client, auth, officer, make_lesson, upload_clips):
    """Upload the good clip as an officer; the job runs at once in tests."""
    lesson_id = make_lesson()
    auth.sign_in(officer)
    response = upload(client, lesson_id, upload_clips["good"])
    assert response.status_code == 302
    with app.app_context():
        video = db.session.scalars(db.select(Video)).one()
        return lesson_id, video.id


def test_upload_converts_into_every_rendition(app, client, ready_video):
    lesson_id, video_id = ready_video
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == READY and video.progress_percent == 100 and video.attempts == 1
        assert video.width == 320 and video.height == 240 and video.has_audio
        names = [variant["name"] for variant in video.renditions["variants"]]
        assert names == ["240p", "audio"]
        assert all(variant["size_bytes"] > 0 for variant in video.renditions["variants"])
        folder = Path(app.config["MEDIA_ROOT"]) / video.folder
        assert (folder / video.original_path.rpartition("/")[2]).is_file()
        for name in ("master.m3u8", "240p.m3u8", "240p_init.mp4", "audio.m3u8", "download.mp4", "poster.jpg"):
            assert (folder / "hls" / name).stat().st_size > 0, name
        assert (folder / "mp4" / "audio.m4a").stat().st_size > 0
        assert not list(folder.glob(".*"))
    page = client.get(f"/video/pelajaran/{lesson_id}").get_data(as_text=True)
    assert "Siap" in page and "240p" in page


@pytest.mark.parametrize(
    ("clip", "message"),
    [
        ("empty", "Berkas ini kosong"),
        ("truncated", "Berkas ini tidak lengkap"),
        ("renamed", "Berkas ini bukan video"),
        ("audio_only", "hanya berisi suara"),
    ],
)
def test_a_bad_file_gets_a_clear_message_and_nothing_is_kept(
    app, client, auth, officer, make_lesson, upload_clips, clip, message
):
    lesson_id = make_lesson()
    auth.sign_in(officer)
    before = media_files(app)
    response = upload(client, lesson_id, upload_clips[clip])
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(db.select(Video)).all() == []
    assert media_files(app) == before


def test_a_file_over_the_limit_is_refused_while_streaming(app, client, auth, officer, make_lesson, upload_clips):
    lesson_id = make_lesson()
    auth.sign_in(officer)
    app.config["MAX_VIDEO_BYTES"] = 10_000
    before = media_files(app)
    try:
        response = upload(client, lesson_id, upload_clips["good"])
    finally:
        app.config["MAX_VIDEO_BYTES"] = 2 * 1024**3
    assert response.status_code in (413, 422)
    assert "lebih besar dari" in response.get_data(as_text=True)
    assert media_files(app) == before


def test_no_file_chosen_is_a_form_error(client, auth, officer, make_lesson):
    lesson_id = make_lesson()
    auth.sign_in(officer)
    response = client.post(f"/video/pelajaran/{lesson_id}/unggah", data={}, content_type="multipart/form-data")
    assert response.status_code == 422 and "Pilih berkas video" in response.get_data(as_text=True)


def test_residents_and_other_offices_cannot_upload(app, client, auth, resident, create_user, make_lesson, upload_clips):
    from lms.regions.operations import ensure_office

    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Lain", ["16.71"]).id
        db.session.commit()
    lesson_id = make_lesson(office_id=other_office)
    auth.sign_in(resident)
    assert upload(client, lesson_id, upload_clips["good"]).status_code == 403
    auth.sign_out()
    auth.sign_in(create_user("officer"))
    assert upload(client, lesson_id, upload_clips["good"]).status_code == 404


def test_status_endpoint_reports_progress(client, ready_video):
    _, video_id = ready_video
    state = client.get(f"/video/{video_id}/status").get_json()
    assert state["status"] == "ready" and state["percent"] == 100 and state["status_text"] == "Siap"


@pytest.fixture
def stalling_ffmpeg(tmp_path):
    """An ffmpeg that answers -version, then hangs without printing progress."""
    script = tmp_path / "ffmpeg"
    script.write_text(
        '#!/bin/sh\ncase "$*" in *-version*) echo "ffmpeg version 0-hang"; exit 0;; esac\nexec sleep 30\n'
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_a_stalled_conversion_fails_with_a_retry_and_serves_nothing(
    app, client, auth, officer, make_lesson, upload_clips, stalling_ffmpeg
):
    lesson_id = make_lesson()
    auth.sign_in(officer)
    app.config.update(FFMPEG_BINARY=stalling_ffmpeg, VIDEO_STALL_S=1.0)
    try:
        upload(client, lesson_id, upload_clips["good"])
    finally:
        app.config.update(FFMPEG_BINARY="", VIDEO_STALL_S=120.0)
    with app.app_context():
        video = db.session.scalars(db.select(Video)).one()
        assert video.status == FAILED and video.failure_reason == "timeout"
        folder = Path(app.config["MEDIA_ROOT"]) / video.folder
        assert sorted(p.name for p in folder.iterdir()) == ["original.mp4"]
        video_id = video.id
    page = client.get(f"/video/pelajaran/{lesson_id}").get_data(as_text=True)
    assert "terlalu lama" in page and "Coba ubah lagi" in page
    for name in ("master.m3u8", "download.mp4", "240p.m3u8"):
        assert client.get(f"/video/{video_id}/berkas/{name}").status_code == 404
    # Retrying with a working ffmpeg converts it.
    response = client.post(f"/video/{video_id}/ulangi")
    assert response.status_code == 302
    with app.app_context():
        video = db.session.get(Video, video_id)
        assert video.status == READY and video.attempts == 2 and video.failure_reason is None
    assert client.get(f"/video/{video_id}/berkas/master.m3u8").status_code == 200


def test_a_video_whose_worker_died_is_queued_again_then_failed(app, ready_video):
    _, video_id = ready_video
    with app.app_context():
        video = db.session.get(Video, video_id)
        video.status, video.heartbeat_dt = PROCESSING, utcnow() - timedelta(minutes=10)
        db.session.commit()
        requeued = operations.requeue_stalled_videos()
        db.session.commit()
        assert [v.id for v in requeued] == [video_id] and video.attempts == 2
        operations.start_transcode(video)
        db.session.expire_all()
        assert db.session.get(Video, video_id).status == READY
        video = db.session.get(Video, video_id)
        video.status, video.heartbeat_dt, video.attempts = PROCESSING, utcnow() - timedelta(minutes=10), 3
        db.session.commit()
        assert operations.requeue_stalled_videos() == []
        assert video.status == FAILED and video.failure_reason == "worker_lost"
        db.session.rollback()


def test_the_periodic_sweep_is_scheduled_and_revives_a_video_whose_worker_died(app, ready_video):
    from lms.jobs import huey
    from lms.media.jobs import revive_stalled_videos

    assert revive_stalled_videos.task_class in huey._registry._periodic_tasks
    _, video_id = ready_video
    with app.app_context():
        video = db.session.get(Video, video_id)
        video.status, video.heartbeat_dt = PROCESSING, utcnow() - timedelta(minutes=10)
        db.session.commit()

    revive_stalled_videos.call_local()  # as the worker's scheduler runs it, outside any request

    with app.app_context():
        video = db.session.get(Video, video_id)
        assert (video.status, video.attempts) == (READY, 2)


# --- The same file twice ---------------------------------------------------------------------------------


def test_the_same_file_again_makes_no_second_video_and_says_so(app, client, ready_video, upload_clips):
    lesson_id, video_id = ready_video
    files_before = media_files(app)

    response = upload(client, lesson_id, upload_clips["good"], name="salinan.mp4")

    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pelajaran ini sudah punya berkas ini, sebagai “pelajaran.mp4”. Berkas tidak ditambahkan lagi." in page
    with app.app_context():
        (video,) = db.session.scalars(db.select(Video)).all()
        assert video.id == video_id and video.attempts == 1  # no second transcoding job either
    assert media_files(app) == files_before


def test_the_same_file_may_go_to_another_lesson(app, client, ready_video, make_lesson, upload_clips):
    other_lesson = make_lesson(slug="kursus-lain")
    assert upload(client, other_lesson, upload_clips["good"]).status_code == 302
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Video)) == 2


def test_a_double_submit_in_flight_makes_one_video(app, officer, make_lesson, upload_clips):
    """Two requests with the same file: the second finishes streaming while the first is not yet committed."""
    import threading

    from lms.accounts.models import User
    from lms.courses.models import Lesson

    lesson_id = make_lesson()
    first_flushed, outcome = threading.Event(), {}

    def second_request():
        with app.app_context():
            first_flushed.wait(10)
            lesson, user = db.session.get(Lesson, lesson_id), db.session.get(User, officer)
            try:
                with upload_clips["good"].open("rb") as stream:
                    operations.receive_video(lesson, stream, "lagi.mp4", user, 10**9)
                db.session.commit()
                outcome["second"] = "stored"
            except operations.DuplicateUpload as duplicate:
                db.session.rollback()
                outcome["second"] = ("duplicate", duplicate.video.id)

    thread = threading.Thread(target=second_request)
    thread.start()
    with app.app_context():
        lesson, user = db.session.get(Lesson, lesson_id), db.session.get(User, officer)
        with upload_clips["good"].open("rb") as stream:
            first = operations.receive_video(lesson, stream, "pelajaran.mp4", user, 10**9)
        first_flushed.set()
        time.sleep(0.5)  # the second request reaches its insert and waits for this transaction
        db.session.commit()
        first_id = first.id
    thread.join(30)

    assert outcome["second"] == ("duplicate", first_id)
    with app.app_context():
        assert db.session.scalars(db.select(Video.id)).all() == [first_id]
    assert not [path for path in media_files(app) if ".incoming-" in str(path)]

"""Video rules: receiving an upload, queueing and reaping transcodes, deleting, captions."""

from __future__ import annotations

import hashlib
import re
import secrets
import shutil
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import IO

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from lms.access import ADMIN, STAFF
from lms.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.media.captions import CaptionError, parse_captions, to_transcript, to_webvtt
from lms.media.models import FAILED, PROCESSING, READY, UPLOADED, CaptionTrack, Video
from lms.media.probe import ProbeError, find_ffmpeg, probe

#: Bytes read from an upload at a time: the file is never held in memory whole.
CHUNK_BYTES = 1024 * 1024
#: Extensions kept on the stored original (cosmetic: the probe decides what the file is).
VIDEO_EXTENSIONS = frozenset(
    {"mp4", "m4v", "mov", "mkv", "webm", "avi", "mpg", "mpeg", "ts", "flv", "wmv", "3gp", "ogv"}
)
#: Transcoding attempts, the first included, before a video whose worker keeps dying is failed.
MAX_ATTEMPTS = 3
#: A processing video whose job has not reported for this long lost its worker.
STALE_AFTER = timedelta(minutes=5)
#: Files a ready video serves from its hls/ and mp4/ folders; nothing else can be named. Videos converted
#: before audio moved to fMP4 still have MPEG-TS audio segments (audio_00000.ts).
SERVED_FILE = re.compile(
    r"^(?:master\.m3u8|(?:\d{2,4}p|audio)(?:\.m3u8|_init\.mp4|_\d{5}\.m4s)|audio_\d{5}\.ts"
    r"|download\.mp4|poster\.jpg|thumbnail\.jpg|\d{2,4}p\.mp4|audio\.m4a)$"
)
#: Progressive files remuxed beside the HLS ladder, for browsers without native HLS.
PROGRESSIVE = re.compile(r"^(?:\d{2,4}p\.mp4|audio\.m4a)$")
LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


class UploadRejected(Exception):
    """Refuse an upload with a reason code the page translates (the probe's, or file_too_big)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class DuplicateUpload(Exception):
    """Refuse a file the lesson already has (the same bytes), naming the video that holds it."""

    def __init__(self, video: Video) -> None:
        super().__init__(video.id)
        self.video = video


def media_root() -> Path:
    """Return the folder media files live under."""
    return Path(current_app.config["MEDIA_ROOT"])


def ffmpeg_binary() -> str:
    """Return the configured ffmpeg, else the system one, else imageio-ffmpeg's."""
    return current_app.config.get("FFMPEG_BINARY") or find_ffmpeg()


def can_manage(user, course: Course) -> bool:
    """Tell whether a user may upload and caption videos of a course: admins, and officers of its office."""
    if not user.is_authenticated or user.role not in STAFF:
        return False
    return user.role == ADMIN or course.office_id is None or course.office_id == user.office_id


def may_watch(user, video: Video) -> bool:
    """Tell whether a user may watch a video: ready, and in a published course unless they are staff."""
    if video.status != READY:
        return False
    course = db.session.get(Lesson, video.lesson_id).course
    return course.is_published or (user.is_authenticated and user.role in STAFF)


def is_public(video: Video) -> bool:
    """Tell whether a video belongs to a published course (its files may then sit in shared caches)."""
    return db.session.get(Lesson, video.lesson_id).course.is_published


# --- Upload ------------------------------------------------------------------------------------------


def receive_video(lesson: Lesson, stream: IO[bytes], filename: str, user, max_bytes: int) -> Video:
    """Store an uploaded video chunk by chunk, probe it, and record it; a rejected file leaves nothing behind.

    The same file again on the same lesson (a second upload, or a double submit still in flight) raises
    DuplicateUpload: one video, one transcoding job.
    """
    extension = Path(filename or "").suffix.lower().lstrip(".")
    extension = extension if extension in VIDEO_EXTENSIONS else "video"
    incoming = media_root() / "videos" / f".incoming-{secrets.token_hex(8)}"
    incoming.mkdir(parents=True)
    try:
        original = incoming / f"original.{extension}"
        written = 0
        digest = hashlib.sha256()
        with original.open("wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRejected("file_too_big")
                digest.update(chunk)
                out.write(chunk)
        sha256 = digest.hexdigest()
        _refuse_duplicate(lesson.id, sha256)
        try:
            info = probe(original)
        except ProbeError as error:
            raise UploadRejected(error.reason) from None
        video = Video(
            lesson_id=lesson.id,
            status=UPLOADED,
            original_filename=Path(filename or "").name[:200],
            duration_s=info.duration_s,
            width=info.width,
            height=info.height,
            fps=info.fps,
            has_audio=info.has_audio,
            video_codec=info.video_codec,
            size_bytes=info.size_bytes,
            sha256=sha256,
            uploaded_by_id=user.id,
        )
        try:
            with db.session.begin_nested():
                db.session.add(video)
        except IntegrityError:
            # The same file arrived in a request that committed while this one was streaming.
            _refuse_duplicate(lesson.id, sha256)
            raise
        video.original_path = f"{video.folder}/original.{extension}"
        folder = media_root() / video.folder
        shutil.rmtree(folder, ignore_errors=True)  # a leftover of a rolled-back upload with the same id
        incoming.rename(folder)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    queue_transcode(video)
    return video


def _refuse_duplicate(lesson_id: int, sha256: str) -> None:
    existing = db.session.scalar(select(Video).where(Video.lesson_id == lesson_id, Video.sha256 == sha256))
    if existing is not None:
        raise DuplicateUpload(existing)


def queue_transcode(video: Video) -> None:
    """Mark a video as waiting for a new transcoding attempt; the caller commits, then calls start_transcode."""
    video.attempts += 1
    video.status = UPLOADED
    video.progress_percent = 0.0
    video.seconds_left = None
    video.failure_reason = None
    video.failure_detail = None
    video.heartbeat_dt = None
    db.session.flush()


def start_transcode(video: Video) -> None:
    """Hand a committed, queued video to the background job."""
    from lms.media.jobs import transcode_video

    transcode_video(video.id, video.attempts)


def retry_video(video: Video) -> bool:
    """Queue a failed video again; False (and nothing changes) when it has not failed."""
    if video.status != FAILED:
        return False
    queue_transcode(video)
    return True


def find_stalled_videos() -> list[Video]:
    """Return the videos whose transcoding job stopped reporting (its worker died)."""
    cutoff = utcnow() - STALE_AFTER
    query = select(Video).where(Video.status == PROCESSING, Video.heartbeat_dt < cutoff)
    return list(db.session.scalars(query))


def requeue_stalled_videos() -> list[Video]:
    """Queue stalled videos again, failing those that used up their attempts; return the requeued ones."""
    requeued = []
    for video in find_stalled_videos():
        if video.attempts >= MAX_ATTEMPTS:
            video.status = FAILED
            video.failure_reason = "worker_lost"
            video.failure_detail = f"no sign of life after {video.attempts} attempts"
        else:
            queue_transcode(video)
            requeued.append(video)
    db.session.flush()
    return requeued


def lesson_videos(lesson: Lesson) -> list[Video]:
    """Return a lesson's videos, newest first."""
    return list(db.session.scalars(select(Video).where(Video.lesson_id == lesson.id).order_by(Video.id.desc())))


def current_video(lesson_id: int) -> Video | None:
    """Return the newest ready video of a lesson, with its captions: the one residents watch."""
    query = (
        select(Video)
        .where(Video.lesson_id == lesson_id, Video.status == READY)
        .order_by(Video.id.desc())
        .options(joinedload(Video.captions))
    )
    return db.session.scalars(query.limit(1)).unique().first()


def status_of(video: Video) -> dict:
    """Describe a video's transcoding state for the status endpoint."""
    return {
        "id": video.id,
        "status": video.status,
        "percent": round(video.progress_percent, 1),
        "seconds_left": None if video.seconds_left is None else round(video.seconds_left),
        "failure_reason": video.failure_reason,
    }


# --- Deleting ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeletedVideo:
    """What remains to do once a video's deletion is committed."""

    folder: Path
    course_id: int


def delete_video(video: Video) -> DeletedVideo:
    """Remove a video and its captions; if residents were watching it, their progress on it stops counting.

    A transcoding job still running for it notices at its next progress report and stops.
    """
    from lms.progress.models import LessonProgress

    current = current_video(video.lesson_id)
    if current is not None and current.id == video.id:
        # Progress is kept per lesson; the furthest point watched belonged to this video, not to the next one.
        db.session.execute(
            update(LessonProgress)
            .where(LessonProgress.lesson_id == video.lesson_id)
            .values(video_position_s=0.0, video_furthest_s=0.0)
        )
    deleted = DeletedVideo(media_root() / video.folder, db.session.get(Lesson, video.lesson_id).course_id)
    db.session.delete(video)
    db.session.flush()
    return deleted


def discard_video_files(deleted: DeletedVideo) -> None:
    """After the deletion is committed: remove the video's files and check its course's completions again."""
    from lms.progress.completion import reevaluate_course_later

    shutil.rmtree(deleted.folder, ignore_errors=True)
    reevaluate_course_later(deleted.course_id)


# --- Captions ----------------------------------------------------------------------------------------


def save_captions(video: Video, language: str, data: bytes, filename: str) -> CaptionTrack:
    """Store WebVTT or SRT captions for a language as WebVTT plus the transcript; raise CaptionError if malformed."""
    if not LANGUAGE_TAG.match(language):
        raise ValueError(f"bad language tag {language!r}")
    cues = parse_captions(data, filename)
    if not cues:
        raise CaptionError(None, "empty")
    relative = f"{video.folder}/captions/{language}.vtt"
    path = media_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(to_webvtt(cues), encoding="utf-8")
    partial.replace(path)
    track = next((t for t in video.captions if t.language == language), None)
    if track is None:
        track = CaptionTrack(video=video, language=language, vtt_path=relative)
        db.session.add(track)
    track.transcript = to_transcript(cues)
    track.updated_dt = utcnow()
    db.session.flush()
    return track

"""Video rules: receiving an upload, queueing and reaping transcodes, captions, and what the player shows."""

from __future__ import annotations

import re
import secrets
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import IO

from flask import current_app, url_for
from flask_babel import get_locale
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.access import ADMIN, STAFF
from lms.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db
from lms.media.captions import CaptionError, parse_captions, to_transcript, to_webvtt
from lms.media.models import FAILED, PROCESSING, READY, UPLOADED, CaptionTrack, Video
from lms.media.probe import ProbeError, find_ffmpeg, probe
from lms.media.transcode import DOWNLOAD, MASTER, POSTER

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
#: Files a ready video serves from its hls/ and mp4/ folders; nothing else can be named.
SERVED_FILE = re.compile(
    r"^(?:master\.m3u8|(?:\d{2,4}p|audio)\.m3u8|\d{2,4}p_init\.mp4|\d{2,4}p_\d{5}\.m4s|audio_\d{5}\.ts"
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
    """Store an uploaded video chunk by chunk, probe it, and record it; a rejected file leaves nothing behind."""
    extension = Path(filename or "").suffix.lower().lstrip(".")
    extension = extension if extension in VIDEO_EXTENSIONS else "video"
    incoming = media_root() / "videos" / f".incoming-{secrets.token_hex(8)}"
    incoming.mkdir(parents=True)
    try:
        original = incoming / f"original.{extension}"
        written = 0
        with original.open("wb") as out:
            while chunk := stream.read(CHUNK_BYTES):
                written += len(chunk)
                if written > max_bytes:
                    raise UploadRejected("file_too_big")
                out.write(chunk)
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
            uploaded_by_id=user.id,
        )
        db.session.add(video)
        db.session.flush()
        video.original_path = f"{video.folder}/original.{extension}"
        folder = media_root() / video.folder
        shutil.rmtree(folder, ignore_errors=True)  # a leftover of a rolled-back upload with the same id
        incoming.rename(folder)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    queue_transcode(video)
    return video


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


# --- What residents see ------------------------------------------------------------------------------


@dataclass
class Quality:
    """One choice of the quality switch."""

    name: str
    label: str
    hls: str
    progressive: str


@dataclass
class Player:
    """Everything the player partial shows for one lesson video."""

    video: Video
    poster: str
    download_url: str
    download_mb: float
    master: str
    qualities: list[Quality]
    #: (language, name, url, is_default) per caption track.
    tracks: list[tuple[str, str, str, bool]]
    transcript: CaptionTrack | None
    transcript_url: str | None
    position_s: float = 0.0
    position_url: str | None = None
    manage_url: str | None = None
    extra: dict = field(default_factory=dict)


def player_context(lesson, user) -> Player | dict | None:
    """Return the player for a lesson (a Lesson or the lesson page's entry), or None when it has no video to show."""
    from flask_babel import gettext as _

    from lms.i18n import language_name

    # The lesson page's entry carries the lesson row and the reader's position: no queries of our own for them.
    lesson_row = getattr(lesson, "lesson", None) or db.session.get(Lesson, lesson.id)
    if lesson_row is None:
        return None
    manage_url = url_for("media.manage", lesson_id=lesson_row.id) if can_manage(user, lesson_row.course) else None
    video = current_video(lesson_row.id)
    if video is None or not may_watch(user, video):
        return {"manage_url": manage_url} if manage_url else None

    def file_url(name: str) -> str:
        return url_for("media.file", video_id=video.id, name=name)

    renditions = video.renditions or {}
    variants = renditions.get("variants", [])
    progressive = renditions.get("progressive", {})
    download_bytes = renditions.get("files", {}).get(DOWNLOAD, 0)
    download_name = renditions.get("download_rendition")
    qualities = []
    for variant in variants:
        name = variant["name"]
        if variant["is_audio_only"]:
            label = _("Audio only (saves data)")
        else:
            label = name
        mp4 = DOWNLOAD if name == download_name else progressive.get(name)
        if mp4:
            qualities.append(Quality(name, label, file_url(f"{name}.m3u8"), file_url(mp4)))
    tracks = []
    wanted = str(get_locale())
    reader_language = getattr(user, "language", None) if user.is_authenticated else None
    order = [tag for tag in (reader_language, wanted, "id", "en") if tag]
    captions = sorted(video.captions, key=lambda t: order.index(t.language) if t.language in order else len(order))
    for index, track in enumerate(captions):
        stamp = int(track.updated_dt.timestamp())
        url = url_for("media.track", video_id=video.id, language=track.language, v=stamp)
        tracks.append((track.language, language_name(track.language), url, index == 0))
    transcript = captions[0] if captions else None
    player = Player(
        video=video,
        poster=file_url(POSTER),
        download_url=file_url(DOWNLOAD),
        download_mb=round(download_bytes / 1_000_000, 1),
        master=file_url(MASTER),
        qualities=qualities,
        tracks=tracks,
        transcript=transcript,
        transcript_url=url_for("media.transcript", video_id=video.id, language=transcript.language)
        if transcript
        else None,
        manage_url=manage_url,
    )
    if user.is_authenticated:
        if hasattr(lesson, "video_position_s"):
            player.position_s = lesson.video_position_s
        else:
            from lms.progress.models import LessonProgress

            progress = db.session.scalar(
                select(LessonProgress).where(
                    LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson_row.id
                )
            )
            player.position_s = progress.video_position_s if progress else 0.0
        player.position_url = url_for("media.position", video_id=video.id)
    return player

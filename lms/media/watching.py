"""What residents see and report: the player of a lesson's video, and where they are in it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for
from flask_babel import get_locale
from sqlalchemy import select

from lms.clock import utcnow
from lms.courses.models import Lesson
from lms.extensions import db
from lms.media.ladder import DOWNLOAD, MASTER, POSTER
from lms.media.models import CaptionTrack, Video
from lms.media.operations import can_manage, current_video, may_watch

#: The fastest playback rate the player offers; the furthest point watched grows no faster than this.
MAX_PLAYBACK_RATE = 2.0
#: Seconds of video counted without waiting, for a first report sent late; it does not add up over reports.
WATCH_SLACK_S = 10.0


def record_watching(user, video: Video, position_s: float):
    """Record where a learner is in a video; the furthest point grows at most as fast as the video can play.

    The furthest point may grow by the time since this learner's lesson record last changed (their previous
    report) times the fastest playback rate: a forged jump to the end does not count as watched.
    """
    from lms.progress.operations import get_lesson_progress, record_video_position

    lesson = db.session.get(Lesson, video.lesson_id)
    position_s = max(0.0, min(position_s, video.duration_s))
    progress = get_lesson_progress(user, lesson)
    elapsed_s = max(0.0, (utcnow() - progress.updated_dt).total_seconds())
    reachable_s = max(progress.video_furthest_s, WATCH_SLACK_S) + elapsed_s * MAX_PLAYBACK_RATE
    record_video_position(user, lesson, min(position_s, reachable_s), video.duration_s)
    if progress.video_position_s != position_s:
        # The place to resume from is where they are, even after skipping ahead.
        progress.video_position_s = position_s
        db.session.flush()
    return progress


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
    max_rate: float = MAX_PLAYBACK_RATE


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

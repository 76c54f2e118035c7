"""What residents see and report: the player of a lesson's video, and where they are in it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import has_request_context, request, url_for
from flask_babel import get_locale
from sqlalchemy import select

from lms.clock import utcnow
from lms.core.versions import VersionedCache, watch
from lms.courses.models import Lesson
from lms.extensions import db
from lms.media.ladder import DOWNLOAD, MASTER, POSTER
from lms.media.models import READY, CaptionTrack, Video
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


#: The player of each lesson's video as every reader sees it, kept per worker while no video or caption changes:
#: every request checks the stamp, so an upload made ready, a deletion or new captions show on the very next page.
MEDIA = "media"
watch(MEDIA, Video, CaptionTrack)
_cache = VersionedCache(MEDIA)


@dataclass
class Quality:
    """One choice of the quality switch."""

    name: str
    label: str
    hls: str
    progressive: str


@dataclass(frozen=True)
class ShownVideo:
    """What the player shows of a ready video; kept between requests in place of the row."""

    id: int
    lesson_id: int
    duration_s: float
    width: int
    height: int
    status: str = READY


@dataclass(frozen=True)
class Caption:
    """A caption track as the player offers it, with its transcript cut into paragraphs once."""

    language: str
    url: str
    paragraphs: tuple[str, ...]
    transcript_url: str


@dataclass(frozen=True)
class _PlayerShape:
    """A lesson's player without anything of the reader's: kept between requests, never changed."""

    video: ShownVideo
    poster: str
    download_url: str
    download_mb: float
    master: str
    #: (name, is audio only, HLS playlist, progressive file) per rendition the switch offers.
    qualities: tuple[tuple[str, bool, str, str], ...]
    captions: tuple[Caption, ...]


@dataclass
class Player:
    """Everything the player partial shows for one lesson video."""

    video: ShownVideo
    poster: str
    download_url: str
    download_mb: float
    master: str
    qualities: list[Quality]
    #: (language, name, url, is_default) per caption track.
    tracks: list[tuple[str, str, str, bool]]
    transcript: Caption | None
    position_s: float = 0.0
    position_url: str | None = None
    manage_url: str | None = None
    max_rate: float = MAX_PLAYBACK_RATE


def _player_shape(lesson_id: int) -> _PlayerShape | None:
    """Build the reader-independent part of a lesson's player (one query), or None when no video is ready."""
    video = current_video(lesson_id)
    if video is None:
        return None

    def file_url(name: str) -> str:
        return url_for("media.file", video_id=video.id, name=name)

    renditions = video.renditions or {}
    progressive = renditions.get("progressive", {})
    download_name = renditions.get("download_rendition")
    qualities = []
    for variant in renditions.get("variants", []):
        name = variant["name"]
        mp4 = DOWNLOAD if name == download_name else progressive.get(name)
        if mp4:
            qualities.append((name, bool(variant["is_audio_only"]), file_url(f"{name}.m3u8"), file_url(mp4)))
    captions = tuple(
        Caption(
            language=track.language,
            url=url_for("media.track", video_id=video.id, language=track.language, v=int(track.updated_dt.timestamp())),
            paragraphs=tuple(paragraph for paragraph in track.transcript.split("\n\n") if paragraph.strip()),
            transcript_url=url_for("media.transcript", video_id=video.id, language=track.language),
        )
        for track in video.captions
    )
    return _PlayerShape(
        video=ShownVideo(video.id, video.lesson_id, video.duration_s, video.width, video.height),
        poster=file_url(POSTER),
        download_url=file_url(DOWNLOAD),
        download_mb=round(renditions.get("files", {}).get(DOWNLOAD, 0) / 1_000_000, 1),
        master=file_url(MASTER),
        qualities=tuple(qualities),
        captions=captions,
    )


def player_context(lesson, user) -> Player | dict | None:
    """Return the player for a lesson (a Lesson or the lesson page's entry), or None when it has no video to show."""
    from flask_babel import gettext as _

    from lms.i18n import language_name

    # The lesson page's entry carries the lesson row and the reader's position: no queries of our own for them.
    lesson_row = getattr(lesson, "lesson", None) or db.session.get(Lesson, lesson.id)
    if lesson_row is None:
        return None
    manage_url = url_for("media.manage", lesson_id=lesson_row.id) if can_manage(user, lesson_row.course) else None
    key = (lesson_row.id, request.script_root if has_request_context() else "")
    shape = _cache.get(key, lambda: _player_shape(lesson_row.id))
    if shape is None or not may_watch(user, shape.video):
        return {"manage_url": manage_url} if manage_url else None
    audio_label = _("Audio only (saves data)")
    qualities = [
        Quality(name, audio_label if is_audio_only else name, hls, mp4)
        for name, is_audio_only, hls, mp4 in shape.qualities
    ]
    wanted = str(get_locale())
    reader_language = getattr(user, "language", None) if user.is_authenticated else None
    order = [tag for tag in (reader_language, wanted, "id", "en") if tag]
    captions = sorted(shape.captions, key=lambda t: order.index(t.language) if t.language in order else len(order))
    tracks = [
        (track.language, language_name(track.language), track.url, index == 0) for index, track in enumerate(captions)
    ]
    player = Player(
        video=shape.video,
        poster=shape.poster,
        download_url=shape.download_url,
        download_mb=shape.download_mb,
        master=shape.master,
        qualities=qualities,
        tracks=tracks,
        transcript=captions[0] if captions else None,
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
        player.position_url = url_for("media.position", video_id=shape.video.id)
    return player

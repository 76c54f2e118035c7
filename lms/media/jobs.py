"""Background work on videos: the transcoding job and the periodic task that revives jobs whose worker died."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

from huey import crontab
from sqlalchemy import update

from lms.clock import utcnow
from lms.core.stored_pages import NOBODY
from lms.extensions import db
from lms.jobs import job, periodic_job
from lms.media.ffmpeg_process import TranscodeError
from lms.media.ladder import DOWNLOAD, POSTER, THUMBNAIL, download_rendition
from lms.media.models import FAILED, PROCESSING, READY, UPLOADED, Video
from lms.media.probe import VideoInfo
from lms.media.transcode import TranscodeResult, transcode

#: Seconds between two progress writes to the database.
PROGRESS_WRITE_S = 2.0
#: Defaults for the transcode limits; the app config may set VIDEO_TRANSCODE_TIMEOUT_S, VIDEO_STALL_S, VIDEO_PRESET.
TIMEOUT_S = 4 * 60 * 60
REMUX_TIMEOUT_S = 600
#: The reason a run stops when its video was deleted or queued again meanwhile.
CANCELLED = "cancelled"


@job(retries=2, retry_delay=30)
def transcode_video(video_id: int, attempt: int) -> None:
    """Transcode one attempt of a video; a stale attempt (superseded by a newer one) does nothing."""
    run_transcode(video_id, attempt)


@periodic_job(crontab(minute="*"))
def revive_stalled_videos() -> None:
    """Queue again the videos whose worker died mid-transcode."""
    from lms.media.operations import requeue_stalled_videos, start_transcode

    requeued = requeue_stalled_videos()
    db.session.commit()
    for video in requeued:
        start_transcode(video)


def run_transcode(video_id: int, attempt: int) -> None:
    """Claim a queued video, write its ladder with progress on the row, then mark it ready or failed."""
    from flask import current_app

    from lms.media.operations import ffmpeg_binary, media_root

    video = db.session.get(Video, video_id)
    if video is None or video.attempts != attempt or video.status not in (UPLOADED, PROCESSING):
        return
    folder = media_root() / video.folder
    original = folder / Path(video.original_path).name
    info = VideoInfo(
        duration_s=video.duration_s,
        width=video.width,
        height=video.height,
        fps=video.fps,
        has_audio=video.has_audio,
        video_codec=video.video_codec,
        size_bytes=video.size_bytes,
    )
    # Claimed with a conditional update: the video may have been deleted or queued again since it was read.
    claimed = db.session.execute(
        update(Video)
        .where(Video.id == video_id, Video.attempts == attempt, Video.status.in_((UPLOADED, PROCESSING)))
        .values(status=PROCESSING, heartbeat_dt=utcnow())
        .execution_options(**NOBODY)
    )
    db.session.commit()
    if claimed.rowcount == 0:
        return

    out_dir = folder / "hls"
    progressive_dir = folder / "mp4"
    # A worker that died may have left a finished folder not yet recorded, or a hidden partial one.
    for leftover in [out_dir, progressive_dir, *folder.glob(".hls.*.partial")]:
        shutil.rmtree(leftover, ignore_errors=True)
    last_write = [0.0]

    def on_progress(percent: float, seconds_left: float | None) -> None:
        now = time.monotonic()
        if now - last_write[0] < PROGRESS_WRITE_S:
            return
        last_write[0] = now
        written = db.session.execute(
            update(Video)
            .where(Video.id == video_id, Video.attempts == attempt)
            .values(progress_percent=percent, seconds_left=seconds_left, heartbeat_dt=utcnow())
            .execution_options(**NOBODY)
        )
        db.session.commit()
        if written.rowcount == 0:
            # Raised inside the ffmpeg run, which then kills ffmpeg and removes its partial output.
            raise TranscodeError(CANCELLED, "the video was deleted or queued again")

    config = current_app.config
    ffmpeg_bin = ffmpeg_binary()
    try:
        result = transcode(
            original,
            out_dir,
            info,
            ffmpeg_bin=ffmpeg_bin,
            on_progress=on_progress,
            timeout_s=config.get("VIDEO_TRANSCODE_TIMEOUT_S", TIMEOUT_S),
            stall_s=config.get("VIDEO_STALL_S", 120.0),
            preset=config.get("VIDEO_PRESET", "veryfast"),
        )
        progressive = remux_progressive(result, progressive_dir, ffmpeg_bin)
        renditions = describe(result, progressive)
    except (TranscodeError, OSError) as error:
        if _is_deleted(video_id):
            # Deleted while converting: whatever this run wrote goes with it.
            shutil.rmtree(folder, ignore_errors=True)
            return
        if isinstance(error, OSError):
            raise
        if error.reason == CANCELLED:
            return  # queued again: the newer attempt owns the folders now
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(progressive_dir, ignore_errors=True)
        _finish(video_id, attempt, status=FAILED, failure_reason=error.reason, failure_detail=error.detail[:1000])
        return
    if not _finish(video_id, attempt, status=READY, progress_percent=100.0, seconds_left=0.0, renditions=renditions):
        if _is_deleted(video_id):
            shutil.rmtree(folder, ignore_errors=True)


def _is_deleted(video_id: int) -> bool:
    db.session.rollback()
    return db.session.get(Video, video_id) is None


def _finish(video_id: int, attempt: int, **values) -> bool:
    """Record the outcome of an attempt; False when the video was deleted or queued again meanwhile."""
    db.session.rollback()
    video = db.session.get(Video, video_id)
    if video is None or video.attempts != attempt:
        return False
    for key, value in values.items():
        setattr(video, key, value)
    video.heartbeat_dt = utcnow()
    db.session.commit()
    return True


def remux_progressive(result: TranscodeResult, out_dir: Path, ffmpeg_bin: str) -> dict[str, str]:
    """Copy each HLS variant other than the download into a plain MP4 (audio: M4A) without re-encoding."""
    download_name = _download_rendition_name(result)
    work_dir = out_dir.with_name(f".{out_dir.name}.partial")
    shutil.rmtree(work_dir, ignore_errors=True)
    work_dir.mkdir(parents=True)
    written = {}
    try:
        for variant in result.variants:
            name = variant.rendition.name
            if name == download_name:
                continue
            target = "audio.m4a" if variant.rendition.is_audio_only else f"{name}.mp4"
            command = [
                ffmpeg_bin, "-hide_banner", "-nostdin", "-loglevel", "error", "-y",
                "-protocol_whitelist", "file", "-allowed_extensions", "ALL",
                "-i", str(result.out_dir / variant.rendition.playlist),
                "-c", "copy", "-movflags", "+faststart", str(work_dir / target),
            ]  # fmt: skip
            try:
                completed = subprocess.run(command, capture_output=True, text=True, timeout=REMUX_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                raise TranscodeError("timeout", f"copying {name} took too long") from None
            if completed.returncode != 0 or not (work_dir / target).is_file():
                raise TranscodeError("ffmpeg_failed", completed.stderr.strip()[-300:] or f"{target} was not written")
            written[name] = target
        work_dir.rename(out_dir)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    return written


def _download_rendition_name(result: TranscodeResult) -> str | None:
    videos = [v.rendition for v in result.variants if not v.rendition.is_audio_only]
    return download_rendition(videos).name if videos else None


def describe(result: TranscodeResult, progressive: dict[str, str]) -> dict:
    """Record what a transcode wrote, with sizes in bytes, as the Video.renditions JSON."""
    out_dir = result.out_dir
    progressive_dir = out_dir.parent / "mp4"
    return {
        "variants": [
            {
                "name": variant.rendition.name,
                "width": variant.rendition.width,
                "height": variant.rendition.height,
                "is_audio_only": variant.rendition.is_audio_only,
                "bandwidth": variant.bandwidth,
                "average_bandwidth": variant.average_bandwidth,
                "size_bytes": variant.size_bytes,
                "duration_s": round(variant.duration_s, 3),
            }
            for variant in result.variants
        ],
        "download_rendition": _download_rendition_name(result),
        "files": {name: (out_dir / name).stat().st_size for name in (DOWNLOAD, POSTER, THUMBNAIL)},
        "progressive": progressive,
        "progressive_bytes": {name: (progressive_dir / target).stat().st_size for name, target in progressive.items()},
        "elapsed_s": round(result.elapsed_s, 2),
        "speed": round(result.speed, 2),
        "ffmpeg_version": result.ffmpeg_version,
    }

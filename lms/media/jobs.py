"""Background work on videos: the transcoding job and the periodic task that revives jobs whose worker died."""

from __future__ import annotations

import functools
import shutil
import subprocess
import time
from pathlib import Path

from huey import crontab
from sqlalchemy import update

from lms import jobs as job_queue
from lms.clock import utcnow
from lms.extensions import db
from lms.media.models import FAILED, PROCESSING, READY, UPLOADED, Video
from lms.media.probe import VideoInfo
from lms.media.transcode import DOWNLOAD, POSTER, THUMBNAIL, TranscodeError, TranscodeResult, transcode

#: Seconds between two progress writes to the database.
PROGRESS_WRITE_S = 2.0
#: Defaults for the transcode limits; the app config may set VIDEO_TRANSCODE_TIMEOUT_S, VIDEO_STALL_S, VIDEO_PRESET.
TIMEOUT_S = 4 * 60 * 60
REMUX_TIMEOUT_S = 600


def periodic_job(validate_datetime):
    """Declare a periodic task that runs inside an application context, like lms.jobs.job does for tasks."""

    def decorate(func):
        @functools.wraps(func)
        def run_in_app():
            with job_queue._app.app_context():
                try:
                    return func()
                finally:
                    db.session.remove()

        return job_queue.huey.periodic_task(validate_datetime)(run_in_app)

    return decorate


@job_queue.job(retries=2, retry_delay=30)
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
    video.status = PROCESSING
    video.heartbeat_dt = utcnow()
    db.session.commit()

    folder = media_root() / video.folder
    out_dir = folder / "hls"
    progressive_dir = folder / "mp4"
    # A worker that died may have left a finished folder not yet recorded, or a hidden partial one.
    for leftover in [out_dir, progressive_dir, *folder.glob(".hls.*.partial")]:
        shutil.rmtree(leftover, ignore_errors=True)
    info = VideoInfo(
        duration_s=video.duration_s,
        width=video.width,
        height=video.height,
        fps=video.fps,
        has_audio=video.has_audio,
        video_codec=video.video_codec,
        size_bytes=video.size_bytes,
    )
    last_write = [0.0]

    def on_progress(percent: float, seconds_left: float | None) -> None:
        now = time.monotonic()
        if now - last_write[0] < PROGRESS_WRITE_S:
            return
        last_write[0] = now
        db.session.execute(
            update(Video)
            .where(Video.id == video_id, Video.attempts == attempt)
            .values(progress_percent=percent, seconds_left=seconds_left, heartbeat_dt=utcnow())
        )
        db.session.commit()

    config = current_app.config
    ffmpeg_bin = ffmpeg_binary()
    try:
        result = transcode(
            folder / Path(video.original_path).name,
            out_dir,
            info,
            ffmpeg_bin=ffmpeg_bin,
            on_progress=on_progress,
            timeout_s=config.get("VIDEO_TRANSCODE_TIMEOUT_S", TIMEOUT_S),
            stall_s=config.get("VIDEO_STALL_S", 120.0),
            preset=config.get("VIDEO_PRESET", "veryfast"),
        )
        progressive = remux_progressive(result, progressive_dir, ffmpeg_bin)
    except TranscodeError as error:
        shutil.rmtree(out_dir, ignore_errors=True)
        shutil.rmtree(progressive_dir, ignore_errors=True)
        _finish(video_id, attempt, status=FAILED, failure_reason=error.reason, failure_detail=error.detail[:1000])
        return
    _finish(
        video_id,
        attempt,
        status=READY,
        progress_percent=100.0,
        seconds_left=0.0,
        renditions=describe(result, progressive),
    )


def _finish(video_id: int, attempt: int, **values) -> None:
    db.session.rollback()
    video = db.session.get(Video, video_id)
    if video is None or video.attempts != attempt:
        return
    for key, value in values.items():
        setattr(video, key, value)
    video.heartbeat_dt = utcnow()
    db.session.commit()


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
    from lms.media.transcode import DOWNLOAD_MAX_SIDE

    videos = [v.rendition for v in result.variants if not v.rendition.is_audio_only]
    fitting = [r for r in videos if min(r.width, r.height) <= DOWNLOAD_MAX_SIDE]
    chosen = fitting[-1] if fitting else (videos[0] if videos else None)
    return chosen.name if chosen else None


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

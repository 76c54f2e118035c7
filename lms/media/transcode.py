"""Transcode an uploaded video into a low-bandwidth HLS ladder, a download MP4 and a poster, all or nothing."""

from __future__ import annotations

import errno
import math
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av

from lms.media.ffmpeg_process import STALL_S, ProgressCallback, TranscodeError, failure_reason, run_ffmpeg
from lms.media.ladder import (
    AUDIO_CODECS,
    DOWNLOAD,
    MASTER,
    POSTER,
    THUMBNAIL,
    X264_PRESET,
    Rendition,
    ffmpeg_python_command,
    hand_written_command,  # noqa: F401 - the benchmark compares against it from here
    plan_ladder,
)
from lms.media.probe import VideoInfo, ffmpeg_version


@dataclass(frozen=True)
class VariantOutput:
    """Describe a written HLS variant as the master playlist announces it."""

    rendition: Rendition
    codecs: str
    #: Peak segment bit rate, as HLS BANDWIDTH.
    bandwidth: int
    average_bandwidth: int
    duration_s: float
    size_bytes: int


@dataclass(frozen=True)
class TranscodeResult:
    """List what a successful transcode wrote; file names are relative to out_dir."""

    out_dir: Path
    variants: tuple[VariantOutput, ...]
    master: str
    download: str
    poster: str
    thumbnail: str
    elapsed_s: float
    #: Seconds of video transcoded per second of wall time.
    speed: float
    ffmpeg_version: str


def transcode(
    src: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    info: VideoInfo,
    *,
    ffmpeg_bin: str,
    on_progress: ProgressCallback | None = None,
    timeout_s: float | None = None,
    stall_s: float = STALL_S,
    preset: str = X264_PRESET,
) -> TranscodeResult:
    """Write the whole ladder into out_dir with one ffmpeg process, all or nothing."""
    src, out_dir = Path(src).resolve(), Path(out_dir).resolve()
    if out_dir.exists():
        raise FileExistsError(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    renditions = plan_ladder(info)
    args = ffmpeg_python_command(src, info, renditions, ffmpeg_bin, preset)
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        stderr = run_ffmpeg(args, work_dir, info.duration_s, on_progress, timeout_s, stall_s)
        try:
            variants = tuple(_describe_variant(work_dir, rendition, stderr) for rendition in renditions)
            for name in (DOWNLOAD, POSTER, THUMBNAIL):
                _require(work_dir / name, stderr)
            _check_complete(variants, info.duration_s)
            (work_dir / MASTER).write_text(master_playlist(variants), encoding="utf-8")
        except OSError as error:
            raise _os_error(error) from None
        work_dir.chmod(0o755)
        work_dir.rename(out_dir)
    except BaseException:
        shutil.rmtree(work_dir, ignore_errors=True)
        raise
    elapsed_s = time.monotonic() - started
    if on_progress:
        on_progress(100.0, 0.0)
    return TranscodeResult(
        out_dir=out_dir,
        variants=variants,
        master=MASTER,
        download=DOWNLOAD,
        poster=POSTER,
        thumbnail=THUMBNAIL,
        elapsed_s=elapsed_s,
        speed=info.duration_s / elapsed_s if elapsed_s else math.inf,
        ffmpeg_version=ffmpeg_version(ffmpeg_bin),
    )


def master_playlist(variants: tuple[VariantOutput, ...] | list[VariantOutput]) -> str:
    """Render the master playlist: video variants lightest first, audio-only last."""
    # Players start with the first variant listed; starting without a picture would confuse.
    ordered = sorted(variants, key=lambda variant: (variant.rendition.is_audio_only, variant.bandwidth))
    lines = ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for variant in ordered:
        rendition = variant.rendition
        attributes = [f"BANDWIDTH={variant.bandwidth}", f"AVERAGE-BANDWIDTH={variant.average_bandwidth}"]
        if not rendition.is_audio_only:
            attributes.append(f"RESOLUTION={rendition.width}x{rendition.height}")
        attributes.append(f'CODECS="{variant.codecs}"')
        lines += [f"#EXT-X-STREAM-INF:{','.join(attributes)}", rendition.playlist]
    return "\n".join(lines) + "\n"


def _require(path: Path, stderr: list[str]) -> int:
    """Return a written file's size, or fail with ffmpeg's own complaint if it is missing or empty."""
    size = path.stat().st_size if path.is_file() else 0
    if not size:
        # ffmpeg can exit 0 after a muxer failed to open a file (seen with tee on 5.1).
        reason, detail = failure_reason(stderr, 0) if stderr else ("ffmpeg_failed", "")
        raise TranscodeError(reason, detail or f"{path.name} was not written")
    return size


def _describe_variant(work_dir: Path, rendition: Rendition, stderr: list[str]) -> VariantOutput:
    playlist = work_dir / rendition.playlist
    _require(playlist, stderr)
    segments = list(_segments(playlist.read_text(encoding="utf-8")))
    if not segments:
        raise TranscodeError("ffmpeg_failed", f"{rendition.playlist} lists no segments")
    sizes = [_require(work_dir / name, stderr) for name, _duration in segments]
    init_path = work_dir / rendition.init_segment
    init_size = _require(init_path, stderr)
    codecs = AUDIO_CODECS
    if not rendition.is_audio_only:
        codecs = _avc_codecs(init_path) + (f",{AUDIO_CODECS}" if rendition.audio_bitrate else "")
    duration_s = sum(duration for _name, duration in segments)
    # A last sliver of a segment would announce an absurd peak; judge whole segments.
    rates = [8 * size / duration for size, (_n, duration) in zip(sizes, segments, strict=True) if duration >= 1]
    rates = rates or [8 * sum(sizes) / duration_s]
    return VariantOutput(
        rendition=rendition,
        codecs=codecs,
        bandwidth=math.ceil(max(rates)),
        average_bandwidth=math.ceil(8 * (sum(sizes) + init_size) / duration_s),
        duration_s=duration_s,
        size_bytes=sum(sizes) + init_size + playlist.stat().st_size,
    )


def _segments(playlist_text: str) -> Iterator[tuple[str, float]]:
    duration = None
    for line in playlist_text.splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:") :].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            yield line, duration
            duration = None


def _avc_codecs(init_segment: Path) -> str:
    """Read the H.264 profile and level from the avcC box, as an RFC 6381 codecs string."""
    with av.open(str(init_segment)) as container:
        extradata = container.streams.video[0].codec_context.extradata or b""
    if len(extradata) < 4 or extradata[0] != 1:
        raise TranscodeError("ffmpeg_failed", f"{init_segment.name} has no avcC header")
    return f"avc1.{extradata[1:4].hex()}"


def _check_complete(variants: tuple[VariantOutput, ...], duration_s: float) -> None:
    for variant in variants:
        if variant.duration_s < duration_s * 0.9 - 1:
            detail = f"{variant.rendition.name} lasts {variant.duration_s:.1f} s of {duration_s:.1f} s"
            raise TranscodeError("truncated", detail)


def _os_error(error: OSError) -> TranscodeError:
    if error.errno == errno.ENOSPC:
        return TranscodeError("disk_full", "No space left on device")
    return TranscodeError("ffmpeg_failed", str(error))

"""Find the ffmpeg binary and check that an uploaded file is a video we can transcode."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import av.error
from av.stream import Disposition

#: Largest frame accepted along the long and the short side (8K UHD).
MAX_LONG_SIDE = 7680
MAX_SHORT_SIDE = 4320
#: Pixel budget per frame; also handed to the decoder so a lying header cannot exceed it.
MAX_PIXELS = MAX_LONG_SIDE * MAX_SHORT_SIDE
#: Smallest frame side that still makes a watchable lesson video.
MIN_SIDE = 64
#: Longest accepted video; lessons are minutes long, so hours mean a wrong upload.
MAX_DURATION_S = 3 * 60 * 60

#: Why a file was rejected; the UI layer translates these codes.
REASONS = frozenset({"empty", "not_video", "audio_only", "truncated", "too_large", "too_long", "too_small"})

#: Demuxers an upload may use. Playlists (hls, concat) would make ffmpeg read other files or
#: URLs, and still images are not lessons, so everything else is refused before probing.
ALLOWED_DEMUXERS = "mov,mp4,matroska,webm,avi,mpegts,mpeg,flv,asf,ogg,mp3,wav,aac,flac"
#: Options for every ffmpeg or PyAV input opened on an upload.
INPUT_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": ALLOWED_DEMUXERS}

#: Leading bytes of containers whose damaged copies fail to open: a failure there means a cut-off upload.
_CONTAINER_SIGNATURES = (b"\x1a\x45\xdf\xa3",)  # Matroska/WebM EBML header
_ISO_BMFF_BOX_TYPES = frozenset({b"ftyp", b"moov", b"mdat", b"wide", b"free", b"skip"})

#: Packets demuxed after seeking to the last second before deciding it is missing; seeking lands
#: on the keyframe before it, which screen recorders place up to ten seconds apart.
_TAIL_PACKET_LIMIT = 5000


class ProbeError(Exception):
    """Reject an upload with a machine-readable reason code."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class VideoInfo:
    """Describe a video as players will show it (rotation and pixel aspect applied)."""

    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    video_codec: str
    size_bytes: int


def find_ffmpeg() -> str:
    """Return the system ffmpeg if installed, else the one bundled with imageio-ffmpeg."""
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@functools.cache
def ffmpeg_version(binary: str) -> str:
    """Return the version string printed by `binary -version` (e.g. '5.1.9-0+deb12u1')."""
    completed = subprocess.run(
        [binary, "-hide_banner", "-version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    first_line = completed.stdout.splitlines()[0] if completed.stdout else ""
    parts = first_line.split()
    if len(parts) >= 3 and parts[1] == "version":
        return parts[2]
    return first_line.strip()


def check_dimensions(width: int, height: int) -> None:
    """Raise ProbeError unless a frame of width x height is within the accepted range."""
    long_side, short_side = max(width, height), min(width, height)
    if long_side > MAX_LONG_SIDE or short_side > MAX_SHORT_SIDE or width * height > MAX_PIXELS:
        raise ProbeError("too_large", f"{width}x{height}")
    if short_side < MIN_SIDE:
        raise ProbeError("too_small", f"{width}x{height}")


def probe(path: str | os.PathLike[str]) -> VideoInfo:
    """Inspect a file with PyAV (header, first frame, last second) and describe it."""
    path = Path(path)
    size_bytes = path.stat().st_size
    if size_bytes == 0:
        raise ProbeError("empty")
    # The budget reaches the decoders that avformat_find_stream_info runs while opening.
    limits = INPUT_OPTIONS | {"max_pixels": str(MAX_PIXELS), "threads": "1"}
    try:
        container = av.open(str(path), options=limits)
    except (av.error.FFmpegError, ValueError, OSError) as error:
        reason = "truncated" if _has_container_signature(path) else "not_video"
        raise ProbeError(reason, str(error)) from None
    with container:
        return _inspect(container, size_bytes)


def _inspect(container: av.container.InputContainer, size_bytes: int) -> VideoInfo:
    # Cover art in an audio file shows up as a video stream; ffmpeg's `V` selector skips it too.
    videos = [stream for stream in container.streams.video if not stream.disposition & Disposition.attached_pic]
    audios = [stream for stream in container.streams.audio if stream.codec_context is not None]
    if not videos:
        raise ProbeError("audio_only" if audios else "not_video")
    stream = videos[0]
    if stream.codec_context is None:
        raise ProbeError("not_video", "no decoder for the video stream")

    # Check the header's size before decoding anything, so a decompression bomb is never expanded.
    header_width, header_height = stream.codec_context.width, stream.codec_context.height
    if header_width and header_height:
        check_dimensions(header_width, header_height)

    duration_s = _duration_s(container, stream)
    if duration_s is None or duration_s <= 0:
        raise ProbeError("truncated", "unknown duration")
    if duration_s > MAX_DURATION_S:
        raise ProbeError("too_long", f"{duration_s:.0f} s")
    if _index_points_past_end(container, size_bytes):
        raise ProbeError("truncated", "index points past the end of the file")

    stream.codec_context.options = {"max_pixels": str(MAX_PIXELS)}
    first = _first_frame(container, stream)
    if first is None:
        raise ProbeError("not_video", "no frame could be decoded")
    check_dimensions(first.width, first.height)
    if not _reaches_end(container, stream, duration_s):
        raise ProbeError("truncated", "the last second is missing")

    width, height = _display_size(first.width, first.height, stream.sample_aspect_ratio)
    if first.rotation % 180:
        width, height = height, width
    return VideoInfo(
        duration_s=duration_s,
        width=width,
        height=height,
        fps=_fps(stream),
        has_audio=bool(audios),
        video_codec=stream.codec_context.name,
        size_bytes=size_bytes,
    )


def _has_container_signature(path: Path) -> bool:
    with path.open("rb") as file:
        head = file.read(12)
    return head.startswith(_CONTAINER_SIGNATURES) or head[4:8] in _ISO_BMFF_BOX_TYPES


def _duration_s(container: av.container.InputContainer, stream: av.VideoStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def _index_points_past_end(container: av.container.InputContainer, size_bytes: int) -> bool:
    # MP4 keeps an exact sample table; a copy cut short still has it when moov comes first.
    for stream in container.streams:
        entries = stream.index_entries
        count = len(entries)
        for position in range(max(0, count - 64), count):
            entry = entries[position]
            if entry.size > 0 and entry.pos >= 0 and entry.pos + entry.size > size_bytes:
                return True
    return False


def _first_frame(container: av.container.InputContainer, stream: av.VideoStream) -> av.VideoFrame | None:
    try:
        for frame in container.decode(stream):
            return frame
    except av.error.ArgumentError as error:
        # Decoders refuse frames over max_pixels with EINVAL, whatever the header said.
        raise ProbeError("too_large", str(error)) from None
    except (av.error.FFmpegError, ValueError) as error:
        raise ProbeError("not_video", str(error)) from None
    return None


def _reaches_end(container: av.container.InputContainer, stream: av.VideoStream, duration_s: float) -> bool:
    """Tell whether packets exist up to the last second of the declared duration."""
    if duration_s < 2 or stream.time_base is None:
        return True
    wanted_s = duration_s - 1
    target = int(wanted_s / stream.time_base)
    if stream.start_time is not None:
        target += stream.start_time
    try:
        container.seek(target, stream=stream, backward=True)
        for count, packet in enumerate(container.demux()):
            if count >= _TAIL_PACKET_LIMIT:
                break
            if packet.pts is None or packet.time_base is None:
                continue
            start = packet.stream.start_time or 0
            if float((packet.pts - start) * packet.time_base) >= wanted_s:
                return True
    except (av.error.FFmpegError, ValueError):
        return False
    return False


def _display_size(width: int, height: int, sample_aspect_ratio: Fraction | None) -> tuple[int, int]:
    if not sample_aspect_ratio or sample_aspect_ratio == 1:
        return width, height
    return round(width * sample_aspect_ratio), height


def _fps(stream: av.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate and 1 <= rate <= 240:
            return float(rate)
    return 25.0

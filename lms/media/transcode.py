"""Transcode an uploaded video into a low-bandwidth HLS ladder, a download MP4 and a poster."""

from __future__ import annotations

import collections
import errno
import math
import os
import queue
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import av
import ffmpeg

from lms.media.probe import INPUT_OPTIONS, VideoInfo, ffmpeg_version

#: Video steps as (short side in pixels, video bits per second); a 2G link carries ~200 kb/s.
VIDEO_LADDER = ((240, 150_000), (360, 300_000), (480, 550_000))
#: Peak rate and decoder buffer relative to the average, so a slow link rarely stalls.
MAXRATE_FACTOR = 1.5
BUFSIZE_FACTOR = 2.0
#: Speech-first audio: mono AAC-LC.
AUDIO_BITRATE = 48_000
AUDIO_SAMPLE_RATE = 44_100
AUDIO_CODECS = "mp4a.40.2"
KEYFRAME_INTERVAL_S = 2
SEGMENT_S = 6
#: Frame rates above this are halved (or more): bits go to sharpness, not motion, on a phone.
MAX_FPS = 30.0
#: The download MP4 reuses the largest rendition whose short side is at most this.
DOWNLOAD_MAX_SIDE = 360
POSTER_AT = 0.10
THUMBNAIL_WIDTH = 160
X264_PRESET = "veryfast"
X264_PROFILE = "main"
#: A run whose output time has not advanced for this long is considered hung.
STALL_S = 120.0
PROGRESS_INTERVAL_S = 0.5

MASTER = "master.m3u8"
DOWNLOAD = "download.mp4"
POSTER = "poster.jpg"
THUMBNAIL = "thumbnail.jpg"

_STDERR_LINES = 200
#: Seconds ffmpeg may take to exit once it has closed its progress output.
_EXIT_GRACE_S = 30
_FFMPEG_PREFIX = re.compile(r"^\[[^\]]+ @ 0x[0-9a-f]+\]\s*")
_BOILERPLATE = ("Conversion failed!", "Exiting normally", "received signal")


class TranscodeError(Exception):
    """Report a failed transcode with a machine-readable reason and a short plain detail."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class Rendition:
    """Describe one HLS variant: a video step with its audio, or the audio-only stream."""

    name: str
    width: int
    height: int
    #: Video bits per second; 0 for the audio-only rendition.
    video_bitrate: int
    #: Audio bits per second; 0 when the source is silent.
    audio_bitrate: int

    @property
    def is_audio_only(self) -> bool:
        """Tell whether this rendition carries no picture."""
        return self.video_bitrate == 0

    @property
    def playlist(self) -> str:
        """Return the media playlist's file name."""
        return f"{self.name}.m3u8"

    @property
    def init_segment(self) -> str | None:
        """Return the fMP4 initialisation segment's file name (None for MPEG-TS)."""
        return None if self.is_audio_only else f"{self.name}_init.mp4"

    @property
    def segment_pattern(self) -> str:
        """Return the printf pattern ffmpeg names the segments with."""
        # Audio-only fMP4 works on ffmpeg 5.1.9 and 9.0, but MPEG-TS is what DESIGN.md verified in players.
        return f"{self.name}_%05d.{'ts' if self.is_audio_only else 'm4s'}"


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


ProgressCallback = Callable[[float, float | None], None]


def plan_ladder(info: VideoInfo) -> list[Rendition]:
    """Choose the video renditions, lightest first, never upscaled, then the audio-only one."""
    short_side, long_side = min(info.width, info.height), max(info.width, info.height)
    audio_bitrate = AUDIO_BITRATE if info.has_audio else 0
    steps = [(side, bitrate) for side, bitrate in VIDEO_LADDER if side <= short_side]
    if not steps:
        base_side, base_bitrate = VIDEO_LADDER[0]
        side = max(2, short_side - short_side % 2)
        steps = [(side, max(50_000, int(round(base_bitrate * (side / base_side) ** 2, -3))))]
    renditions = []
    for side, bitrate in steps:
        other = _even(side * long_side / short_side)
        width, height = (other, side) if info.width >= info.height else (side, other)
        renditions.append(Rendition(f"{side}p", width, height, bitrate, audio_bitrate))
    if info.has_audio:
        renditions.append(Rendition("audio", 0, 0, 0, AUDIO_BITRATE))
    return renditions


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
    args = _ffmpeg_python_command(src, info, renditions, ffmpeg_bin, preset)
    started = time.monotonic()
    work_dir = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".partial", dir=out_dir.parent))
    try:
        stderr = _run(args, work_dir, info.duration_s, on_progress, timeout_s, stall_s)
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


def hand_written_command(
    src: str | os.PathLike[str], out_dir: str | os.PathLike[str], info: VideoInfo, ffmpeg_bin: str
) -> list[str]:
    """Return the same ffmpeg command spelled out by hand; run it with cwd=out_dir."""
    # Output names are relative because tee and HLS options would need paths escaped twice.
    renditions = plan_ladder(info)
    videos = [rendition for rendition in renditions if not rendition.is_audio_only]
    download = _download_rendition(videos)
    poster_size, thumbnail_size = _poster_sizes(videos[-1])
    fps = _output_fps(info.fps)
    branches = len(videos) + 1
    graph = f"[0:V:0]{f'fps={fps},' if fps else ''}split={branches}" + "".join(f"[b{i}]" for i in range(branches))
    for index, rendition in enumerate(videos):
        graph += f";[b{index}]scale={rendition.width}:{rendition.height},setsar=1,format=yuv420p[v{index}]"
    first, last = _poster_frames(info)
    graph += (
        f";[b{len(videos)}]trim=start_frame={first}:end_frame={last},split=2[p0][p1]"
        f";[p0]scale={poster_size[0]}:{poster_size[1]},setsar=1[poster]"
        f";[p1]scale={thumbnail_size[0]}:{thumbnail_size[1]},setsar=1[thumbnail]"
    )
    command = [ffmpeg_bin, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1", "-nostats"]
    for key, value in INPUT_OPTIONS.items():
        command += [f"-{key}", value]
    command += ["-i", f"file:{Path(src).resolve()}", "-filter_complex", graph]
    audio = ["-map", "0:a:0", *_flatten(_audio_options())] if info.has_audio else []
    for index, rendition in enumerate(videos):
        command += ["-map", f"[v{index}]", *_flatten(_video_options(rendition, info, X264_PRESET)), *audio]
        if rendition == download:
            command += ["-flags", "+global_header", "-f", "tee", _tee_target(rendition)]
        else:
            command += [*_flatten(_hls_options(rendition)), rendition.playlist]
    if info.has_audio:
        command += [*audio, *_flatten(_hls_options(renditions[-1])), renditions[-1].playlist]
    command += ["-map", "[poster]", *_flatten(_image_options(3)), POSTER]
    command += ["-map", "[thumbnail]", *_flatten(_image_options(5)), THUMBNAIL]
    return command


def _ffmpeg_python_command(
    src: Path, info: VideoInfo, renditions: list[Rendition], ffmpeg_bin: str, preset: str
) -> list[str]:
    videos = [rendition for rendition in renditions if not rendition.is_audio_only]
    download = _download_rendition(videos)
    poster_size, thumbnail_size = _poster_sizes(videos[-1])
    source = ffmpeg.input(f"file:{src}", **INPUT_OPTIONS)
    picture = source["V:0"]
    fps = _output_fps(info.fps)
    if fps:
        picture = picture.filter("fps", fps=fps)
    branches = picture.filter_multi_output("split", len(videos) + 1)
    audio = [source["a:0"]] if info.has_audio else []
    audio_options = _audio_options() if info.has_audio else {}
    outputs = []
    for index, rendition in enumerate(videos):
        scaled = branches[index].filter("scale", rendition.width, rendition.height).filter("setsar", 1)
        scaled = scaled.filter("format", "yuv420p")
        options = _video_options(rendition, info, preset) | audio_options
        if rendition == download:
            target = _tee_target(rendition)
            options |= {"flags": "+global_header", "f": "tee"}
        else:
            target = rendition.playlist
            options |= _hls_options(rendition)
        outputs.append(ffmpeg.output(scaled, *audio, target, **options))
    if info.has_audio:
        audio_only = renditions[-1]
        outputs.append(ffmpeg.output(*audio, audio_only.playlist, **audio_options, **_hls_options(audio_only)))
    first, last = _poster_frames(info)
    still = branches[len(videos)].filter("trim", start_frame=first, end_frame=last).split()
    poster = still[0].filter("scale", *poster_size).filter("setsar", 1)
    thumbnail = still[1].filter("scale", *thumbnail_size).filter("setsar", 1)
    outputs.append(ffmpeg.output(poster, POSTER, **_image_options(3)))
    outputs.append(ffmpeg.output(thumbnail, THUMBNAIL, **_image_options(5)))
    graph = ffmpeg.merge_outputs(*outputs).global_args(
        "-hide_banner", "-nostdin", "-loglevel", "error", "-progress", "pipe:1", "-nostats"
    )
    return graph.compile(cmd=ffmpeg_bin, overwrite_output=True)


def _video_options(rendition: Rendition, info: VideoInfo, preset: str) -> dict[str, str | int]:
    fps = _output_fps(info.fps) or info.fps
    return {
        "c:v": "libx264",
        "preset": preset,
        "profile:v": X264_PROFILE,
        "b:v": rendition.video_bitrate,
        "maxrate": round(rendition.video_bitrate * MAXRATE_FACTOR),
        "bufsize": round(rendition.video_bitrate * BUFSIZE_FACTOR),
        "g": max(1, round(KEYFRAME_INTERVAL_S * fps)),
        # Keyframes on a wall-clock grid keep every variant's segments aligned for switching.
        "force_key_frames": f"expr:gte(t,n_forced*{KEYFRAME_INTERVAL_S})",
    }


def _audio_options() -> dict[str, str | int]:
    return {"c:a": "aac", "b:a": AUDIO_BITRATE, "ac": 1, "ar": AUDIO_SAMPLE_RATE}


def _hls_options(rendition: Rendition) -> dict[str, str | int]:
    options: dict[str, str | int] = {
        "f": "hls",
        "hls_time": SEGMENT_S,
        "hls_playlist_type": "vod",
        "hls_segment_filename": rendition.segment_pattern,
    }
    if rendition.init_segment:
        options |= {"hls_segment_type": "fmp4", "hls_fmp4_init_filename": rendition.init_segment}
    else:
        options["hls_segment_type"] = "mpegts"
    return options


def _image_options(quality: int) -> dict[str, str | int]:
    return {"frames:v": 1, "update": 1, "q:v": quality}


def _tee_target(rendition: Rendition) -> str:
    # One encode feeds both the HLS variant and the download file: a quarter less CPU.
    hls = ":".join(f"{key}={value}" for key, value in _hls_options(rendition).items())
    return f"[{hls}]{rendition.playlist}|[f=mp4:movflags=+faststart]{DOWNLOAD}"


def _flatten(options: dict[str, str | int]) -> list[str]:
    return [part for key, value in options.items() for part in (f"-{key}", str(value))]


def _download_rendition(videos: list[Rendition]) -> Rendition:
    fitting = [rendition for rendition in videos if min(rendition.width, rendition.height) <= DOWNLOAD_MAX_SIDE]
    return fitting[-1] if fitting else videos[0]


def _poster_sizes(largest: Rendition) -> tuple[tuple[int, int], tuple[int, int]]:
    width = min(THUMBNAIL_WIDTH, largest.width)
    return (largest.width, largest.height), (width, _even(width * largest.height / largest.width))


def _poster_frames(info: VideoInfo) -> tuple[int, int]:
    first = int(info.duration_s * POSTER_AT * (_output_fps(info.fps) or info.fps))
    return first, first + 1


def _output_fps(fps: float) -> float | None:
    if fps <= MAX_FPS:
        return None
    reduced = fps / math.ceil(fps / MAX_FPS)
    return round(reduced, 3) if reduced >= 20 else MAX_FPS


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _run(
    args: list[str],
    work_dir: Path,
    duration_s: float,
    on_progress: ProgressCallback | None,
    timeout_s: float | None,
    stall_s: float,
) -> list[str]:
    """Run ffmpeg in its own process group, report progress, enforce the limits, return stderr."""
    process = subprocess.Popen(
        args,
        cwd=work_dir,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    stderr_tail: collections.deque[str] = collections.deque(maxlen=_STDERR_LINES)
    progress_lines: queue.Queue[str | None] = queue.Queue()
    readers = [
        threading.Thread(target=_pump, args=(process.stdout, progress_lines.put, True), daemon=True),
        threading.Thread(target=_pump, args=(process.stderr, stderr_tail.append, False), daemon=True),
    ]
    for reader in readers:
        reader.start()
    started = last_advance = last_report = time.monotonic()
    out_time_s, reported = 0.0, -1.0
    speed: float | None = None
    try:
        for line in _lines_until_eof(progress_lines):
            now = time.monotonic()
            if timeout_s is not None and now - started > timeout_s:
                raise TranscodeError("timeout", f"took longer than {timeout_s:g} s")
            if now - last_advance > stall_s:
                raise TranscodeError("timeout", f"no progress for {stall_s:g} s")
            key, _, value = (line or "").partition("=")
            if key == "out_time_us" and value.lstrip("-").isdigit() and int(value) / 1e6 > out_time_s:
                out_time_s, last_advance = int(value) / 1e6, now
            elif key == "speed":
                speed = _parse_speed(value)
            elif key == "progress" and on_progress and now - last_report >= PROGRESS_INTERVAL_S:
                percent = min(99.9, 100 * out_time_s / duration_s) if duration_s else 0.0
                if percent > reported:
                    left = (duration_s - out_time_s) / speed if speed else None
                    on_progress(percent, max(0.0, left) if left is not None else None)
                    reported, last_report = percent, now
        try:
            returncode = process.wait(timeout=_EXIT_GRACE_S)
        except subprocess.TimeoutExpired:
            raise TranscodeError("timeout", "ffmpeg did not exit after its output ended") from None
    finally:
        if process.poll() is None:
            _kill_group(process)
        for reader in readers:
            reader.join(timeout=5)
    if returncode != 0:
        raise TranscodeError(*failure_reason(list(stderr_tail), returncode))
    return list(stderr_tail)


def _lines_until_eof(lines: queue.Queue[str | None]) -> Iterator[str | None]:
    """Yield progress lines, or None every quarter second so the caller can check its clocks."""
    while True:
        try:
            line = lines.get(timeout=0.25)
        except queue.Empty:
            yield None
            continue
        if line is None:
            return
        yield line


def _pump(stream: IO[bytes], sink: Callable[[str | None], object], mark_eof: bool) -> None:
    for raw in iter(stream.readline, b""):
        sink(raw.decode("utf-8", "replace").strip())
    stream.close()
    if mark_eof:
        sink(None)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _parse_speed(value: str) -> float | None:
    try:
        speed = float(value.strip().rstrip("x"))
    except ValueError:
        return None
    return speed if speed > 0 else None


def failure_reason(stderr_lines: list[str], returncode: int) -> tuple[str, str]:
    """Turn ffmpeg's last error lines into a reason code and a short plain-language detail."""
    cleaned = [_FFMPEG_PREFIX.sub("", line).strip() for line in stderr_lines]
    meaningful = [line for line in cleaned if line and not line.startswith(_BOILERPLATE)]
    if any("No space left on device" in line for line in meaningful):
        return "disk_full", "No space left on device"
    detail = "; ".join(dict.fromkeys(meaningful[-3:]))[:300]
    return "ffmpeg_failed", detail or f"ffmpeg exited with status {returncode}"


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
    init_size = 0
    codecs = AUDIO_CODECS
    if rendition.init_segment:
        init_path = work_dir / rendition.init_segment
        init_size = _require(init_path, stderr)
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

"""The ladder of renditions a video is transcoded into, and the one ffmpeg command that writes it all."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

import ffmpeg

from lms.media.probe import INPUT_OPTIONS, VideoInfo

#: Video steps as (short side in pixels, video bits per second, audio bits per second). A 2G link carries
#: ~200 kb/s and 240p must stay under 1.5 MB a minute with its sound: 150 + 32 kb/s leaves ~7 % for the container.
VIDEO_LADDER = ((240, 150_000, 32_000), (360, 300_000, 48_000), (480, 550_000, 48_000))
#: Peak rate and decoder buffer relative to the average, so a slow link rarely stalls.
MAXRATE_FACTOR = 1.5
BUFSIZE_FACTOR = 2.0
#: Speech-first audio: mono AAC-LC, the same sample rate everywhere so players switch variants seamlessly.
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

MASTER = "master.m3u8"
DOWNLOAD = "download.mp4"
POSTER = "poster.jpg"
THUMBNAIL = "thumbnail.jpg"


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
    def init_segment(self) -> str:
        """Return the fMP4 initialisation segment's file name."""
        return f"{self.name}_init.mp4"

    @property
    def segment_pattern(self) -> str:
        """Return the printf pattern ffmpeg names the segments with."""
        return f"{self.name}_%05d.m4s"


def plan_ladder(info: VideoInfo) -> list[Rendition]:
    """Choose the video renditions, lightest first, never upscaled, then the audio-only one."""
    short_side, long_side = min(info.width, info.height), max(info.width, info.height)
    steps = [step for step in VIDEO_LADDER if step[0] <= short_side]
    if not steps:
        base_side, base_bitrate, base_audio = VIDEO_LADDER[0]
        side = max(2, short_side - short_side % 2)
        steps = [(side, max(50_000, int(round(base_bitrate * (side / base_side) ** 2, -3))), base_audio)]
    renditions = []
    for side, bitrate, audio_bitrate in steps:
        other = _even(side * long_side / short_side)
        width, height = (other, side) if info.width >= info.height else (side, other)
        renditions.append(Rendition(f"{side}p", width, height, bitrate, audio_bitrate if info.has_audio else 0))
    if info.has_audio:
        renditions.append(Rendition("audio", 0, 0, 0, AUDIO_BITRATE))
    return renditions


def hand_written_command(
    src: str | os.PathLike[str], out_dir: str | os.PathLike[str], info: VideoInfo, ffmpeg_bin: str
) -> list[str]:
    """Return the same ffmpeg command spelled out by hand; run it with cwd=out_dir."""
    # Output names are relative because tee and HLS options would need paths escaped twice.
    renditions = plan_ladder(info)
    videos = [rendition for rendition in renditions if not rendition.is_audio_only]
    download = download_rendition(videos)
    poster_size, thumbnail_size = _poster_sizes(download)
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
    for index, rendition in enumerate(videos):
        audio = ["-map", "0:a:0", *_flatten(_audio_options(rendition))] if info.has_audio else []
        command += ["-map", f"[v{index}]", *_flatten(_video_options(rendition, info, X264_PRESET)), *audio]
        if rendition == download:
            command += ["-flags", "+global_header", "-f", "tee", _tee_target(rendition)]
        else:
            command += [*_flatten(_hls_options(rendition)), rendition.playlist]
    if info.has_audio:
        audio_only = renditions[-1]
        command += ["-map", "0:a:0", *_flatten(_audio_options(audio_only) | _hls_options(audio_only))]
        command.append(audio_only.playlist)
    command += ["-map", "[poster]", *_flatten(_image_options(5)), POSTER]
    command += ["-map", "[thumbnail]", *_flatten(_image_options(5)), THUMBNAIL]
    return command


def ffmpeg_python_command(
    src: Path, info: VideoInfo, renditions: list[Rendition], ffmpeg_bin: str, preset: str
) -> list[str]:
    """Build the one ffmpeg command that writes every rendition, the download, the poster and the thumbnail."""
    videos = [rendition for rendition in renditions if not rendition.is_audio_only]
    download = download_rendition(videos)
    poster_size, thumbnail_size = _poster_sizes(download)
    source = ffmpeg.input(f"file:{src}", **INPUT_OPTIONS)
    picture = source["V:0"]
    fps = _output_fps(info.fps)
    if fps:
        picture = picture.filter("fps", fps=fps)
    branches = picture.filter_multi_output("split", len(videos) + 1)
    audio = [source["a:0"]] if info.has_audio else []
    outputs = []
    for index, rendition in enumerate(videos):
        scaled = branches[index].filter("scale", rendition.width, rendition.height).filter("setsar", 1)
        scaled = scaled.filter("format", "yuv420p")
        options = _video_options(rendition, info, preset) | (_audio_options(rendition) if info.has_audio else {})
        if rendition == download:
            target = _tee_target(rendition)
            options |= {"flags": "+global_header", "f": "tee"}
        else:
            target = rendition.playlist
            options |= _hls_options(rendition)
        outputs.append(ffmpeg.output(scaled, *audio, target, **options))
    if info.has_audio:
        audio_only = renditions[-1]
        options = _audio_options(audio_only) | _hls_options(audio_only)
        outputs.append(ffmpeg.output(*audio, audio_only.playlist, **options))
    first, last = _poster_frames(info)
    still = branches[len(videos)].filter("trim", start_frame=first, end_frame=last).split()
    poster = still[0].filter("scale", *poster_size).filter("setsar", 1)
    thumbnail = still[1].filter("scale", *thumbnail_size).filter("setsar", 1)
    outputs.append(ffmpeg.output(poster, POSTER, **_image_options(5)))
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


def _audio_options(rendition: Rendition) -> dict[str, str | int]:
    return {"c:a": "aac", "b:a": rendition.audio_bitrate, "ac": 1, "ar": AUDIO_SAMPLE_RATE}


def _hls_options(rendition: Rendition) -> dict[str, str | int]:
    return {
        "f": "hls",
        "hls_time": SEGMENT_S,
        "hls_playlist_type": "vod",
        # fMP4 (CMAF) segments everywhere: MPEG-TS packets added ~9 % to the audio-only rendition.
        "hls_segment_type": "fmp4",
        "hls_fmp4_init_filename": rendition.init_segment,
        "hls_segment_filename": rendition.segment_pattern,
    }


def _image_options(quality: int) -> dict[str, str | int]:
    return {"frames:v": 1, "update": 1, "q:v": quality}


def _tee_target(rendition: Rendition) -> str:
    # One encode feeds both the HLS variant and the download file: a quarter less CPU.
    hls = ":".join(f"{key}={value}" for key, value in _hls_options(rendition).items())
    return f"[{hls}]{rendition.playlist}|[f=mp4:movflags=+faststart]{DOWNLOAD}"


def _flatten(options: dict[str, str | int]) -> list[str]:
    return [part for key, value in options.items() for part in (f"-{key}", str(value))]


def download_rendition(videos: list[Rendition]) -> Rendition:
    """Pick the video rendition the download MP4 is written from: the largest up to 360p."""
    fitting = [rendition for rendition in videos if min(rendition.width, rendition.height) <= DOWNLOAD_MAX_SIDE]
    return fitting[-1] if fitting else videos[0]


def _poster_sizes(shown: Rendition) -> tuple[tuple[int, int], tuple[int, int]]:
    """Size the poster like the download rendition (it fills a phone's width) and the thumbnail to fit a list."""
    width = min(THUMBNAIL_WIDTH, shown.width)
    return (shown.width, shown.height), (width, _even(width * shown.height / shown.width))


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

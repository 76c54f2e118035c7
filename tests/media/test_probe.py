import shutil

import imageio_ffmpeg
import pytest

from lms.media.probe import (
    MAX_PIXELS,
    ProbeError,
    VideoInfo,
    check_dimensions,
    ffmpeg_version,
    find_ffmpeg,
    probe,
)


def test_find_ffmpeg_prefers_the_system_binary():
    expected = shutil.which("ffmpeg") or imageio_ffmpeg.get_ffmpeg_exe()
    assert find_ffmpeg() == expected


@pytest.mark.parametrize("binary", [find_ffmpeg(), imageio_ffmpeg.get_ffmpeg_exe()], ids=["found", "imageio"])
def test_ffmpeg_version_reads_the_version_line(binary):
    version = ffmpeg_version(binary)
    assert version
    assert " " not in version
    assert any(character.isdigit() for character in version)


@pytest.mark.parametrize(
    ("clip", "width", "height", "duration_s", "has_audio"),
    [
        ("lesson_480", 640, 480, 12.0, True),
        ("lesson_720", 1280, 720, 2.0, True),
        ("lesson_720_mkv", 1280, 720, 3.0, True),
        ("small", 320, 180, 4.0, False),
        ("faststart", 640, 480, 4.0, True),
    ],
)
def test_probe_describes_good_clips(clips, clip, width, height, duration_s, has_audio):
    info = probe(clips[clip])

    assert isinstance(info, VideoInfo)
    assert (info.width, info.height) == (width, height)
    assert info.duration_s == pytest.approx(duration_s, abs=0.1)
    assert info.fps == pytest.approx(25)
    assert info.has_audio is has_audio
    assert info.video_codec == "h264"
    assert info.size_bytes == clips[clip].stat().st_size


def test_probe_reports_display_size_of_a_rotated_phone_video(clips):
    info = probe(clips["portrait_small"])

    assert (info.width, info.height) == (180, 320)


@pytest.mark.parametrize(
    ("clip", "reason"),
    [
        ("empty", "empty"),
        ("truncated", "truncated"),
        ("truncated_faststart", "truncated"),
        ("truncated_mkv", "truncated"),
        ("png_as_mp4", "not_video"),
        ("random", "not_video"),
        ("playlist", "not_video"),
        ("audio_only", "audio_only"),
        ("huge", "too_large"),
        ("too_long", "too_long"),
        ("tiny", "too_small"),
    ],
)
def test_probe_rejects_bad_uploads_with_a_reason(clips, clip, reason):
    with pytest.raises(ProbeError) as caught:
        probe(clips[clip])

    assert caught.value.reason == reason


@pytest.mark.parametrize(
    ("width", "height"),
    [(7681, 4320), (4320, 7681), (7680, 4321), (5000, 7000), (100_000, 100)],
)
def test_dimensions_beyond_8k_are_too_large(width, height):
    with pytest.raises(ProbeError) as caught:
        check_dimensions(width, height)

    assert caught.value.reason == "too_large"


@pytest.mark.parametrize(("width", "height"), [(7680, 4320), (4320, 7680), (640, 480), (64, 64)])
def test_dimensions_up_to_8k_are_accepted(width, height):
    check_dimensions(width, height)
    assert width * height <= MAX_PIXELS

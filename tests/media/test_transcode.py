import json
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import av
import imageio_ffmpeg
import pytest
from PIL import Image

from lms.media.ffmpeg_process import TranscodeError, failure_reason
from lms.media.ladder import (
    AUDIO_BITRATE,
    DOWNLOAD,
    KEYFRAME_INTERVAL_S,
    MASTER,
    POSTER,
    THUMBNAIL,
    hand_written_command,
    plan_ladder,
)
from lms.media.probe import VideoInfo, find_ffmpeg, probe
from lms.media.transcode import transcode

BINARIES = sorted({find_ffmpeg(), imageio_ffmpeg.get_ffmpeg_exe()})


@pytest.fixture(scope="module")
def lesson(clips, ffmpeg_bin, tmp_path_factory):
    """Transcode the 12 s lesson once, recording every progress report."""
    info = probe(clips["lesson_480"])
    out_dir = tmp_path_factory.mktemp("renditions") / "lesson"
    reports = []
    result = transcode(
        clips["lesson_480"],
        out_dir,
        info,
        ffmpeg_bin=ffmpeg_bin,
        on_progress=lambda percent, seconds_left: reports.append((percent, seconds_left)),
    )
    return info, result, reports


def stream_file(out_dir: Path, playlist: str, tmp_path: Path) -> Path:
    """Join a media playlist's init and segments into one file PyAV can read."""
    lines = (out_dir / playlist).read_text().splitlines()
    parts = [line.split('"')[1] for line in lines if line.startswith("#EXT-X-MAP:")]
    parts += [line for line in lines if line and not line.startswith("#")]
    joined = tmp_path / f"{playlist}.joined"
    joined.write_bytes(b"".join((out_dir / part).read_bytes() for part in parts))
    return joined


def measure(path: Path) -> dict:
    """Read the streams of a media file and measure their average bit rates."""
    with av.open(str(path)) as container:
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        sizes = {"video": 0, "audio": 0}
        keyframe_times = []
        for packet in container.demux():
            if packet.size == 0:
                continue
            sizes[packet.stream.type] += packet.size
            if packet.stream.type == "video" and packet.is_keyframe:
                keyframe_times.append(float(packet.pts * packet.time_base))
        duration_s = container.duration / av.time_base
        return {
            "duration_s": duration_s,
            "width": video.codec_context.width if video else None,
            "height": video.codec_context.height if video else None,
            "profile": video.codec_context.profile if video else None,
            "video_bitrate": 8 * sizes["video"] / duration_s,
            "audio_bitrate": 8 * sizes["audio"] / duration_s,
            "audio_codec": audio.codec_context.name if audio else None,
            "channels": audio.codec_context.channels if audio else None,
            "keyframe_times": keyframe_times,
        }


def top_level_boxes(path: Path) -> list[str]:
    """List an MP4 file's top-level box types in order."""
    boxes, data, offset = [], path.read_bytes(), 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        boxes.append(data[offset + 4 : offset + 8].decode("latin-1"))
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        if size < 8:
            break
        offset += size
    return boxes


def test_ladder_for_a_480p_source_has_three_steps_then_audio(clips):
    ladder = plan_ladder(probe(clips["lesson_480"]))

    assert [(r.name, r.width, r.height) for r in ladder] == [
        ("240p", 320, 240),
        ("360p", 480, 360),
        ("480p", 640, 480),
        ("audio", 0, 0),
    ]
    assert [r.video_bitrate for r in ladder] == [150_000, 300_000, 550_000, 0]


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1920, 1080, [(426, 240), (640, 360), (854, 480)]),
        (1280, 720, [(426, 240), (640, 360), (854, 480)]),
        (640, 360, [(426, 240), (640, 360)]),
        (400, 300, [(320, 240)]),
        (320, 180, [(320, 180)]),
        (1080, 1920, [(240, 426), (360, 640), (480, 854)]),
        (180, 320, [(180, 320)]),
    ],
)
def test_ladder_never_upscales(width, height, expected):
    info = VideoInfo(60.0, width, height, 25.0, has_audio=False, video_codec="h264", size_bytes=1)

    ladder = plan_ladder(info)

    assert [(r.width, r.height) for r in ladder] == expected
    assert all(not r.is_audio_only for r in ladder)


def test_high_frame_rates_are_halved_and_keyframes_follow():
    info = VideoInfo(60.0, 1280, 720, 59.94, has_audio=True, video_codec="h264", size_bytes=1)

    command = hand_written_command("lesson.mp4", "out", info, "ffmpeg")

    assert "[0:V:0]fps=29.97,split=4" in command[command.index("-filter_complex") + 1]
    assert command[command.index("-g") + 1] == "60"


def test_every_rendition_has_the_planned_size_and_the_source_duration(lesson, tmp_path):
    info, result, _reports = lesson

    for variant in result.variants:
        rendition = variant.rendition
        measured = measure(stream_file(result.out_dir, rendition.playlist, tmp_path))
        assert measured["duration_s"] == pytest.approx(info.duration_s, abs=0.5), rendition.name
        if rendition.is_audio_only:
            assert measured["width"] is None
        else:
            assert (measured["width"], measured["height"]) == (rendition.width, rendition.height)
            assert measured["audio_codec"] == "aac"


def test_video_bitrates_are_within_a_quarter_of_target(lesson, tmp_path):
    _info, result, _reports = lesson

    for variant in result.variants:
        rendition = variant.rendition
        if rendition.is_audio_only:
            continue
        measured = measure(stream_file(result.out_dir, rendition.playlist, tmp_path))
        assert measured["video_bitrate"] == pytest.approx(rendition.video_bitrate, rel=0.25), rendition.name


def test_keyframes_fall_every_two_seconds(lesson, tmp_path):
    info, result, _reports = lesson
    expected = [float(t) for t in range(0, int(info.duration_s), KEYFRAME_INTERVAL_S)]

    for variant in result.variants:
        if variant.rendition.is_audio_only:
            continue
        times = measure(stream_file(result.out_dir, variant.rendition.playlist, tmp_path))["keyframe_times"]
        # B-frames delay the first presentation time by a frame or two; the grid is relative to it.
        assert set(expected) <= {round(t - times[0], 2) for t in times}


def test_audio_only_rendition_is_mono_aac_at_48_kbps(lesson, tmp_path):
    _info, result, _reports = lesson
    (audio,) = [v for v in result.variants if v.rendition.is_audio_only]

    measured = measure(stream_file(result.out_dir, audio.rendition.playlist, tmp_path))

    assert measured["audio_codec"] == "aac"
    assert measured["channels"] == 1
    assert measured["audio_bitrate"] == pytest.approx(AUDIO_BITRATE, rel=0.25)


def test_download_is_a_faststart_360p_mp4(lesson):
    info, result, _reports = lesson
    path = result.out_dir / DOWNLOAD

    boxes = top_level_boxes(path)
    measured = measure(path)

    assert boxes.index("moov") < boxes.index("mdat")
    assert (measured["width"], measured["height"]) == (480, 360)
    assert measured["profile"] in ("Main", "Baseline", "Constrained Baseline")
    assert measured["audio_codec"] == "aac"
    assert measured["duration_s"] == pytest.approx(info.duration_s, abs=0.5)


def test_poster_and_thumbnail_are_jpegs_of_the_right_size(lesson):
    _info, result, _reports = lesson

    with Image.open(result.out_dir / POSTER) as poster, Image.open(result.out_dir / THUMBNAIL) as thumbnail:
        assert (poster.format, poster.size) == ("JPEG", (480, 360))  # as wide as the 360p picture a phone shows
        assert (thumbnail.format, thumbnail.size) == ("JPEG", (160, 120))
    assert (result.out_dir / POSTER).stat().st_size < 15_000  # part of every lesson page's first load


def test_master_playlist_lists_video_lightest_first_then_audio_only(lesson):
    _info, result, _reports = lesson

    lines = (result.out_dir / MASTER).read_text().splitlines()
    variants = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if line.startswith("#EXT-X-STREAM-INF:")]

    assert lines[0] == "#EXTM3U"
    assert [uri for _tag, uri in variants] == ["240p.m3u8", "360p.m3u8", "480p.m3u8", "audio.m3u8"]
    bandwidths = [int(tag.split("BANDWIDTH=")[1].split(",")[0]) for tag, _uri in variants]
    assert bandwidths[:3] == sorted(bandwidths[:3])
    for tag, uri in variants[:3]:
        assert "RESOLUTION=" in tag
        assert 'CODECS="avc1.4d' in tag
        assert "mp4a.40.2" in tag
        assert (result.out_dir / uri).is_file()
    assert variants[3][0].endswith('CODECS="mp4a.40.2"')
    assert "RESOLUTION" not in variants[3][0]


def test_progress_rises_to_100(lesson):
    _info, result, reports = lesson
    percents = [percent for percent, _left in reports]

    assert len(percents) >= 3
    assert percents == sorted(percents)
    assert len(set(percents)) == len(percents)
    assert percents[-1] == pytest.approx(100)
    assert all(left is None or left >= 0 for _percent, left in reports)


def test_no_partial_directory_is_left_beside_the_output(lesson):
    _info, result, _reports = lesson

    assert [path.name for path in result.out_dir.parent.iterdir()] == [result.out_dir.name]


def test_output_sizes_stay_small(lesson):
    _info, result, _reports = lesson
    per_minute = {v.rendition.name: v.size_bytes * 60 / v.duration_s for v in result.variants}

    # A 2G user pays for every byte: 240p with its sound within 1.5 MB a minute, with room to spare; sound alone 0.4.
    assert per_minute["240p"] <= 1.45e6
    assert per_minute["audio"] <= 0.40e6


def test_240p_carries_lighter_sound_than_the_larger_pictures(lesson, tmp_path):
    _info, result, _reports = lesson
    rates = {
        v.rendition.name: measure(stream_file(result.out_dir, v.rendition.playlist, tmp_path))["audio_bitrate"]
        for v in result.variants
    }

    assert rates["240p"] == pytest.approx(32_000, rel=0.25)
    assert rates["360p"] == pytest.approx(AUDIO_BITRATE, rel=0.25)


@pytest.mark.skipif(shutil.which("ffprobe") is None, reason="ffprobe is not installed")
def test_audio_only_playlist_is_fmp4_that_ffprobe_reads(lesson):
    info, result, _reports = lesson
    playlist = (result.out_dir / "audio.m3u8").read_text()

    assert '#EXT-X-MAP:URI="audio_init.mp4"' in playlist and ".ts" not in playlist
    probed = json.loads(
        subprocess.run(
            ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "audio.m3u8"],
            cwd=result.out_dir,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    )
    (stream,) = probed["streams"]
    assert (stream["codec_name"], stream["channels"]) == ("aac", 1)
    assert probed["format"]["format_name"] == "hls"
    assert float(probed["format"]["duration"]) == pytest.approx(info.duration_s, abs=0.5)


@pytest.mark.parametrize("binary", BINARIES, ids=lambda binary: Path(binary).name)
def test_small_portrait_source_gets_one_rendition_and_no_audio(clips, tmp_path, binary):
    info = probe(clips["portrait_small"])
    out_dir = tmp_path / "small"

    result = transcode(clips["portrait_small"], out_dir, info, ffmpeg_bin=binary)

    assert [(v.rendition.name, v.rendition.width, v.rendition.height) for v in result.variants] == [("180p", 180, 320)]
    measured = measure(stream_file(out_dir, "180p.m3u8", tmp_path))
    assert (measured["width"], measured["height"]) == (180, 320)
    assert measured["audio_codec"] is None
    assert result.variants[0].codecs.startswith("avc1.") and "mp4a" not in result.variants[0].codecs
    assert measure(out_dir / DOWNLOAD)["height"] == 320
    with Image.open(out_dir / THUMBNAIL) as thumbnail:
        assert thumbnail.size[0] == 160


def test_hand_written_command_writes_the_same_files(clips, tmp_path, ffmpeg_bin):
    info = probe(clips["small"])
    by_library = transcode(clips["small"], tmp_path / "library", info, ffmpeg_bin=ffmpeg_bin)
    by_hand = tmp_path / "hand"
    by_hand.mkdir()

    subprocess.run(
        hand_written_command(clips["small"], by_hand, info, ffmpeg_bin),
        cwd=by_hand,
        check=True,
        capture_output=True,
        timeout=60,
    )

    written = {path.name for path in by_library.out_dir.iterdir()} - {MASTER}
    assert {path.name for path in by_hand.iterdir()} == written


def test_timeout_kills_ffmpeg_and_leaves_nothing(clips, tmp_path, ffmpeg_bin):
    info = probe(clips["lesson_480"])
    out_dir = tmp_path / "lesson"

    with pytest.raises(TranscodeError) as caught:
        transcode(clips["lesson_480"], out_dir, info, ffmpeg_bin=ffmpeg_bin, timeout_s=0.5)

    assert caught.value.reason == "timeout"
    assert list(tmp_path.iterdir()) == []


def test_stalled_ffmpeg_is_stopped(clips, tmp_path, ffmpeg_bin):
    info = probe(clips["lesson_480"])

    with pytest.raises(TranscodeError) as caught:
        transcode(clips["lesson_480"], tmp_path / "lesson", info, ffmpeg_bin=ffmpeg_bin, stall_s=0.01)

    assert caught.value.reason == "timeout"
    assert "no progress" in caught.value.detail
    assert list(tmp_path.iterdir()) == []


def test_unreadable_source_fails_plainly_and_leaves_nothing(clips, tmp_path, ffmpeg_bin):
    info = probe(clips["small"])
    source = tmp_path / "gone.mp4"
    source.write_bytes(b"")
    work = tmp_path / "work"
    work.mkdir()

    with pytest.raises(TranscodeError) as caught:
        transcode(source, work / "lesson", info, ffmpeg_bin=ffmpeg_bin)

    assert caught.value.reason == "ffmpeg_failed"
    assert caught.value.detail
    assert list(work.iterdir()) == []


def test_playlist_disguised_as_video_is_refused_by_ffmpeg_too(clips, tmp_path, ffmpeg_bin):
    # The probe rejects it; the transcoder must not follow the playlist's references either.
    info = replace(probe(clips["small"]), has_audio=False)

    with pytest.raises(TranscodeError) as caught:
        transcode(clips["playlist"], tmp_path / "lesson", info, ffmpeg_bin=ffmpeg_bin)

    assert caught.value.reason == "ffmpeg_failed"
    assert list(tmp_path.iterdir()) == []


def test_existing_output_directory_is_not_overwritten(clips, tmp_path, ffmpeg_bin):
    info = probe(clips["small"])

    with pytest.raises(FileExistsError):
        transcode(clips["small"], tmp_path, info, ffmpeg_bin=ffmpeg_bin)


@pytest.mark.parametrize(
    ("stderr", "reason", "detail"),
    [
        (
            [
                "[hls @ 0x55d4c1a0] Failed to open file '240p_00003.m4s'",
                "av_interleaved_write_frame(): No space left on device",
                "Conversion failed!",
            ],
            "disk_full",
            "No space left on device",
        ),
        (
            ["[libx264 @ 0x5612] broken ffmpeg default settings detected", "Conversion failed!"],
            "ffmpeg_failed",
            "broken ffmpeg default settings detected",
        ),
        ([], "ffmpeg_failed", "ffmpeg exited with status 1"),
    ],
)
def test_failure_reason_is_read_from_stderr(stderr, reason, detail):
    assert failure_reason(stderr, 1) == (reason, detail)

"""Clips generated once per session with ffmpeg itself, good and broken."""

import random
import subprocess
from pathlib import Path

import av
import pytest

from lms.media.probe import find_ffmpeg


@pytest.fixture(scope="session")
def ffmpeg_bin() -> str:
    """Return the ffmpeg binary the application would use."""
    return find_ffmpeg()


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: str) -> dict[str, Path]:
    """Generate every clip the media tests probe or transcode."""
    folder = tmp_path_factory.mktemp("clips")
    clips = {
        "lesson_480": _generate(ffmpeg_bin, folder / "lesson_480.mp4", "640x480", 12, audio=True),
        "lesson_720": _generate(ffmpeg_bin, folder / "lesson_720.mp4", "1280x720", 2, audio=True),
        "lesson_720_mkv": _generate(ffmpeg_bin, folder / "lesson_720.mkv", "1280x720", 3, audio=True),
        "small": _generate(ffmpeg_bin, folder / "small.mp4", "320x180", 4, audio=False),
        "tiny": _generate(ffmpeg_bin, folder / "tiny.mp4", "32x32", 1, audio=False),
        "faststart": _generate(ffmpeg_bin, folder / "faststart.mp4", "640x480", 4, audio=True, faststart=True),
    }
    clips["portrait_small"] = _rotate(ffmpeg_bin, clips["small"], folder / "portrait_small.mp4")

    audio_only = folder / "audio_only.m4a"
    _ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-c:a", "aac", audio_only)
    clips["audio_only"] = audio_only

    # 8000x8000 exceeds the 8K budget; MJPEG keeps a one-frame file small and quick to make.
    huge = folder / "huge.mov"
    _ffmpeg(
        ffmpeg_bin, "-f", "lavfi", "-i", "color=c=gray:size=8000x8000:rate=25:duration=0.04",
        "-frames:v", "1", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", huge,
    )  # fmt: skip
    clips["huge"] = huge

    # One frame a minute makes a three-hour video cheap to encode.
    too_long = folder / "too_long.mp4"
    _ffmpeg(
        ffmpeg_bin, "-f", "lavfi", "-i", "color=size=64x64:rate=1/60:duration=10860",
        "-c:v", "libx264", "-preset", "ultrafast", too_long,
    )  # fmt: skip
    clips["too_long"] = too_long

    still = folder / "still.png"
    _ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", still)
    clips["png_as_mp4"] = _write(folder / "picture.mp4", still.read_bytes())
    clips["empty"] = _write(folder / "empty.mp4", b"")
    clips["random"] = _write(folder / "random.mp4", random.Random(7).randbytes(200_000))
    whole = clips["lesson_480"].read_bytes()
    clips["truncated"] = _write(folder / "truncated.mp4", whole[: len(whole) * 6 // 10])
    fast = clips["faststart"].read_bytes()
    clips["truncated_faststart"] = _write(folder / "truncated_faststart.mp4", fast[: len(fast) * 6 // 10])
    mkv = clips["lesson_720_mkv"].read_bytes()
    clips["truncated_mkv"] = _write(folder / "truncated.mkv", mkv[: len(mkv) * 4 // 10])
    playlist = "#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2,\nlesson_480.mp4\n#EXT-X-ENDLIST\n"
    clips["playlist"] = _write(folder / "lesson.m3u8", playlist.encode())
    return clips


def _generate(
    ffmpeg_bin: str,
    path: Path,
    size: str,
    seconds: int,
    *,
    audio: bool,
    faststart: bool = False,
) -> Path:
    args: list[str | Path] = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate=25:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=44100:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        args += ["-c:a", "aac", "-b:a", "96k", "-ac", "2"]
    if faststart:
        args += ["-movflags", "+faststart"]
    _ffmpeg(ffmpeg_bin, *args, path)
    return path


def _rotate(ffmpeg_bin: str, source: Path, path: Path) -> Path:
    """Copy a clip with a 90° display rotation, as a phone filming upright would write it."""
    # ffmpeg 5.1 takes the old `rotate` tag; ffmpeg 7 and later only -display_rotation.
    _ffmpeg(ffmpeg_bin, "-i", source, "-c", "copy", "-metadata:s:v:0", "rotate=90", path)
    if _rotation(path) % 180 == 0:
        _ffmpeg(ffmpeg_bin, "-display_rotation:v:0", "90", "-i", source, "-c", "copy", path)
    return path


def _rotation(path: Path) -> int:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).rotation


def _ffmpeg(ffmpeg_bin: str, *args: str | Path) -> None:
    command = [ffmpeg_bin, "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *map(str, args)]
    subprocess.run(command, check=True, timeout=60)


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- Lessons and uploads for the view, job and browser tests -----------------------------------------


@pytest.fixture(scope="session")
def upload_clips(tmp_path_factory: pytest.TempPathFactory, ffmpeg_bin: str) -> dict[str, Path]:
    """Generate the few small files the upload tests send: a good clip and the bad kinds."""
    folder = tmp_path_factory.mktemp("upload-clips")
    good = _generate(ffmpeg_bin, folder / "pelajaran.mp4", "320x240", 5, audio=True)
    audio_only = folder / "suara.m4a"
    _ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "sine=frequency=330:duration=3", "-c:a", "aac", audio_only)
    still = folder / "gambar.png"
    _ffmpeg(ffmpeg_bin, "-f", "lavfi", "-i", "testsrc2=size=320x240", "-frames:v", "1", still)
    whole = good.read_bytes()
    return {
        "good": good,
        "audio_only": audio_only,
        "renamed": _write(folder / "gambar.mp4", still.read_bytes()),
        "empty": _write(folder / "kosong.mp4", b""),
        "truncated": _write(folder / "terpotong.mp4", whole[: len(whole) * 6 // 10]),
    }


@pytest.fixture
def make_lesson(app):
    """Return a factory for a course with one lesson published in Indonesian; returns the lesson id."""
    from lms.courses.models import Course, CourseText, Lesson, LessonText, LessonVersion
    from lms.extensions import db

    def factory(slug: str = "kursus-video", is_published: bool = True, office_id: int | None = None) -> int:
        with app.app_context():
            course = Course(slug=slug, is_published=is_published, office_id=office_id)
            course.texts.append(CourseText(language="id", title="Kursus Video", summary="Ringkasan."))
            lesson = Lesson(slug="pelajaran-video", position=1)
            course.lessons.append(lesson)
            text = LessonText(language="id", title="Membuat paspor", status="published")
            lesson.texts.append(text)
            db.session.add(course)
            db.session.flush()
            version = LessonVersion(
                text_id=text.id,
                title="Membuat paspor",
                body_markdown="Isi.",
                body_html="<p>Isi.</p>",
                status="published",
            )
            db.session.add(version)
            db.session.flush()
            text.published_version_id = version.id
            db.session.commit()
            return lesson.id

    return factory

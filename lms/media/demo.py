"""Demo videos: short narrated slide shows made from built-in lessons, with Indonesian and English captions."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from lms.courses.models import Course, Lesson
from lms.extensions import db

#: Built-in lessons that get a demo video: (course slug, lesson slug).
DEMO_LESSONS = (("paspor", "siapa-perlu-paspor"), ("bekerja-di-luar-negeri", "tanda-bahaya-tawaran-palsu"))
#: Slides after the title slide; with one sentence each the video lasts about 30–45 s.
CONTENT_SLIDES = 4
WORDS_PER_SLIDE = 22
WIDTH, HEIGHT = 640, 360
BACKGROUND, INK, ACCENT = (11, 92, 138), (255, 255, 255), (255, 214, 102)
FONT_DIR = Path("/usr/share/fonts/truetype/noto")
VOICE, WORDS_PER_MINUTE = "id", 150
PAUSE_S = 0.5
LIST_ITEM = re.compile(r"^\s*(?:[-*]|\d+[.)])\s")
#: Bumped when the look or the voice changes, so cached sources are made again.
RECIPE = "1"


@dataclass(frozen=True)
class Slide:
    """One slide: a heading and the sentence read aloud under it."""

    heading: str
    text: str

    @property
    def spoken(self) -> str:
        if not self.text:
            return self.heading
        return f"{self.heading} {self.text}" if self.heading[-1:] in ".?!:" else f"{self.heading}. {self.text}"


def _plain(markdown: str) -> str:
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    text = re.sub(r"[*_`]+", "", text)
    return " ".join(text.replace("- ", " ").split())


def _first_sentence(paragraph: str) -> str:
    sentence = re.split(r"(?<=[.!?])\s+", _plain(paragraph))[0]
    words = sentence.split()
    return sentence if len(words) <= WORDS_PER_SLIDE else " ".join(words[:WORDS_PER_SLIDE]) + " …"


def lesson_slides(path: Path) -> list[Slide]:
    """Read a lesson file into a title slide and one slide per section (heading and first sentence)."""
    text = path.read_text(encoding="utf-8")
    front, _, body = text.partition("\n---\n") if text.startswith("---") else ("", "", text)
    title = next((line.split(":", 1)[1].strip() for line in front.splitlines() if line.startswith("title:")), "")
    slides = [Slide(title, "")]
    sections = re.split(r"^## ", body, flags=re.MULTILINE)
    for index, section in enumerate(sections):
        lines = section.strip().split("\n", 1)
        heading, rest = (title, section) if index == 0 else (lines[0].strip(), lines[1] if len(lines) > 1 else "")
        paragraph = next((p for p in rest.split("\n\n") if p.strip() and not LIST_ITEM.match(p)), "")
        if paragraph and heading.lower() not in ("sumber", "sources"):
            slides.append(Slide(heading, _first_sentence(paragraph)))
        if len(slides) > CONTENT_SLIDES:
            break
    return slides


def render_slide(slide: Slide, path: Path, is_title: bool) -> None:
    """Draw a slide as a PNG frame with the Noto fonts."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    bold = ImageFont.truetype(str(FONT_DIR / "NotoSans-Bold.ttf"), 34 if is_title else 28)
    regular = ImageFont.truetype(str(FONT_DIR / "NotoSans-Regular.ttf"), 24)
    small = ImageFont.truetype(str(FONT_DIR / "NotoSans-Regular.ttf"), 18)
    draw.text((40, 24), "Kelas Imigrasi", font=small, fill=ACCENT)
    y = 120 if is_title else 64
    for line in _wrap(draw, slide.heading, bold, WIDTH - 80):
        draw.text((40, y), line, font=bold, fill=INK)
        y += bold.size + 10
    y += 12
    for line in _wrap(draw, slide.text, regular, WIDTH - 80):
        draw.text((40, y), line, font=regular, fill=INK)
        y += regular.size + 10
    image.save(path)


def _wrap(draw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def _speak(text: str, path: Path) -> None:
    subprocess.run(
        ["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(path), text],
        check=True,
        capture_output=True,
        timeout=60,
    )


def _webvtt(slides: list[Slide], spans: list[tuple[float, float]]) -> str:
    def stamp(seconds: float) -> str:
        minutes, milliseconds = divmod(round(seconds * 1000), 60_000)
        return f"00:{minutes:02d}:{milliseconds // 1000:02d}.{milliseconds % 1000:03d}"

    cues = [
        f"{stamp(start)} --> {stamp(end)}\n{slide.spoken}" for slide, (start, end) in zip(slides, spans, strict=True)
    ]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def make_demo_video(lesson_dir: Path, out_dir: Path, ffmpeg_bin: str) -> tuple[Path, dict[str, str]]:
    """Make (or reuse from out_dir) a narrated video of a lesson folder, with WebVTT captions per language."""
    slides = {language: lesson_slides(lesson_dir / f"{language}.md") for language in ("id", "en")}
    count = min(len(slides["id"]), len(slides["en"]))
    slides = {language: found[:count] for language, found in slides.items()}
    digest = hashlib.sha256(repr((RECIPE, slides)).encode()).hexdigest()[:12]
    base = out_dir / f"{lesson_dir.parent.parent.name}--{lesson_dir.name}-{digest}"
    video = base.with_suffix(".mp4")
    caption_files = {language: base.with_name(f"{base.name}.{language}.vtt") for language in slides}
    if video.is_file() and all(path.is_file() for path in caption_files.values()):
        return video, {language: path.read_text(encoding="utf-8") for language, path in caption_files.items()}
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="demo-video-") as work:
        work_dir = Path(work)
        spans, entries, frames, params = [], [], [], None
        elapsed = 0.0
        for index, slide in enumerate(slides["id"]):
            speech = work_dir / f"speech{index}.wav"
            _speak(slide.spoken, speech)
            with wave.open(str(speech), "rb") as reader:
                params = params or reader.getparams()
                samples = reader.readframes(reader.getnframes())
            silence = b"\0" * int(params.framerate * PAUSE_S) * params.sampwidth * params.nchannels
            frames.append(samples + silence)
            duration = len(samples + silence) / (params.framerate * params.sampwidth * params.nchannels)
            spans.append((elapsed, elapsed + duration - PAUSE_S / 2))
            elapsed += duration
            picture = work_dir / f"slide{index}.png"
            render_slide(slide, picture, is_title=index == 0)
            entries.append(f"file '{picture.name}'\nduration {duration:.3f}")
        entries.append(f"file 'slide{len(slides['id']) - 1}.png'")  # the concat demuxer needs the last one twice
        (work_dir / "slides.txt").write_text("\n".join(entries) + "\n", encoding="utf-8")
        with wave.open(str(work_dir / "narration.wav"), "wb") as writer:
            writer.setparams(params)
            writer.writeframes(b"".join(frames))
        partial = video.with_name(f".{video.name}.partial.mp4")
        command = [
            ffmpeg_bin, "-hide_banner", "-loglevel", "error", "-nostdin", "-y",
            "-f", "concat", "-safe", "0", "-i", str(work_dir / "slides.txt"), "-i", str(work_dir / "narration.wav"),
            "-vf", "fps=25,format=yuv420p", "-c:v", "libx264", "-preset", "veryfast", "-tune", "stillimage",
            "-c:a", "aac", "-b:a", "96k", "-shortest", "-movflags", "+faststart", str(partial),
        ]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True, timeout=300)
        partial.replace(video)
    captions = {language: _webvtt(found, spans) for language, found in slides.items()}
    for language, text in captions.items():
        caption_files[language].write_text(text, encoding="utf-8")
    return video, captions


def attach_demo_videos(accounts: dict) -> None:
    """Give two built-in lessons a narrated demo video with captions; the job converts them."""
    from lms.media.models import Video
    from lms.media.operations import ffmpeg_binary, media_root, receive_video, save_captions, start_transcode

    if shutil.which("espeak-ng") is None:
        click.echo("Demo videos skipped: espeak-ng is not installed (sudo apt-get install espeak-ng).")
        return
    courses_dir = Path(current_app.config["COURSES_DIR"])
    for course_slug, lesson_slug in DEMO_LESSONS:
        lesson = db.session.scalar(
            select(Lesson).join(Course).where(Course.slug == course_slug, Lesson.slug == lesson_slug)
        )
        lesson_dir = courses_dir / course_slug / "lessons" / lesson_slug
        if lesson is None or not lesson_dir.is_dir():
            continue
        if db.session.scalar(select(Video.id).where(Video.lesson_id == lesson.id).limit(1)) is not None:
            continue
        source, captions = make_demo_video(lesson_dir, media_root() / "demo-sources", ffmpeg_binary())
        with source.open("rb") as stream:
            video = receive_video(
                lesson, stream, source.name, accounts["petugas1"], current_app.config["MAX_VIDEO_BYTES"]
            )
        for language, text in captions.items():
            save_captions(video, language, text.encode(), f"{language}.vtt")
        db.session.commit()
        start_transcode(video)
        click.echo(f"Demo video for {course_slug}/{lesson_slug}: {video.duration_s:.0f} s, queued for converting.")

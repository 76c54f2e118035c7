"""Make the narrated demo videos of the built-in lessons into a folder (flask setup attaches them itself).

Usage: .venv/bin/python scripts/make_demo_videos.py [--ladder] [OUT_DIR]   (default: media/demo-sources)
With --ladder, also transcode each into the full ladder and print its speed and MB a minute per rendition.
Needs espeak-ng, ffmpeg and the Noto fonts (Debian: espeak-ng ffmpeg fonts-noto-core).
"""

import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import BASE_DIR, Config  # noqa: E402
from lms.media.demo import DEMO_LESSONS, make_demo_video  # noqa: E402
from lms.media.ladder import DOWNLOAD  # noqa: E402
from lms.media.probe import find_ffmpeg, probe  # noqa: E402
from lms.media.transcode import transcode  # noqa: E402


def main() -> int:
    """Make every demo video, reusing those already made."""
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed: sudo apt-get install espeak-ng")
        return 1
    arguments = [argument for argument in sys.argv[1:] if argument != "--ladder"]
    out_dir = Path(arguments[0]) if arguments else Path(Config.MEDIA_ROOT) / "demo-sources"
    courses_dir = Path(Config.COURSES_DIR) if Config.COURSES_DIR else BASE_DIR / "courses"
    for course_slug, lesson_slug in DEMO_LESSONS:
        started = time.monotonic()
        video, captions = make_demo_video(courses_dir / course_slug / "lessons" / lesson_slug, out_dir, find_ffmpeg())
        info = probe(video)
        print(
            f"{video}: {info.duration_s:.1f} s, {info.width}x{info.height}, {info.size_bytes / 1e6:.2f} MB, "
            f"captions {', '.join(sorted(captions))}, {time.monotonic() - started:.1f} s"
        )
        if "--ladder" in sys.argv:
            print_ladder(video)
    return 0


def print_ladder(video: Path) -> None:
    """Transcode a video into the ladder and print its speed and the MB a minute of each rendition."""
    info = probe(video)
    with tempfile.TemporaryDirectory(prefix="ladder-") as work:
        result = transcode(video, Path(work) / "ladder", info, ffmpeg_bin=find_ffmpeg())
        minutes = info.duration_s / 60
        sizes = [(v.rendition.name, v.size_bytes) for v in result.variants]
        sizes.append(("download", (result.out_dir / DOWNLOAD).stat().st_size))
        per_minute = ", ".join(f"{name} {size / 1e6 / minutes:.3f}" for name, size in sizes)
        print(f"  ladder: {result.speed:.2f}x realtime; MB/min: {per_minute}")


if __name__ == "__main__":
    sys.exit(main())

"""Make the narrated demo videos of the built-in lessons into a folder (flask setup attaches them itself).

Usage: .venv/bin/python scripts/make_demo_videos.py [OUT_DIR]   (default: media/demo-sources)
Needs espeak-ng, ffmpeg and the Noto fonts (Debian: espeak-ng ffmpeg fonts-noto-core).
"""

import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import BASE_DIR, Config  # noqa: E402
from lms.media.demo import DEMO_LESSONS, make_demo_video  # noqa: E402
from lms.media.probe import find_ffmpeg, probe  # noqa: E402


def main() -> int:
    """Make every demo video, reusing those already made."""
    if shutil.which("espeak-ng") is None:
        print("espeak-ng is not installed: sudo apt-get install espeak-ng")
        return 1
    out_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(Config.MEDIA_ROOT) / "demo-sources"
    courses_dir = Path(Config.COURSES_DIR) if Config.COURSES_DIR else BASE_DIR / "courses"
    for course_slug, lesson_slug in DEMO_LESSONS:
        started = time.monotonic()
        video, captions = make_demo_video(courses_dir / course_slug / "lessons" / lesson_slug, out_dir, find_ffmpeg())
        info = probe(video)
        print(
            f"{video}: {info.duration_s:.1f} s, {info.width}x{info.height}, {info.size_bytes / 1e6:.2f} MB, "
            f"captions {', '.join(sorted(captions))}, {time.monotonic() - started:.1f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

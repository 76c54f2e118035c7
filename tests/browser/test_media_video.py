"""An officer uploads a lesson video and its captions in Chromium; the lesson page then plays it with captions."""

import subprocess
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.extensions import db
from lms.media.probe import find_ffmpeg

pytestmark = pytest.mark.browser

PASSWORD = "kata-sandi-rahasia"
CAPTIONS = "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nSelamat datang.\n\n00:00:02.000 --> 00:00:04.000\nIni paspor.\n"


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


@pytest.fixture
def clip(tmp_path):
    """A 4-second 320×240 clip with a tone."""
    path = tmp_path / "pelajaran.mp4"
    subprocess.run(
        [
            find_ffmpeg(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25:duration=4",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=4",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path),
        ],
        check=True,
        timeout=60,
    )  # fmt: skip
    return path


@pytest.fixture
def published_lesson(app):
    """A published course with one lesson; returns (lesson id, lesson URL)."""
    from lms.courses.models import Course, CourseText, Lesson, LessonText, LessonVersion

    with app.app_context():
        course = Course(slug="kursus-video", is_published=True)
        course.texts.append(CourseText(language="id", title="Kursus Video", summary="Ringkasan."))
        lesson = Lesson(slug="membuat-paspor", position=1)
        course.lessons.append(lesson)
        text = LessonText(language="id", title="Membuat paspor", status="published")
        lesson.texts.append(text)
        db.session.add(course)
        db.session.flush()
        version = LessonVersion(
            text_id=text.id, title="Membuat paspor", body_markdown="Isi.", body_html="<p>Isi.</p>", status="published"
        )
        db.session.add(version)
        db.session.flush()
        text.published_version_id = version.id
        db.session.commit()
        return lesson.id, "/kursus/kursus-video/membuat-paspor"


def wait_until(page, expression: str, timeout_s: float = 20) -> None:
    """Poll an expression in the page (wait_for_function needs eval, which the CSP forbids)."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        assert time.monotonic() < deadline, f"timed out waiting for {expression}"
        page.wait_for_timeout(100)


def sign_in(page, live_server, username):
    page.goto(live_server + "/akun/masuk")
    page.get_by_label("Nomor HP atau nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def test_officer_uploads_and_resident_watches_with_captions(
    page, live_server, create_user, published_lesson, clip, tmp_path
):
    lesson_id, lesson_url = published_lesson
    create_user("officer", "petugasvideo")
    create_user("resident", "wargavideo")
    sign_in(page, live_server, "petugasvideo")

    page.goto(f"{live_server}/video/pelajaran/{lesson_id}")
    assert_accessible(page)
    page.get_by_label("Berkas video").set_input_files(str(clip))
    page.get_by_role("button", name="Unggah", exact=True).click()
    expect(page.get_by_text("Siap", exact=True)).to_be_visible(timeout=60_000)
    captions = tmp_path / "teks.vtt"
    captions.write_text(CAPTIONS, encoding="utf-8")
    page.get_by_label("Bahasa teks video").select_option("id")
    page.get_by_label("Berkas teks terjemahan (WebVTT atau SRT)").set_input_files(str(captions))
    page.get_by_role("button", name="Simpan teks video").click()
    expect(page.get_by_text("Teks video sudah disimpan.")).to_be_visible()
    assert_accessible(page)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.get_by_role("button", name="Keluar").click()

    sign_in(page, live_server, "wargavideo")
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(live_server + lesson_url)
    video = page.locator("figure.player video")
    expect(video).to_be_visible()
    # Opening the lesson spends no data on the video: playlists and segments wait for the play button.
    page.wait_for_load_state("networkidle")
    assert not [url for url in fetched if url.endswith((".m3u8", ".m4s", ".ts", ".mp4", ".m4a"))], fetched
    expect(page.get_by_role("link", name="Unduh video")).to_be_visible()
    expect(page.get_by_text("Kualitas gambar")).to_be_visible()
    assert page.evaluate("document.querySelector('figure.player video').textTracks.length") == 1
    # The first play picks the rendition and loads it, which interrupts the first play() call; playback goes on.
    page.evaluate("v => { v.muted = true; return v.play().catch(() => null); }", video.element_handle())
    wait_until(page, "document.querySelector('figure.player video').readyState >= 2")
    source = page.evaluate("document.querySelector('figure.player video').currentSrc")
    assert source.endswith(("master.m3u8", "download.mp4"))
    page.get_by_text("Baca transkrip").click()
    expect(page.get_by_text("Selamat datang. Ini paspor.")).to_be_visible()
    assert_accessible(page)

    # Leaving the page saves the position; coming back restores it.
    wait_until(page, "document.querySelector('figure.player video').currentTime > 1.5")
    with page.expect_response(lambda response: "/posisi" in response.url) as saving:
        page.evaluate("document.querySelector('figure.player video').pause()")
    assert saving.value.ok
    page.goto(live_server + lesson_url)
    saved = float(page.locator("figure.player").get_attribute("data-position"))
    assert saved >= 1.5

    # The player never plays faster than the server counts as watched.
    page.evaluate("document.querySelector('figure.player video').playbackRate = 4")
    wait_until(page, "document.querySelector('figure.player video').playbackRate === 2")

    # "Audio only" plays the sound rendition (fMP4 HLS where the browser plays HLS, else its M4A copy).
    native_hls = page.evaluate("!!document.createElement('video').canPlayType('application/vnd.apple.mpegurl')")
    expected = "audio.m3u8" if native_hls else "audio.m4a"  # Chromium 156 plays HLS itself
    page.get_by_label("Audio saja (hemat kuota)").check()
    wait_until(page, f"document.querySelector('figure.player video').currentSrc.endsWith('/{expected}')")
    page.evaluate("v => { v.muted = true; return v.play(); }", video.element_handle())
    start = page.evaluate("document.querySelector('figure.player video').currentTime")
    wait_until(page, f"document.querySelector('figure.player video').currentTime > {start} + 1")
    assert page.evaluate("document.querySelector('figure.player video').error") is None
    assert "audio-only" in page.locator("figure.player video").get_attribute("class")
    page.get_by_role("button", name="Keluar").click()

    # The officer deletes it after a confirmation page.
    sign_in(page, live_server, "petugasvideo")
    page.goto(f"{live_server}/video/pelajaran/{lesson_id}")
    page.get_by_role("link", name="Hapus video ini").click()
    expect(page.get_by_text("Ini tidak bisa dibatalkan.", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Hapus video ini selamanya").click()
    expect(page.get_by_text("Video sudah dihapus.")).to_be_visible()
    page.goto(live_server + lesson_url)
    expect(page.locator("figure.player video")).to_have_count(0)

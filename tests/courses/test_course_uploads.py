"""Images and audio narrations officers upload: checked by decoding, cleaned, and refused cleanly."""

import io
import random
import subprocess
from pathlib import Path

import pytest
from PIL import Image

from lms.courses import uploads
from lms.extensions import db
from lms.media.probe import find_ffmpeg
from tests.courses.conftest import import_test_course


@pytest.fixture(autouse=True)
def _english(client):
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"


def _jpeg_with_gps(width=3000, height=2000) -> bytes:
    image = Image.new("RGB", (width, height), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "KameraRahasia"  # Make
    exif[0x0112] = 1  # Orientation
    exif[0x8825] = {1: "S", 2: (4.0, 1.0, 0.0), 3: "E", 4: (103.0, 15.0, 0.0)}  # GPS
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif)
    return output.getvalue()


def _upload_image(client, data: bytes, filename="foto.jpg"):
    return client.post(
        "/kelola/gambar",
        data={"image": (io.BytesIO(data), filename), "description": "Contoh paspor [baru]"},
        content_type="multipart/form-data",
    )


def test_an_image_is_resized_and_stripped_of_its_metadata(app, client, auth, officer):
    original = _jpeg_with_gps()
    assert b"KameraRahasia" in original
    auth.sign_in(officer)
    response = _upload_image(client, original)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    snippet = next(line for line in page.splitlines() if 'id="snippet"' in line)
    name = snippet.split("/media/images/")[1].split(")")[0]
    assert "![Contoh paspor (baru)](/media/images/" in snippet
    stored = Path(app.config["MEDIA_ROOT"]) / "images" / name
    image = Image.open(stored)
    assert image.width == 1280 and image.height == 853
    assert not image.getexif() and b"KameraRahasia" not in stored.read_bytes()
    served = client.get(f"/media/images/{name}")
    assert served.status_code == 200 and served.headers["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served.headers["Cache-Control"] and "max-age=31536000" in served.headers["Cache-Control"]
    assert served.headers["Content-Type"] == "image/jpeg"


def test_a_transparent_image_stays_a_png(app, tmp_path):
    output = io.BytesIO()
    Image.new("RGBA", (40, 30), (0, 0, 0, 0)).save(output, "PNG")
    name = uploads.store_image(io.BytesIO(output.getvalue()), tmp_path)
    assert name.endswith(".png") and Image.open(tmp_path / "images" / name).mode == "RGBA"


def test_a_decompression_bomb_is_refused(app, client, auth, officer):
    bomb = io.BytesIO()
    Image.new("1", (8000, 6000)).save(bomb, "PNG")  # 48 megapixels in a few kilobytes
    assert len(bomb.getvalue()) < 100_000
    auth.sign_in(officer)
    folder = Path(app.config["MEDIA_ROOT"]) / "images"
    before = sorted(folder.iterdir()) if folder.exists() else []
    response = _upload_image(client, bomb.getvalue(), "bom.png")
    assert response.status_code == 422 and "too many pixels" in response.get_data(as_text=True)
    assert (sorted(folder.iterdir()) if folder.exists() else []) == before


def test_a_huge_bomb_is_refused_before_pillow_decodes_it(tmp_path):
    bomb = io.BytesIO()
    Image.new("1", (20000, 10000)).save(bomb, "PNG")  # 200 megapixels: Pillow itself would warn or refuse
    with pytest.raises(uploads.UploadError) as raised:
        uploads.store_image(io.BytesIO(bomb.getvalue()), tmp_path)
    assert raised.value.reason == "too_many_pixels"


@pytest.mark.parametrize(
    "data",
    [
        b"this is not an image",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="10" height="10"/></svg>',
        b"\xff\xd8\xff\xe0" + bytes(200),  # a JPEG header and nothing after it
        b"",
    ],
    ids=["text", "svg", "truncated-jpeg", "empty"],
)
def test_a_file_that_is_not_an_image_is_refused(app, client, auth, officer, data):
    auth.sign_in(officer)
    folder = Path(app.config["MEDIA_ROOT"]) / "images"
    before = sorted(folder.iterdir()) if folder.exists() else []
    response = _upload_image(client, data)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not an image we can use" in page or "Please choose a file" in page or "empty" in page
    assert (sorted(folder.iterdir()) if folder.exists() else []) == before


def test_only_stored_names_are_served(client):
    assert client.get("/media/images/..%2F..%2Fsecret-key").status_code == 404
    assert client.get("/media/images/gambar.svg").status_code == 404
    assert client.get("/media/audio/" + "a" * 64 + ".mp3").status_code == 404


# --- Audio -----------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def sounds(tmp_path_factory) -> dict[str, Path]:
    """Make the audio files the tests upload, with ffmpeg."""
    folder = tmp_path_factory.mktemp("sounds")
    ffmpeg = find_ffmpeg()

    def make(name: str, *args: str) -> Path:
        path = folder / name
        subprocess.run([ffmpeg, "-y", "-v", "error", *args, str(path)], check=True)
        return path

    sine = ("-f", "lavfi", "-i", "sine=frequency=440:duration=3")
    silence = ("-f", "lavfi", "-i", "anullsrc=r=8000:cl=mono", "-t", "1850")
    picture = ("-f", "lavfi", "-i", "testsrc2=size=160x120:duration=2")
    return {
        "mp3": make("cerita.mp3", *sine, "-c:a", "libmp3lame"),
        "m4a": make("cerita.m4a", *sine, "-c:a", "aac"),
        "ogg": make("cerita.ogg", *sine, "-c:a", "libopus"),
        "long": make("panjang.mp3", *silence, "-c:a", "libmp3lame", "-b:a", "8k"),
        "video": make("video.mp4", *picture, *sine, "-shortest", "-c:v", "libx264", "-preset", "ultrafast"),
    }  # fmt: skip


@pytest.fixture
def lesson_course(app, tmp_path):
    import_test_course(app, tmp_path)


def _upload_audio(client, path: Path | None = None, data: bytes | None = None, name="cerita.mp3", language="id"):
    content = data if data is not None else path.read_bytes()
    return client.post(
        f"/kelola/kursus/kursus-uji/pelajaran-satu/{language}/audio",
        data={"audio": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _kept_audio(app) -> list[Path]:
    folder = Path(app.config["MEDIA_ROOT"]) / "audio"
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("kind", ["mp3", "m4a", "ogg"])
def test_a_narration_is_accepted_and_played_above_the_text(
    app, client, auth, officer, resident, lesson_course, sounds, kind
):
    auth.sign_in(officer)
    response = _upload_audio(client, sounds[kind], name=sounds[kind].name)
    assert response.status_code == 302
    auth.sign_out()
    auth.sign_in(resident)
    page = client.get("/kursus/kursus-uji/pelajaran-satu").get_data(as_text=True)
    match = page.index('<audio controls preload="none"')
    assert match < page.index('class="lesson-body"')
    source = page[match:].split('src="')[1].split('"')[0]
    served = client.get(source, headers={"Range": "bytes=0-99"})
    assert served.status_code == 206 and len(served.data) == 100


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("long", None, "longer than 30 minutes"),
        ("video", None, "contains video"),
        (None, random.Random(3).randbytes(300_000), "not audio we can play"),
        (None, b"ID3\x03\x00\x00\x00\x00\x00\x00" + bytes(5000), "not audio we can play"),
        (None, b"", "empty"),
    ],
    ids=["too-long", "video", "random-bytes", "empty-mp3", "empty"],
)
def test_a_bad_narration_is_refused_and_nothing_is_kept(
    app, client, auth, officer, lesson_course, sounds, kind, data, message
):
    auth.sign_in(officer)
    before = _kept_audio(app)
    response = _upload_audio(client, sounds[kind] if kind else None, data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _kept_audio(app) == before
    with app.app_context():
        from lms.courses.models import LessonText

        assert all(text.audio_filename is None for text in db.session.scalars(db.select(LessonText)))


def test_a_narration_over_the_size_limit_is_refused(app, client, auth, officer, lesson_course, sounds, monkeypatch):
    monkeypatch.setattr(uploads, "MAX_AUDIO_BYTES", 10_000)
    auth.sign_in(officer)
    before = _kept_audio(app)
    response = _upload_audio(client, sounds["mp3"])
    assert response.status_code == 422 and "too large" in response.get_data(as_text=True)
    assert _kept_audio(app) == before


def test_a_narration_can_be_removed(app, client, auth, officer, lesson_course, sounds):
    auth.sign_in(officer)
    _upload_audio(client, sounds["mp3"])
    client.post("/kelola/kursus/kursus-uji/pelajaran-satu/id/audio", data={"action": "remove"})
    assert "<audio" not in client.get("/kursus/kursus-uji/pelajaran-satu").get_data(as_text=True)

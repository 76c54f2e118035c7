"""Files officers upload for lessons: images (re-encoded without metadata) and audio narrations (checked by decoding).

Each file is stored under MEDIA_ROOT by the hash of its content, so a name never changes meaning and
browsers may cache it for good. A refused upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import BinaryIO

import av
import av.error
from av.stream import Disposition
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest image upload accepted, before decoding.
MAX_IMAGE_BYTES = 20 * 1024 * 1024
#: Pixel budget: a larger image is refused before it is decoded (a decompression bomb would fill memory).
MAX_IMAGE_PIXELS = 40_000_000
#: Images are scaled down to this width: wider helps nobody on a phone and costs data.
MAX_IMAGE_WIDTH = 1280
IMAGE_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}

#: Largest audio narration accepted, and its longest duration.
MAX_AUDIO_BYTES = 40 * 1024 * 1024
MAX_AUDIO_SECONDS = 30 * 60
#: Containers a narration may come in (mp3, m4a, ogg), and the extension each is stored under.
AUDIO_CONTAINERS = {"mp3": ".mp3", "mov,mp4,m4a,3gp,3g2,mj2": ".m4a", "ogg": ".ogg"}
AUDIO_INPUT_OPTIONS = {"protocol_whitelist": "file", "format_whitelist": "mp3,mov,mp4,m4a,3gp,3g2,mj2,ogg"}
#: Audio frames decoded to prove the file really is audio.
AUDIO_FRAMES_TO_DECODE = 20


class UploadError(Exception):
    """Refuse an upload; `reason` is a code the pages turn into a message."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadError("file_too_large")
    if not data:
        raise UploadError("empty")
    return data


def _store(folder: Path, data: bytes, extension: str) -> str:
    name = hashlib.sha256(data).hexdigest() + extension
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if not target.exists():
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    return name


# --- Images ----------------------------------------------------------------------------------------


def _open_image(data: bytes) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Pillow warns, then refuses, only far above our budget: treat its warning as a refusal too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(BytesIO(data))
            if image.format not in IMAGE_FORMATS:
                raise UploadError("not_image", str(image.format))
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise UploadError("too_many_pixels", f"{width}x{height}")
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UploadError("too_many_pixels", str(error)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        raise UploadError("not_image", str(error)) from None
    return image


def store_image(stream: BinaryIO, media_root: Path | str) -> str:
    """Check an uploaded image by decoding it, re-encode it smaller without metadata, and return its file name."""
    image = _open_image(_read_limited(stream, MAX_IMAGE_BYTES))
    image = ImageOps.exif_transpose(image)  # keep the intended orientation once EXIF is gone
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    image = image.convert("RGBA" if has_alpha else "RGB")
    if image.width > MAX_IMAGE_WIDTH:
        height = max(1, round(image.height * MAX_IMAGE_WIDTH / image.width))
        image = image.resize((MAX_IMAGE_WIDTH, height), Image.Resampling.LANCZOS)
    output = BytesIO()
    # A fresh image and no exif/icc arguments: nothing from the original file (GPS, camera, author) survives.
    clean = Image.new(image.mode, image.size)
    clean.paste(image)
    if has_alpha:
        clean.save(output, "PNG", optimize=True)
        extension = ".png"
    else:
        clean.save(output, "JPEG", quality=82, optimize=True, progressive=True)
        extension = ".jpg"
    return _store(Path(media_root) / "images", output.getvalue(), extension)


# --- Audio -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AudioFile:
    """An accepted narration: its stored name, length and size."""

    name: str
    duration_s: float
    size_bytes: int


def _check_audio(path: Path) -> tuple[str, float]:
    try:
        container = av.open(str(path), options=AUDIO_INPUT_OPTIONS)
    except (av.error.FFmpegError, ValueError, OSError) as error:
        raise UploadError("not_audio", str(error)) from None
    with container:
        extension = AUDIO_CONTAINERS.get(container.format.name)
        if extension is None:
            raise UploadError("not_audio", container.format.name)
        pictures = [s for s in container.streams.video if not s.disposition & Disposition.attached_pic]
        if pictures:
            raise UploadError("has_video")
        streams = [s for s in container.streams.audio if s.codec_context is not None]
        if not streams:
            raise UploadError("not_audio", "no audio stream")
        stream = streams[0]
        if stream.duration is not None and stream.time_base is not None:
            duration = float(stream.duration * stream.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            raise UploadError("not_audio", "unknown duration")
        if duration > MAX_AUDIO_SECONDS:
            raise UploadError("too_long", f"{duration:.0f} s")
        if duration <= 0:
            raise UploadError("not_audio", "no duration")
        decoded = 0
        try:
            for frame in container.decode(stream):
                if frame.samples:
                    decoded += 1
                if decoded >= AUDIO_FRAMES_TO_DECODE:
                    break
        except (av.error.FFmpegError, ValueError) as error:
            raise UploadError("not_audio", str(error)) from None
        if not decoded:
            raise UploadError("not_audio", "nothing could be decoded")
    return extension, duration


def store_audio(stream: BinaryIO, media_root: Path | str) -> AudioFile:
    """Check an uploaded narration by decoding it, and keep it only if it is audio of at most 30 minutes."""
    folder = Path(media_root) / "audio"
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".upload-")
    path = Path(temporary)
    try:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(handle, "wb") as file:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > MAX_AUDIO_BYTES:
                    raise UploadError("file_too_large")
                digest.update(chunk)
                file.write(chunk)
        if size == 0:
            raise UploadError("empty")
        extension, duration = _check_audio(path)
        name = digest.hexdigest() + extension
        os.replace(path, folder / name)
        return AudioFile(name=name, duration_s=duration, size_bytes=size)
    finally:
        path.unlink(missing_ok=True)

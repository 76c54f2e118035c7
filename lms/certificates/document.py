"""Render certificates as print-ready PDF pages.

A certificate is one A4 landscape page drawn by WeasyPrint from the Jinja template
``templates/certificates/document.html`` and the stylesheet ``document.css`` beside
it, with fonts vendored in ``fonts/`` (Noto, OFL) so that every machine produces the
same PDF without relying on system fonts.

Each certificate is described by a context mapping with these keys:

``holder_name``
    The holder's name exactly as written (any Unicode, e.g. Javanese script).
``course_title_id``
    The course title in Indonesian.
``course_title_local`` (optional)
    The course title in the holder's language.
``language``
    The holder's language as a BCP-47 tag (``"jv"``, ``"ljp"``, ``"id"``...).
``issued_on_id``
    The issue date formatted in Indonesian (see :func:`format_issue_date`).
``issued_on_local`` (optional)
    The issue date formatted for the holder's language.
``office_name``
    The issuing immigration office.
``serial``
    The certificate serial, e.g. ``"KI-7H4-Q9M-XCE"``.
``verify_url``
    The verification URL, token included, that the QR code encodes.
``labels_local`` (optional)
    Labels translated by the app's catalog into the holder's language, keyed
    ``title``, ``awarded_to``, ``completed``, ``issued_on``, ``issued_by``,
    ``serial`` and ``verify``; the Indonesian labels are written in the template.

Text in the holder's language appears beneath the Indonesian only when the
language is not Indonesian, the text is given, and it differs from the Indonesian.
"""

from __future__ import annotations

import base64
import datetime
import io
import queue
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import zxingcpp
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from PIL import Image
from weasyprint import CSS, HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "certificates/document.html"
TEMPLATE_PATH = TEMPLATE_DIR / TEMPLATE_NAME
#: The page's stylesheet; its font URLs are relative to it.
STYLESHEET_PATH = TEMPLATE_PATH.with_name("document.css")
FONT_DIR = PACKAGE_DIR / "fonts"

DEFAULT_LANGUAGE = "id"
LABEL_KEYS = ("title", "awarded_to", "completed", "issued_on", "issued_by", "serial", "verify")
REQUIRED_KEYS = (
    "holder_name",
    "course_title_id",
    "language",
    "issued_on_id",
    "office_name",
    "serial",
    "verify_url",
)
#: Certificates laid out per WeasyPrint document: progress moves during a session's
#: batch, and bigger chunks lay out no faster (25 took ~10 % more CPU a page than 10).
PAGES_PER_CHUNK = 10

ProgressCallback = Callable[[int, int], None]

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class _Renderer:
    """A font configuration with the five vendored fonts and the stylesheet parsed against it."""

    font_config: FontConfiguration
    stylesheet: CSS


# Loading the fonts and parsing the stylesheet cost more than laying out a page, so
# renderers are kept for the next certificate, whichever thread draws it; each is
# used by one render at a time (a FontConfiguration is not safe to share).
_idle_renderers: queue.SimpleQueue[_Renderer] = queue.SimpleQueue()


class _FontFetcher(URLFetcher):
    """Fetch the vendored fonts and data: URIs, and nothing else."""

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Refuse any URL but a vendored font file or a data: URI."""
        if url.startswith("file:"):
            path = Path(unquote(urlsplit(url).path)).resolve()
            if not path.is_relative_to(FONT_DIR):
                raise ValueError(f"A certificate may only load vendored fonts, not {url}")
        elif not url.startswith("data:"):
            raise ValueError(f"A certificate may not fetch {url[:80]}")
        return super().fetch(url, headers)


def format_issue_date(date: datetime.date, language: str) -> str:
    """Format an issue date in long form for a BCP-47 language, else in Indonesian."""
    return format_date(date, format="long", locale=_babel_locale(language))


def _babel_locale(tag: str) -> Locale:
    # Content languages such as Lampung (ljp) have no CLDR data: try the whole tag,
    # then its language subtag, then Indonesian, the programme's default.
    language = tag.replace("_", "-").split("-")[0]
    for candidate in (tag, language):
        try:
            return Locale.parse(candidate, sep="-" if "-" in candidate else "_")
        except (UnknownLocaleError, ValueError):
            continue
    return Locale.parse(DEFAULT_LANGUAGE)


def _is_indonesian(tag: str) -> bool:
    return tag.replace("_", "-").split("-")[0].lower() == DEFAULT_LANGUAGE


def _qr_png(url: str) -> str:
    # One pixel per module keeps the image tiny; the template scales it up without
    # smoothing. Error correction M keeps a verification URL at version 13 or below.
    # zxing-cpp encodes (scoring all eight masks) in C++: ~0.6 ms, where segno took ~15.
    barcode = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    matrix = barcode.to_image(scale=1, add_quiet_zones=True)
    height, width = matrix.shape
    image = Image.frombytes("L", (width, height), bytes(memoryview(matrix))).convert("1")
    png = io.BytesIO()
    image.save(png, "PNG")
    return "data:image/png;base64," + base64.b64encode(png.getvalue()).decode("ascii")


def _translation(text: Any, indonesian: Any, is_local: bool) -> Any:
    return text if is_local and text and text != indonesian else None


def certificate_view(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return what the template shows for one certificate context."""
    missing = [key for key in REQUIRED_KEYS if not context.get(key)]
    if missing:
        raise ValueError(f"Certificate context lacks {', '.join(missing)}")
    language = str(context["language"])
    is_local = not _is_indonesian(language)
    labels = context.get("labels_local") or {}
    verify_url = str(context["verify_url"])
    return {
        "holder_name": context["holder_name"],
        "course_title_id": context["course_title_id"],
        "course_title_local": _translation(context.get("course_title_local"), context["course_title_id"], is_local),
        "language": language,
        "issued_on_id": context["issued_on_id"],
        "issued_on_local": _translation(context.get("issued_on_local"), context["issued_on_id"], is_local),
        "office_name": context["office_name"],
        "serial": context["serial"],
        # The template compares each label with its Indonesian text.
        "labels_local": {key: labels.get(key) if is_local else None for key in LABEL_KEYS},
        "qr_png": _qr_png(verify_url),
        "verify_host": urlsplit(verify_url).hostname,
    }


def render_certificates_html(contexts: Sequence[Mapping[str, Any]]) -> str:
    """Render the HTML of one page per certificate context."""
    template = _environment.get_template(TEMPLATE_NAME)
    return template.render(certificates=[certificate_view(context) for context in contexts])


def _new_renderer() -> _Renderer:
    font_config = FontConfiguration()
    stylesheet = CSS(filename=STYLESHEET_PATH, url_fetcher=_FontFetcher(), font_config=font_config)
    return _Renderer(font_config, stylesheet)


@contextmanager
def _renderer() -> Iterator[_Renderer]:
    try:
        renderer = _idle_renderers.get_nowait()
    except queue.Empty:
        renderer = _new_renderer()
    try:
        yield renderer
    finally:
        _idle_renderers.put(renderer)


def _layout(contexts: Sequence[Mapping[str, Any]], renderer: _Renderer) -> Document:
    html = HTML(string=render_certificates_html(contexts), base_url=TEMPLATE_PATH.as_uri(), url_fetcher=_FontFetcher())
    return html.render(font_config=renderer.font_config, stylesheets=[renderer.stylesheet])


def render_certificate_pdf(context: Mapping[str, Any]) -> bytes:
    """Render one certificate as a one-page PDF."""
    return render_certificates_pdf([context])


def render_certificates_pdf(
    contexts: Sequence[Mapping[str, Any]], on_progress: ProgressCallback | None = None
) -> bytes:
    """Render certificates as one PDF of a page each, reporting (done, total) as it goes."""
    total = len(contexts)
    if total == 0:
        raise ValueError("No certificates to render")
    # A document per chunk lets progress move; copying all pages into the first
    # one writes each font once for the whole batch.
    documents = []
    with _renderer() as renderer:
        for start in range(0, total, PAGES_PER_CHUNK):
            documents.append(_layout(contexts[start : start + PAGES_PER_CHUNK], renderer))
            done = min(start + PAGES_PER_CHUNK, total)
            if on_progress is not None and done < total:
                on_progress(done, total)
        pages = [page for document in documents for page in document.pages]
        if len(pages) != total:
            raise RuntimeError(f"Laid out {len(pages)} pages for {total} certificates")
        pdf = documents[0].copy(pages).write_pdf()
    if on_progress is not None:
        on_progress(total, total)
    return pdf

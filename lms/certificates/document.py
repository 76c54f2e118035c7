"""Render certificates as print-ready PDF pages.

A certificate is one A4 landscape page drawn by WeasyPrint from the Jinja template
``templates/certificates/document.html``, with fonts vendored in ``fonts/`` (Noto,
OFL) so that every machine produces the same PDF without relying on system fonts.

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

import datetime
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
import segno
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from weasyprint import HTML, Document
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATE_DIR = PACKAGE_DIR / "templates"
TEMPLATE_NAME = "certificates/document.html"
#: The base URL for the template's relative font URLs: give it to WeasyPrint when
#: the template is rendered elsewhere (e.g. by Flask's Jinja environment).
TEMPLATE_PATH = TEMPLATE_DIR / TEMPLATE_NAME
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
#: Certificates laid out per WeasyPrint document: enough to share the parsed
#: stylesheets, few enough for progress to move during a session's batch.
PAGES_PER_CHUNK = 10

ProgressCallback = Callable[[int, int], None]

_environment = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
# Loading the five font files costs more than laying out a page, so each thread
# keeps its configuration; WeasyPrint adds a given @font-face only once to it.
_thread_state = threading.local()


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
    # smoothing. Error correction M keeps a typical URL at version 12 or below.
    qr = segno.make(url, error="m", boost_error=False)
    return qr.png_data_uri(scale=1, border=4)


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


def _font_config() -> FontConfiguration:
    config: FontConfiguration | None = getattr(_thread_state, "font_config", None)
    if config is None:
        config = _thread_state.font_config = FontConfiguration()
    return config


def _layout(contexts: Sequence[Mapping[str, Any]]) -> Document:
    html = HTML(
        string=render_certificates_html(contexts),
        base_url=TEMPLATE_PATH.as_uri(),
        url_fetcher=_FontFetcher(),
    )
    return html.render(font_config=_font_config())


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
    # A document per chunk shares stylesheets within it; copying all pages into
    # the first one writes each font once for the whole batch.
    documents = []
    for start in range(0, total, PAGES_PER_CHUNK):
        documents.append(_layout(contexts[start : start + PAGES_PER_CHUNK]))
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

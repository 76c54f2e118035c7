"""Hostile input: payloads and malformed files, a crawler that finds every form a party can see, and the attack.

The crawler starts from the home page and the menus, follows same-site links, and also opens every
GET rule of the URL map the party may use (filled with the world's records), so a page a colleague
adds tomorrow is attacked without edits. Forms are read with html.parser; JSON bodies are sent with
the form's field names plus the keys the site's scripts send (read from lms/static/js/*.js).
"""

import io
import json
import random
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import MethodNotAllowed, NotFound

from lms.access import ANYONE
from lms.extensions import db
from tests.security.world import KNOWN_BUGS, ROLE_OF, fingerprint, row_counts, variables

#: A template expression whose result would only appear if the payload were evaluated.
TEMPLATE_PRODUCT = str(191 * 7331)

PAYLOADS: list[str] = [
    # Script and attribute injection
    "<script>alert(1)</script>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '" onmouseover="alert(1)" x="',
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">klik</a>',
    "<body onload=alert(1)>",
    "<img src=x onerror=alert(1)//",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<style>*{display:none}</style>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "[klik](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<details open ontoggle=alert(1)>",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    # SQL injection
    "' OR '1'='1",
    "' OR 1=1 --",
    "1; DROP TABLE users; --",
    '" OR ""="',
    "1' UNION SELECT password_hash FROM users --",
    "admin'--",
    "%' AND 1=1 AND '%'='",
    "1 AND SLEEP(5)",
    # Path traversal
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/etc/passwd",
    "....//....//etc/passwd",
    "file:///etc/passwd",
    # NUL bytes and control characters
    "abc\x00def",
    "\x00",
    "\x1b[31mmerah\x1b[0m",
    "\x7f\x08\x0c",
    # Overlong strings
    "A" * 10_000,
    "ä" * 5_000,
    "9" * 400,
    "-" + "9" * 40,
    "1e309",
    "NaN",
    # Right-to-left overrides and odd Unicode
    "\u202egnp.exe",
    "Siti\u200b\u200dAminah",
    "\ufeffBOM",
    "\ud7ff\ue000\uffff",
    "ｓｃｒｉｐｔ",
    "İstanbul ß ﬁ",
    # Emoji
    "😀🇮🇩👩‍👩‍👧‍👦",
    "🏳️‍🌈" * 50,
    # CSV formulas
    '=HYPERLINK("http://contoh.invalid","klik")',
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)",
    "\t=1+1",
    # Template injection
    "{{7*7}}",
    "{{ 191*7331 }}",
    "{% for x in range(3) %}x{% endfor %}",
    "${191*7331}",
    "{{ config.items() }}",
    "%(name)s %s %d",
    "{0} {name}",
    # Header injection (CR/LF)
    "nilai\r\nSet-Cookie: kelas_session=curian",
    "nilai\r\n\r\n<script>alert(1)</script>",
    "%0d%0aLocation: http://contoh.invalid",
    "//contoh.invalid/",
    "https://contoh.invalid/",
    "/\\contoh.invalid",
    # Types a field does not expect
    "",
    " ",
    "-1",
    "0",
    "2147483648",
    "²",
    "true",
    "null",
    "[]",
    "{}",
]
#: Payloads whose markup must never come back unescaped in an HTML page.
MARKUP = [p for p in PAYLOADS if "<" in p and ">" in p]
#: A sample for the fast suite: each field gets this many, rotating so the run as a whole sends many.
SAMPLE_SIZE = 3
#: Numbers a database cannot hold (PostgreSQL integers are 32-bit) and a digit int() refuses ("²".isdigit() is
#: True), sent each run to every field that carries a number: number inputs, hidden ids, check boxes, buttons.
NUMBERS = ["9" * 400, "2147483648", "²"]
NUMBER_KINDS = {"number", "hidden", "checkbox", "radio", "submit"}


def _png(width: int, height: int, body: bytes = b"") -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    data = body or zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _zip_bomb_xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<a>" + "0" * 20_000_000 + "</a>")
    return buffer.getvalue()


def malformed_files() -> list[tuple[str, bytes, str]]:
    """Return (file name, content, declared content type) of at least twenty broken or hostile files."""
    gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
    return [
        ("kosong.mp4", b"", "video/mp4"),
        ("kosong.png", b"", "image/png"),
        ("terpotong.png", _png(64, 64)[:30], "image/png"),
        ("terpotong.mp4", b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom\x00\x00", "video/mp4"),
        ("poliglot.gif", gif + b"<html><script>alert(1)</script></html>", "image/gif"),
        ("poliglot.html.gif", gif + b"<svg onload=alert(1)>", "image/gif"),
        ("gambar.mp4", _png(8, 8), "video/mp4"),
        ("video.png", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64, "image/png"),
        ("bom.png", _png(100_000, 100_000), "image/png"),
        ("bom-lebar.png", _png(2_000_000_000, 1), "image/png"),
        ("skrip.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "image/svg+xml"),
        ("halaman.mp4", b"<!doctype html><html><script>alert(1)</script></html>", "video/mp4"),
        ("halaman.html", b"<!doctype html><html><script>alert(1)</script></html>", "text/html"),
        ("bom.xlsx", _zip_bomb_xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("rumus.csv", b'nama,telepon\n=HYPERLINK("http://contoh.invalid"),+6281\n@SUM(1),-1+2\n', "text/csv"),
        ("sampah.srt", b"1\n99:99:99,999 --> aa\n<script>alert(1)</script>\n\n" * 50, "application/x-subrip"),
        ("sampah.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000 <b onclick=x>\x00\xff\xfe</b>\n", "text/vtt"),
        ("biner.vtt", bytes(range(256)) * 8, "text/vtt"),
        ("acak.mp4", random.Random(7).randbytes(20_000), "application/octet-stream"),
        ("../../../etc/passwd", b"root:x:0:0", "text/plain"),
        ("\u202egpj.exe", b"MZ\x90\x00" + b"\x00" * 100, "application/octet-stream"),
        ("nul\x00.png", _png(8, 8), "image/png"),
        ("panjang" + "a" * 300 + ".mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 100, "audio/mpeg"),
        ("audio.mp3", b"<script>alert(1)</script>", "audio/mpeg"),
        ("utf16.srt", "1\n00:00:01,000 --> 00:00:02,000\nhalo\n".encode("utf-16"), "application/x-subrip"),
    ]


# --- Crawling ---------------------------------------------------------------------------------------------


@dataclass
class Form:
    """A form as a browser would send it."""

    page: str
    action: str
    method: str
    #: (name, default value, kind) for each field; kind is the input type, "textarea" or "select".
    fields: list = field(default_factory=list)
    #: Names of the file inputs.
    files: list = field(default_factory=list)

    def defaults(self) -> MultiDict:
        data = MultiDict()
        for name, value, _kind in self.fields:
            data.add(name, value)
        return data


class _FormParser(HTMLParser):
    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.page = page
        self.forms: list[Form] = []
        self.links: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._select_default: str | None = None
        self._textarea: str | None = None
        self._text = ""
        self._buttons: set = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(urljoin(self.page, attrs["href"]))
        if tag == "form":
            method = (attrs.get("method") or "get").upper()
            self._form = Form(self.page, urljoin(self.page, attrs.get("action") or self.page), method)
            self._buttons = set()
            self.forms.append(self._form)
        if self._form is None:
            return
        name = attrs.get("name")
        if tag == "input" and name:
            kind = (attrs.get("type") or "text").lower()
            if kind == "file":
                self._form.files.append(name)
            elif kind in ("checkbox", "radio"):
                if "checked" in attrs or (kind == "radio" and name not in {f[0] for f in self._form.fields}):
                    self._form.fields.append((name, attrs.get("value") or "on", kind))
            elif kind in ("submit", "image", "button", "reset"):
                if name not in self._buttons:  # the first button of a name is the one pressed
                    self._buttons.add(name)
                    self._form.fields.append((name, attrs.get("value") or "", kind))
            else:
                self._form.fields.append((name, attrs.get("value") or "", kind))
        elif tag == "button" and name and name not in self._buttons and attrs.get("type", "submit") == "submit":
            self._buttons.add(name)
            self._form.fields.append((name, attrs.get("value") or "", "submit"))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, ""
        elif tag == "select" and name:
            self._select, self._select_default = name, None
        elif tag == "option" and self._select is not None:
            if self._select_default is None or "selected" in attrs:
                self._select_default = attrs.get("value", "")

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea is not None and self._form is not None:
            self._form.fields.append((self._textarea, self._text, "textarea"))
            self._textarea = None
        elif tag == "select" and self._select is not None and self._form is not None:
            self._form.fields.append((self._select, self._select_default or "", "select"))
            self._select = None
        elif tag == "form":
            self._form = None


def parse_page(url: str, html: str) -> tuple[list[Form], list[str]]:
    """Return a page's forms and the links it holds."""
    parser = _FormParser(url)
    parser.feed(html)
    return parser.forms, parser.links


def endpoint_of(app, url: str, method: str = "GET") -> str | None:
    """Return the endpoint a same-site URL reaches, or None."""
    parts = urlsplit(url)
    if parts.netloc not in ("", "localhost"):
        return None
    try:
        endpoint, _ = app.url_map.bind("localhost").match(parts.path, method=method)
    except (NotFound, MethodNotAllowed):
        return None
    return endpoint


def _may_use(app, endpoint: str, party: str) -> bool:
    allowed = getattr(app.view_functions.get(endpoint), "allowed", None) or frozenset()
    return endpoint == "static" or ANYONE in allowed or ROLE_OF[party] in allowed


#: Headers every response carries, and a text each must hold.
REQUIRED_HEADERS = {
    "Content-Security-Policy": "script-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}


def missing_headers(headers) -> list[str]:
    """Return the required security headers a response lacks."""
    return [name for name, must in REQUIRED_HEADERS.items() if must not in headers.get(name, "")]


#: Endpoints a crawl never sends forms to: they would end the party's session.
NEVER_SUBMIT = {"accounts.sign_out"}
#: Path fragments the crawler does not open (files, not pages).
NOT_PAGES = re.compile(r"^/(static|media)/|/berkas/|\.(pdf|vtt|txt|mp4|m3u8|json|png|jpg|svg|mp3|zip|csv)$")


def crawl(
    app, client, party: str, world, limit: int = 150, errors: list | None = None, per_endpoint: int | None = None
) -> tuple[dict, list[Form]]:
    """Open every page a party reaches from the menus and the URL map; return its pages (with their headers)
    and forms."""
    errors = [] if errors is None else errors
    queue = ["/"]
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or not _may_use(app, rule.endpoint, party):
            continue
        if not variables(rule.rule):
            queue.append(rule.rule)
        else:
            for record in world.records:
                url = record.url_for_rule(rule.rule)
                if url and party in (record.readers | record.managers):
                    queue.append(url)
    seen, pages, forms, endpoints = set(), {}, [], {}
    while queue and len(pages) < limit:
        url = queue.pop(0)
        path = urlsplit(url)._replace(scheme="", netloc="", fragment="").geturl()
        if path in seen or NOT_PAGES.search(urlsplit(path).path):
            continue
        seen.add(path)
        endpoint = endpoint_of(app, path)
        if endpoint is None or not _may_use(app, endpoint, party):
            continue
        endpoints[endpoint] = endpoints.get(endpoint, 0) + 1
        if per_endpoint and endpoints[endpoint] > per_endpoint:
            continue  # the same page for another record: its forms are the same
        try:
            response = client.get(path)
        except Exception as error:  # noqa: BLE001 - recorded; the crawl goes on
            errors.append(f"{party} GET {path}: 500 ({type(error).__name__}: {str(error)[:120]} at {where(error)})")
            continue
        if response.status_code >= 500:
            errors.append(f"{party} GET {path}: {response.status_code}")
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        pages[path] = response.headers
        page_forms, links = parse_page("http://localhost" + path, response.get_data(as_text=True))
        forms.extend(page_forms)
        queue.extend(link for link in links if urlsplit(link).netloc in ("", "localhost"))
    return pages, forms


def distinct_forms(app, forms: list[Form]) -> list[Form]:
    """Keep one form per (action endpoint, method, field names); drop forms that would end the session."""
    kept, keys = [], set()
    for form in forms:
        endpoint = endpoint_of(app, form.action, form.method)
        if endpoint is None or endpoint in NEVER_SUBMIT:
            continue
        key = (endpoint, form.method, tuple(sorted({f[0] for f in form.fields})), tuple(form.files))
        if key not in keys:
            keys.add(key)
            kept.append(form)
    return kept


def script_json_keys(root: Path) -> set[str]:
    """Return the keys the site's scripts put in JSON bodies."""
    keys = set()
    for script in (root / "static" / "js").glob("*.js"):
        for body in re.findall(r"JSON\.stringify\(\s*\{([^}]*)\}", script.read_text()):
            keys.update(re.findall(r"(\w+)\s*:", body))
    return keys


def is_known_bug(app, failure: str) -> bool:
    """Tell whether a failure is one of the known bugs (its endpoint and error kind)."""
    words = failure.split()
    url = next((w.rstrip(":") for w in words if w.startswith(("/", "http://localhost/"))), "")
    method = next((w for w in words if w in ("GET", "POST", "JSON", "UPLOAD")), "GET")
    endpoint = endpoint_of(app, url, "GET" if method == "GET" else "POST")
    return endpoint in KNOWN_BUGS and KNOWN_BUGS[endpoint][0] in failure


# --- Attacking --------------------------------------------------------------------------------------------


@dataclass
class Tally:
    """Requests sent and what went wrong."""

    requests: int = 0
    failures: list = field(default_factory=list)
    #: Compare every stored row (slow) rather than row counts after a refused request.
    strict: bool = False
    #: The database's snapshot after the last refused request, still true before the next one (None: unknown).
    known: object = None

    def fail(self, text: str) -> None:
        self.failures.append(text)

    def before(self, app):
        """Return the snapshot of the database before a request, taking it only when not known."""
        if self.known is None:
            self.known = _snapshot(app, self.strict)
        return self.known


def _body(response) -> str:
    return response.get_data(as_text=True) if response.mimetype in ("text/html", "text/plain") else ""


def _check(app, tally: Tally, label: str, response, payload: str | None, before: str | None, client) -> None:
    """Judge one response: no 5xx, no unescaped markup, nothing stored when refused; follow a redirect once."""
    tally.requests += 1
    tally.known = None  # the request may have stored something; a refusal below finds out and says so
    status = response.status_code
    if status >= 500:
        tally.fail(f"{label}: {status}")
        return
    if response.mimetype == "text/html" and payload is not None:
        body = _body(response)
        if payload in MARKUP and payload in body:
            tally.fail(f"{label}: markup reflected unescaped")
        if TEMPLATE_PRODUCT in body:
            tally.fail(f"{label}: template expression evaluated")
    # A line break in a header, or a cookie the payload set; the payload URL-encoded in a Location is harmless.
    if any("\r" in value or "\n" in value for _, value in response.headers.items()) or any(
        "curian" in value for value in response.headers.getlist("Set-Cookie")
    ):
        tally.fail(f"{label}: header injected")
    if status >= 400 and before is not None:
        tally.known = _snapshot(app, tally.strict)
        if tally.known != before:
            tally.fail(f"{label}: refused with {status} but stored data changed")
    if status in (301, 302, 303, 307, 308) and payload is not None and (payload in MARKUP or tally.strict):
        location = response.headers.get("Location", "")
        if urlsplit(location).netloc not in ("", "localhost"):
            tally.fail(f"{label}: redirects off-site to {location[:80]}")
        elif not NOT_PAGES.search(urlsplit(location).path):
            followed = client.get(location)
            tally.requests += 1
            if followed.status_code >= 500:
                tally.fail(f"{label} → GET {location}: {followed.status_code}")
            elif followed.mimetype == "text/html":
                body = _body(followed)
                if payload in MARKUP and payload in body:
                    tally.fail(f"{label} → GET {location}: stored markup shown unescaped")
                if TEMPLATE_PRODUCT in body:
                    tally.fail(f"{label} → GET {location}: template expression evaluated")


def _snapshot(app, strict: bool):
    """Return every watched row (strict) or the row count of every table."""
    with app.app_context():
        db.session.remove()
        return fingerprint() if strict else row_counts()


def _send(tally: Tally, label: str, client, url: str, **options):
    """Post, turning an exception the test app lets through into a recorded 500."""
    try:
        return client.post(url, **options)
    except Exception as error:  # noqa: BLE001 - a crash of any kind is what is being looked for
        tally.known = None
        tally.fail(f"{label}: 500 ({type(error).__name__}: {str(error)[:120]} at {where(error)})")
        return None


def where(error: BaseException) -> str:
    """Return the deepest file:line of the application's own code in an exception's traceback."""
    import traceback

    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/lms/" in f.filename]
    return f"{frames[-1].filename.split('/lms/')[-1]}:{frames[-1].lineno}" if frames else "?"


def _payloads_for(field_index: int, sample: int | None, kind: str = "text") -> list[str]:
    if sample is None:
        return PAYLOADS
    rotated = PAYLOADS[(field_index * sample) % len(PAYLOADS) :] + PAYLOADS
    extra = [p for p in NUMBERS if p not in rotated[:sample]] if kind in NUMBER_KINDS else []
    return rotated[:sample] + extra


def attack_forms(app, make_client, forms: list[Form], tally: Tally, *, sample: int | None, json_keys: set) -> None:
    """Send payloads into every field of every form, as a form post and as JSON."""
    tally.known = None  # the caller may have signed in or crawled since the last snapshot
    counter = 0
    for form in forms:
        if form.method != "POST":
            continue
        kinds = {f[0]: f[2] for f in form.fields}
        names = list(dict.fromkeys(f[0] for f in form.fields if f[0] != "csrf_token"))
        for name in names:
            counter += 1
            for payload in _payloads_for(counter, sample, kinds[name]):
                client = make_client()
                data = form.defaults()
                data.setlist(name, [payload])
                before = tally.before(app)
                label = f"POST {form.action} [{name}]={payload[:30]!r}"
                response = _send(tally, label, client, form.action, data=data, content_type="multipart/form-data")
                if response is not None:
                    _check(app, tally, label, response, payload, before, client)
        keys = [k for k in dict.fromkeys([*names, *sorted(json_keys)]) if k != "csrf_token"]
        defaults = {f[0]: f[1] for f in form.fields if f[0] in keys}
        json_bodies = []
        for key in keys:
            counter += 1
            for payload in _payloads_for(counter, 1 if sample else None):
                json_bodies.append(
                    (f"{{{key}: {payload[:30]!r}}}", {**{k: defaults.get(k, "") for k in keys}, key: payload})
                )
        for key in keys[: None if sample is None else 1]:
            for odd in ([PAYLOADS[0]], {"$ne": PAYLOADS[0]}, 2**70, -1.5, None, True):
                json_bodies.append((f"{{{key}: {odd!r}}}", {**{k: defaults.get(k, "") for k in keys}, key: odd}))
        for payload in _payloads_for(counter, 1 if sample else None):
            json_bodies.append((f"body {payload[:30]!r}", payload))
        if sample is not None:
            # Every key at once first: a page that answers it with HTML reads no JSON (forms never do), so the
            # fast suite sends it one more body, a bare string; the endpoints that read JSON get every body.
            every = {key: _payloads_for(counter + n, 1)[0] for n, key in enumerate(keys)}
            json_bodies.insert(0, ("every key", every))
        for index, (description, body) in enumerate(json_bodies):
            client = make_client()
            before = tally.before(app)
            label = f"JSON {form.action} {description}"
            response = _send(tally, label, client, form.action, data=json.dumps(body), content_type="application/json")
            if response is not None:
                shown = body if isinstance(body, str) else None
                _check(app, tally, label, response, shown, before, client)
            if sample is not None and index == 0 and response is not None and response.mimetype == "text/html":
                json_bodies[1:-1] = []


def attack_uploads(app, make_client, forms: list[Form], tally: Tally, served: list) -> None:
    """Send every malformed file into every upload field; collect URLs of files the site now serves."""
    tally.known = None
    for form in forms:
        for file_field in form.files:
            for filename, content, content_type in malformed_files():
                client = make_client()
                data = form.defaults()
                data.add(file_field, (io.BytesIO(content), filename, content_type))
                before = tally.before(app)
                label = f"UPLOAD {form.action} [{file_field}]={filename[:30]!r}"
                response = _send(tally, label, client, form.action, data=data, content_type="multipart/form-data")
                if response is None:
                    continue
                _check(app, tally, label, response, None, before, client)
                if 400 <= response.status_code < 500 and response.mimetype == "text/html":
                    if not re.search(r'class="[^"]*(error|flash)', _body(response)):
                        tally.fail(f"{label}: refused with {response.status_code} but no message on the page")
                if response.status_code < 400:
                    served.append((client, form.page))


def check_served_files(app, client, page_url: str, tally: Tally) -> None:
    """Open a page and every uploaded file it links to: never HTML or script, always nosniff."""
    response = client.get(page_url)
    if response.mimetype != "text/html":
        return
    html = response.get_data(as_text=True)
    urls = set(re.findall(r'(?:src|href)="(/media/[^"]+|/video/\d+/berkas/[^"]+)"', html))
    for url in urls:
        served = client.get(url)
        tally.requests += 1
        kind = served.mimetype or ""
        if kind in ("text/html", "application/xhtml+xml", "image/svg+xml") or "javascript" in kind:
            tally.fail(f"GET {url}: served as {kind}")
        if served.headers.get("X-Content-Type-Options") != "nosniff":
            tally.fail(f"GET {url}: no nosniff")

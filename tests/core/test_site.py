"""Languages, error pages, security headers, health and CSRF, as a visitor meets them."""

import pytest
from babel.messages.pofile import read_po

from lms.i18n import DOMAINS, TRANSLATIONS_DIR


def test_interface_follows_the_browser_language(client):
    assert "Masuk" in client.get("/", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert "Sign in" in client.get("/", headers={"Accept-Language": "en-GB,en;q=0.8"}).get_data(as_text=True)
    assert 'lang="jv"' in client.get("/", headers={"Accept-Language": "jv"}).get_data(as_text=True)


def test_switching_language_is_remembered(client):
    response = client.post("/bahasa", data={"language": "en", "next": "/akun/masuk"})
    assert response.status_code == 302 and response.headers["Location"] == "/akun/masuk"
    page = client.get("/akun/masuk", headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<html lang="en">' in page and "Mobile number or username" in page


def test_switching_language_is_stored_on_the_account(app, client, auth, resident):
    from lms.accounts.models import User
    from lms.extensions import db

    auth.sign_in(resident)
    client.post("/bahasa", data={"language": "su", "next": "/"})
    with app.app_context():
        assert db.session.get(User, resident).language == "su"


def test_an_unknown_language_is_refused_politely(client):
    response = client.post("/bahasa", data={"language": "xx"})
    assert response.status_code == 400


def test_content_language_without_catalog_gets_indonesian_interface(app, client, auth, create_user):
    auth.sign_in(create_user(language="ljp"))
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="id">' in page and "Keluar" in page


def test_offsite_next_is_ignored(client):
    response = client.post("/bahasa", data={"language": "en", "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("language", "text"), [("id", "Halaman tidak ditemukan"), ("en", "Page not found")])
def test_not_found_is_a_friendly_page_in_the_language(client, language, text):
    response = client.get("/tidak-ada", headers={"Accept-Language": language})
    assert response.status_code == 404 and text in response.get_data(as_text=True)


def test_forbidden_is_a_friendly_page(client, auth, resident):
    auth.sign_in(resident)
    response = client.get("/admin/", headers={"Accept-Language": "id"})
    assert response.status_code == 403 and "Anda tidak boleh membuka halaman ini" in response.get_data(as_text=True)


def test_server_error_is_a_friendly_page(app):
    from werkzeug.exceptions import InternalServerError

    from lms.core.views import render_error

    with app.test_request_context("/", headers={"Accept-Language": "id"}):
        body, status = render_error(InternalServerError())
    assert status == 500 and "Ada yang salah di pihak kami" in body


HEADERS = ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options")


@pytest.mark.parametrize("path", ["/", "/akun/masuk", "/tidak-ada", "/static/app.css", "/healthz"])
def test_security_headers_on_every_response(client, path):
    response = client.get(path)
    for header in HEADERS:
        assert header in response.headers, (path, header)
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_health_reports_database_queue_and_ffmpeg(client):
    state = client.get("/healthz").json
    assert state["database"]["ok"] and state["jobs"]["ok"]
    assert state["ffmpeg"]["found"] and state["ffmpeg"]["version"]


def test_csrf_is_checked_on_forms(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = client.post("/akun/masuk", data={"identifier": "x", "password": "y"})
        assert response.status_code == 400
        assert "Formulir ini sudah kedaluwarsa" in response.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def read_catalog(locale: str, domain: str):
    """Return a package's catalog in a locale, or None when it has none."""
    path = TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{domain}.po"
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle)


def catalogs(locale: str):
    """Yield (package, catalog) for a locale, in the order the packages' catalogs are merged."""
    for domain in DOMAINS:
        catalog = read_catalog(locale, domain)
        if catalog is not None:
            yield domain, catalog


@pytest.mark.parametrize("locale", ["id", "en"])
def test_catalogs_are_complete(locale):
    missing = []
    for _domain, catalog in catalogs(locale):
        missing += [m.id for m in catalog if m.id and (not m.string or m.fuzzy)]
    assert missing == []


def test_catalogs_hold_every_marked_string():
    from lms.i18n import extract

    for domain in DOMAINS:
        pot = extract(domain)
        with pot.open("rb") as handle:
            template = read_po(handle)
        pot.unlink()
        known = {m.id for m in read_catalog("id", domain) or []}
        absent = [m.id for m in template if m.id and m.id not in known]
        assert absent == [], f"run `flask translate update` and translate {domain}"


@pytest.mark.parametrize("locale", ["id", "en", "jv", "su"])
def test_a_string_reads_the_same_in_every_package(locale):
    """The packages' catalogs are merged into one per language, so a string two packages translate differently
    would show one package's words in the other's pages; a string meaning something else takes a context."""
    seen: dict[tuple, tuple[str, object]] = {}
    differing = []
    for domain, catalog in catalogs(locale):
        for message in catalog:
            if not message.id or not message.string or message.string == ("", ""):
                continue
            key = (message.context, message.id if isinstance(message.id, str) else tuple(message.id))
            first = seen.setdefault(key, (domain, message.string))
            if first[1] != message.string:
                differing.append((key[1], first, (domain, message.string)))
    assert differing == []


@pytest.mark.parametrize("locale", ["jv", "su"])
def test_javanese_and_sundanese_cover_sign_up_sign_in_and_navigation(client, locale):
    english = client.get("/akun/daftar", headers={"Accept-Language": "en"}).get_data(as_text=True)
    local = client.get("/akun/daftar", headers={"Accept-Language": locale}).get_data(as_text=True)
    indonesian = client.get("/akun/daftar", headers={"Accept-Language": "id"}).get_data(as_text=True)
    for phrase in ("Sign up", "Sign in", "Full name", "Password", "Create my account", "Your village"):
        assert phrase in english
        assert phrase not in local, f"{phrase!r} untranslated in {locale}"
    assert local != indonesian


#: Words written the same in English, Indonesian, Javanese and Sundanese.
SAME_WORD = {"Admin", "PDF", "Status", "Video"}


@pytest.mark.parametrize("locale", ["id", "jv", "su"])
def test_catalogs_hold_no_english_copied_as_translation(locale):
    copied = []
    for _domain, catalog in catalogs(locale):
        copied += [m.id for m in catalog if isinstance(m.id, str) and m.id not in SAME_WORD and m.string == m.id]
    assert copied == [], "an untranslated string must stay empty so it falls back to Indonesian"

"""Checking a certificate on a phone: online by serial or QR code, and offline once the checker was opened."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.certificates.keys import ensure_signing_key
from lms.certificates.operations import issue_certificate
from lms.courses.models import Course, CourseText
from lms.extensions import db

pytestmark = pytest.mark.browser

FALLBACK_SCRIPT = "/static/js/vendor/nacl-fast.min.js"
#: Makes the page's WebCrypto refuse Ed25519, as on Android WebViews before Chrome 137.
WITHOUT_WEBCRYPTO_ED25519 = """
(() => {
  const subtle = window.crypto && window.crypto.subtle;
  if (!subtle) return;
  const importKey = subtle.importKey.bind(subtle);
  window.__ed25519Refused = 0;
  subtle.importKey = (format, keyData, algorithm, ...rest) => {
    const name = typeof algorithm === "string" ? algorithm : algorithm && algorithm.name;
    if (String(name).toLowerCase() === "ed25519") {
      window.__ed25519Refused += 1;
      return Promise.reject(new DOMException("Unrecognized name.", "NotSupportedError"));
    }
    return importKey(format, keyData, algorithm, ...rest);
  };
})();
"""


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def tamper(token: str) -> str:
    """Change one character of a token's payload, keeping it well-formed base64url."""
    return token[:12] + ("B" if token[12] == "A" else "A") + token[13:]


@pytest.fixture
def signing_key(app, tmp_path):
    """Give the app a signing key in a folder of this test's own, so no other test starts issuing certificates."""
    previous = app.config["CERTIFICATE_KEYS_DIR"]
    app.config["CERTIFICATE_KEYS_DIR"] = str(tmp_path / "certificate-keys")
    with app.app_context():
        ensure_signing_key()
    yield
    app.config["CERTIFICATE_KEYS_DIR"] = previous


@pytest.fixture
def certificate(app, create_user, signing_key):
    """A resident's certificate for a course: its serial and the token its QR code carries."""
    user_id = create_user(RESIDENT, name="Siti Aminah")
    with app.app_context():
        course = Course(slug="paspor-pekerja-migran", is_published=True)
        course.texts = [CourseText(language="id", title="Paspor untuk Pekerja Migran")]
        db.session.add(course)
        certificate = issue_certificate(db.session.get(User, user_id), course)
        db.session.commit()
        return certificate.serial, certificate.token


@pytest.fixture
def requests_seen(app):
    """Record the paths the server is asked for, to prove the offline page never reached it."""
    seen = []
    wsgi_app = app.wsgi_app

    def recording(environ, start_response):
        seen.append(environ["PATH_INFO"])
        return wsgi_app(environ, start_response)

    app.wsgi_app = recording
    yield seen
    app.wsgi_app = wsgi_app


def test_offline_checker_verifies_the_signature_without_a_connection(
    page, context, live_server, certificate, requests_seen
):
    serial, token = certificate
    page.goto(live_server + "/verify/offline")
    expect(page.get_by_text("Halaman ini siap dipakai tanpa internet.")).to_be_visible()
    expect(page.get_by_text("Daftar sertifikat yang dicabut terakhir diperbarui")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    assert "/verify/sw.js" in requests_seen  # the recorder sees what reaches the server
    assert FALLBACK_SCRIPT not in requests_seen  # a browser with WebCrypto Ed25519 does not fetch the fallback
    context.set_offline(True)
    requests_seen.clear()
    try:
        page.reload()
        expect(page.get_by_role("heading", name="Periksa sertifikat tanpa internet")).to_be_visible()
        field = page.get_by_label("Nomor seri atau alamat dari kode QR")
        field.fill(f"http://127.0.0.1:5000/v/{token}")
        page.get_by_role("button", name="Periksa", exact=True).click()
        result = page.locator("#offline-result")
        expect(result.get_by_role("heading", name="Tanda tangan sah")).to_be_visible()
        expect(result).to_contain_text("Siti Aminah")
        expect(result).to_contain_text(serial)
        expect(result).to_contain_text("Tidak ada dalam daftar sertifikat yang dicabut.")
        expect(page.get_by_text("Daftar sertifikat yang dicabut terakhir diperbarui")).to_be_visible()
        assert_accessible(page)

        field.fill(tamper(token))
        page.get_by_role("button", name="Periksa", exact=True).click()
        expect(result.get_by_role("heading", name="Tanda tangan tidak sah")).to_be_visible()
        expect(result).not_to_contain_text("Siti Aminah")
        assert requests_seen == []
    finally:
        context.set_offline(False)


def check_offline(page, text: str):
    page.get_by_label("Nomor seri atau alamat dari kode QR").fill(text)
    page.get_by_role("button", name="Periksa", exact=True).click()
    return page.locator("#offline-result")


def test_old_webview_without_webcrypto_ed25519_checks_offline_with_the_fallback(
    page, context, live_server, certificate, requests_seen
):
    serial, token = certificate
    page.add_init_script(WITHOUT_WEBCRYPTO_ED25519)
    page.goto(live_server + "/verify/offline")
    expect(page.get_by_text("Halaman ini siap dipakai tanpa internet.")).to_be_visible()
    assert FALLBACK_SCRIPT in requests_seen
    page.reload()  # now under the service worker, which keeps the fallback for offline use
    expect(page.get_by_text("Halaman ini siap dipakai tanpa internet.")).to_be_visible()

    context.set_offline(True)
    requests_seen.clear()
    try:
        page.reload()
        result = check_offline(page, f"https://belajar.imigrasi.go.id/v/{token}")
        expect(result.get_by_role("heading", name="Tanda tangan sah")).to_be_visible()
        expect(result).to_contain_text("Siti Aminah")
        expect(result).to_contain_text(serial)
        assert page.evaluate("typeof window.nacl.sign.detached.verify") == "function"
        assert page.evaluate("window.__ed25519Refused") >= 1  # WebCrypto was asked and refused

        result = check_offline(page, tamper(token))
        expect(result.get_by_role("heading", name="Tanda tangan tidak sah")).to_be_visible()
        expect(result).not_to_contain_text("Siti Aminah")
        signature_flipped = token[:-3] + ("B" if token[-3] == "A" else "A") + token[-2:]
        result = check_offline(page, signature_flipped)
        expect(result.get_by_role("heading", name="Tanda tangan tidak sah")).to_be_visible()
        assert requests_seen == []
    finally:
        context.set_offline(False)


def test_verify_pages_are_accessible_on_a_phone(page, live_server, certificate):
    serial, token = certificate
    for path, heading in (
        ("/verify", "Periksa sertifikat"),
        (f"/verify/{serial}", "Sertifikat ini sah"),
        (f"/v/{token}", "Sertifikat ini sah"),
        (f"/v/{tamper(token)}", "Tanda tangan tidak sah"),
        ("/verify/KI-222-222-222", "Tidak ada sertifikat dengan nomor seri ini"),
    ):
        page.goto(live_server + path)
        expect(page.get_by_role("heading", name=heading, exact=True).first).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, path
        assert_accessible(page)


def test_serial_typed_on_the_offline_checker_is_looked_up_online(page, live_server, certificate):
    serial, _token = certificate
    page.goto(live_server + "/verify/offline")
    page.get_by_label("Nomor seri atau alamat dari kode QR").fill(serial.lower())
    page.get_by_role("button", name="Periksa", exact=True).click()
    expect(page.get_by_role("heading", name="Sertifikat ini sah")).to_be_visible()
    assert page.url.endswith(f"/verify/{serial}")

"""A village leader prints the certificates for a ceremony on a phone, and a resident downloads theirs."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.access import LEADER, RESIDENT
from lms.certificates.keys import ensure_signing_key
from lms.courses.models import Course, CourseText
from lms.extensions import db

pytestmark = pytest.mark.browser
PASSWORD = "kata-sandi-rahasia"


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def sign_in(page, live_server, username):
    page.goto(live_server + "/akun/masuk")
    page.get_by_label("Nomor HP atau nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


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
def village_course(app, create_user, signing_key):
    """A published course that two residents of the demo village completed."""
    residents = [create_user(RESIDENT, "ani", name="Ani Suryani"), create_user(RESIDENT, "budi", name="Budi Santoso")]
    with app.app_context():
        course = Course(slug="paspor-pekerja-migran", is_published=True)
        course.texts = [CourseText(language="id", title="Paspor untuk Pekerja Migran")]
        db.session.add(course)
        db.session.flush()
        try:
            from lms.progress.models import CourseCompletion
        except ImportError:
            pass
        else:
            db.session.add_all(CourseCompletion(user_id=user_id, course_id=course.id) for user_id in residents)
        db.session.commit()
    return residents


def test_leader_prints_the_village_and_the_resident_downloads_their_own(page, live_server, create_user, village_course):
    create_user(LEADER, "kades")
    sign_in(page, live_server, "kades")
    page.goto(live_server + "/sertifikat/cetak")
    assert_accessible(page)
    page.get_by_label("Kursus").select_option(label="Paspor untuk Pekerja Migran")
    page.get_by_label("Desa").select_option(value="16.72.01.1018")
    page.get_by_role("button", name="Tampilkan warga").click()
    expect(page.get_by_label("Ani Suryani")).to_be_checked()
    expect(page.get_by_label("Budi Santoso")).to_be_checked()
    page.get_by_label("Budi Santoso").uncheck()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    page.get_by_role("button", name="Cetak sertifikat yang dipilih").click()
    expect(page.get_by_role("heading", name="Siap diunduh")).to_be_visible()
    expect(page.get_by_text("1 dari 1 halaman")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh PDF").click()
    assert download.value.suggested_filename == "sertifikat-16.72.01.1018-paspor-pekerja-migran.pdf"
    assert_accessible(page)

    page.get_by_role("button", name="Keluar").click()
    sign_in(page, live_server, "ani")
    page.goto(live_server + "/sertifikat")
    expect(page.get_by_role("heading", name="Paspor untuk Pekerja Migran")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Unduh (PDF)").click()
    assert download.value.suggested_filename.startswith("sertifikat-KI-")

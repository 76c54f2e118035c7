"""An officer writes a lesson, a second officer publishes it, and a Javanese-speaking resident reads it."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.access import OFFICER, RESIDENT

pytestmark = pytest.mark.browser
PASSWORD = "kata-sandi-petugas"


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def sign_in(page, live_server, username):
    page.goto(live_server + "/akun/masuk")
    page.locator("#identifier").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator("header form button")).to_be_visible()  # the sign-out button


def sign_out(page):
    page.locator("header form button").click()
    expect(page.locator("header").get_by_role("link", name="Masuk")).to_be_visible()


def test_officer_writes_another_publishes_and_a_javanese_resident_reads(page, live_server, create_user):
    create_user(OFFICER, "petugas1", name="Dewi Lestari", password=PASSWORD)
    create_user(OFFICER, "petugas2", name="Andi Pratama", password=PASSWORD)
    create_user(RESIDENT, "warga1", name="Siti Aminah", language="jv", password=PASSWORD)

    # The first officer creates a course and writes its first lesson.
    sign_in(page, live_server, "petugas1")
    page.get_by_role("link", name="Kelola kursus").click()
    assert_accessible(page)
    page.get_by_label("Judul").fill("Menjaga Paspor")
    page.get_by_label("Nama alamat (slug)").fill("menjaga-paspor")
    page.get_by_role("button", name="Buat kursus").click()
    expect(page.get_by_text("Kursus dibuat.")).to_be_visible()
    page.get_by_label("Ringkasan").first.fill("Cara menyimpan paspor dengan aman.")
    page.get_by_label("Terbit: warga dapat melihat kursus ini").check()
    page.get_by_role("button", name="Simpan", exact=True).click()
    expect(page.get_by_text("Tersimpan.")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Tulis pelajaran baru").click()
    page.get_by_label("Nama alamat (slug)").fill("simpan-paspor")
    page.get_by_label("Judul").fill("Simpan paspor di tempat aman")
    page.get_by_label("Teks pelajaran (Markdown)").fill(
        "Paspor adalah **dokumen negara**.\n\n## Sumber\n- Undang-Undang Nomor 6 Tahun 2011"
    )
    page.get_by_role("button", name="Pratinjau").click()
    expect(page.locator(".preview strong")).to_have_text("dokumen negara")
    page.get_by_role("button", name="Simpan dan kirim untuk ditinjau").click()
    expect(page.get_by_text("Disimpan dan dikirim untuk ditinjau.")).to_be_visible()
    expect(page.get_by_text("Versi ini menunggu ditinjau petugas lain.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    sign_out(page)

    # A second officer reviews and publishes it.
    sign_in(page, live_server, "petugas2")
    page.goto(live_server + "/kelola/kursus")
    page.get_by_role("link", name="Simpan paspor di tempat aman").click()
    expect(page.get_by_text("Ditulis oleh Dewi Lestari.")).to_be_visible()
    page.get_by_role("button", name="Terbitkan").click()
    expect(page.get_by_text("Diterbitkan: warga sekarang membaca versi ini.")).to_be_visible()
    sign_out(page)

    # A resident who reads Javanese finds it, in Indonesian, with the fallback note.
    sign_in(page, live_server, "warga1")
    page.goto(live_server + "/kursus")
    expect(page.locator("html")).to_have_attribute("lang", "jv")
    assert_accessible(page)
    page.get_by_role("link", name="Menjaga Paspor").click()
    assert_accessible(page)
    page.get_by_role("link", name="Simpan paspor di tempat aman").click()
    expect(page.locator("article.lesson")).to_have_attribute("lang", "id")
    note = page.locator(".fallback-note")
    expect(note).to_be_visible()
    expect(note).to_contain_text("Basa Jawa")
    expect(note).to_contain_text("Bahasa Indonesia")
    expect(note.locator('span[lang="jv"]')).to_have_text("Basa Jawa")
    expect(page.locator(".lesson-body strong")).to_have_text("dokumen negara")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)
    page.locator(".lesson-done button").click()
    expect(page.get_by_text("Panjenengan wis maca kabeh piwulang kursus iki.")).to_be_visible()
    expect(page.locator(".read-mark").first).to_be_visible()


def test_a_lesson_reads_without_javascript(browser, live_server, app):
    from lms.courses.files import import_courses
    from lms.extensions import db
    from tests.courses.conftest import COURSES_DIR

    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    page.goto(live_server + "/kursus/paspor/biaya-paspor")
    expect(page.locator("article.lesson h1")).to_be_visible()
    expect(page.locator(".lesson-body h2").first).to_be_visible()
    expect(page.locator("article.lesson")).to_have_attribute("lang", "id")
    page.locator("a[rel=next]").click()
    expect(page).to_have_url(live_server + "/kursus/paspor/layanan-prioritas")
    expect(page.locator(".lesson-body p").first).to_be_visible()
    context.close()

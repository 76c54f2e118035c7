"""A new resident signs up on a phone, switches to English, signs out and back in by phone number."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def test_resident_signs_up_switches_language_and_signs_in_by_phone(page, live_server):
    page.goto(live_server + "/akun/daftar")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("heading", name="Sebelum mulai: data Anda")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Cari desa atau kelurahan Anda").fill("Dempo Makmur")
    page.get_by_label("Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam, Sumatera Selatan").check()
    page.get_by_label("Nama lengkap").fill("Sri Wahyuni")
    page.get_by_label("Nomor HP").fill("0813 1234 5678")
    page.get_by_label("Kata sandi", exact=True).fill("rahasia-desa-1")
    page.get_by_label("Ulangi kata sandi").fill("rahasia-desa-1")
    page.get_by_label("Saya setuju").check()
    page.get_by_role("button", name="Buat akun saya").click()
    expect(page.get_by_text("Selamat datang, Sri Wahyuni!")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(page)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in").first).to_be_visible()

    page.get_by_role("link", name="Sign in").first.click()
    assert_accessible(page)
    page.get_by_label("Mobile number or username").fill("+62 813-1234-5678")
    page.get_by_label("Password").fill("rahasia-desa-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Hello, Sri Wahyuni.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_village_search_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    page.goto(live_server + "/akun/daftar")
    page.get_by_label("Cari desa atau kelurahan Anda").fill("dempo makmur")
    page.get_by_role("button", name="Cari").click()
    expect(page.get_by_label("Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam, Sumatera Selatan")).to_be_visible()
    context.close()

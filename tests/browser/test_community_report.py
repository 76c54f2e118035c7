"""On a phone: a resident privately reports a suspicious recruiter, the office marks it handled with a note,
and the resident reads what was done. Every page passes an axe check."""

import pytest
from playwright.sync_api import expect

from lms.access import OFFICER, RESIDENT
from tests.browser.test_community_ask import assert_accessible, assert_fits_the_phone, sign_in, sign_out

pytestmark = pytest.mark.browser

REPORT = "Ada calo di pasar menawarkan kerja ke Malaysia pakai visa turis & minta paspor dititipkan."
NOTE = "Sudah kami periksa bersama Timpora. Terima kasih atas laporannya."


def test_a_resident_reports_a_concern_and_reads_what_the_office_did(page, live_server, create_user):
    create_user(RESIDENT, "budisantoso", name="Budi Santoso")
    create_user(OFFICER, "andipratama", name="Andi Pratama")

    sign_in(page, live_server, "budisantoso")
    page.get_by_role("link", name="Laporkan masalah").first.click()
    expect(page.get_by_text("SAPA 129")).to_be_visible()
    expect(page.get_by_text("Laporan Anda dikirim ke Kantor Imigrasi Muara Enim.")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_label("Perekrut atau calo yang saya curigai").check()
    page.get_by_label("Apa yang terjadi?").fill(REPORT)
    page.get_by_role("button", name="Kirim laporan saya").click()
    expect(page.get_by_text("Laporan Anda sudah dikirim")).to_be_visible()
    expect(page.get_by_text("Diterima")).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    sign_in(page, live_server, "andipratama")
    page.get_by_role("link", name="Laporan warga").first.click()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("link", name=REPORT).click()
    page.get_by_label("Yang dilakukan kantor").fill(NOTE)
    assert_accessible(page)
    page.get_by_role("button", name="Tandai sudah ditangani").click()
    expect(page.get_by_text("Laporan ditandai sudah ditangani.")).to_be_visible()
    sign_out(page)

    sign_in(page, live_server, "budisantoso")
    page.get_by_role("link", name="Laporkan masalah").first.click()
    page.get_by_role("link", name="Perekrut atau calo yang saya curigai").click()
    expect(page.get_by_text("Sudah ditangani")).to_be_visible()
    expect(page.get_by_text(NOTE)).to_be_visible()
    assert_accessible(page)

"""On a phone: a resident asks a question under a lesson, an officer answers it and publishes it as an FAQ,
and the resident reads the answer in Belajar saya and under the lesson. Every page passes an axe check."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.access import OFFICER, RESIDENT
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.progress.conftest import add_course

pytestmark = pytest.mark.browser

QUESTION = "Bolehkah paspor saya dititipkan ke agen kerja? <b>penting</b>"
ANSWER = "Tidak boleh. Paspor adalah dokumen negara dan harus Anda simpan sendiri."
FAQ_QUESTION = "Bolehkah paspor dititipkan ke agen kerja?"


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def sign_in(page, live_server, username):
    page.goto(live_server + "/akun/masuk")
    page.get_by_label("Nomor HP atau nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(PASSWORD)
    page.get_by_role("button", name="Masuk").click()


def sign_out(page):
    page.get_by_role("button", name="Keluar").click()


def test_a_resident_asks_an_officer_answers_and_publishes_an_faq(page, live_server, app, create_user):
    with app.app_context():
        add_course("paspor-uji", lessons=2, title="Paspor Uji")
        db.session.commit()
    create_user(RESIDENT, "sitiaminah", name="Siti Aminah")
    create_user(OFFICER, "dewilestari", name="Dewi Lestari")

    # The resident asks from under the lesson, publicly.
    sign_in(page, live_server, "sitiaminah")
    page.goto(live_server + "/kursus/paspor-uji/pelajaran-1")
    page.get_by_role("link", name="Tanya petugas tentang pelajaran ini").click()
    expect(page.get_by_role("heading", name="Tanya Petugas")).to_be_visible()
    expect(page.get_by_text("Pelajaran 1", exact=True)).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_label("Pertanyaan Anda", exact=True).fill(QUESTION)
    page.get_by_label("Orang lain boleh membaca").check()
    page.get_by_role("button", name="Kirim pertanyaan saya").click()
    expect(page.get_by_text("Pertanyaan Anda sudah dikirim")).to_be_visible()
    expect(page.get_by_text(QUESTION)).to_be_visible()  # shown as text, the markup escaped
    expect(page.get_by_text("Menunggu jawaban").first).to_be_visible()
    assert_accessible(page)
    sign_out(page)

    # The officer finds it in the queue, answers and publishes it as an FAQ with reworded text.
    sign_in(page, live_server, "dewilestari")
    page.get_by_role("link", name="Pertanyaan warga").first.click()
    expect(page.get_by_role("heading", name="Pertanyaan warga")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("link", name=QUESTION).click()
    page.get_by_label("Jawaban").fill(ANSWER)
    page.get_by_role("button", name="Simpan jawaban").click()
    expect(page.get_by_text("Jawaban tersimpan")).to_be_visible()
    faq_form = page.locator("form", has=page.get_by_role("button", name="Terbitkan sebagai FAQ"))
    faq_form.get_by_label("Pertanyaan", exact=True).fill(FAQ_QUESTION)
    expect(faq_form.get_by_label("Jawaban", exact=True)).to_have_value(ANSWER)
    assert_accessible(page)
    faq_form.get_by_role("button", name="Terbitkan sebagai FAQ").click()
    expect(page.get_by_text("FAQ tersimpan di bawah pelajaran.")).to_be_visible()
    sign_out(page)

    # The resident is told once, reads the answer in Belajar saya and the FAQ under the lesson.
    sign_in(page, live_server, "sitiaminah")
    expect(page.get_by_text("Petugas sudah menjawab pertanyaan Anda")).to_be_visible()
    page.get_by_role("link", name="Belajar saya").first.click()
    questions = page.locator("section.my-questions")
    expect(questions).to_contain_text(QUESTION)
    expect(questions).to_contain_text(ANSWER)
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.reload()
    expect(page.get_by_text("Petugas sudah menjawab pertanyaan Anda")).to_have_count(0)

    page.goto(live_server + "/kursus/paspor-uji/pelajaran-1")
    talk = page.locator("section.lesson-talk")
    talk.get_by_text(FAQ_QUESTION).click()  # a <details> opens without any script
    expect(talk.get_by_text(ANSWER)).to_be_visible()
    expect(talk).not_to_contain_text("Siti Aminah")
    assert_fits_the_phone(page)
    assert_accessible(page)

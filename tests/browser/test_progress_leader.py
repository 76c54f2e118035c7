"""A leader on a phone enrols a villager, runs a session, marks attendance and sees the funnel change;
the villager signs in with the card and sees the course completed. Both pages pass an axe check."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from lms.access import LEADER
from lms.extensions import db
from tests.conftest import PASSWORD
from tests.progress.conftest import add_course

pytestmark = pytest.mark.browser


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def sign_in(page, live_server, username, password):
    page.goto(live_server + "/akun/masuk")
    page.get_by_label("Nomor HP atau nama pengguna").fill(username)
    page.get_by_label("Kata sandi").fill(password)
    page.get_by_role("button", name="Masuk").click()


def funnel_of(page, course_title: str) -> str:
    """Return the text the funnel chart of a course gives screen readers."""
    figure = page.locator("figure.chart-figure", has_text=course_title)
    return figure.locator("desc").text_content()


def test_leader_enrols_runs_a_session_and_sees_the_funnel_change(page, live_server, app, create_user):
    with app.app_context():
        # A course completed by coming to an outreach session (its one lesson may be read, not must).
        add_course(
            "penyuluhan-paspor", lessons=1, lessons_to_read=0, title="Penyuluhan Paspor", is_attendance_required=True
        )
        db.session.commit()
    create_user(LEADER, "kades", name="Pak Kades")

    sign_in(page, live_server, "kades", PASSWORD)
    page.get_by_role("link", name="Dasbor desa").click()
    expect(page.get_by_role("heading", name="Dasbor desa")).to_be_visible()
    expect(page.get_by_text("Belum ada yang memulai kursus.")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)

    # Enrol a villager who has no phone: the card shows a username and a password, once.
    page.get_by_role("link", name="Tambah warga").click()
    page.get_by_label("Nama lengkap").fill("Mbah Sarinah")
    page.get_by_label("Daftarkan ke kursus").select_option(label="Penyuluhan Paspor")
    page.get_by_label("Saya sudah menjelaskan").check()
    page.get_by_role("button", name="Tambahkan dan tampilkan kartu masuk").click()
    card = page.locator(".sign-in-card")
    expect(card).to_contain_text("Mbah Sarinah")
    username, password = card.locator("dd.secret").all_text_contents()
    assert re.fullmatch(r"mbah\.\d{4}", username) and re.fullmatch(r"[a-z]{4}-\d{4}", password)

    page.get_by_role("link", name="Dasbor desa").first.click()
    assert funnel_of(page, "Penyuluhan Paspor") == "Terdaftar: 1; Mulai belajar: 0; Selesai: 0; Bersertifikat: 0"

    # Schedule today's session on the course and tick the villager on the roster.
    page.get_by_role("link", name="Penyuluhan").first.click()
    page.get_by_role("link", name="Jadwalkan penyuluhan").click()
    page.get_by_label("Kursus").select_option(label="Penyuluhan Paspor")
    page.get_by_label("Tempat").fill("Balai desa")
    now = datetime.now(ZoneInfo("Asia/Jakarta"))
    starts = max(now - timedelta(hours=1), now.replace(hour=0, minute=0))
    ends = min(now + timedelta(hours=1), now.replace(hour=23, minute=59))
    page.get_by_label("Tanggal").fill(f"{now:%Y-%m-%d}")
    page.get_by_label("Mulai pukul").fill(f"{starts:%H:%M}")
    page.get_by_label("Selesai pukul").fill(f"{ends:%H:%M}")
    page.get_by_role("button", name="Jadwalkan").click()
    expect(page.get_by_text("Penyuluhan sudah dijadwalkan.")).to_be_visible()
    page.get_by_label("Mbah Sarinah").check()
    page.get_by_role("button", name="Simpan kehadiran").click()
    expect(page.get_by_text("Kehadiran disimpan: 1 ditambahkan, 0 dihapus.")).to_be_visible()
    expect(page.locator("#attended-count")).to_have_text("1")
    assert_fits_the_phone(page)
    assert_accessible(page)

    # Attendance was what the course asked for: the funnel now shows the villager completed.
    page.get_by_role("link", name="Dasbor desa").click()
    # (Bersertifikat follows once the certificates' background job has issued the certificate.)
    assert funnel_of(page, "Penyuluhan Paspor").startswith("Terdaftar: 1; Mulai belajar: 1; Selesai: 1;")
    row = page.locator("tr", has_text="Mbah Sarinah")
    expect(row.locator(".status-completed, .status-certified")).to_be_visible()
    assert_accessible(page)

    # The villager signs in with the card on a phone and sees it in "Belajar saya".
    page.get_by_role("button", name="Keluar").click()
    sign_in(page, live_server, username, password)
    page.get_by_role("link", name="Belajar saya").click()
    expect(page.get_by_role("heading", name="Penyuluhan Paspor")).to_be_visible()
    expect(page.get_by_text("Selesai pada")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Kemajuan")).to_have_attribute("value", "100")
    assert_fits_the_phone(page)
    assert_accessible(page)


def test_my_learning_mid_course_is_accessible_and_continues(page, live_server, app, create_user):
    from lms.accounts.models import User
    from lms.courses.models import Lesson
    from lms.progress.operations import record_lesson_read

    resident = create_user(name="Siti Aminah")
    with app.app_context():
        course = add_course("paspor-uji", lessons=3, title="Paspor Uji", quiz=True, is_quiz_required=True)
        record_lesson_read(db.session.get(User, resident), db.session.scalar(db.select(Lesson).limit(1)))
        db.session.commit()
        assert course.id
    sign_in(page, live_server, "resident1", PASSWORD)
    page.get_by_role("link", name="Belajar saya").click()
    expect(page.get_by_text("1 dari 4 langkah selesai (25%)")).to_be_visible()
    assert_fits_the_phone(page)
    assert_accessible(page)
    page.get_by_role("link", name="Lanjutkan: Pelajaran 2").click()
    expect(page).to_have_url(re.compile(r"/kursus/paspor-uji/pelajaran-2$"))

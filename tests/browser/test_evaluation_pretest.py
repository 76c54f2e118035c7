"""On a small phone: a resident takes a course's pre-test, sees only the score, then rates a lesson."""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from lms.evaluation.models import LessonRating
from lms.extensions import db
from tests.browser.test_quizzes_taking import assert_accessible, assert_fits_the_phone, sign_in
from tests.evaluation.conftest import SLUG, create_pretest_course, take
from tests.quizzes.conftest import attempt_of, right_choices

pytestmark = pytest.mark.browser


def test_a_resident_takes_the_pretest_then_rates_a_lesson(app, page, live_server, create_user):
    create_pretest_course(app)
    user_id = create_user("resident", "warga-pratest")
    sign_in(page, live_server, "warga-pratest")
    page.goto(f"{live_server}/kursus/{SLUG}")
    page.get_by_role("link", name="Ikuti pra-tes").click()
    assert_accessible(page)
    page.get_by_role("button", name="Mulai pra-tes").click()
    expect(page.get_by_role("heading", name="Pra-tes: Kursus Uji")).to_be_visible()
    assert_fits_the_phone(page)
    pretest = attempt_of(app, user_id)
    assert pretest.is_pretest
    for answer in pretest.answers:  # the first two right, the others left blank
        if answer.position <= 2:
            for number in right_choices(app, answer):
                page.locator(f"label[for=choice-{number}]").click()
        page.get_by_role("button", name="Berikutnya" if answer.position < 4 else "Periksa dan kirim").first.click()
    expect(page.get_by_text("Ini pra-tes")).to_be_visible()
    page.get_by_role("button", name="Kirim jawaban saya").click()
    expect(page.get_by_role("heading", name="Nilai pra-tes Anda")).to_be_visible()
    expect(page.get_by_text("2 dari 4 poin (50%)")).to_be_visible()
    expect(page.get_by_text("jawaban benar")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Ke pelajaran").click()
    page.get_by_role("link", name="Pelajaran satu").click()
    page.get_by_label("4").check()
    page.get_by_role("button", name="Kirim nilai").click()
    expect(page.get_by_text("Anda memberi pelajaran ini nilai 4 dari 5")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)
    with app.app_context():
        assert db.session.scalars(select(LessonRating.rating).where(LessonRating.user_id == user_id)).all() == [4]


def test_the_officers_evaluation_page_reads_on_a_phone(app, page, live_server, create_user):
    create_pretest_course(app)
    resident = create_user("resident", "warga-hasil")
    take(app, SLUG, resident, right=1, pretest=True)
    take(app, SLUG, resident, right=4)
    create_user("officer", "petugas-evaluasi")
    sign_in(page, live_server, "petugas-evaluasi")
    page.goto(f"{live_server}/evaluasi")
    expect(page.get_by_role("heading", name="Peningkatan pengetahuan")).to_be_visible()
    expect(page.get_by_role("img", name="Rata-rata nilai pra-tes dan nilai akhir per kursus")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.get_by_role("link", name="Penilaian dan komentar").click()
    expect(page.get_by_role("heading", name="Penilaian dan komentar")).to_be_visible()
    assert_accessible(page)
    assert_fits_the_phone(page)

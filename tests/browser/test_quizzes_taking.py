"""A resident takes a quiz on a small phone: autosave, a reload, a lost connection, failing then passing."""

import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.models import Answer
from tests.conftest import PASSWORD
from tests.quizzes.conftest import SLUG, attempt_of, create_quiz, right_choices, wrong_choices

pytestmark = pytest.mark.browser
QUIZ = f"/kursus/{SLUG}/kuis"


def assert_accessible(page):
    """Fail on any serious or critical accessibility violation of the page."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in serious]


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def sign_in(page, live_server, username: str):
    page.goto(live_server + "/akun/masuk")
    page.locator("#identifier").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("form:has(#identifier) button[type=submit]").click()
    page.wait_for_url(lambda url: "/akun/masuk" not in url)


def stored_choice(app, attempt_id: int, position: int) -> list:
    with app.app_context():
        return db.session.scalar(
            select(Answer.selected).where(Answer.attempt_id == attempt_id, Answer.position == position)
        )


def shown_keys(page, order: list[str]) -> list[str]:
    """Return the option keys of the options ticked on the page (radio or checkboxes), in the stored order."""
    return [key for number, key in enumerate(order, start=1) if page.locator(f"#choice-{number}").is_checked()]


def wait_for(condition, seconds: float = 10.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def resident_on_quiz(app, page, live_server, create_user):
    create_quiz(app)
    user_id = create_user("resident", "warga-kuis")
    sign_in(page, live_server, "warga-kuis")
    page.goto(live_server + QUIZ)
    assert_accessible(page)
    page.get_by_role("button", name="Mulai kuis").click()
    expect(page.get_by_text("Soal 1 dari 3")).to_be_visible()
    return user_id


def test_answers_autosave_survive_a_reload_and_a_lost_connection(app, page, live_server, resident_on_quiz):
    attempt = attempt_of(app, resident_on_quiz)
    assert_accessible(page)
    assert_fits_the_phone(page)
    page.locator("label[for=choice-2]").click()
    expect(page.locator("#save-status")).to_have_text("Tersimpan.")
    assert stored_choice(app, attempt.id, 1) == [attempt.answers[0].option_order[1]]

    page.reload()  # a closed tab or a reload mid-quiz
    expect(page.locator("#choice-2")).to_be_checked()
    page.keyboard.press("Tab")  # the options work with the keyboard too
    page.locator("#choice-1").focus()
    page.keyboard.press("Space")
    expect(page.locator("#choice-1")).to_be_checked()
    wait_for(lambda: stored_choice(app, attempt.id, 1) == shown_keys(page, attempt.answers[0].option_order))

    page.get_by_role("button", name="Berikutnya").click()
    expect(page.get_by_text("Soal 2 dari 3")).to_be_visible()
    page.context.set_offline(True)
    page.locator("label[for=choice-1]").click()
    expect(page.locator("#save-status")).to_contain_text("Tidak ada sambungan")
    assert stored_choice(app, attempt.id, 2) == []
    page.context.set_offline(False)  # back online: the waiting save is sent
    wait_for(lambda: stored_choice(app, attempt.id, 2) == shown_keys(page, attempt.answers[1].option_order))
    expect(page.locator("#save-status")).to_have_text("Tersimpan.")

    # Offline again, then the page is reloaded once the connection is back: the kept answer wins.
    page.context.set_offline(True)
    page.locator("label[for=choice-2]").click()
    expect(page.locator("#save-status")).to_contain_text("Tidak ada sambungan")
    page.context.set_offline(False)
    page.reload()
    expect(page.locator("#choice-2")).to_be_checked()
    wait_for(lambda: stored_choice(app, attempt.id, 2) == shown_keys(page, attempt.answers[1].option_order))


def answer_and_submit(app, page, attempt, *, right: bool):
    for answer in attempt.answers:
        expect(page.get_by_text(f"Soal {answer.position} dari 3")).to_be_visible()
        choices = right_choices(app, answer) if right else wrong_choices(app, answer)
        for number in choices:
            page.locator(f"label[for=choice-{number}]").click()
        page.get_by_role("button", name="Berikutnya" if answer.position < 3 else "Periksa dan kirim").first.click()
    expect(page.get_by_role("heading", name="Periksa dan kirim")).to_be_visible()
    expect(page.get_by_text("Anda sudah menjawab 3 dari 3 soal.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Kirim jawaban saya").click()


def test_a_resident_fails_reads_the_feedback_then_passes(app, page, live_server, resident_on_quiz):
    first = attempt_of(app, resident_on_quiz)
    answer_and_submit(app, page, first, right=False)
    expect(page.get_by_role("heading", name="Belum lulus kali ini")).to_be_visible()
    expect(page.locator(".feedback").first).to_contain_text("Umpan balik")
    expect(page.locator(".explanation")).to_have_count(0)  # answers stay hidden until passed
    assert_accessible(page)
    assert_fits_the_phone(page)

    page.get_by_role("button", name="Coba lagi").click()
    expect(page.get_by_text("Soal 1 dari 3")).to_be_visible()
    second = attempt_of(app, resident_on_quiz)
    assert second.id != first.id
    answer_and_submit(app, page, second, right=True)
    expect(page.get_by_role("heading", name="Anda lulus!")).to_be_visible()
    expect(page.locator(".explanation").first).to_contain_text("Penjelasan")
    assert_accessible(page)

    assert attempt_of(app, resident_on_quiz).score == 3


def test_the_quiz_works_without_javascript(app, browser, live_server, create_user):
    create_quiz(app)
    user_id = create_user("resident", "warga-tanpa-js")
    context = browser.new_context(java_script_enabled=False, viewport={"width": 360, "height": 740}, locale="id-ID")
    page = context.new_page()
    sign_in(page, live_server, "warga-tanpa-js")
    page.goto(live_server + QUIZ)
    page.get_by_role("button", name="Mulai kuis").click()
    attempt = attempt_of(app, user_id)
    page.locator("label[for=choice-1]").click()
    page.get_by_role("button", name="Berikutnya").click()
    expect(page.get_by_text("Soal 2 dari 3")).to_be_visible()
    assert stored_choice(app, attempt.id, 1) == [attempt.answers[0].option_order[0]]
    page.get_by_role("button", name="Sebelumnya").click()
    expect(page.locator("#choice-1")).to_be_checked()
    page.get_by_text("Selesaikan kuis sekarang").click()  # opens the disclosure
    page.get_by_role("button", name="Kirim jawaban saya").click()
    expect(page.get_by_role("heading", name="Hasil percobaan 1")).to_be_visible()
    context.close()


def test_officer_pages_are_accessible_on_a_phone(app, page, live_server, create_user):
    create_quiz(app)
    create_user("officer", "petugas-kuis")
    sign_in(page, live_server, "petugas-kuis")
    for path in ("", "/soal/q01?bahasa=en", "/soal/baru", "/pratinjau/2?bahasa=jv", "/statistik"):
        page.goto(f"{live_server}/kelola/kursus/{SLUG}/kuis{path}")
        expect(page.locator("h1")).to_be_visible()
        assert_accessible(page)

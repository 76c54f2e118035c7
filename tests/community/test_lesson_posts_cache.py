"""The questions under a lesson are kept in the worker's memory, yet never older than the last officer's change."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.community.models import Faq, ResidentQuestion
from lms.community.operations import lesson_posts, save_faq
from lms.courses.reading import load_languages
from lms.extensions import db
from tests.community.conftest import ask
from tests.media.test_player_cache import run_as_another_worker, stamp_everything
from tests.media.test_watching import count_queries

LESSON = "/kursus/kursus-uji/pelajaran-1"


def _publish_faq(app, officer: int, lesson_id: int, answer: str = "Bisa, di kantor imigrasi mana pun.") -> int:
    with app.app_context():
        faq = save_faq(
            db.session.get(User, officer), None, lesson_id=lesson_id, language="id",
            question="Di mana paspor dibuat?", answer=answer,
        )  # fmt: skip
        db.session.commit()
        return faq.id


def test_a_lesson_page_read_again_does_not_read_the_questions(app, client, auth, resident, officer, course):
    stamp_everything(app)
    _publish_faq(app, officer, course.lessons[0])
    auth.sign_in(resident)
    client.get(LESSON)
    statements, page = count_queries(app, client, LESSON)
    assert "Di mana paspor dibuat?" in page and "Bisa, di kantor imigrasi mana pun." in page
    assert [s for s in statements if "FROM faqs" in s or "FROM resident_questions" in s] == []


def test_each_officer_change_shows_on_the_very_next_page(app, client, auth, resident, officer, course):
    stamp_everything(app)
    auth.sign_in(resident)
    assert "Bolehkah paspor diwakilkan?" not in client.get(LESSON).get_data(as_text=True)
    ask(client, "Bolehkah paspor diwakilkan?", path=f"/tanya?pelajaran={course.lessons[0]}", is_public="y")
    assert "Bolehkah paspor diwakilkan?" not in client.get(LESSON).get_data(as_text=True)  # not answered yet
    question_id = _only(app, ResidentQuestion)
    auth.sign_out()
    auth.sign_in(officer)

    client.post(f"/tanya/petugas/{question_id}", data={"answer": "Tidak, pemohon datang sendiri."})
    page = client.get(LESSON).get_data(as_text=True)
    assert "Bolehkah paspor diwakilkan?" in page and "Tidak, pemohon datang sendiri." in page

    faq = {"faq-lesson_id": str(course.lessons[0]), "faq-language": "id"}
    faq["faq-question"] = "Apakah paspor bisa diwakilkan?"
    client.post(f"/tanya/petugas/{question_id}/faq", data={**faq, "faq-answer": "Tidak.", "faq-is_published": "y"})
    page = client.get(LESSON).get_data(as_text=True)
    assert "Apakah paspor bisa diwakilkan?" in page and "Bolehkah paspor diwakilkan?" not in page  # shown once

    faq_id = _only(app, Faq)
    client.post(f"/tanya/faq/{faq_id}", data={**faq, "faq-answer": "Tidak boleh.", "faq-is_published": "y"})
    assert "Tidak boleh." in client.get(LESSON).get_data(as_text=True)

    client.post(f"/tanya/faq/{faq_id}", data={**faq, "faq-answer": "Tidak boleh."})  # withdrawn
    page = client.get(LESSON).get_data(as_text=True)
    assert "Apakah paspor bisa diwakilkan?" not in page and "Bolehkah paspor diwakilkan?" in page

    client.post(f"/tanya/petugas/{question_id}/sembunyikan", data={"hide": "1"})
    assert "Bolehkah paspor diwakilkan?" not in client.get(LESSON).get_data(as_text=True)


def _only(app, model) -> int:
    with app.app_context():
        return db.session.scalars(select(model.id)).one()


def test_a_change_rolled_back_is_never_shown(app, client, officer, course):
    stamp_everything(app)
    _publish_faq(app, officer, course.lessons[0])
    assert "Bisa, di kantor imigrasi mana pun." in client.get(LESSON).get_data(as_text=True)
    with app.test_request_context(LESSON):
        db.session.scalars(select(Faq)).one().answer = "Jawaban yang dibatalkan."
        db.session.flush()
        assert lesson_posts(course.lessons[0], load_languages("id"))[0].answer == "Jawaban yang dibatalkan."
        db.session.rollback()
    page = client.get(LESSON).get_data(as_text=True)
    assert "Bisa, di kantor imigrasi mana pun." in page and "dibatalkan" not in page


def test_a_change_committed_by_another_worker_process_is_seen_at_once(app, client, officer, course):
    stamp_everything(app)
    _publish_faq(app, officer, course.lessons[0])
    assert "Bisa, di kantor imigrasi mana pun." in client.get(LESSON).get_data(as_text=True)
    script = (
        "from lms.community.models import Faq\n"
        "with app.app_context():\n"
        "    db.session.scalars(db.select(Faq)).one().answer = 'Jawaban dari pekerja lain.'\n"
        "    db.session.commit()\n"
    )
    run_as_another_worker(app, script)
    page = client.get(LESSON).get_data(as_text=True)
    assert "Jawaban dari pekerja lain." in page and "Bisa, di kantor imigrasi mana pun." not in page

"""Hostile text is stored as written and shown escaped; a deleted account's posts are anonymised and exported."""

import json

from sqlalchemy import select

from lms.accounts.models import User
from lms.community.models import Concern, Faq, ResidentQuestion
from lms.extensions import db
from tests.community.conftest import ask, form_token
from tests.conftest import PASSWORD

HOSTILE = "<script>alert('x')</script> \"kutip\" & 'tunggal' <img src=x onerror=alert(1)> 🇮🇩🙏"


def _assert_escaped(page: str) -> None:
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page and "🇮🇩🙏" in page


def test_hostile_text_is_stored_as_written_and_escaped_everywhere_it_is_shown(
    app, client, auth, resident, officer, course
):
    lesson_id = course.lessons[0]
    auth.sign_in(resident)
    ask(client, HOSTILE, path=f"/tanya?pelajaran={lesson_id}", is_public="y")
    client.post("/lapor", data={"kind": "other", "body": HOSTILE, "form_token": form_token(client, "/lapor")})
    with app.app_context():
        question_id = db.session.scalar(select(ResidentQuestion.id))
        concern_id = db.session.scalar(select(Concern.id))
    _assert_escaped(client.get(f"/tanya/{question_id}").get_data(as_text=True))
    _assert_escaped(client.get("/tanya").get_data(as_text=True))
    _assert_escaped(client.get(f"/lapor/{concern_id}").get_data(as_text=True))
    auth.sign_out()
    auth.sign_in(officer)
    _assert_escaped(client.get("/tanya/petugas").get_data(as_text=True))
    _assert_escaped(client.get(f"/lapor/petugas/{concern_id}").get_data(as_text=True))
    client.post(f"/tanya/petugas/{question_id}", data={"answer": HOSTILE})
    faq = {
        "faq-lesson_id": str(lesson_id),
        "faq-language": "id",
        "faq-question": HOSTILE,
        "faq-answer": HOSTILE,
        "faq-is_published": "y",
    }
    client.post(f"/tanya/petugas/{question_id}/faq", data=faq)
    client.post(f"/lapor/petugas/{concern_id}", data={"note": HOSTILE})
    _assert_escaped(client.get(f"/tanya/petugas/{question_id}").get_data(as_text=True))
    with app.app_context():
        question = db.session.get(ResidentQuestion, question_id)
        saved = db.session.scalar(select(Faq))
        concern = db.session.get(Concern, concern_id)
        assert question.body == question.answer == saved.question == saved.answer == HOSTILE
        assert concern.body == concern.handling_note == HOSTILE
        faq_id = saved.id
    _assert_escaped(client.get(f"/tanya/faq/{faq_id}").get_data(as_text=True))
    auth.sign_out()
    _assert_escaped(client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True))
    auth.sign_in(resident)
    _assert_escaped(client.get("/belajar").get_data(as_text=True))
    _assert_escaped(client.get(f"/lapor/{concern_id}").get_data(as_text=True))


def test_the_data_export_holds_ones_questions_and_concerns(client, auth, resident):
    auth.sign_in(resident)
    ask(client, "Pertanyaan untuk diekspor")
    client.post("/lapor", data={"kind": "other", "body": "Laporan saya", "form_token": form_token(client, "/lapor")})
    data = json.loads(client.get("/akun/profil/data").get_data(as_text=True))
    assert [row["body"] for row in data["tables"]["resident_questions"]] == ["Pertanyaan untuk diekspor"]
    assert [row["body"] for row in data["tables"]["concerns"]] == ["Laporan saya"]
    assert "form_token" in data["tables"]["concerns"][0]


def test_deleting_the_account_removes_private_questions_and_unlinks_the_rest(
    app, client, auth, resident, officer, create_user, course
):
    lesson_id = course.lessons[0]
    auth.sign_in(resident)
    ask(client, "Pertanyaan publik yang dijawab", path=f"/tanya?pelajaran={lesson_id}", is_public="y")
    ask(client, "Pertanyaan pribadi berisi nama saya")
    client.post(
        "/lapor", data={"kind": "recruiter", "body": "Calo di desa", "form_token": form_token(client, "/lapor")}
    )
    auth.sign_out()
    auth.sign_in(officer)
    with app.app_context():
        public_id, private_id = db.session.scalars(select(ResidentQuestion.id).order_by(ResidentQuestion.id))
    client.post(f"/tanya/petugas/{public_id}", data={"answer": "Jawaban publik."})
    client.post(f"/tanya/petugas/{private_id}", data={"answer": "Jawaban pribadi."})
    faq = {
        "faq-lesson_id": str(lesson_id),
        "faq-language": "id",
        "faq-question": "FAQ",
        "faq-answer": "A",
        "faq-is_published": "y",
    }
    client.post(f"/tanya/petugas/{private_id}/faq", data=faq)
    auth.sign_out()
    auth.sign_in(resident)
    assert client.post("/akun/profil/hapus", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    with app.app_context():
        questions = list(db.session.scalars(select(ResidentQuestion)))
        assert [(q.id, q.user_id) for q in questions] == [(public_id, None)]
        assert db.session.scalar(select(Concern.user_id)) is None
        assert db.session.scalar(select(Concern.body)) == "Calo di desa"  # stays with the office, unnamed
        assert db.session.scalar(select(Faq.question_id)) is None and db.session.scalar(select(Faq.answer)) == "A"
        assert db.session.get(User, resident).is_deleted
    page = client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True)
    assert "Pertanyaan publik yang dijawab" in page and "FAQ" in page


def test_an_officer_deleting_their_account_keeps_the_answers(app, client, auth, resident, create_user, course):
    officer = create_user("officer", "petugashapus")
    auth.sign_in(resident)
    ask(client, "Pertanyaan")
    auth.sign_out()
    auth.sign_in(officer)
    with app.app_context():
        question_id = db.session.scalar(select(ResidentQuestion.id))
    client.post(f"/tanya/petugas/{question_id}", data={"answer": "Jawaban tetap ada."})
    assert client.post("/akun/profil/hapus", data={"password": PASSWORD, "confirm": "y"}).status_code == 302
    with app.app_context():
        question = db.session.get(ResidentQuestion, question_id)
        assert (question.answer, question.answered_by_id) == ("Jawaban tetap ada.", None)

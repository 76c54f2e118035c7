"""Officers answer the questions of their area, publish FAQs under lessons and hide abusive questions."""

from datetime import timedelta

from sqlalchemy import select

from lms.access import RESIDENT
from lms.clock import utcnow
from lms.community.models import Faq, ResidentQuestion
from lms.extensions import db
from tests.community.conftest import ask
from tests.sql import recorded_statements


def _question_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(ResidentQuestion.id).order_by(ResidentQuestion.id)))


def test_the_queue_shows_open_questions_oldest_first_and_filters_by_village_and_course(
    app, client, auth, resident, officer, create_user, course
):
    neighbour = create_user(RESIDENT, "tetangga", village_code="16.72.01.1001")  # Sukorejo, same office
    auth.sign_in(resident)
    ask(client, "Pertanyaan lama dari Dempo Makmur", course_id=str(course.course))
    auth.sign_out()
    auth.sign_in(neighbour)
    ask(client, "Pertanyaan baru dari Sukorejo")
    older, newer = _question_ids(app)
    with app.app_context():  # the first was asked a day earlier
        db.session.get(ResidentQuestion, older).created_dt = utcnow() - timedelta(days=1)
        db.session.commit()
    auth.sign_out()
    auth.sign_in(officer)
    page = client.get("/tanya/petugas").get_data(as_text=True)
    assert page.index("Pertanyaan lama") < page.index("Pertanyaan baru")
    by_village = client.get("/tanya/petugas?desa=16.72.01.1001").get_data(as_text=True)
    assert "Pertanyaan baru" in by_village and "Pertanyaan lama" not in by_village
    by_course = client.get(f"/tanya/petugas?kursus={course.course}").get_data(as_text=True)
    assert "Pertanyaan lama" in by_course and "Pertanyaan baru" not in by_course


def test_an_answer_reaches_belajar_saya_with_a_notice_shown_once(app, client, auth, resident, officer, course):
    auth.sign_in(resident)
    ask(client, "Apakah KTP lama masih bisa dipakai?")
    (question_id,) = _question_ids(app)
    auth.sign_out()
    auth.sign_in(officer)
    empty = client.post(f"/tanya/petugas/{question_id}", data={"answer": " "})
    assert empty.status_code == 422 and "Tulis jawabannya." in empty.get_data(as_text=True)
    saved = client.post(f"/tanya/petugas/{question_id}", data={"answer": "Bisa, selama datanya sama dengan KK."})
    assert saved.status_code == 302
    assert "Apakah KTP lama" not in client.get("/tanya/petugas").get_data(as_text=True)  # no longer open
    auth.sign_out()
    auth.sign_in(resident)
    first = client.get("/belajar").get_data(as_text=True)
    assert "Petugas sudah menjawab pertanyaan Anda" in first
    assert "Bisa, selama datanya sama dengan KK." in first
    again = client.get("/belajar").get_data(as_text=True)
    assert "Petugas sudah menjawab pertanyaan Anda" not in again and "Bisa, selama datanya" in again


def test_an_answer_given_while_the_resident_browses_is_announced_within_the_watch(
    app, client, auth, resident, create_user, course
):
    from lms.community.operations import answer_question

    auth.sign_in(resident)
    ask(client, "Berapa biaya paspor elektronik?")
    (question_id,) = _question_ids(app)
    officer_id = create_user("officer", "petugasdua")
    with app.app_context():
        from lms.accounts.models import User

        answer_question(db.session.get(User, officer_id), db.session.get(ResidentQuestion, question_id), "Rp650.000.")
        db.session.commit()
    assert "Petugas sudah menjawab" not in client.get("/kursus").get_data(as_text=True)  # not due yet
    with client.session_transaction() as session:
        session["community_watch"] = 0  # the few minutes have passed
    assert "Petugas sudah menjawab" in client.get("/kursus").get_data(as_text=True)


def test_page_views_of_someone_without_open_questions_never_query_the_questions(app, client, auth, resident, course):
    auth.sign_in(resident)
    with recorded_statements(app) as statements:
        for path in ("/", "/kursus", "/kursus/kursus-uji"):
            assert client.get(path).status_code == 200
    assert not [s for s in statements if "resident_questions" in s]


def test_an_faq_and_a_public_answer_show_under_the_lesson_and_private_ones_never(
    app, client, auth, resident, officer, create_user, course
):
    lesson_id = course.lessons[0]
    path = f"/tanya?pelajaran={lesson_id}"
    auth.sign_in(resident)
    ask(client, "Pertanyaan publik: apakah paspor bisa diwakilkan?", path=path, is_public="y")
    ask(client, "Pertanyaan pribadi: nomor KK saya 1234", path=path)
    public, private = _question_ids(app)
    auth.sign_out()
    auth.sign_in(officer)
    for question_id in (public, private):
        client.post(f"/tanya/petugas/{question_id}", data={"answer": f"Jawaban untuk {question_id}."})
    lesson_page = client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True)
    assert "Pertanyaan publik" in lesson_page and f"Jawaban untuk {public}." in lesson_page
    assert "warga Desa Dempo Makmur" in lesson_page
    assert "Pertanyaan pribadi" not in lesson_page and f"Jawaban untuk {private}." not in lesson_page
    review = client.get(f"/tanya/petugas/{private}").get_data(as_text=True)
    assert "Terbitkan sebagai FAQ" in review
    faq = {"faq-lesson_id": str(lesson_id), "faq-language": "id", "faq-question": "Bolehkah paspor diurus orang lain?"}
    published = client.post(
        f"/tanya/petugas/{private}/faq", data={**faq, "faq-answer": "Tidak.", "faq-is_published": "y"}
    )
    assert published.status_code == 302
    again = client.post(
        f"/tanya/petugas/{private}/faq", data={**faq, "faq-answer": "Tidak boleh.", "faq-is_published": "y"}
    )
    assert again.status_code == 302
    with app.app_context():
        faqs = list(db.session.scalars(select(Faq)))
        assert [(f.question, f.answer, f.question_id) for f in faqs] == [(faq["faq-question"], "Tidak boleh.", private)]
    auth.sign_out()
    anonymous = client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True)
    assert "Bolehkah paspor diurus orang lain?" in anonymous and "Tidak boleh." in anonymous
    assert "nomor KK saya" not in anonymous
    assert anonymous.index("Bolehkah paspor diurus") < anonymous.index("Pertanyaan publik")  # FAQs first
    assert "Nomor Satu" not in anonymous and "Resident" not in anonymous  # the asker is never named


def test_an_faq_can_be_reworded_or_withdrawn_by_its_office_only(
    app, client, auth, resident, officer, palembang_officer, course
):
    auth.sign_in(resident)
    ask(client, "Apa itu M-Paspor?", path=f"/tanya?pelajaran={course.lessons[0]}")
    (question_id,) = _question_ids(app)
    auth.sign_out()
    auth.sign_in(officer)
    client.post(f"/tanya/petugas/{question_id}", data={"answer": "Aplikasi antrean paspor."})
    data = {"faq-lesson_id": str(course.lessons[2]), "faq-language": "id", "faq-question": "Apa itu M-Paspor?"}
    client.post(
        f"/tanya/petugas/{question_id}/faq", data={**data, "faq-answer": "Aplikasi resmi.", "faq-is_published": "y"}
    )
    with app.app_context():
        faq_id = db.session.scalar(select(Faq.id))
    assert "Apa itu M-Paspor?" in client.get("/kursus/kursus-uji/pelajaran-3").get_data(as_text=True)
    assert client.get(f"/tanya/faq/{faq_id}").status_code == 200
    withdrawn = client.post(f"/tanya/faq/{faq_id}", data={**data, "faq-answer": "Aplikasi resmi."})
    assert withdrawn.status_code == 302
    assert "Apa itu M-Paspor?" not in client.get("/kursus/kursus-uji/pelajaran-3").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(palembang_officer)
    assert client.get(f"/tanya/faq/{faq_id}").status_code == 404
    assert (
        client.post(f"/tanya/faq/{faq_id}", data={**data, "faq-answer": "x", "faq-is_published": "y"}).status_code
        == 404
    )


def test_an_unanswered_question_cannot_become_an_faq(app, client, auth, resident, officer, course, counts):
    auth.sign_in(resident)
    ask(client, "Belum dijawab")
    (question_id,) = _question_ids(app)
    auth.sign_out()
    auth.sign_in(officer)
    data = {
        "faq-lesson_id": str(course.lessons[0]),
        "faq-language": "id",
        "faq-question": "Q",
        "faq-answer": "A",
        "faq-is_published": "y",
    }
    refused = client.post(f"/tanya/petugas/{question_id}/faq", data=data)
    assert refused.status_code == 422 and "Jawab pertanyaan ini dulu" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Faq.id)) is None


def test_a_hidden_question_leaves_every_list_and_the_asker_is_told(app, client, auth, resident, officer, course):
    path = f"/tanya?pelajaran={course.lessons[0]}"
    auth.sign_in(resident)
    ask(client, "Pertanyaan kasar yang menghina", path=path, is_public="y")
    (question_id,) = _question_ids(app)
    auth.sign_out()
    auth.sign_in(officer)
    client.post(f"/tanya/petugas/{question_id}", data={"answer": "Mohon sopan."})
    assert "Pertanyaan kasar" in client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True)
    assert client.post(f"/tanya/petugas/{question_id}/sembunyikan", data={"hide": "1"}).status_code == 302
    assert client.post(f"/tanya/petugas/{question_id}/sembunyikan", data={"hide": "1"}).status_code == 302
    assert "Pertanyaan kasar" not in client.get("/kursus/kursus-uji/pelajaran-1").get_data(as_text=True)
    assert "Pertanyaan kasar" not in client.get("/tanya/petugas?lihat=answered").get_data(as_text=True)
    assert "Pertanyaan kasar" in client.get("/tanya/petugas?lihat=hidden").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(resident)
    home = client.get("/").get_data(as_text=True)
    assert "Petugas menyembunyikan salah satu pertanyaan Anda" in home
    mine = client.get(f"/tanya/{question_id}").get_data(as_text=True)
    assert "Petugas menyembunyikan pertanyaan ini" in mine and "Mohon sopan." not in mine

"""Residents ask officers a question from a lesson or the Tanya Petugas page; leaders ask for assisted villagers."""

from sqlalchemy import select

from lms.access import RESIDENT
from lms.community.models import ResidentQuestion
from lms.extensions import db
from tests.community.conftest import ask, form_token


def test_a_resident_asks_from_a_lesson_and_the_question_keeps_its_lesson_language_and_village(
    app, client, auth, resident, course
):
    auth.sign_in(resident)
    lesson_page = client.get("/kursus/kursus-uji/pelajaran-2").get_data(as_text=True)
    link = f"/tanya?pelajaran={course.lessons[1]}"
    assert link in lesson_page
    form_page = client.get(link).get_data(as_text=True)
    assert "Pelajaran 2" in form_page
    text = "  Berapa lama paspor\r\nselesai dibuat?  "
    response = ask(client, text, path=link, language="plm", is_public="y")
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(ResidentQuestion))
        assert question.body == text  # exactly as written, spaces and line breaks included
        assert (question.language, question.is_public, question.lesson_id, question.course_id) == (
            "plm",
            True,
            course.lessons[1],
            course.course,
        )
        assert (question.user_id, question.asked_by_id, question.village_code) == (resident, None, "16.72.01.1018")
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Berapa lama paspor" in body and "Pertanyaan Anda sudah dikirim" in body


def test_the_tanya_petugas_page_is_in_the_menu_and_takes_a_question_about_a_course(app, client, auth, resident, course):
    auth.sign_in(resident)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/tanya"' in home and 'href="/lapor"' in home
    response = ask(client, "Apakah anak perlu paspor sendiri?", course_id=str(course.course))
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(ResidentQuestion))
        assert (question.lesson_id, question.course_id, question.is_public) == (None, course.course, False)


def test_empty_too_long_or_control_characters_are_refused_in_indonesian_and_nothing_is_stored(
    client, auth, resident, counts
):
    auth.sign_in(resident)
    empty = ask(client, "   ")
    assert empty.status_code == 422 and "Tulis pertanyaan Anda." in empty.get_data(as_text=True)
    long = ask(client, "a" * 2001)
    assert long.status_code == 422 and "Paling banyak 2000 karakter." in long.get_data(as_text=True)
    control = ask(client, "halo\x1b[31mdunia")
    assert control.status_code == 422 and "karakter kontrol" in control.get_data(as_text=True)
    unknown_language = ask(client, "Pertanyaan baik", language="xx")
    assert unknown_language.status_code == 422
    unknown_lesson = ask(client, "Pertanyaan baik", lesson_id="999999")
    assert unknown_lesson.status_code == 422 and "Pelajaran ini tidak bisa menerima pertanyaan." in (
        unknown_lesson.get_data(as_text=True)
    )
    assert counts() == (0, 0)
    assert ask(client, "a" * 2000).status_code == 302  # the limit itself is allowed
    assert counts() == (1, 0)


def test_a_double_submit_stores_one_question(client, auth, resident, counts):
    auth.sign_in(resident)
    data = {"body": "Di mana kantor imigrasi terdekat?", "language": "id", "form_token": form_token(client)}
    first = client.post("/tanya", data=data)
    second = client.post("/tanya", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert counts() == (1, 0)


def test_another_persons_form_token_is_refused(client, auth, resident, create_user, counts):
    auth.sign_in(resident)
    data = {"body": "Pertanyaan pertama", "language": "id", "form_token": form_token(client)}
    assert client.post("/tanya", data=data).status_code == 302
    auth.sign_out()
    auth.sign_in(create_user(RESIDENT, "wargalain"))
    stolen = client.post("/tanya", data={**data, "body": "Pertanyaan lain"})
    assert stolen.status_code == 422 and "Formulir ini sudah dipakai" in stolen.get_data(as_text=True)
    assert counts() == (1, 0)


def test_asking_too_often_is_refused_with_the_friendly_429_page(app, client, auth, resident, counts):
    app.config["QUESTION_LIMIT_PER_USER"] = "3 per hour"
    try:
        auth.sign_in(resident)
        for number in range(3):
            assert ask(client, f"Pertanyaan nomor {number}").status_code == 302
        refused = ask(client, "Pertanyaan keempat")
        assert refused.status_code == 429 and "Terlalu banyak percobaan" in refused.get_data(as_text=True)
        assert counts() == (3, 0)
    finally:
        app.config.pop("QUESTION_LIMIT_PER_USER")


def test_a_leader_asks_for_an_assisted_villager_who_owns_the_question_and_sees_the_answer(
    app, client, auth, leader, officer, create_user
):
    villager = create_user(RESIDENT, "wargadibantu", name="Mbah Sarni", is_assisted=True)
    ordinary = create_user(RESIDENT, "wargabiasa")
    auth.sign_in(leader)
    page = client.get("/tanya").get_data(as_text=True)
    assert "Mbah Sarni" in page
    refused = ask(client, "Pertanyaan untuk warga biasa", villager_id=str(ordinary))
    assert refused.status_code == 422 and "Pilih warga dari desa Anda." in refused.get_data(as_text=True)
    response = ask(client, "Apakah Mbah perlu paspor untuk umrah?", villager_id=str(villager))
    assert response.status_code == 302
    with app.app_context():
        question = db.session.scalar(select(ResidentQuestion))
        assert (question.user_id, question.asked_by_id, question.village_code) == (villager, leader, "16.72.01.1018")
    assert client.get(response.headers["Location"]).status_code == 200
    assert "Apakah Mbah perlu paspor" in client.get("/tanya").get_data(as_text=True)
    auth.sign_out()
    auth.sign_in(officer)
    assert (
        client.post(f"/tanya/petugas/{question.id}", data={"answer": "Perlu, paspor biasa cukup."}).status_code == 302
    )
    auth.sign_out()
    auth.sign_in(leader)
    home = client.get("/").get_data(as_text=True)
    assert "Petugas sudah menjawab pertanyaan yang Anda ajukan untuk warga" in home
    assert "Perlu, paspor biasa cukup." in client.get(f"/tanya/{question.id}").get_data(as_text=True)

"""Officers build and translate questions, preview the quiz, and read item statistics."""

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.quizzes.editing import needs_update
from lms.quizzes.models import Question, Quiz
from lms.regions.operations import ensure_office
from tests.quizzes.conftest import SLUG, attempt_of, right_choices, wrong_choices

MANAGE = f"/kelola/kursus/{SLUG}/kuis"


def question_form(**fields) -> dict:
    """Return an editor form: a single-choice question with two options, the first correct."""
    data = {
        "type": "single",
        "lesson": "",
        "source_text": "Apakah paspor boleh digadaikan?",
        "source_explanation": "Paspor adalah dokumen negara.",
        "options-0-key": "",
        "options-0-is_correct": "y",
        "options-0-source_text": "Tidak boleh",
        "options-0-source_feedback": "Benar, paspor dokumen negara.",
        "options-1-key": "",
        "options-1-source_text": "Boleh",
        "options-1-source_feedback": "Kurang tepat.",
    }
    data.update(fields)
    return data


def load_question(app, key: str) -> Question:
    with app.app_context():
        question = db.session.scalar(select(Question).where(Question.key == key))
        for option in question.options:
            option.texts  # noqa: B018
        question.texts  # noqa: B018
        db.session.expunge_all()
        return question


@pytest.fixture
def signed_in_officer(auth, officer, quiz_slug):
    auth.sign_in(officer)
    return officer


def test_officer_writes_a_question_then_translates_it_side_by_side(app, client, signed_in_officer):
    response = client.post(f"{MANAGE}/soal/baru", data=question_form())
    assert response.status_code == 303 and response.headers["Location"].endswith("/soal/q05")
    question = load_question(app, "q05")
    assert [(o.key, o.is_correct) for o in question.options] == [("a", True), ("b", False)]
    page = client.get(f"{MANAGE}/soal/q05?bahasa=en").get_data(as_text=True)
    assert "translation-columns two" in page and 'lang="en"' in page and "Apakah paspor" in page
    form = question_form(
        **{
            "options-0-key": "a",
            "options-1-key": "b",
            "target_text": "May a passport be pawned?",
            "options-0-target_text": "No",
            "options-0-target_feedback": "Right, it is a state document.",
            "options-1-target_text": "Yes",
        }
    )
    assert client.post(f"{MANAGE}/soal/q05?bahasa=en", data=form).status_code == 303
    question = load_question(app, "q05")
    assert question.text("en").text == "May a passport be pawned?"
    assert question.options[0].text("en").feedback == "Right, it is a state document."
    assert question.text("id").text == "Apakah paspor boleh digadaikan?"  # the source is kept
    with app.app_context():
        fresh = db.session.get(Question, question.id)
        assert not needs_update(fresh, "en", "id")
    # Changing the source flags the translation until someone checks it.
    client.post(f"{MANAGE}/soal/q05", data={**form, "source_text": "Bolehkah paspor dijual?"})
    with app.app_context():
        fresh = db.session.get(Question, question.id)
        assert needs_update(fresh, "en", "id")
        assert fresh.text("en").text == "May a passport be pawned?"  # untouched by a source-only edit
    assert "needs update" in client.get(MANAGE, headers={"Accept-Language": "en"}).get_data(as_text=True)
    client.post(f"{MANAGE}/soal/q05?bahasa=en", data={**form, "is_translation_current": "y"})
    with app.app_context():
        assert not needs_update(db.session.get(Question, question.id), "en", "id")


def test_a_true_false_question_gets_the_true_and_false_options(app, client, signed_in_officer):
    form = question_form(type="true_false", **{"options-0-source_text": "Benar", "options-1-source_text": "Salah"})
    assert client.post(f"{MANAGE}/soal/baru", data=form).status_code == 303
    assert [(o.key, o.is_correct) for o in load_question(app, "q05").options] == [("true", True), ("false", False)]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"source_text": ""}, "Please write the question."),
        ({"options-1-is_correct": "y"}, "Exactly one option must be correct."),
        ({"options-1-source_text": ""}, "A question needs at least two options."),
        ({"type": "essay"}, "Not a valid choice"),
        ({"type": "multiple", "options-0-is_correct": ""}, "At least one option must be correct."),
    ],
)
def test_a_bad_question_is_refused_and_nothing_is_stored(app, client, signed_in_officer, fields, message):
    response = client.post(f"{MANAGE}/soal/baru", data=question_form(**fields), headers={"Accept-Language": "en"})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Question).where(Question.key == "q05")) is None


def test_settings_are_saved_and_checked(app, client, signed_in_officer):
    settings = {"pass_mark": 80, "questions_per_attempt": 2, "max_attempts": 0, "time_limit_minutes": 15}
    assert client.post(MANAGE, data={**settings, "review": "always"}).status_code == 303
    with app.app_context():
        quiz = db.session.scalar(select(Quiz))
        assert (quiz.pass_mark, quiz.max_attempts, quiz.time_limit_minutes, quiz.review) == (80, 0, 15, "always")
    bad = client.post(MANAGE, data={**settings, "pass_mark": 0, "review": "always"})
    assert bad.status_code == 422
    bad = client.post(MANAGE, data={**settings, "pass_mark": "x", "review": "always"})
    assert bad.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(Quiz)).pass_mark == 80


def test_a_retired_question_is_no_longer_drawn(app, client, auth, signed_in_officer, resident):
    for key in ("q01", "q02"):
        assert client.post(f"{MANAGE}/soal/{key}/pensiun", data={"action": "retire"}).status_code == 303
    auth.sign_out()
    auth.sign_in(resident)
    client.post(f"/kursus/{SLUG}/kuis")
    attempt = attempt_of(app, resident)
    with app.app_context():
        keys = {db.session.get(Question, a.question_id).key for a in attempt.answers}
    assert keys == {"q03", "q04"}


def test_preview_shows_a_question_as_a_resident_sees_it_in_a_chosen_language(client, signed_in_officer):
    page = client.get(f"{MANAGE}/pratinjau/1?bahasa=en").get_data(as_text=True)
    assert "Question q01?" in page and 'type="radio"' in page and "Umpan balik" not in page
    fallback = client.get(f"{MANAGE}/pratinjau/1?bahasa=jv").get_data(as_text=True)
    assert 'lang="id"' in fallback and "fallback-note" in fallback
    assert client.get(f"{MANAGE}/pratinjau/9").status_code == 404


def test_officers_edit_built_in_and_their_own_office_courses_only(app, client, auth, make_quiz, create_user, admin):
    with app.app_context():
        other_office = ensure_office("Kantor Imigrasi Lain", []).id
        own_office = ensure_office("Kantor Imigrasi Muara Enim", ["16.72", "16.03"]).id
        db.session.commit()
    make_quiz("kursus-kantor-lain", office_id=other_office)
    make_quiz("kursus-kantor-sendiri", office_id=own_office)
    make_quiz("kursus-nasional")
    auth.sign_in(create_user("officer", "petugas-uji", office_id=own_office))
    assert client.get("/kelola/kursus/kursus-nasional/kuis").status_code == 200
    assert client.get("/kelola/kursus/kursus-kantor-sendiri/kuis").status_code == 200
    for url in ("", "/soal/baru", "/soal/q01", "/pratinjau/1", "/statistik"):
        assert client.get(f"/kelola/kursus/kursus-kantor-lain/kuis{url}").status_code == 403
    assert client.post("/kelola/kursus/kursus-kantor-lain/kuis/soal/q01/pensiun").status_code == 403
    assert client.get("/kelola/kursus/tidak-ada/kuis").status_code == 404
    auth.sign_out()
    auth.sign_in(admin)
    assert client.get("/kelola/kursus/kursus-kantor-lain/kuis").status_code == 200


def test_residents_cannot_open_the_officers_pages(client, auth, resident, quiz_slug):
    auth.sign_in(resident)
    assert client.get(MANAGE).status_code == 403
    assert client.get(f"{MANAGE}/statistik").status_code == 403


def test_item_statistics_overall_and_per_village(app, client, auth, create_user, officer, quiz_slug):
    from lms.demo import DEMO_VILLAGE

    elsewhere = "16.72.02.1003"
    with app.app_context():
        db.session.execute(db.update(Quiz).values(questions_per_attempt=4))
        db.session.commit()
    people = [create_user("resident", f"warga-stat-{n}", village_code=DEMO_VILLAGE) for n in range(4)]
    people.append(create_user("resident", "warga-stat-luar", village_code=elsewhere))
    for number, person in enumerate(people):
        auth.sign_in(person)
        client.post(f"/kursus/{SLUG}/kuis")
        attempt = attempt_of(app, person)
        for answer in attempt.answers:
            choices = right_choices(app, answer) if number == 0 else wrong_choices(app, answer)
            client.post(
                f"/kursus/{SLUG}/kuis/{attempt.id}/simpan",
                json={"position": answer.position, "choices": choices, "sequence": 1},
            )
        client.post(f"/kursus/{SLUG}/kuis/{attempt.id}/kirim", data={"token": "x"})
        auth.sign_out()
    auth.sign_in(officer)
    page = client.get(f"{MANAGE}/statistik", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert page.count("Answered ") == 4 and "Check this question" in page
    assert 'value="16.72.01.1018"' in page
    village = client.get(f"{MANAGE}/statistik?desa=16.72.01.1018", headers={"Accept-Language": "en"})
    assert village.status_code == 200
    with app.app_context():
        from lms.quizzes.statistics import item_statistics

        quiz = db.session.scalar(select(Quiz))
        overall = {row.question.key: row for row in item_statistics(quiz)}
        local = {row.question.key: row for row in item_statistics(quiz, "16.72.01.1018")}
    assert sum(row.answered for row in overall.values()) == 20
    assert sum(row.answered for row in local.values()) == 16
    assert sum(row.correct for row in overall.values()) == 4
    for row in overall.values():
        assert sum(option.chosen for option in row.options) >= row.answered - row.correct
    assert client.get(f"{MANAGE}/statistik?desa=99.99").status_code == 404


def test_statistics_count_attempts_abandoned_after_their_time_ran_out(app, client, auth, resident, officer, quiz_slug):
    from datetime import timedelta

    from lms.clock import utcnow
    from lms.quizzes.models import Attempt

    with app.app_context():
        db.session.execute(db.update(Quiz).values(time_limit_minutes=5))
        db.session.commit()
    auth.sign_in(resident)
    client.post(f"/kursus/{SLUG}/kuis")
    attempt = attempt_of(app, resident)
    answer = attempt.answers[0]
    client.post(
        f"/kursus/{SLUG}/kuis/{attempt.id}/simpan",
        json={"position": 1, "choices": right_choices(app, answer), "sequence": 1},
    )
    auth.sign_out()
    with app.app_context():
        db.session.execute(db.update(Attempt).values(deadline_dt=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    auth.sign_in(officer)
    page = client.get(f"{MANAGE}/statistik", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Answered 1 time;" in page
    finished = attempt_of(app, resident)
    assert finished.is_expired and finished.score == 1


def test_the_editor_says_soal_for_a_quiz_question_in_indonesian(client, signed_in_officer):
    # "Question" and "Key" mean other things in the community and certificate pages ("Pertanyaan", "Kunci").
    listing = client.get(MANAGE, headers={"Accept-Language": "id"}).get_data(as_text=True)
    assert '<th scope="col">Kode</th><th scope="col">Soal</th>' in listing
    editor = client.post(f"{MANAGE}/soal/baru", data=question_form(source_text=""), headers={"Accept-Language": "id"})
    page = editor.get_data(as_text=True)
    assert editor.status_code == 422 and "Silakan tulis soalnya." in page
    assert '<label for="source_text">Soal (Bahasa Indonesia)</label>' in page

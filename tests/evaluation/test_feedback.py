"""Feedback at the end of a course and lesson ratings: one per person, anonymous for officers, bad input refused."""

import pytest
from sqlalchemy import func, select

from lms.evaluation.models import CourseFeedback, LessonRating
from lms.extensions import db
from tests.evaluation.conftest import OTHER_VILLAGE, SLUG, take

LESSON = f"/kursus/{SLUG}/pelajaran-satu"


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_passed_quiz_asks_for_feedback_and_sending_again_replaces_it(app, client, auth, resident, course_slug):
    attempt = take(app, course_slug, resident, right=4)
    auth.sign_in(resident)
    result = client.get(f"/kursus/{course_slug}/kuis/{attempt}/hasil").get_data(as_text=True)
    assert f'action="/kursus/{course_slug}/umpan-balik"' in result and "Apa yang sulit?" in result
    first = {"clarity": "2", "usefulness": "3", "hard_text": "Istilahnya sulit.", "wish_text": ""}
    response = client.post(f"/kursus/{course_slug}/umpan-balik", data=first)
    assert response.status_code == 303
    assert "Terima kasih atas masukan Anda" in client.get(response.location).get_data(as_text=True)
    client.post(f"/kursus/{course_slug}/umpan-balik", data=first)  # a double submit
    second = {"clarity": "5", "usefulness": "4", "hard_text": "", "wish_text": "Visa kerja."}
    client.post(f"/kursus/{course_slug}/umpan-balik", data=second)
    with app.app_context():
        (feedback,) = db.session.scalars(select(CourseFeedback)).all()
        stored = (feedback.clarity, feedback.usefulness, feedback.hard_text, feedback.wish_text)
        assert stored == (5, 4, "", "Visa kerja.")
    form = client.get(f"/kursus/{course_slug}/umpan-balik").get_data(as_text=True)
    assert "mengirim masukan sebelumnya" in form and 'value="5" checked' in form


@pytest.mark.parametrize("value", ["0", "6", "abc", "-1", "99999999999999999999999"])
def test_a_rating_outside_1_to_5_is_refused_in_indonesian(app, client, auth, resident, course_slug, value):
    auth.sign_in(resident)
    lesson = client.post(f"{LESSON}/nilai", data={"rating": value})
    course = client.post(f"/kursus/{course_slug}/umpan-balik", data={"clarity": value, "hard_text": "Sulit."})
    for response in (lesson, course):
        assert response.status_code == 422
        assert "Pilih angka 1 sampai 5." in response.get_data(as_text=True)
    with app.app_context():
        assert count(LessonRating) == 0 and count(CourseFeedback) == 0


def test_an_empty_or_huge_feedback_is_refused(app, client, auth, resident, course_slug):
    auth.sign_in(resident)
    empty = client.post(f"/kursus/{course_slug}/umpan-balik", data={"hard_text": "   "})
    huge = client.post(f"/kursus/{course_slug}/umpan-balik", data={"clarity": "4", "wish_text": "x" * 100_000})
    missing = client.post(f"{LESSON}/nilai", data={})
    assert empty.status_code == huge.status_code == missing.status_code == 422
    assert "Beri nilai atau tulis jawaban." in empty.get_data(as_text=True)
    assert "Paling banyak 2000 karakter." in huge.get_data(as_text=True)
    assert "Pilih angka 1 sampai 5." in missing.get_data(as_text=True)
    with app.app_context():
        assert count(CourseFeedback) == 0 and count(LessonRating) == 0


def test_a_lesson_rating_is_one_per_person_and_thanks_after_the_redirect(app, client, auth, resident, course_slug):
    auth.sign_in(resident)
    page = client.get(LESSON).get_data(as_text=True)
    assert f'action="{LESSON}/nilai"' in page and 'type="radio" name="rating" value="5"' in page
    client.post(f"{LESSON}/nilai", data={"rating": "2"})
    response = client.post(f"{LESSON}/nilai", data={"rating": "5"})
    assert response.status_code == 303 and response.location.endswith(f"{LESSON}#nilai-pelajaran")
    assert "Anda memberi pelajaran ini nilai 5 dari 5" in client.get(response.location).get_data(as_text=True)
    with app.app_context():
        (rating,) = db.session.scalars(select(LessonRating)).all()
        assert rating.rating == 5 and rating.user_id == resident


def test_unknown_courses_and_lessons_are_not_found(client, auth, resident, course_slug):
    auth.sign_in(resident)
    assert client.post(f"/kursus/{course_slug}/tidak-ada/nilai", data={"rating": "3"}).status_code == 404
    assert client.get("/kursus/tidak-ada/umpan-balik").status_code == 404


def test_officers_see_ratings_and_comments_by_village_never_by_name(client, auth, create_user, officer, course_slug):
    names = {"Siti Rahasia": OTHER_VILLAGE, "Budi Rahasia": None}
    for number, (name, village) in enumerate(names.items()):
        fields = {"village_code": village} if village else {}
        user = create_user("resident", f"warga_rahasia{number}", name=name, **fields)
        auth.sign_in(user)
        feedback = {"clarity": str(2 + number), "hard_text": f"Sulit nomor {number}"}
        client.post(f"/kursus/{course_slug}/umpan-balik", data=feedback)
        client.post(f"{LESSON}/nilai", data={"rating": str(1 + number)})
        auth.sign_out()
    auth.sign_in(officer)
    page = client.get("/evaluasi/umpan-balik").get_data(as_text=True)
    assert "Sulit nomor 0" in page and "Sulit nomor 1" in page and "Sidorejo" in page and "Dempo Makmur" in page
    for secret in ("Siti", "Budi", "warga_rahasia"):
        assert secret not in page
    for which in ("kursus", "pelajaran", "komentar"):
        export = client.get(f"/evaluasi/umpan-balik?format=csv&daftar={which}").get_data(as_text=True)
        assert "Sidorejo" in export and not any(secret in export for secret in ("Siti", "Budi", "warga_rahasia"))
    comments = client.get("/evaluasi/umpan-balik?format=csv&daftar=komentar").get_data(as_text=True)
    assert "Sulit nomor 0" in comments and "Sulit nomor 1" in comments
    lowest = client.get("/evaluasi").get_data(as_text=True)
    assert "1,5 dari 5 (2 penilaian)" in lowest  # the lesson's two ratings, 1 and 2


def test_exported_comments_cannot_run_as_formulas(app, client, auth, resident, officer, course_slug):
    auth.sign_in(resident)
    client.post(f"/kursus/{course_slug}/umpan-balik", data={"wish_text": '=HYPERLINK("http://x","klik")'})
    auth.sign_out()
    auth.sign_in(officer)
    export = client.get("/evaluasi/umpan-balik?format=csv&daftar=komentar").get_data(as_text=True)
    assert "'=HYPERLINK" in export

"""A resident takes a quiz: start or resume, save as they go, submit once, read the result."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, Quiz
from tests.quizzes.conftest import SLUG, attempt_of, question_key, right_choices, wrong_choices
from tests.sql import recorded_statements

BASE = f"/kursus/{SLUG}/kuis"


def start(client) -> int:
    response = client.post(BASE)
    assert response.status_code == 303
    return int(re.search(r"/kuis/(\d+)/1$", response.headers["Location"]).group(1))


def save(client, attempt_id: int, position: int, choices, sequence: int, **extra):
    return client.post(
        f"{BASE}/{attempt_id}/simpan", json={"position": position, "choices": choices, "sequence": sequence, **extra}
    )


def answer_all(app, client, resident, *, right: bool) -> Attempt:
    attempt = attempt_of(app, resident)
    for answer in attempt.answers:
        choices = right_choices(app, answer) if right else wrong_choices(app, answer)
        assert save(client, attempt.id, answer.position, choices, 1).status_code == 200
    return attempt


def stored(app, attempt_id: int) -> dict[int, list]:
    with app.app_context():
        rows = db.session.execute(select(Answer.position, Answer.selected).where(Answer.attempt_id == attempt_id))
        return dict(rows.all())


@pytest.fixture
def signed_in(auth, resident, quiz_slug):
    auth.sign_in(resident)
    return resident


def test_the_quiz_page_shows_the_rules_then_starts_an_attempt(app, client, signed_in):
    page = client.get(BASE).get_data(as_text=True)
    assert "70%" in page and "Kursus Uji" in page
    attempt_id = start(client)
    attempt = attempt_of(app, signed_in)
    assert attempt.id == attempt_id and len(attempt.answers) == 3
    assert len({answer.question_id for answer in attempt.answers}) == 3


def test_a_reload_shows_the_same_questions_in_the_same_order(app, client, signed_in):
    attempt_id = start(client)
    first = client.get(f"{BASE}/{attempt_id}/1").get_data(as_text=True)
    again = client.get(f"{BASE}/{attempt_id}/1").get_data(as_text=True)
    labels = re.findall(r'<label for="choice-\d+"[^>]*>([^<]+)</label>', first)
    assert labels and labels == re.findall(r'<label for="choice-\d+"[^>]*>([^<]+)</label>', again)
    assert client.get(BASE).get_data(as_text=True).count("Pertanyaan q") == 1  # resumes at question 1


def test_a_double_start_makes_one_attempt(app, client, signed_in):
    first, second = start(client), start(client)
    assert first == second
    with app.app_context():
        assert db.session.query(Attempt).count() == 1


def test_saving_without_javascript_goes_to_the_next_question_and_resumes_there(app, client, signed_in):
    attempt_id = start(client)
    attempt = attempt_of(app, signed_in)
    choice = right_choices(app, attempt.answers[0])[:1]
    response = client.post(
        f"{BASE}/{attempt_id}/simpan", data={"position": 1, "sequence": 1, "total": 3, "choice": choice, "go": "next"}
    )
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/{attempt_id}/2")
    assert stored(app, attempt_id)[1] == [attempt.answers[0].option_order[choice[0] - 1]]
    page = client.get(f"{BASE}/{attempt_id}/1").get_data(as_text=True)
    assert f'value="{choice[0]}" id="choice-{choice[0]}" checked' in page
    # Coming back later (a closed tab, a dead battery) resumes at the first unanswered question.
    resumed = client.get(BASE).get_data(as_text=True)
    assert "Soal 2 dari 3" in resumed


def test_the_last_question_leads_to_the_check_page(client, signed_in):
    attempt_id = start(client)
    response = client.post(f"{BASE}/{attempt_id}/simpan", data={"position": 3, "sequence": 1, "total": 3})
    assert response.headers["Location"].endswith(f"/{attempt_id}/periksa")
    assert client.get(response.headers["Location"]).status_code == 200


def test_an_older_or_repeated_save_never_overwrites_a_newer_answer(app, client, signed_in):
    attempt_id = start(client)
    assert save(client, attempt_id, 1, [1], 5).json == {"saved": True, "sequence": 5}
    assert save(client, attempt_id, 1, [2], 3).json == {"saved": False, "sequence": 5}  # arrived late
    assert save(client, attempt_id, 1, [2], 5).json == {"saved": False, "sequence": 5}  # sent twice
    attempt = attempt_of(app, signed_in)
    assert stored(app, attempt_id)[1] == [attempt.answers[0].option_order[0]]
    assert save(client, attempt_id, 1, [], 6).json == {"saved": True, "sequence": 6}  # cleared on purpose
    assert stored(app, attempt_id)[1] == []


@pytest.mark.parametrize(
    ("in_between", "answer"),
    [
        # Two quick taps: the newer save lands after this one read the answer, before it writes (SQLite locks no rows).
        ("UPDATE quiz_answers SET sequence = 9 WHERE position = 1", (200, {"saved": False, "sequence": 9})),
        # The attempt is submitted from another tab at that moment.
        ("UPDATE quiz_attempts SET finished_dt = CURRENT_TIMESTAMP", (409, None)),
    ],
)
def test_a_save_overtaken_between_its_read_and_its_write_is_told_what_happened(
    app, client, signed_in, in_between, answer
):
    from sqlalchemy import event

    attempt_id = start(client)
    with app.app_context():
        engine = db.engine

    def overtake(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("UPDATE quiz_answers SET selected"):
            cursor.execute(in_between)

    event.listen(engine, "before_cursor_execute", overtake)
    try:
        response = save(client, attempt_id, 1, [1], 5)
    finally:
        event.remove(engine, "before_cursor_execute", overtake)
    status, body = answer
    assert response.status_code == status
    if body is not None:
        assert response.json == body  # a late arrival: the page stays on the question, nothing about a result
    else:
        assert response.json["result_url"].endswith(f"/{attempt_id}/hasil")
    assert stored(app, attempt_id)[1] == []  # this save's answer was not written over either


def test_a_save_is_stored_before_its_request_ends_and_holds_up_no_other_writer(app, client, signed_in):
    from sqlalchemy import create_engine, text

    from lms.quizzes import operations

    attempt_id = start(client)
    with app.app_context():
        url = db.engine.url
        result = operations.save_answer(
            user_id=signed_in, slug=SLUG, attempt_id=attempt_id, position=1, choices=[1], sequence=3
        )
        assert result.is_saved
        # Another request, on its own connection, before this one commits.
        other = create_engine(url, connect_args={"timeout": 0.2} if url.get_backend_name() == "sqlite" else {})
        try:
            with other.connect() as connection:
                seen = connection.execute(text("SELECT sequence FROM quiz_answers WHERE position = 1")).scalar()
                if url.get_backend_name() == "sqlite":
                    # SQLite: the answer is on disk already, and the one write lock is free for the next resident.
                    assert seen == 3
                    connection.execute(text("UPDATE quiz_answers SET saved_dt = saved_dt WHERE position = 2"))
                    connection.commit()
                else:
                    assert seen == 0  # PostgreSQL: inside the request's transaction, under the attempt's row lock
        finally:
            other.dispose()
        db.session.commit()
    assert stored(app, attempt_id)[1] != []


def test_a_write_that_would_change_stamps_never_skips_the_session(app):
    from sqlalchemy import update

    from lms.core.writes import write_at_once
    from lms.quizzes.models import Question

    with app.app_context():
        for statement in (update(Question).values(type="single"), update(Attempt).values(score=1)):
            with pytest.raises(ValueError, match="through the session"):
                write_at_once(statement, {})


@pytest.mark.parametrize(
    "body",
    [
        {"position": 1, "choices": [9], "sequence": 1},
        {"position": 1, "choices": [1, 1], "sequence": 1},
        {"position": 1, "choices": ["1"], "sequence": 1},
        {"position": 1, "choices": [1], "sequence": 0},
        {"position": 1, "choices": [1], "sequence": True},
        {"position": 1, "choices": "1", "sequence": 1},
        ["not", "an", "object"],
    ],
)
def test_a_bad_save_is_refused_and_changes_nothing(app, client, signed_in, body):
    attempt_id = start(client)
    response = client.post(f"{BASE}/{attempt_id}/simpan", json=body)
    assert response.status_code == 422 and response.json["error"]
    assert stored(app, attempt_id)[1] == []


def test_a_single_choice_question_takes_one_answer(app, client, signed_in):
    attempt_id = start(client)
    attempt = attempt_of(app, signed_in)
    single = next(a for a in attempt.answers if question_key(app, a) in ("q01", "q04", "q03"))
    response = save(client, attempt_id, single.position, [1, 2], 1)
    assert response.status_code == 422
    form = client.post(
        f"{BASE}/{attempt_id}/simpan",
        data={"position": single.position, "sequence": 2, "total": 3, "choice": ["1", "2"]},
    )
    assert form.status_code == 422 and "error-text" in form.get_data(as_text=True)


def test_a_form_save_with_garbage_is_a_clear_error(client, signed_in):
    attempt_id = start(client)
    response = client.post(f"{BASE}/{attempt_id}/simpan", data={"position": "x", "sequence": "1"})
    assert response.status_code == 422


def test_submitting_grades_once_and_a_repeat_gives_the_same_result(app, client, signed_in):
    start(client)
    attempt = answer_all(app, client, signed_in, right=True)
    first = client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "page-1"})
    again = client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "page-1"})
    assert first.status_code == again.status_code == 303
    assert first.headers["Location"] == again.headers["Location"] == f"{BASE}/{attempt.id}/hasil"
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "already submitted" not in page and "sudah dikirim" not in page
    graded = attempt_of(app, signed_in)
    assert graded.score == 3 and graded.is_passed and graded.submit_token == "page-1"
    with app.app_context():
        assert db.session.query(Attempt).count() == 1


def test_a_submission_from_a_stale_tab_is_refused_with_a_message_and_shows_the_result(app, client, signed_in):
    start(client)
    attempt = answer_all(app, client, signed_in, right=False)
    client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "tab-a"})
    before = attempt_of(app, signed_in)
    stale = client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "tab-b"}, follow_redirects=True)
    text = stale.get_data(as_text=True)
    assert stale.status_code == 200 and ("already submitted" in text or "sudah dikirim" in text)
    after = attempt_of(app, signed_in)
    assert (after.finished_dt, after.score, after.submit_token) == (before.finished_dt, before.score, "tab-a")
    # A save from the stale tab is refused too, and says where the result is.
    response = save(client, attempt.id, 1, [1], 99)
    assert response.status_code == 409 and response.json["result_url"].endswith("/hasil")
    assert stored(app, attempt.id) == {a.position: a.selected for a in after.answers}


def test_scores_sent_by_the_browser_are_ignored(app, client, signed_in):
    start(client)
    attempt = answer_all(app, client, signed_in, right=False)
    client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "t", "score": "3", "is_passed": "1", "points": "1"})
    graded = attempt_of(app, signed_in)
    assert graded.score == 0 and not graded.is_passed


def test_another_residents_attempt_cannot_be_read_or_written(app, client, auth, create_user, signed_in):
    attempt_id = start(client)
    auth.sign_out()
    auth.sign_in(create_user("resident", "tetangga"))
    assert client.get(f"{BASE}/{attempt_id}/1").status_code == 404
    assert client.get(f"{BASE}/{attempt_id}/periksa").status_code == 404
    assert client.get(f"{BASE}/{attempt_id}/hasil").status_code == 404
    assert save(client, attempt_id, 1, [1], 1).status_code == 404
    assert client.post(f"{BASE}/{attempt_id}/simpan", data={"position": 1, "sequence": 1}).status_code == 404
    assert client.post(f"{BASE}/{attempt_id}/kirim", data={"token": "x"}).status_code == 404
    assert stored(app, attempt_id)[1] == []
    assert attempt_of(app, signed_in).is_open


def test_an_attempt_is_found_only_under_its_own_course(client, make_quiz, signed_in):
    attempt_id = start(client)
    other = make_quiz("kursus-lain")
    assert client.get(f"/kursus/{other}/kuis/{attempt_id}/1").status_code == 404


def test_attempts_are_limited_and_a_passed_quiz_is_done(app, client, signed_in):
    for _ in range(3):
        start(client)
        attempt = answer_all(app, client, signed_in, right=False)
        client.post(f"{BASE}/{attempt.id}/kirim", data={"token": str(attempt.id)})
    response = client.post(BASE, follow_redirects=True)
    assert "used all your attempts" in response.get_data(as_text=True) or "semua kesempatan" in response.get_data(
        as_text=True
    )
    with app.app_context():
        assert db.session.query(Attempt).count() == 3


def test_time_limit_finishes_the_attempt_with_the_answers_saved_so_far(app, client, signed_in):
    with app.app_context():
        db.session.execute(db.update(Quiz).values(time_limit_minutes=10))
        db.session.commit()
    attempt_id = start(client)
    attempt = attempt_of(app, signed_in)
    first = attempt.answers[0]
    assert save(client, attempt_id, 1, right_choices(app, first), 1).status_code == 200
    page = client.get(f"{BASE}/{attempt_id}/2").get_data(as_text=True)
    assert 'id="quiz-timer"' in page
    with app.app_context():  # the time runs out, grace period included
        db.session.execute(
            db.update(Attempt).values(deadline_dt=utcnow() - timedelta(seconds=31)).where(Attempt.id == attempt_id)
        )
        db.session.commit()
    late = save(client, attempt_id, 2, [1], 2)
    assert late.status_code == 409
    finished = attempt_of(app, signed_in)
    assert finished.is_expired and not finished.is_open and finished.score == 1
    assert stored(app, attempt_id)[2] == []


def test_a_save_just_after_the_deadline_is_still_taken(app, client, signed_in):
    with app.app_context():
        db.session.execute(db.update(Quiz).values(time_limit_minutes=5))
        db.session.commit()
    attempt_id = start(client)
    with app.app_context():
        db.session.execute(
            db.update(Attempt).values(deadline_dt=utcnow() - timedelta(seconds=5)).where(Attempt.id == attempt_id)
        )
        db.session.commit()
    assert save(client, attempt_id, 1, [1], 1).json["saved"] is True
    assert attempt_of(app, signed_in).is_open


def test_an_expired_attempt_is_finished_when_the_resident_comes_back(app, client, signed_in):
    with app.app_context():
        db.session.execute(db.update(Quiz).values(time_limit_minutes=5))
        db.session.commit()
    attempt_id = start(client)
    with app.app_context():
        db.session.execute(
            db.update(Attempt).values(deadline_dt=utcnow() - timedelta(minutes=1)).where(Attempt.id == attempt_id)
        )
        db.session.commit()
    response = client.get(BASE)
    assert (
        response.status_code == 200
        and "Try again" in response.get_data(as_text=True)
        or "Coba lagi" in (response.get_data(as_text=True))
    )
    assert attempt_of(app, signed_in).is_expired


def test_the_result_shows_feedback_and_keeps_answers_hidden_until_passed(app, client, signed_in):
    start(client)
    attempt = answer_all(app, client, signed_in, right=False)
    client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "t1"})
    page = client.get(f"{BASE}/{attempt.id}/hasil").get_data(as_text=True)
    keys = [question_key(app, a) for a in attempt.answers]
    for key in keys:
        assert f"Pertanyaan {key}?" in page
        assert f"Penjelasan {key}." not in page
    assert page.count("Umpan balik") == 3  # the feedback of each chosen option
    assert "is-correct" not in page
    # Passing unlocks the correct answers and the explanations, also for the failed attempt.
    client.post(BASE)
    second = answer_all(app, client, signed_in, right=True)
    client.post(f"{BASE}/{second.id}/kirim", data={"token": "t2"})
    page = client.get(f"{BASE}/{second.id}/hasil").get_data(as_text=True)
    assert "is-correct" in page and "Penjelasan" in page
    assert "is-correct" in client.get(f"{BASE}/{attempt.id}/hasil").get_data(as_text=True)


def test_review_never_hides_answers_even_after_passing(app, client, auth, resident, make_quiz):
    make_quiz(review="never")
    auth.sign_in(resident)
    start(client)
    attempt = answer_all(app, client, resident, right=True)
    client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "t"})
    page = client.get(f"{BASE}/{attempt.id}/hasil").get_data(as_text=True)
    assert "is-correct" not in page and "Penjelasan" not in page and "Umpan balik" in page


def test_multiple_choice_partial_credit_counts_in_the_score(app, client, auth, resident, make_quiz):
    from tests.quizzes.conftest import sample_questions

    make_quiz(questions=[sample_questions(2)[1]], questions_per_attempt=1, pass_mark=50)
    auth.sign_in(resident)
    attempt_id = start(client)
    attempt = attempt_of(app, resident)
    save(client, attempt_id, 1, right_choices(app, attempt.answers[0])[:1], 1)
    client.post(f"{BASE}/{attempt_id}/kirim", data={"token": "t"})
    graded = attempt_of(app, resident)
    assert graded.score == 0.5 and graded.is_passed


# --- Integrity: the answer key stays on the server until the attempt is submitted -------------------


def test_no_page_or_response_of_an_open_attempt_reveals_the_answer_key(app, client, signed_in):
    attempt_id = start(client)
    attempt = attempt_of(app, signed_in)
    bodies = [client.get(BASE).get_data(as_text=True)]
    for number in range(1, 4):
        bodies.append(client.get(f"{BASE}/{attempt_id}/{number}").get_data(as_text=True))
        bodies.append(client.get(f"{BASE}/{attempt_id}/{number}", headers={"Accept-Language": "en"}).get_data(True))
    bodies.append(client.get(f"{BASE}/{attempt_id}/periksa").get_data(as_text=True))
    for answer in attempt.answers:
        for sequence, choices in enumerate(([1], [2], []), start=1):
            bodies.append(save(client, attempt_id, answer.position, choices, sequence).get_data(as_text=True))
        response = client.post(
            f"{BASE}/{attempt_id}/simpan",
            data={"position": answer.position, "sequence": 10, "total": 3, "choice": "1"},
            follow_redirects=True,
        )
        bodies.append(response.get_data(as_text=True))
    bodies.append(save(client, attempt_id, 1, [99], 20).get_data(as_text=True))
    for body in bodies:
        assert "correct" not in body.lower()
        assert "Umpan balik" not in body and "Feedback q" not in body
        assert "Penjelasan" not in body and "Explanation q" not in body
        assert not re.search(r'value="(a|b|c|true|false)"', body)  # option keys never reach the page
        assert "is_correct" not in body


# --- Performance: a save is one small write -------------------------------------------------------


def count_queries(app, action):
    with recorded_statements(app) as statements:
        response = action()
    return response, statements


def test_a_save_takes_at_most_five_queries(app, client, signed_in):
    attempt_id = start(client)
    save(client, attempt_id, 1, [1], 1)  # warm up the session's once-in-a-while writes
    response, statements = count_queries(app, lambda: save(client, attempt_id, 2, [1], 1))
    assert response.json["saved"]
    writes = [s for s in statements if s.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))]
    assert len(statements) <= 5, statements
    assert len(writes) == 1, writes
    form, statements = count_queries(
        app, lambda: client.post(f"{BASE}/{attempt_id}/simpan", data={"position": 3, "sequence": 1, "total": 3})
    )
    assert form.status_code == 303 and len(statements) <= 5, statements
    repeat, statements = count_queries(app, lambda: save(client, attempt_id, 2, [1], 1))
    assert repeat.json == {"saved": False, "sequence": 1}
    # The session check and the answer: the account itself (its password hash, its name) is not read.
    assert len(statements) == 2 and not any("password_hash" in s for s in statements), statements


def test_a_submission_takes_a_fixed_number_of_queries(app, client, signed_in):
    start(client)
    attempt = answer_all(app, client, signed_in, right=False)
    response, statements = count_queries(app, lambda: client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "q"}))
    assert response.status_code == 303
    # session, is it finished already, attempt, answers with their options, close the attempt, points of the
    # answers, user, the person's and village's stamps (a passing attempt adds the progress package's completion
    # check on commit)
    assert len(statements) <= 8, statements
    repeat, statements = count_queries(app, lambda: client.post(f"{BASE}/{attempt.id}/kirim", data={"token": "q"}))
    assert repeat.status_code == 303 and len(statements) <= 2, statements  # session and attempt: nothing to grade


def test_the_quiz_page_and_a_start_take_a_fixed_number_of_queries(app, client, auth, resident, make_quiz):
    from tests.quizzes.conftest import sample_questions

    make_quiz(questions=sample_questions(12), questions_per_attempt=8)
    auth.sign_in(resident)
    page, statements = count_queries(app, lambda: client.get(BASE))
    assert page.status_code == 200 and len(statements) <= 10, statements
    started, statements = count_queries(app, lambda: client.post(BASE))
    # The attempt and its 8 answer rows are two inserts; the progress package enrols on commit.
    quiz_statements = [s for s in statements if "quiz" in s]
    assert started.status_code == 303 and len(quiz_statements) <= 12, quiz_statements
    assert sum(1 for s in quiz_statements if s.startswith("INSERT INTO quiz_answers")) == 1

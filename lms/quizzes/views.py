"""Quiz pages for residents: start or resume, one question a page, save as they go, submit, review."""

import secrets

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.access import LEADER, RESIDENT, allow
from lms.clock import utcnow
from lms.courses.files import register_course_file
from lms.extensions import db
from lms.quizzes import files, operations
from lms.quizzes import models as models  # the models must exist when the app is created
from lms.quizzes.display import language_chain, language_names, load_questions, pick, show_question

bp = Blueprint("quizzes", __name__, template_folder="templates")

#: Who takes quizzes: residents, and leaders, who are villagers too. Officers use the preview.
LEARNERS = (RESIDENT, LEADER)
#: What a resident is told when something they asked for cannot be done.
ERRORS = {
    "passed": _l("You have passed this quiz already."),
    "no_attempts_left": _l("You have used all your attempts at this quiz."),
    "no_questions": _l("This quiz has no questions yet. Please come back later."),
    "invalid_choice": _l("Please choose from the answers shown."),
    "one_choice": _l("Please choose only one answer."),
    "invalid_sequence": _l("Please reload the page and answer again."),
    "invalid_request": _l("Please reload the page and answer again."),
    "no_pretest": _l("This course has no pre-test."),
    "pretest_taken": _l("You have taken the pre-test already."),
    "pretest_too_late": _l("The pre-test is taken before the quiz; you have started the quiz already."),
}
FINISHED = _l("This attempt was already submitted, so nothing was changed. Here is its result.")
EXPIRED = _l("The time for this attempt ran out. The answers saved before the end were graded.")


def init_app(app) -> None:
    """Import and export each course's quiz.yml with the course folders; give templates the course link."""
    register_course_file(files.FILENAME, files.load, files.dump)
    app.jinja_env.globals["quiz_course_url"] = course_url
    app.jinja_env.globals["pretest_invitation"] = pretest_invitation


def pretest_invitation(course_id: int) -> str | None:
    """Tell a course page whether to invite the signed-in learner to the pre-test ("start", "continue" or None)."""
    if not current_user.is_authenticated or current_user.role not in LEARNERS:
        return None
    return operations.pretest_invitation(course_id, current_user.id)


def course_url(slug: str) -> str:
    """Return the course page's address."""
    if "courses.course" in current_app.view_functions:
        return url_for("courses.course", slug=slug)
    return url_for("core.home")


def content_language() -> str:
    """Return the language the resident reads content in: their own choice, else the interface's."""
    return current_user.language or str(get_locale())


def _quiz_or_404(slug: str):
    quiz = operations.find_quiz(slug)
    if quiz is None:
        abort(404)
    return quiz


def _attempt_or_404(slug: str, attempt_id: int, **options):
    attempt = operations.find_attempt(slug, attempt_id, current_user.id, **options)
    if attempt is None:
        abort(404)
    return attempt


def _page_context(quiz, chain):
    return {
        "quiz": quiz,
        "course_title": pick(quiz.course.texts, chain, "title"),
        "slug": quiz.course.slug,
        "reader_language": chain[0],
    }


def _first_unanswered(attempt) -> int:
    return next((answer.position for answer in attempt.answers if not answer.is_answered), 1)


def _closed_redirect(slug: str, attempt, message=FINISHED):
    flash(message, "info")
    return redirect(url_for("quizzes.result", slug=slug, attempt_id=attempt.id), 303)


@bp.route("/kursus/<slug>/kuis", methods=["GET", "POST"])
@allow(*LEARNERS)
def take(slug: str):
    """Show the quiz's rules and past attempts; resume the open attempt, or start one on POST."""
    quiz = _quiz_or_404(slug)
    if request.method == "POST":
        try:
            attempt = operations.start_attempt(quiz, current_user.id)
        except operations.QuizError as error:
            db.session.commit()
            flash(ERRORS[str(error)], "error")
            return redirect(url_for("quizzes.take", slug=slug), 303)
        attempt_id = attempt.id  # read before the commit, which would reload it
        db.session.commit()
        return redirect(url_for("quizzes.question", slug=slug, attempt_id=attempt_id, number=1), 303)
    state = operations.standing(quiz, current_user.id)
    if state.finished_now:  # its time ran out while the resident was away
        db.session.commit()
    if state.open_attempt is not None:  # resume where the resident left off, at this same address
        return _render_question(state.open_attempt, _first_unanswered(state.open_attempt))
    chain = language_chain(content_language(), quiz.course)
    pool_size = len(operations.usable_questions(quiz))
    return render_template("quizzes/take.html", state=state, pool_size=pool_size, **_page_context(quiz, chain))


@bp.route("/kursus/<slug>/pra-tes", methods=["GET", "POST"])
@allow(*LEARNERS)
def pretest(slug: str):
    """Explain the pre-test and start it on POST (or resume it); it shows what one knows before the lessons."""
    quiz = _quiz_or_404(slug)
    if not quiz.has_pretest:
        abort(404)
    if request.method == "POST":
        try:
            attempt = operations.start_pretest(quiz, current_user.id)
        except operations.QuizError as error:
            db.session.rollback()
            flash(ERRORS[str(error)], "error")
            return redirect(url_for("quizzes.pretest", slug=slug), 303)
        attempt_id = attempt.id
        db.session.commit()
        return redirect(url_for("quizzes.question", slug=slug, attempt_id=attempt_id, number=1), 303)
    chain = language_chain(content_language(), quiz.course)
    taken = operations.pretest_of(quiz, current_user.id)
    too_late = taken is None and bool(operations.attempts_of(quiz, current_user.id))
    pool_size = len(operations.usable_questions(quiz))
    return render_template(
        "quizzes/pretest.html", taken=taken, too_late=too_late, pool_size=pool_size, **_page_context(quiz, chain)
    )


@bp.get("/kursus/<slug>/kuis/<int:attempt_id>/<int:number>")
@allow(*LEARNERS)
def question(slug: str, attempt_id: int, number: int):
    """Show one question of an open attempt, with what the resident chose so far."""
    attempt = _attempt_or_404(slug, attempt_id)
    if operations.finish_if_expired(attempt):
        db.session.commit()
        return _closed_redirect(slug, attempt, EXPIRED)
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", slug=slug, attempt_id=attempt.id))
    if not 1 <= number <= len(attempt.answers):
        abort(404)
    return _render_question(attempt, number)


def _render_question(attempt, number: int, error: str | None = None, status: int = 200):
    answer = attempt.answers[number - 1]
    chain = language_chain(content_language(), attempt.quiz.course)
    question = load_questions([answer.question_id])[answer.question_id]
    shown = show_question(question, answer, chain)
    page = render_template(
        "quizzes/question.html",
        attempt=attempt,
        question=shown,
        total=len(attempt.answers),
        sequence=answer.sequence + 1,
        error=error,
        seconds_left=_seconds_left(attempt),
        answered=operations.answered_count(attempt),
        token=secrets.token_urlsafe(16),
        language_names=language_names(shown.fallback_languages + chain[:1]),
        **_page_context(attempt.quiz, chain),
    )
    return page, status


def _seconds_left(attempt) -> int | None:
    if attempt.deadline_dt is None:
        return None
    return max(int((attempt.deadline_dt - utcnow()).total_seconds()), 0)


def _parse_save():
    """Read a save from JSON ({position, choices, sequence}) or from the question form."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            raise operations.QuizError("invalid_request")
        position, choices, sequence = data.get("position"), data.get("choices"), data.get("sequence")
        if not isinstance(choices, list):
            raise operations.QuizError("invalid_request")
        values = [position, sequence, *choices]
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in values):
            raise operations.QuizError("invalid_request")
        return _bounded(position, choices, sequence)
    try:
        position = int(request.form.get("position", ""))
        sequence = int(request.form.get("sequence", ""))
        choices = [int(value) for value in request.form.getlist("choice")]
    except ValueError:
        raise operations.QuizError("invalid_request") from None
    return _bounded(position, choices, sequence)


def _bounded(position: int, choices: list[int], sequence: int) -> tuple[int, list[int], int]:
    """Refuse numbers beyond what the database holds: such a save comes from a forged or broken page."""
    if any(abs(value) > operations.MAX_SEQUENCE for value in (position, sequence, *choices)):
        raise operations.QuizError("invalid_request")
    return position, choices, sequence


@bp.post("/kursus/<slug>/kuis/<int:attempt_id>/simpan")
@allow(*LEARNERS)
def save(slug: str, attempt_id: int):
    """Save one answer (JSON from the script on every change, or the form on "next"), then go on."""
    wants_json = request.is_json
    try:
        position, choices, sequence = _parse_save()
        result = operations.save_answer(
            user_id=current_user.id,
            slug=slug,
            attempt_id=attempt_id,
            position=position,
            choices=choices,
            sequence=sequence,
        )
    except operations.QuizError as error:
        db.session.rollback()
        message = ERRORS[str(error)]
        if wants_json:
            return jsonify(error=str(message)), 422
        attempt = _attempt_or_404(slug, attempt_id)
        if not attempt.is_open:
            return _closed_redirect(slug, attempt)
        number = request.form.get("position", type=int)
        if number is None or not 1 <= number <= len(attempt.answers):
            abort(422)
        return _render_question(attempt, number, error=str(message), status=422)
    if result is None:
        abort(404)
    if result.is_saved:
        _commit_keeping_objects()
    elif result.refusal == "expired":
        db.session.commit()
    if result.refusal is not None:
        result_url = url_for("quizzes.result", slug=slug, attempt_id=attempt_id)
        message = EXPIRED if result.refusal == "expired" else FINISHED
        if wants_json:
            return jsonify(error=str(message), result_url=result_url, sequence=result.sequence), 409
        flash(message, "info")
        return redirect(result_url, 303)
    if wants_json:
        return jsonify(saved=result.is_saved, sequence=result.sequence)
    return redirect(_next_page(slug, attempt_id, position), 303)


def _commit_keeping_objects() -> None:
    """Commit without expiring what the session holds: nothing later in this request needs it fresh,
    and reloading the signed-in user after every save would cost a query on the busiest path."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def _next_page(slug: str, attempt_id: int, position: int) -> str:
    """Return where the question form's button leads: the previous or next question, or the check page."""
    go = request.form.get("go", "next")
    if go == "previous":
        return url_for("quizzes.question", slug=slug, attempt_id=attempt_id, number=max(position - 1, 1))
    if go.isdecimal() and len(go) < 10:  # "²" is a digit int() refuses; longer is no question number
        return url_for("quizzes.question", slug=slug, attempt_id=attempt_id, number=int(go))
    if go == "summary":
        return url_for("quizzes.summary", slug=slug, attempt_id=attempt_id)
    total = request.form.get("total", type=int) or 0
    if position >= total:
        return url_for("quizzes.summary", slug=slug, attempt_id=attempt_id)
    return url_for("quizzes.question", slug=slug, attempt_id=attempt_id, number=position + 1)


@bp.get("/kursus/<slug>/kuis/<int:attempt_id>/periksa")
@allow(*LEARNERS)
def summary(slug: str, attempt_id: int):
    """List which questions are answered, with the button that submits the attempt."""
    attempt = _attempt_or_404(slug, attempt_id)
    if operations.finish_if_expired(attempt):
        db.session.commit()
        return _closed_redirect(slug, attempt, EXPIRED)
    if not attempt.is_open:
        return redirect(url_for("quizzes.result", slug=slug, attempt_id=attempt.id))
    chain = language_chain(content_language(), attempt.quiz.course)
    return render_template(
        "quizzes/summary.html",
        attempt=attempt,
        answered=operations.answered_count(attempt),
        token=secrets.token_urlsafe(16),
        seconds_left=_seconds_left(attempt),
        **_page_context(attempt.quiz, chain),
    )


@bp.post("/kursus/<slug>/kuis/<int:attempt_id>/kirim")
@allow(*LEARNERS)
def submit(slug: str, attempt_id: int):
    """Grade the attempt with its saved answers, once: a repeat shows the same result, an old tab is told."""
    token = request.form.get("token", "")[:40]
    outcome = operations.resubmission(slug, attempt_id, current_user.id, token)  # the double tap: one light read
    if outcome is None:
        attempt = _attempt_or_404(slug, attempt_id, for_update=True)
        outcome = operations.submit_attempt(attempt, token).outcome
        if outcome in ("submitted", "expired"):
            db.session.commit()
    target = url_for("quizzes.result", slug=slug, attempt_id=attempt_id)  # the id given: no reload after commit
    if outcome == "stale":
        flash(FINISHED, "info")
    elif outcome == "expired":
        flash(EXPIRED, "info")
    return redirect(target, 303)


@bp.get("/kursus/<slug>/kuis/<int:attempt_id>/hasil")
@allow(*LEARNERS)
def result(slug: str, attempt_id: int):
    """Show a finished attempt: score, pass or not, and each question's feedback as the review policy allows."""
    attempt = _attempt_or_404(slug, attempt_id)
    if operations.finish_if_expired(attempt):
        db.session.commit()
    if attempt.is_open:
        number = _first_unanswered(attempt)
        return redirect(url_for("quizzes.question", slug=slug, attempt_id=attempt.id, number=number))
    quiz = attempt.quiz
    if attempt.is_pretest:  # the score only: the questions' review would teach the quiz
        chain = language_chain(content_language(), quiz.course)
        return render_template("quizzes/pretest_result.html", attempt=attempt, **_page_context(quiz, chain))
    state = operations.standing(quiz, current_user.id)
    if state.finished_now:
        db.session.commit()
    shows_answers = operations.shows_answers(quiz, attempt, state.attempts)
    chain = language_chain(content_language(), quiz.course)
    questions = load_questions(answer.question_id for answer in attempt.answers)
    shown = [
        show_question(questions[a.question_id], a, chain, review=True, shows_answers=shows_answers)
        for a in attempt.answers
    ]
    fallbacks = sorted({language for q in shown for language in q.fallback_languages})
    return render_template(
        "quizzes/result.html",
        attempt=attempt,
        state=state,
        questions=shown,
        shows_answers=shows_answers,
        language_names=language_names(fallbacks + chain[:1]),
        **_page_context(quiz, chain),
    )


from lms.quizzes import authoring  # noqa: E402, F401 - the officers' pages, on this blueprint

"""Community pages for residents and leaders: ask an officer (Tanya Petugas), read answers, report a concern."""

import time

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_limiter.util import get_remote_address
from flask_login import current_user, user_logged_in
from wtforms.fields import SelectChoice

import lms.community.models  # noqa: F401 - the models must exist when the app is created
from lms import demo
from lms.access import LEADER, RESIDENT, allow
from lms.accounts.operations import account_deleted
from lms.certificates.operations import DIRECTORATE_GENERAL, office_name_for
from lms.community import concerns as concern_reports
from lms.community import operations
from lms.community.demo_data import add_demo_questions
from lms.community.forms import ConcernForm, QuestionForm
from lms.community.models import CONCERN_KINDS, FOREIGNER, JOB_OFFER, OTHER, RECRUITER
from lms.core.forms import choice_number
from lms.courses import reading
from lms.extensions import db, limiter
from lms.i18n import content_languages
from lms.progress.dashboard import published_courses
from lms.progress.enrolment import managed_villagers

bp = Blueprint("community", __name__, template_folder="templates")

#: Who may ask: residents for themselves, leaders for the assisted villagers of their villages.
ASKERS = (RESIDENT, LEADER)
#: What the asker is told when the rules refuse a question.
ERRORS = {
    "villager": _l("Please choose a villager of your village."),
    "no_village": _l("Your account has no village, so no office can receive this."),
    "lesson": _l("This lesson cannot take questions."),
    "course": _l("Please choose a course from the list."),
    "token": _l("This form was already used. Please reload the page and write again."),
}
CONCERN_KIND_NAMES = {
    JOB_OFFER: _l("A suspicious job offer abroad"),
    RECRUITER: _l("A recruiter or broker (calo) I do not trust"),
    FOREIGNER: _l("A foreigner staying here who may not be reported"),
    OTHER: _l("Something else"),
}
#: Session key: when (seconds since the epoch) to look again for answers to the person's open questions.
WATCH_KEY = "community_watch"
WATCH_SECONDS = 300


def init_app(app) -> None:
    """Announce answers on the next visit, anonymise on account deletion, offer the lesson and learning parts."""
    if add_demo_questions not in demo.DEMO_STEPS:
        demo.DEMO_STEPS.append(add_demo_questions)
    account_deleted.connect(operations.on_account_deleted)
    user_logged_in.connect(_on_signed_in)
    app.before_request(_watch_answers)
    app.jinja_env.globals.update(
        community_lesson_posts=operations.lesson_posts,
        community_my_questions=_my_questions,
        concern_kind_names=CONCERN_KIND_NAMES,
    )


# --- The answer notice ------------------------------------------------------------------------------
# Cheap by design: one query when a resident or leader signs in (the session starts clean there), and
# afterwards only for a person with an open question, at most every WATCH_SECONDS. Nobody else pays a
# query on their page views, and no column on the accounts table is needed.


def _announce(user) -> None:
    news, still_open = operations.pending_notices(user)
    for question in news:
        if question.is_hidden:
            flash(_("An officer hid one of your questions because it broke the rules of Tanya Petugas."), "info")
        elif question.asked_by_id == user.id:
            flash(_("An officer answered a question you asked for a villager. Read it on the Ask an officer page."))
        else:
            flash(_("An officer answered your question. Read the answer in My learning."), "success")
    if news:
        operations.mark_notified(news)
        db.session.commit()
    if still_open:
        session[WATCH_KEY] = time.time() + WATCH_SECONDS
    else:
        session.pop(WATCH_KEY, None)


def _on_signed_in(sender, user, **extra) -> None:
    if user.role in ASKERS:
        _announce(user)


def _watch_answers() -> None:
    due = session.get(WATCH_KEY)
    if due is None or time.time() < due or request.method != "GET" or request.endpoint in (None, "static"):
        return
    if not current_user.is_authenticated:
        session.pop(WATCH_KEY, None)
        return
    _announce(current_user)


def _watch_soon() -> None:
    """Look for an answer on a page view a few minutes from now."""
    session.setdefault(WATCH_KEY, time.time() + WATCH_SECONDS)


def _office_of(user) -> str | None:
    """Return the name of the office covering a resident's village, or None when no office covers it yet."""
    name = office_name_for(user.village_code)
    return None if name == DIRECTORATE_GENERAL else name


def _my_questions() -> list:
    """Return the signed-in resident's questions for "Belajar saya" (one query)."""
    if not current_user.is_authenticated:
        return []
    return operations.own_questions(current_user, limit=10)


# --- Asking -----------------------------------------------------------------------------------------


def _ask_limit() -> str:
    return current_app.config.get("QUESTION_LIMIT_PER_USER", "10 per hour;30 per day")


def _concern_limit() -> str:
    return current_app.config.get("CONCERN_LIMIT_PER_USER", "5 per hour;10 per day")


def _user_key() -> str:
    """Limit per account (the limiter may look before the access hook, so a visitor falls back to the address)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def _stored(response) -> bool:
    """Count a post against the limit only when it stored a new record (not a 422, not a repeated submit)."""
    return g.get("community_stored", False)


def _question_form(languages) -> QuestionForm:
    form = QuestionForm()
    form.language.choices = [SelectChoice(code, name) for code, name in content_languages()]
    if request.method == "GET":
        form.language.data = current_user.language or languages.wanted
        form.form_token.data = operations.new_form_token()
        form.lesson_id.data = request.args.get("pelajaran", 0, type=choice_number)
    form.course_id.choices = [SelectChoice(0, _("No particular course"))] + [
        SelectChoice(course.id, course.title.value) for course in published_courses(languages)
    ]
    if current_user.role == LEADER:
        form.villager_id.choices = [SelectChoice(0, _("Choose a villager"))] + [
            SelectChoice(person.id, person.name) for person in managed_villagers(current_user)
        ]
    return form


@bp.route("/tanya", methods=["GET", "POST"])
@allow(*ASKERS)
@limiter.limit(_ask_limit, key_func=_user_key, methods=["POST"], deduct_when=_stored, scope="community-ask")
def ask():
    """Ask the officers of one's area a question, from a lesson or on its own; list one's questions."""
    languages = reading.load_languages()
    form = _question_form(languages)
    lesson_id = form.lesson_id.data or 0
    if form.validate_on_submit():
        try:
            question, is_new = operations.ask_question(
                current_user,
                body=form.body.data,
                language=form.language.data,
                is_public=form.is_public.data,
                form_token=form.form_token.data or operations.new_form_token(),
                lesson_id=lesson_id,
                course_id=form.course_id.data,
                villager_id=form.villager_id.data,
            )
        except operations.CommunityError as error:
            field = form.villager_id if error.reason == "villager" else form.body
            field.errors = [*field.errors, ERRORS[error.reason]]
        else:
            db.session.commit()
            _watch_soon()
            g.community_stored = is_new
            if is_new:
                flash(_("Your question was sent to the immigration officers of your area."), "success")
            return redirect(url_for("community.question", question_id=question.id))
    lesson = operations.lesson_choices(languages, [lesson_id]) if lesson_id else []
    page = render_template(
        "community/ask.html",
        form=form,
        lesson=lesson[0] if lesson else None,
        questions=operations.own_questions(current_user),
        is_leader=current_user.role == LEADER,
        office=None if current_user.role == LEADER else _office_of(current_user),
    )
    return page, (422 if form.errors else 200)


@bp.get("/tanya/<int:question_id>")
@allow(*ASKERS)
def question(question_id: int):
    """Show one's own question and its answer."""
    found = operations.find_own_question(current_user, question_id)
    if found is None:
        abort(404)
    lesson = operations.lesson_choices(reading.load_languages(), [found.lesson_id]) if found.lesson_id else []
    return render_template("community/question.html", question=found, lesson=lesson[0] if lesson else None)


# --- Concerns ---------------------------------------------------------------------------------------


@bp.route("/lapor", methods=["GET", "POST"])
@allow(RESIDENT)
@limiter.limit(_concern_limit, key_func=_user_key, methods=["POST"], deduct_when=_stored, scope="community-report")
def report():
    """Report a concern privately to the office covering one's village; list one's reports."""
    form = ConcernForm()
    form.kind.choices = [SelectChoice(kind, CONCERN_KIND_NAMES[kind]) for kind in CONCERN_KINDS]
    if request.method == "GET":
        form.form_token.data = operations.new_form_token()
    if form.validate_on_submit():
        try:
            concern, is_new = concern_reports.report_concern(
                current_user,
                kind=form.kind.data,
                body=form.body.data,
                form_token=form.form_token.data or operations.new_form_token(),
            )
        except operations.CommunityError as error:
            form.body.errors = [*form.body.errors, ERRORS[error.reason]]
        else:
            db.session.commit()
            g.community_stored = is_new
            if is_new:
                flash(_("Your report was sent to the immigration office. Thank you."), "success")
            return redirect(url_for("community.concern", concern_id=concern.id))
    page = render_template(
        "community/report.html",
        form=form,
        concerns=concern_reports.own_concerns(current_user),
        office=_office_of(current_user),
    )
    return page, (422 if form.errors else 200)


@bp.get("/lapor/<int:concern_id>")
@allow(RESIDENT)
def concern(concern_id: int):
    """Show one's own report and what the office did."""
    found = concern_reports.find_own_concern(current_user, concern_id)
    if found is None:
        abort(404)
    return render_template("community/concern.html", concern=found)


from lms.community import staff  # noqa: E402, F401 - the officers' pages, on this blueprint

"""Officers' community pages: the question queue, answering, hiding, FAQs, and the concerns of their area."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from lms.access import OFFICER, STAFF, allow
from lms.community import concerns as concern_reports
from lms.community import operations
from lms.community.forms import AnswerForm, FaqForm, HandleForm, HideForm
from lms.community.models import Faq
from lms.community.views import bp
from lms.core.forms import choice_number
from lms.courses import reading
from lms.extensions import db
from lms.i18n import content_languages
from lms.progress.dashboard import published_courses

#: The officers' views of the question list.
QUEUE_VIEWS = (operations.OPEN, operations.ANSWERED, operations.HIDDEN)


def _question_or_404(question_id: int):
    question = operations.find_question_for_staff(current_user, question_id)
    if question is None:
        abort(404)  # another area's question is as unknown as a missing one
    return question


def _titles(languages, questions) -> dict[int, operations.LessonChoice]:
    ids = sorted({q.lesson_id for q in questions if q.lesson_id})
    return {choice.id: choice for choice in operations.lesson_choices(languages, ids)} if ids else {}


@bp.get("/tanya/petugas")
@allow(*STAFF)
def queue():
    """List the questions of the officer's area: open ones oldest first, filterable by village and course."""
    languages = reading.load_languages()
    view = request.args.get("lihat", operations.OPEN)
    view = view if view in QUEUE_VIEWS else operations.OPEN
    village = request.args.get("desa", "")[:13] or None
    course_id = request.args.get("kursus", 0, type=choice_number) or None
    questions = operations.queue(current_user, view=view, village_code=village, course_id=course_id)
    return render_template(
        "community/queue.html",
        questions=questions,
        view=view,
        village=village,
        course_id=course_id,
        villages=operations.queue_villages(current_user),
        courses=published_courses(languages),
        lessons=_titles(languages, questions),
    )


def _faq_form(languages, question=None, faq: Faq | None = None) -> FaqForm:
    # Prefixed: on the review page it stands beside the answer form, and field ids must stay unique.
    form = FaqForm(obj=faq, prefix="faq") if faq is not None else FaqForm(prefix="faq")
    form.language.choices = [SelectChoice(code, name) for code, name in content_languages()]
    form.lesson_id.choices = [
        SelectChoice(choice.id, choice.title, optgroup=choice.course_title)
        for choice in operations.lesson_choices(languages)
    ]
    if request.method == "GET" and question is not None and faq is None:
        existing = operations.faq_from(question)
        if existing is not None:
            form.process(obj=existing)
        else:
            form.lesson_id.data = question.lesson_id
            form.language.data = question.language
            form.question.data = question.body
            form.answer.data = question.answer
    return form


def _faq_fields(form: FaqForm) -> dict:
    return {name: form[name].data for name in ("lesson_id", "language", "question", "answer", "is_published")}


def _render_review(question, answer_form=None, faq_form=None, status: int = 200):
    languages = reading.load_languages()
    lesson = operations.lesson_choices(languages, [question.lesson_id]) if question.lesson_id else []
    answer_form = answer_form or AnswerForm(data={"answer": question.answer or ""})
    page = render_template(
        "community/review.html",
        question=question,
        lesson=lesson[0] if lesson else None,
        answer_form=answer_form,
        faq_form=faq_form or _faq_form(languages, question),
        hide_form=HideForm(),
        faq=operations.faq_from(question),
    )
    return page, status


@bp.route("/tanya/petugas/<int:question_id>", methods=["GET", "POST"])
@allow(*STAFF)
def review(question_id: int):
    """Show a question of the area; answer it (or correct the answer)."""
    question = _question_or_404(question_id)
    form = AnswerForm()
    if request.method == "POST":
        if form.validate_on_submit():
            operations.answer_question(current_user, question, form.answer.data)
            db.session.commit()
            flash(_("The answer is saved. The resident will see it on their next visit."), "success")
            return redirect(url_for("community.review", question_id=question.id))
        return _render_review(question, answer_form=form, status=422)
    return _render_review(question)


@bp.post("/tanya/petugas/<int:question_id>/sembunyikan")
@allow(*STAFF)
def hide(question_id: int):
    """Hide an abusive question from every list, or show it again."""
    question = _question_or_404(question_id)
    form = HideForm()
    if not form.validate_on_submit():
        abort(400)
    hidden = form.hide.data != "0"
    operations.set_hidden(current_user, question, hidden)
    db.session.commit()
    flash(_("The question is hidden.") if hidden else _("The question is shown again."), "info")
    return redirect(url_for("community.review", question_id=question.id))


@bp.post("/tanya/petugas/<int:question_id>/faq")
@allow(*STAFF)
def make_faq(question_id: int):
    """Turn an answered question into a frequently asked question under a lesson (the officer may reword it)."""
    question = _question_or_404(question_id)
    form = _faq_form(reading.load_languages(), question)
    if question.is_hidden or not question.is_answered:
        form.question.errors = [_("Answer the question before making it a frequently asked question.")]
        return _render_review(question, faq_form=form, status=422)
    if not form.validate_on_submit():
        return _render_review(question, faq_form=form, status=422)
    operations.save_faq(current_user, None, source=question, **_faq_fields(form))
    db.session.commit()
    flash(_("The frequently asked question is saved under the lesson."), "success")
    return redirect(url_for("community.review", question_id=question.id))


@bp.route("/tanya/faq/<int:faq_id>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_faq(faq_id: int):
    """Edit an FAQ's wording, lesson, language, or take it off the lesson."""
    faq = db.session.get(Faq, faq_id)
    if faq is None or not operations.may_edit_faq(current_user, faq):
        abort(404)
    form = _faq_form(reading.load_languages(), faq=faq)
    if form.validate_on_submit():
        operations.save_faq(current_user, faq, **_faq_fields(form))
        db.session.commit()
        flash(_("The frequently asked question is saved."), "success")
        return redirect(url_for("community.edit_faq", faq_id=faq.id))
    return render_template("community/faq.html", form=form, faq=faq), (422 if form.errors else 200)


# --- Concerns ---------------------------------------------------------------------------------------


@bp.get("/lapor/petugas")
@allow(OFFICER)
def concerns():
    """List the concerns reported in the officer's area: open ones oldest first, then the handled ones."""
    handled = request.args.get("lihat") == "selesai"
    return render_template(
        "community/concerns.html",
        concerns=concern_reports.office_concerns(current_user, handled=handled),
        handled=handled,
    )


@bp.route("/lapor/petugas/<int:concern_id>", methods=["GET", "POST"])
@allow(OFFICER)
def handle(concern_id: int):
    """Read a concern of the area and record what the office did."""
    concern = concern_reports.find_concern_for_officer(current_user, concern_id)
    if concern is None:
        abort(404)
    form = HandleForm(data={"note": concern.handling_note or ""}) if request.method == "GET" else HandleForm()
    if form.validate_on_submit():
        concern_reports.handle_concern(current_user, concern, form.note.data)
        db.session.commit()
        flash(_("The report is marked as handled."), "success")
        return redirect(url_for("community.concerns"))
    return render_template("community/handle.html", concern=concern, form=form), (422 if form.errors else 200)

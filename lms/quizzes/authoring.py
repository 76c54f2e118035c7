"""Officers' quiz pages: settings and the question list, the side-by-side editor, preview, item statistics."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms.fields import SelectChoice

from lms.access import ADMIN, STAFF, allow
from lms.extensions import db
from lms.i18n import content_languages
from lms.quizzes import editing, operations, statistics
from lms.quizzes.display import language_chain, language_names, pick, preview_question
from lms.quizzes.forms import QuestionForm, QuizSettingsForm
from lms.quizzes.grading import QUESTION_TYPES
from lms.quizzes.views import bp

#: The question's own text fields in the editor (the options have theirs).
TEXT_FIELDS = ("source_text", "source_explanation", "target_text", "target_explanation")


def _course_or_404(slug: str):
    """Return the course an officer may edit, 404 when unknown, 403 when another office's."""
    course = editing.find_course(slug)
    if course is None:
        abort(404)
    if not editing.may_edit(current_user, course):
        abort(403)
    return course


def _question_or_404(quiz, key: str):
    question = next((q for q in quiz.questions if q.key == key), None)
    if question is None:
        abort(404)
    return question


def _target_language(course) -> str | None:
    """Return the translation language chosen with ?bahasa=, if it is a known content language."""
    tag = request.args.get("bahasa", "")
    known = {code for code, _name in content_languages()}
    return tag if tag in known and tag != course.source_language else None


def _title(course, language: str | None = None):
    return pick(course.texts, language_chain(language or course.source_language, course), "title")


@bp.route("/kelola/kursus/<slug>/kuis", methods=["GET", "POST"])
@allow(*STAFF)
def manage(slug: str):
    """Show a course's quiz settings and question pool; save the settings."""
    course = _course_or_404(slug)
    quiz = editing.get_or_create_quiz(course)
    form = QuizSettingsForm(obj=quiz)
    if form.validate_on_submit():
        editing.save_settings(quiz, form.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("quizzes.manage", slug=slug), 303)
    db.session.commit()  # the quiz may have just been created
    languages = content_languages()
    stale = {
        question.id: [tag for tag in question.languages if editing.needs_update(question, tag, course.source_language)]
        for question in quiz.questions
    }
    page = render_template(
        "quizzes/manage.html",
        course=course,
        course_title=_title(course),
        quiz=quiz,
        form=form,
        stale=stale,
        languages=languages,
        source=course.source_language,
        question_type_labels={name: kind.label for name, kind in QUESTION_TYPES.items()},
    )
    return page, (422 if form.errors else 200)


def _fill_form(form: QuestionForm, question, source: str, target: str | None) -> None:
    """Put a question's texts into the editor: the source language, and the translation beside it."""
    form.type.data = question.type
    form.lesson.data = question.lesson.slug if question.lesson else ""
    source_text, target_text = question.text(source), question.text(target) if target else None
    form.source_text.data = source_text.text if source_text else ""
    form.source_explanation.data = source_text.explanation if source_text else ""
    form.target_text.data = target_text.text if target_text else ""
    form.target_explanation.data = target_text.explanation if target_text else ""
    for row, option in zip(form.options, question.options, strict=False):
        row.key.data = option.key
        row.is_correct.data = option.is_correct
        mine, theirs = option.text(source), option.text(target) if target else None
        row.source_text.data, row.source_feedback.data = (mine.text, mine.feedback) if mine else ("", "")
        row.target_text.data, row.target_feedback.data = (theirs.text, theirs.feedback) if theirs else ("", "")


def _mark_languages(form: QuestionForm, names: dict, source: str, target: str | None) -> None:
    """Name each text field's language in its label and `lang`, so the two columns are never confused."""
    fields = [(form.source_text, source), (form.source_explanation, source)]
    fields += [(form.target_text, target), (form.target_explanation, target)]
    for row in form.options:
        fields += [(row.source_text, source), (row.source_feedback, source)]
        fields += [(row.target_text, target), (row.target_feedback, target)]
    for field, language in fields:
        if language:
            field.label.text = f"{field.label.text} ({names[language]})"
            field.render_kw = {**(field.render_kw or {}), "lang": language}


@bp.route("/kelola/kursus/<slug>/kuis/soal/baru", methods=["GET", "POST"])
@bp.route("/kelola/kursus/<slug>/kuis/soal/<key>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_question(slug: str, key: str | None = None):
    """Write a question and its options in the source language with a translation beside it."""
    course = _course_or_404(slug)
    quiz = editing.get_or_create_quiz(course)
    question = _question_or_404(quiz, key) if key else None
    source, target = course.source_language, _target_language(course)
    form = QuestionForm()
    form.lesson.choices = [SelectChoice("", _("— none —"))] + [
        SelectChoice(lesson.slug, lesson.slug) for lesson in course.current_lessons
    ]
    if question is not None and request.method == "GET":
        _fill_form(form, question, source, target)
    error = None
    if form.validate_on_submit():
        rows = [
            editing.OptionRow(
                **{name: value or "" for name, value in row.data.items() if name != "is_correct"},
                is_correct=bool(row.data["is_correct"]),
            )
            for row in form.options
        ]
        try:
            question = editing.save_question(
                quiz,
                question,
                kind=form.type.data,
                lesson_slug=form.lesson.data or None,
                source=source,
                target=target,
                texts={name: form.data[name] or "" for name in TEXT_FIELDS},
                rows=rows,
                is_translation_current=form.is_translation_current.data,
            )
        except editing.EditError as problem:
            db.session.rollback()
            error = str(problem)
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("quizzes.edit_question", slug=slug, key=question.key, bahasa=target or None), 303)
    names = language_names([source, *([target] if target else [])])
    _mark_languages(form, names, source, target)
    page = render_template(
        "quizzes/edit_question.html",
        course=course,
        course_title=_title(course),
        quiz=quiz,
        question=question,
        form=form,
        error=error,
        source=source,
        target=target,
        names=names,
        languages=content_languages(),
        needs_update=bool(question and target and editing.needs_update(question, target, source)),
    )
    return page, (422 if request.method == "POST" else 200)


@bp.post("/kelola/kursus/<slug>/kuis/soal/<key>/pensiun")
@allow(*STAFF)
def retire_question(slug: str, key: str):
    """Take a question out of the pool or put it back; residents' past answers stay."""
    course = _course_or_404(slug)
    question = _question_or_404(editing.get_or_create_quiz(course), key)
    editing.set_retired(question, request.form.get("action") != "restore")
    db.session.commit()
    flash(_("Saved."), "success")
    return redirect(url_for("quizzes.manage", slug=slug), 303)


@bp.get("/kelola/kursus/<slug>/kuis/pratinjau/<int:number>")
@allow(*STAFF)
def preview(slug: str, number: int):
    """Show a question of the pool as a resident sees it, in a chosen language; nothing is saved."""
    course = _course_or_404(slug)
    quiz = editing.get_or_create_quiz(course)
    pool = quiz.current_questions
    if not 1 <= number <= len(pool):
        abort(404)
    language = request.args.get("bahasa") or course.source_language
    chain = language_chain(language, course)
    shown = preview_question(pool[number - 1], chain, number)
    return render_template(
        "quizzes/preview.html",
        course=course,
        course_title=pick(course.texts, chain, "title"),
        quiz=quiz,
        question=shown,
        total=len(pool),
        number=number,
        language=language,
        languages=content_languages(),
        language_names=language_names([*shown.fallback_languages, chain[0]]),
    )


@bp.get("/kelola/kursus/<slug>/kuis/statistik")
@allow(*STAFF)
def item_statistics(slug: str):
    """Show how often each question is answered correctly and each option chosen, overall or per village."""
    course = _course_or_404(slug)
    quiz = editing.get_or_create_quiz(course)
    operations.finish_expired_attempts(quiz)  # attempts abandoned after their time ran out count as finished
    db.session.commit()
    villages = statistics.villages_with_attempts(quiz)
    if current_user.role != ADMIN:  # an officer sees the villages of their office's area only
        office = current_user.office
        villages = [(v, n) for v, n in villages if office is not None and office.covers(v.code)]
    village_code = request.args.get("desa") or None
    if village_code and village_code not in {village.code for village, _count in villages}:
        abort(404)
    chain = language_chain(course.source_language, course)
    rows = statistics.item_statistics(quiz, village_code)
    texts = {
        row.question.id: {
            "question": pick(row.question.texts, chain, "text"),
            "options": {o.key: pick(o.texts, chain, "text") for o in row.question.options},
        }
        for row in rows
    }
    return render_template(
        "quizzes/statistics.html",
        course=course,
        course_title=_title(course),
        quiz=quiz,
        rows=rows,
        texts=texts,
        villages=villages,
        village_code=village_code,
    )

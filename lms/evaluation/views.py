"""Feedback pages for residents (end of a course, under each lesson) and the evaluation pages for officers."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user

from lms import demo
from lms.access import ADMIN, LEADER, RESIDENT, STAFF, allow
from lms.core.forms import LARGEST_INTEGER
from lms.courses import reading
from lms.evaluation import models as models  # the models must exist when the app is created
from lms.evaluation import operations, summary
from lms.evaluation.demo_data import give_demo_feedback, take_demo_pretest
from lms.evaluation.forms import SCALE, CourseFeedbackForm, LessonRatingForm, PeriodForm
from lms.extensions import db
from lms.progress.exports import FORMATS, export_response
from lms.regions.models import Office
from lms.reports.operations import area_of

bp = Blueprint("evaluation", __name__, template_folder="templates")

#: Who gives feedback: residents, and leaders, who are villagers too.
LEARNERS = (RESIDENT, LEADER)


def init_app(app) -> None:
    """Add the demo pre-test (before the demo progress passes the quiz) and feedback; give templates the scale."""
    if take_demo_pretest not in demo.DEMO_STEPS:
        # Before the progress step when it is there: a pre-test comes before the quiz, or it measures nothing.
        names = [getattr(step, "__name__", "") for step in demo.DEMO_STEPS]
        position = names.index("add_demo_progress") if "add_demo_progress" in names else len(names)
        demo.DEMO_STEPS.insert(position, take_demo_pretest)
    if give_demo_feedback not in demo.DEMO_STEPS:
        demo.DEMO_STEPS.append(give_demo_feedback)
    app.jinja_env.globals["rating_scale"] = SCALE
    app.jinja_env.globals["feedback_form"] = lambda: CourseFeedbackForm(formdata=None)


# --- Residents ---------------------------------------------------------------------------------------


@bp.route("/kursus/<slug>/umpan-balik", methods=["GET", "POST"])
@allow(*LEARNERS)
def course_feedback(slug: str):
    """Ask what the resident thought of a course; sending again replaces their earlier feedback."""
    course = operations.find_course(slug)
    if course is None:
        abort(404)
    earlier = operations.feedback_of(current_user.id, course.id)
    form = CourseFeedbackForm(obj=earlier)
    if form.validate_on_submit():
        operations.save_course_feedback(current_user, course, form.data, str(get_locale()))
        db.session.commit()
        flash(_("Thank you for your feedback. Your name is never shown with it."), "success")
        return redirect(url_for("courses.course", slug=slug), 303)
    view, _languages = reading.load_course(slug)
    title = view.title if view else None
    page = render_template("evaluation/course_feedback.html", form=form, slug=slug, title=title, earlier=earlier)
    return page, (422 if form.errors else 200)


@bp.post("/kursus/<slug>/<lesson_slug>/nilai")
@allow(*LEARNERS)
def rate_lesson(slug: str, lesson_slug: str):
    """Record how clear a lesson was (1–5), then go back to it; rating again replaces the earlier rating."""
    lesson = operations.find_lesson(slug, lesson_slug)
    if lesson is None:
        abort(404)
    form = LessonRatingForm()
    if not form.validate_on_submit():
        page = render_template("evaluation/lesson_rating.html", form=form, slug=slug, lesson_slug=lesson_slug)
        return page, 422
    operations.rate_lesson(current_user, lesson, form.rating.data)
    db.session.commit()
    flash(_("Thank you: you rated this lesson %(rating)s of 5.", rating=form.rating.data), "success")
    return redirect(url_for("courses.lesson", slug=slug, lesson_slug=lesson_slug, _anchor="nilai-pelajaran"), 303)


# --- Officers --------------------------------------------------------------------------------------


def _scope() -> tuple[Office | None, list[str] | None, list[Office]]:
    """Return the office the page is about, its area (None: everywhere) and the offices to choose from.

    Officers always see their own office, whatever the address says; admins choose any office, or all.
    """
    if current_user.role != ADMIN:
        return current_user.office, area_of(current_user), []
    offices = list(db.session.scalars(db.select(Office).order_by(Office.name)))
    office_id = request.args.get("kantor", type=int)
    if office_id is None:
        return None, None, offices
    office = db.session.get(Office, office_id) if abs(office_id) <= LARGEST_INTEGER else None
    if office is None:
        abort(404)
    return office, [region.code for region in office.regions], offices


def _period() -> tuple[summary.Period, PeriodForm]:
    """Read the period from the address; without one (or with a wrong one) the last three months."""
    form = PeriodForm(request.args)
    default = summary.Period.default(summary.local_today())
    if not form.validate():
        return default, form
    period = summary.Period(form.dari.data or default.first, form.sampai.data or default.last)
    if period.first > period.last:
        period = summary.Period(period.first, period.first)
    form.dari.data, form.sampai.data = period.first, period.last
    return period, form


def _number(value: float | None) -> str:
    return "–" if value is None else format_decimal(round(value, 1))


@bp.get("/evaluasi")
@allow(*STAFF)
def office():
    """Summarise a period for the office's area: reach, completions, knowledge gain, questions, weakest lessons."""
    office, area, offices = _scope()
    period, form = _period()
    languages = reading.load_languages()
    gains = summary.gains(area, period)
    kind = request.args.get("format")
    lowest = summary.lesson_ratings(area, period, by_village=False)[: summary.TOP]
    questions = summary.top_questions(area, period)
    asked = [row.lesson_id for row in questions or [] if row.lesson_id]
    names = summary.names_for(languages, [row.lesson_id for row in lowest] + asked, [g.village_code for g in gains])
    if kind in FORMATS:
        header = [_("Course"), _("Village code"), _("Village"), _("Participants")]
        header += [_("Average pre-test score"), _("Average final score"), _("Gain")]
        rows = [
            (names.course(g.course_id), g.village_code, names.village(g.village_code), g.participants)
            + (round(g.pre, 1), round(g.final, 1), round(g.gain, 1))
            for g in sorted(gains, key=lambda g: (names.course(g.course_id), names.village(g.village_code)))
        ]
        return export_response(kind, f"peningkatan-{period.first}-{period.last}", header, rows)
    by_course = sorted(summary.gains_by_course(gains), key=lambda g: names.course(g.course_id))
    return _page(
        "evaluation/office.html",
        (office, area, offices),
        form,
        period,
        reach=summary.reach(area, period),
        gains=sorted(gains, key=lambda g: (names.course(g.course_id), names.village(g.village_code))),
        by_course=by_course,
        overall=summary.overall_gain(gains),
        questions=questions,
        lowest=lowest,
        names=names,
    )


def _page(template: str, scope: tuple, form: PeriodForm, period: summary.Period, **context):
    """Render an officer's page with its office, area, period and the number format; 422 for a wrong period."""
    office, area, offices = scope
    page = render_template(
        template,
        office=office,
        offices=offices,
        area=area,
        form=form,
        period=period,
        number=_number,
        args=_arguments(office, period),
        **context,
    )
    return page, (422 if form.errors else 200)


def _arguments(office: Office | None, period: summary.Period) -> dict:
    """Return the address arguments that keep the office and period from page to page."""
    values = {"dari": period.first.isoformat(), "sampai": period.last.isoformat()}
    if office is not None and current_user.role == ADMIN:
        values["kantor"] = office.id
    return values


#: The lists the feedback page exports.
FEEDBACK_LISTS = ("kursus", "pelajaran", "komentar")


@bp.get("/evaluasi/umpan-balik")
@allow(*STAFF)
def feedback():
    """Show ratings and comments per course, lesson and village (never who wrote them), and export them."""
    office, area, offices = _scope()
    period, form = _period()
    languages = reading.load_languages()
    courses = summary.course_ratings(area, period)
    lessons = summary.lesson_ratings(area, period)
    written = summary.comments(area, period)
    codes = [row.village_code for row in courses + lessons] + [row.village_code for row in written]
    names = summary.names_for(languages, [row.lesson_id for row in lessons], codes)
    kind, which = request.args.get("format"), request.args.get("daftar", "komentar")
    if kind in FORMATS:
        if which not in FEEDBACK_LISTS:
            abort(404)
        header, rows = _feedback_rows(which, names, courses, lessons, written)
        return export_response(kind, f"umpan-balik-{which}-{period.first}-{period.last}", header, rows)
    return _page(
        "evaluation/feedback.html",
        (office, area, offices),
        form,
        period,
        courses=courses,
        lessons=lessons,
        comments=written,
        names=names,
    )


def _feedback_rows(which: str, names, courses, lessons, written) -> tuple[list[str], list[tuple]]:
    """Return one of the feedback lists as a header and rows, with villages and never people."""
    village = [_("Village code"), _("Village")]
    if which == "kursus":
        header = [_("Course"), *village, _("Feedback sent"), _("Clarity (1–5)"), _("Usefulness (1–5)")]
        rows = [
            (names.course(r.course_id), r.village_code, names.village(r.village_code), r.count)
            + (_round(r.clarity), _round(r.usefulness))
            for r in courses
        ]
    elif which == "pelajaran":
        header = [_("Course"), _("Lesson"), *village, _("Ratings"), _("Average (1–5)")]
        rows = [
            (names.course(r.course_id), names.lesson(r.lesson_id), r.village_code, names.village(r.village_code))
            + (r.count, _round(r.average))
            for r in lessons
        ]
    else:
        header = [_("Month"), _("Course"), *village, _("Clarity (1–5)"), _("Usefulness (1–5)")]
        header += [_("What was hard?"), _("What else do you want to learn?"), _("Language")]
        rows = [
            (c.month.strftime("%Y-%m"), names.course(c.course_id), c.village_code, names.village(c.village_code))
            + (c.clarity, c.usefulness, c.hard_text, c.wish_text, c.language)
            for c in written
        ]
    return header, rows


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)

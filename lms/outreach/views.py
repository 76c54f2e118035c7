"""Outreach pages: schedule a session, mark attendance on the roster, show the QR code, check in."""

import segno
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import to_utc
from flask_login import current_user
from markupsafe import Markup
from wtforms.fields import SelectChoice

import lms.outreach.models  # noqa: F401 - the models must exist when the app is created
from lms import demo
from lms.access import ADMIN, LEADER, OFFICER, RESIDENT, allow
from lms.courses import reading
from lms.extensions import db
from lms.outreach import operations
from lms.outreach.demo_data import add_demo_session
from lms.outreach.forms import LeaderSessionForm, SessionForm
from lms.progress.dashboard import published_courses
from lms.progress.exports import FORMATS, export_response
from lms.regions.models import VILLAGE
from lms.regions.operations import find_regions

bp = Blueprint("outreach", __name__, url_prefix="/penyuluhan", template_folder="templates")

#: Who organises sessions.
ORGANISERS = (LEADER, OFFICER, ADMIN)
#: What the organiser is told when a session cannot be scheduled.
ERRORS = {
    "village": _l("No village has this code."),
    "not_your_village": _l("This village is not in your area."),
    "course": _l("No course has this number."),
    "topic": _l("Choose a course or write the topic."),
    "order": _l("The session must end after it starts."),
    "too_long": _l("A session lasts at most 12 hours."),
}
#: What a resident is told after scanning a session's code.
CHECK_IN_MESSAGES = {
    operations.CHECKED_IN: _l("You are checked in. Welcome!"),
    operations.ALREADY: _l("You are already checked in to this session."),
    operations.NOT_YET: _l("Check-in opens when the session starts."),
    operations.CLOSED: _l("This session has ended; check-in is closed."),
}
METHOD_NAMES = {"roster": _l("on the roster"), "qr": _l("by QR code")}


def init_app(app) -> None:
    """Add the demo outreach session to the demo content."""
    if add_demo_session not in demo.DEMO_STEPS:
        demo.DEMO_STEPS.append(add_demo_session)
    app.jinja_env.globals.setdefault("outreach_method_names", METHOD_NAMES)


def _session_or_404(session_id: int):
    session = operations.find_session(current_user, session_id)
    if session is None:
        abort(404)  # another area's session is as unknown as a missing one
    return session


@bp.get("/")
@allow(*ORGANISERS)
def index():
    """List the sessions in the person's area: upcoming and past."""
    upcoming = operations.sessions_for(current_user, upcoming=True)
    past = operations.sessions_for(current_user, upcoming=False)
    return render_template("outreach/index.html", upcoming=upcoming, past=past)


@bp.route("/baru", methods=["GET", "POST"])
@allow(*ORGANISERS)
def new():
    """Schedule a session in a village of the person's area."""
    is_leader = current_user.role == LEADER
    form = LeaderSessionForm() if is_leader else SessionForm()
    if is_leader:
        form.village_code.choices = [SelectChoice(v.code, v.full_name) for v in current_user.led_villages]
    languages = reading.load_languages()
    courses = published_courses(languages)
    form.course_id.choices = [SelectChoice(0, _("— no course: a topic —"))] + [
        SelectChoice(course.id, course.title.value) for course in courses
    ]
    if request.method == "GET" and request.args.get("village"):
        form.village_code.data = request.args["village"][:13]
    if form.validate_on_submit():
        starts, ends = form.local_window
        try:
            session = operations.schedule_session(
                current_user,
                village_code=form.village_code.data.strip(),
                course_id=form.course_id.data or None,
                topic=form.topic.data or "",
                place=form.place.data or "",
                starts_dt=to_utc(starts),
                ends_dt=to_utc(ends),
            )
        except operations.OutreachError as error:
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("The session is scheduled."), "success")
            return redirect(url_for("outreach.session", session_id=session.id))
    query = request.args.get("village_query", "")[:80]
    results = []
    if query and not is_leader:
        found = find_regions(query, level=VILLAGE, limit=40)
        results = [region for region in found if operations.may_organise_in(current_user, region.code)]
    status = 422 if request.method == "POST" else 200
    return render_template("outreach/new.html", form=form, query=query, results=results, is_leader=is_leader), status


@bp.get("/<int:session_id>")
@allow(*ORGANISERS)
def session(session_id: int):
    """Show a session with its roster: tick who came, on a phone."""
    record = _session_or_404(session_id)
    query = request.args.get("q", "")[:80]
    entries, total = operations.roster(record, query)
    return render_template(
        "outreach/session.html",
        session=record,
        entries=entries,
        total=total,
        query=query,
        attended=operations.attendance_count(record),
        course_title=_course_title(record),
    )


def _course_title(record) -> str | None:
    if record.course_id is None:
        return None
    languages = reading.load_languages()
    for course in published_courses(languages):
        if course.id == record.course_id:
            return course.title.value
    return record.course.slug if record.course else None


def _ids(name: str) -> set[int]:
    return {int(value) for value in request.form.getlist(name) if value.isdecimal() and len(value) < 10}  # a 32-bit id


@bp.post("/<int:session_id>/hadir")
@allow(*ORGANISERS)
def mark_attendance(session_id: int):
    """Save the roster's ticks; saving the same ticks again changes nothing."""
    record = _session_or_404(session_id)
    added, removed = operations.save_roster(record, _ids("present"), _ids("listed"), current_user)
    db.session.commit()
    flash(_("Attendance saved: %(added)d added, %(removed)d removed.", added=added, removed=removed), "success")
    return redirect(url_for("outreach.session", session_id=record.id, q=request.form.get("q", "")[:80] or None))


@bp.get("/<int:session_id>/qr")
@allow(*ORGANISERS)
def qr(session_id: int):
    """Show the session's QR code, for residents to scan with their phones."""
    record = _session_or_404(session_id)
    url = url_for("outreach.check_in", token=operations.check_in_token(record), _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=1, omitsize=True, border=2, svgclass="qr", title=_("QR code"))
    svg = svg.replace("<svg ", '<svg role="img" ', 1)
    return render_template("outreach/qr.html", session=record, url=url, svg=Markup(svg))  # noqa: S704 - segno's own SVG


@bp.get("/<int:session_id>/daftar-hadir.<kind>")
@allow(*ORGANISERS)
def export(session_id: int, kind: str):
    """Download the attendance list as CSV or XLSX."""
    record = _session_or_404(session_id)
    if kind not in FORMATS:
        abort(404)
    header = [_("Name"), _("Username or phone"), _("Village"), _("Checked in at"), _("How")]
    rows = [
        (name, username or phone or "", village or "", moment, str(METHOD_NAMES.get(method, method)))
        for name, username, phone, village, moment, method in operations.attendance_rows(record)
    ]
    return export_response(kind, f"daftar-hadir-{record.id}-{record.starts_dt:%Y-%m-%d}", header, rows)


@bp.get("/<int:session_id>/cetak")
@allow(*ORGANISERS)
def print_list(session_id: int):
    """Show the attendance list ready to print."""
    record = _session_or_404(session_id)
    return render_template(
        "outreach/print.html",
        session=record,
        rows=operations.attendance_rows(record),
        course_title=_course_title(record),
    )


@bp.route("/masuk/<token>", methods=["GET", "POST"])
@allow(RESIDENT)
def check_in(token: str):
    """Check the signed-in resident in to the session whose QR code they scanned."""
    record = operations.session_for_token(token[:200])
    if record is None:
        abort(404)
    if request.method == "POST":
        outcome = operations.check_in(record, current_user)
        db.session.commit()
        status = 200 if outcome in (operations.CHECKED_IN, operations.ALREADY) else 409
    else:
        outcome = operations.check_in_state(record, current_user)
        status = 200
    message = CHECK_IN_MESSAGES.get(outcome) if outcome else None
    return render_template(
        "outreach/check_in.html",
        session=record,
        outcome=outcome,
        message=message,
        token=token,
        course_title=_course_title(record),
    ), status

"""Community leaders' pages, on the progress blueprint: the village dashboard, adding villagers with sign-in
cards, roster import with a preview. A leader sees and changes only the villages they lead."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from wtforms.fields import SelectChoice

from lms.access import LEADER, allow
from lms.core import stored_pages
from lms.core.stored_pages import stored
from lms.core.versions import current_stamp
from lms.courses import reading
from lms.extensions import db
from lms.progress import background, enrolment, roster
from lms.progress import dashboard as data
from lms.progress.completion import requirements_for
from lms.progress.exports import FORMATS, export_response, local_phone
from lms.progress.forms import RosterForm, VillagerForm
from lms.progress.models import QUEUED, RUNNING
from lms.progress.views import bp
from lms.quizzes.operations import QUIZZES

#: Participants shown per page.
PAGE_SIZE = 50
STATUS_NAMES = {
    data.NOT_STARTED: _l("Not started"),
    data.IN_PROGRESS: _l("In progress"),
    data.COMPLETED: _l("Completed"),
    data.CERTIFIED: _l("Certified"),
}
FUNNEL_NAMES = {
    "enrolled": _l("Enrolled"),
    "started": _l("Started"),
    "completed": _l("Completed"),
    "certified": _l("Certified"),
}
ENROLMENT_ERRORS = {
    "not_your_village": _l("You do not lead this village."),
    "phone_invalid": _l("This is not an Indonesian mobile number."),
    "phone_taken": _l("This mobile number belongs to another account already."),
}
ROSTER_ERRORS = {
    "too_large": _l("The file is larger than 5 MB."),
    "format": _l("Please upload a CSV or XLSX file."),
    "unreadable": _l("This file could not be read as an XLSX workbook."),
    "empty": _l("The file has no villagers in it."),
    "columns": _l("Unknown or repeated columns: %(detail)s. Use the columns nama, telepon, kode_desa."),
    "no_name_column": _l("The first row must name the columns, with a column called nama."),
    "too_many_rows": _l("The file has more than %(detail)s villagers. Please split it."),
}
ROW_ERRORS = {
    "name_missing": _l("no name"),
    "name_formula": _l("the name starts with =, +, -, or @"),
    "name_too_long": _l("the name is longer than 80 characters"),
    "phone_invalid": _l("not an Indonesian mobile number"),
    "phone_taken": _l("the mobile number belongs to an account already"),
    "phone_repeated": _l("the mobile number appears more than once in the file"),
    "village_missing": _l("no village code"),
    "village_unknown": _l("no village has this code"),
    "village_not_yours": _l("you do not lead this village"),
}


# --- Village views, shared with the officers' reports -------------------------------------------------


@dataclass
class VillageView:
    """Everything a village dashboard shows, for one or more villages."""

    codes: list[str]
    courses: list[data.CourseColumn]
    course: data.CourseColumn | None
    status: str | None
    query: str
    people: list[data.Participant]
    shown: list[data.Participant]
    page: int
    funnels: list[data.Funnel]
    weeks: list
    hardest: list
    residents: int

    @property
    def pages(self) -> int:
        return max((len(self.people) + PAGE_SIZE - 1) // PAGE_SIZE, 1)

    def filters(self) -> dict:
        """Return the filters as URL arguments."""
        values = {"q": self.query, "course": self.course.slug if self.course else None, "status": self.status}
        return {key: value for key, value in values.items() if value}

    def url_args(self, base: dict, **extra) -> dict:
        """Return the URL arguments of a link: the villages (base), the filters, and more."""
        return {**base, **self.filters(), **extra}


def village_view(codes: list[str], args, languages=None) -> VillageView:
    """Build a village dashboard from request arguments (q, course, status, page), in a fixed number of queries."""
    languages = languages or reading.load_languages()
    courses = data.published_courses(languages)
    course = next((c for c in courses if c.slug == args.get("course")), courses[0] if courses else None)
    status = args.get("status") if args.get("status") in data.STATUSES else None
    query = " ".join(args.get("q", "")[:80].split())
    residents = data.residents_of(codes)
    requirements = requirements_for([c.id for c in courses])
    # The villages' figures, kept while nothing they are computed from changes; the people are read afresh.
    key = (
        tuple(codes),
        tuple((c.id, c.slug, c.title.value) for c in courses),
        tuple(languages.chain),
        data.current_week(),
        data.village_fingerprint(codes),
        repr(sorted(requirements.items())),
        current_stamp(QUIZZES),  # the hardest questions' texts
    )

    def compute():
        states = data.course_states(residents, [c.id for c in courses], requirements) if courses else {}
        weeks = data.weekly_activity(residents)
        return states, weeks, data.hardest_questions(residents, languages, courses)

    states, weeks, hardest = data.figures_cache.get(key, compute)
    everyone = data.participants(codes, courses, states=states)
    people = everyone
    if query:
        folded = query.casefold()
        people = [person for person in people if folded in person.name.casefold()]
    people = data.filter_participants(people, course.id if course else None, status)
    page = max(min(args.get("page", 1, type=int) or 1, (len(people) + PAGE_SIZE - 1) // PAGE_SIZE or 1), 1)
    return VillageView(
        codes=codes,
        courses=courses,
        course=course,
        status=status,
        query=query,
        people=people,
        shown=people[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        page=page,
        funnels=data.funnels(everyone, courses),
        weeks=weeks,
        hardest=hardest,
        residents=len(everyone),
    )


def participant_rows(view: VillageView, village_names: dict[str, str]):
    """Return the export header and rows of a village view's (filtered) participants."""
    return participant_table(view.courses, view.people, village_names)


def participant_table(courses: list[data.CourseColumn], people: list[data.Participant], village_names: dict[str, str]):
    """Return the export header and rows of some participants, with their status in each course."""
    header = [_("Name"), _("Username or phone"), _("Mobile number"), _("Village"), _("Added by a leader")]
    header += [course.title.value for course in courses] + [_("Last activity")]
    rows = []
    for person in people:
        row = [
            person.name,
            person.sign_in_name,
            local_phone(person.phone),
            village_names.get(person.village_code, person.village_code),
            _("yes") if person.is_assisted else _("no"),
        ]
        row += [str(STATUS_NAMES[person.state(course.id).status]) for course in courses]
        rows.append([*row, person.last_activity_dt])
    return header, rows


def _led_codes(village: str | None) -> list[str]:
    codes = [region.code for region in current_user.led_villages]
    if village:
        if village not in codes:
            abort(404)  # another village is as unknown as a missing one
        return [village]
    return codes


def _course_choices(languages) -> list:
    return [SelectChoice(0, _("— no course —"))] + [
        SelectChoice(course.id, course.title.value) for course in data.published_courses(languages)
    ]


@bp.get("/desa")
@allow(LEADER)
@stored
def dashboard():
    """Show the leader's villages: participants and their status per course, the funnel, activity, hard questions."""
    village = request.args.get("village", "")[:13] or None
    codes = _led_codes(village)
    stored_pages.depend_on(*(stored_pages.village(code) for code in codes))
    view = village_view(codes, request.args)
    names = {region.code: region.name for region in current_user.led_villages}
    kind = request.args.get("format")
    if kind in FORMATS:
        header, rows = participant_rows(view, names)
        return export_response(kind, f"peserta-{village or 'desa'}", header, rows)
    base = {"village": village} if village else {}
    template = "progress/print_participants.html" if kind == "print" else "progress/dashboard.html"
    without_card = enrolment.villagers_without_card(current_user, limit=0)[1] if kind != "print" else 0
    return render_template(
        template,
        view=view,
        village=village,
        village_names=names,
        base=base,
        endpoint="progress.dashboard",
        status_names=STATUS_NAMES,
        funnel_names=FUNNEL_NAMES,
        without_card=without_card,
    )


# --- Adding a villager --------------------------------------------------------------------------------


def _remembered_adds() -> dict:
    return session.setdefault("villager_tokens", {})


@bp.route("/desa/warga/baru", methods=["GET", "POST"])
@allow(LEADER)
def add_villager():
    """Add a villager without a phone of their own and show their sign-in card once."""
    form = VillagerForm()
    form.village_code.choices = [SelectChoice(v.code, v.full_name) for v in current_user.led_villages]
    languages = reading.load_languages()
    form.course_id.choices = _course_choices(languages)
    if request.method == "GET":
        form.token.data = enrolment.new_token()
    if form.validate_on_submit():
        token = (form.token.data or "")[:40]
        added = _remembered_adds().get(token)
        if added:
            flash(_("This villager was added already. Print a new card if the first one is lost."), "success")
            return redirect(url_for("progress.villager", user_id=added))
        try:
            card = enrolment.add_villager(
                current_user,
                name=form.name.data,
                phone=form.phone.data,
                village_code=form.village_code.data,
                course_id=form.course_id.data or None,
            )
        except enrolment.EnrolmentError as error:
            flash(str(ENROLMENT_ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            tokens = _remembered_adds()
            tokens[token] = card.user_id
            session["villager_tokens"] = dict(list(tokens.items())[-20:])
            return render_template("progress/cards.html", cards=[card], is_new=True)
    status = 422 if request.method == "POST" else 200
    return render_template("progress/add_villager.html", form=form), status


def _managed_or_404(user_id: int):
    found = enrolment.managed_villagers(current_user, [user_id])
    if not found:
        abort(404)
    return found[0]


@bp.get("/desa/warga/<int:user_id>")
@allow(LEADER)
def villager(user_id: int):
    """Show a villager the leader added: their courses, and a new sign-in card on request."""
    person = _managed_or_404(user_id)
    languages = reading.load_languages()
    courses = data.published_courses(languages)
    found = [p for p in data.participants([person.village_code], courses) if p.id == person.id]
    return render_template(
        "progress/villager.html",
        person=person,
        participant=found[0] if found else None,
        courses=courses,
        status_names=STATUS_NAMES,
    )


@bp.post("/desa/kartu")
@allow(LEADER)
def print_cards():
    """Give the chosen villagers new passwords and show their sign-in cards, ready to print."""
    ids = {int(value) for value in request.form.getlist("user_id") if value.isdecimal() and len(value) < 10}
    cards = enrolment.print_cards(current_user, sorted(ids))
    if not cards:
        abort(404)
    db.session.commit()
    return render_template("progress/cards.html", cards=cards, is_new=False)


@bp.get("/desa/kartu")
@allow(LEADER)
def cards_to_print():
    """List the villagers whose sign-in card was never printed, a batch at a time."""
    ids, total = enrolment.villagers_without_card(current_user)
    people = enrolment.managed_villagers(current_user, ids)
    return render_template("progress/cards_to_print.html", people=people, total=total)


# --- Roster import ------------------------------------------------------------------------------------


@bp.route("/desa/impor", methods=["GET", "POST"])
@allow(LEADER)
def import_roster():
    """Upload a roster file; nothing is saved before the preview is confirmed."""
    form = RosterForm()
    form.course_id.choices = _course_choices(reading.load_languages())
    error = None
    if form.validate_on_submit():
        upload = form.file.data
        data_bytes = upload.stream.read(roster.MAX_BYTES + 1)
        try:
            record = roster.start_import(current_user, data_bytes, upload.filename or "", form.course_id.data or None)
        except roster.RosterError as problem:
            error = str(ROSTER_ERRORS[problem.code]) % {"detail": problem.detail}
        else:
            db.session.commit()
            return redirect(url_for("progress.import_preview", token=record.token))
    status = 422 if request.method == "POST" else 200
    return render_template("progress/import.html", form=form, error=error, max_rows=roster.MAX_ROWS), status


@bp.route("/desa/impor/<token>", methods=["GET", "POST"])
@allow(LEADER)
def import_preview(token: str):
    """Show a checked roster's rows and problems; confirming saves the good rows, once."""
    record = roster.find_import(current_user, token)
    if record is None:
        abort(404)
    result = None
    file_job = background.roster_job_for(current_user, record)
    if file_job is not None and file_job.status in (QUEUED, RUNNING):
        return redirect(url_for("progress.file_job", job_id=file_job.id))
    # A big roster, or one whose background save stopped part-way, is saved (on) by a job.
    big_or_resumed = len(record.rows) > roster.SAVE_IN_REQUEST or record.confirmed_dt is not None
    if request.method == "POST" and big_or_resumed and roster.pending_rows(record):
        file_job = background.start_roster_save(current_user, record)
        db.session.commit()
        background.queue_due_jobs()
        return redirect(url_for("progress.file_job", job_id=file_job.id))
    if request.method == "POST":
        result = roster.confirm_import(current_user, record)
        db.session.commit()
        if result.is_new:
            flash(ngettext("%(num)d villager saved.", "%(num)d villagers saved.", result.saved), "success")
        else:
            flash(_("This list was saved already; nothing was added twice."), "success")
    return render_template(
        "progress/import_preview.html", record=record, result=result, row_errors=ROW_ERRORS, preview_rows=50
    )

"""Officers' reports over their office's area, with drill-down and exports."""

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.access import STAFF, allow
from lms.courses import reading
from lms.extensions import db
from lms.progress import background
from lms.progress.dashboard import published_courses
from lms.progress.exports import FORMATS, export_response
from lms.progress.leaders import FUNNEL_NAMES, STATUS_NAMES, participant_rows, village_view
from lms.regions.models import DISTRICT, PROVINCE, REGENCY, VILLAGE
from lms.regions.operations import get_region
from lms.reports import operations

bp = Blueprint("reports", __name__, template_folder="templates")

#: What each level's rows are called.
LEVEL_NAMES = {
    PROVINCE: _l("Province"),
    REGENCY: _l("Regency or city"),
    DISTRICT: _l("District"),
    VILLAGE: _l("Village"),
}


def _region_in_area(area, code: str):
    """Return the region with this code, None for no code, or answer 404 when it lies outside the area."""
    code = code[:13].strip()
    region = get_region(code) if code else None
    if code and (region is None or not operations.may_see(area, region.code)):
        abort(404)  # a region outside the area is as unknown as a missing one
    return region


@bp.get("/laporan")
@allow(*STAFF)
def office():
    """Show counts and completion rates for the office's area, one level at a time, down to a village's people."""
    area = operations.area_of(current_user)
    region = _region_in_area(area, request.args.get("region", ""))
    kind = request.args.get("format")
    crumbs = list(reversed(region.path)) if region else []
    if region is not None and region.level == VILLAGE:
        view = village_view([region.code], request.args)
        names = {region.code: region.name}
        if kind in FORMATS:
            header, rows = participant_rows(view, names)
            return export_response(kind, f"laporan-{region.code}", header, rows)
        template = "progress/print_participants.html" if kind == "print" else "reports/village.html"
        return render_template(
            template,
            region=region,
            crumbs=crumbs,
            view=view,
            village_names=names,
            base={"region": region.code},
            endpoint="reports.office",
            status_names=STATUS_NAMES,
            funnel_names=FUNNEL_NAMES,
        )
    languages = reading.load_languages()
    courses = published_courses(languages)
    course = next((c for c in courses if c.slug == request.args.get("course")), None)
    report = operations.rollup(area, region, course.id if course else None)
    if kind in FORMATS:
        header = [_("Code"), str(LEVEL_NAMES[report.level]), _("Residents"), _("Enrolled"), _("Completed")]
        header += [_("Completion rate (%)"), _("Certified")]
        rows = [
            (
                row.code,
                row.name,
                row.residents,
                row.enrolled,
                row.completed,
                None if row.completion_rate is None else round(100 * row.completion_rate, 1),
                row.certified,
            )
            for row in report.rows
        ]
        name = f"laporan-{region.code if region else 'wilayah'}" + (f"-{course.slug}" if course else "")
        return export_response(kind, name, header, rows)
    template = "reports/print.html" if kind == "print" else "reports/office.html"
    return render_template(
        template,
        area=area,
        region=region,
        crumbs=crumbs,
        report=report,
        courses=courses,
        course=course,
        level_name=LEVEL_NAMES[report.level],
    )


@bp.post("/laporan/ekspor")
@allow(*STAFF)
def export_participants():
    """Start exporting every participant of a region of the area in the background, and show its progress."""
    region = _region_in_area(operations.area_of(current_user), request.form.get("region", ""))
    if region is None or region.level == VILLAGE:
        abort(404)  # a village's list exports at once from its own page
    kind = request.form.get("format")
    course = request.form.get("course") or None
    if kind not in FORMATS or (course and course not in {c.slug for c in published_courses(reading.load_languages())}):
        return render_template("reports/export_refused.html", region=region), 422
    file_job = background.start_region_export(current_user, region.code, kind, course, str(get_locale() or "id"))
    db.session.commit()
    background.queue_due_jobs()
    return redirect(url_for("progress.file_job", job_id=file_job.id), code=303)

"""Pages for those who print and manage certificates, on the certificates blueprint.

Leaders and officers print a village's certificates in bulk; officers and admins find
and revoke certificates of their area; admins rotate the signing keys.
"""

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import false, func, or_, select
from wtforms.fields import SelectChoice

from lms.access import ADMIN, LEADER, OFFICER, STAFF, allow
from lms.accounts.models import User
from lms.certificates import models, operations, printing
from lms.certificates.forms import BulkPrintForm, ChooseBulkForm, NewKeyForm, RevokeForm
from lms.certificates.keys import create_signing_key, key_files
from lms.certificates.views import bp, certificate_or_404
from lms.courses.models import Course
from lms.extensions import db

PRINT_STATUS_NAMES = {
    models.QUEUED: _l("Waiting to start"),
    models.RUNNING: _l("Printing"),
    models.DONE: _l("Ready to download"),
    models.FAILED: _l("Failed"),
}
REVOKE_ERRORS = {
    "reason_missing": _l("Write why the certificate is revoked."),
    "reason_too_long": _l("At most 500 characters."),
}
PRINTERS = (LEADER, OFFICER, ADMIN)
PER_PAGE = 50


def _course_label(course: Course) -> str:
    text = course.text(str(get_locale())) or course.text("id") or course.text(course.source_language)
    return text.title if text else course.slug


# --- Bulk printing -----------------------------------------------------------------------------------


@bp.route("/sertifikat/cetak", methods=["GET", "POST"])
@allow(*PRINTERS)
def bulk():
    """Print the certificates of a village's residents for a course as one PDF, a page each."""
    courses = {course.slug: course for course in printing.printable_courses()}
    villages = {village.code: village for village in printing.printable_villages(current_user)}
    choose = ChooseBulkForm(formdata=request.args if request.args else None)
    choose.course.choices = [SelectChoice("", _("Choose a course"))] + [
        SelectChoice(slug, _course_label(course)) for slug, course in courses.items()
    ]
    choose.village.choices = [SelectChoice("", _("Choose a village"))] + [
        SelectChoice(code, village.full_name) for code, village in villages.items()
    ]
    course = courses.get(choose.course.data or "")
    village = villages.get(choose.village.data or "")
    status = 200
    if request.args or request.method == "POST":
        if course is None:
            choose.course.errors = [_("Choose a course.")]
        if village is None:
            choose.village.errors = [_("Choose a village.")]
        if course is None or village is None:
            status = 422
    form = BulkPrintForm()
    candidates = printing.print_candidates(course, village.code) if course and village else []
    chosen = {candidate.user.id for candidate in candidates if candidate.is_preselected}
    if request.method == "POST" and course and village:
        chosen = {int(value) for value in request.form.getlist("user_id") if value.isdecimal() and len(value) < 10}
        if form.validate_on_submit():
            try:
                user_ids = sorted(chosen, key=_order(candidates))
                run = printing.start_bulk_print(current_user, course, village.code, user_ids)
            except operations.CertificateError:
                db.session.rollback()
                form.form_errors.append(_("Choose at least one resident who completed the course."))
            else:
                db.session.commit()
                printing.queue_bulk_print(run)
                return redirect(url_for("certificates.print_page", print_id=run.id))
        status = 422
    recent = db.session.scalars(
        select(models.BulkPrint)
        .where(models.BulkPrint.requested_by_id == current_user.id)
        .order_by(models.BulkPrint.id.desc())
        .limit(10)
    ).all()
    page = render_template(
        "certificates/bulk.html",
        choose=choose,
        form=form,
        course=course,
        village=village,
        candidates=candidates,
        chosen=chosen,
        completion_known=any(candidate.has_completed is not None for candidate in candidates),
        recent=[(run, _course_label(run.course)) for run in recent],
    )
    return page, status


def _order(candidates: list[printing.Candidate]):
    """Return a sort key keeping the page order of the list (residents by name)."""
    position = {candidate.user.id: index for index, candidate in enumerate(candidates)}
    return lambda user_id: position.get(user_id, len(position))


def _print_or_404(print_id: int) -> models.BulkPrint:
    run = db.session.get(models.BulkPrint, print_id)
    if run is None or not operations.may_oversee_village(current_user, run.village_code):
        abort(404)
    return run


@bp.get("/sertifikat/cetak/<int:print_id>")
@allow(*PRINTERS)
def print_page(print_id: int):
    """Show a bulk print's progress, and the PDF once it is ready."""
    run = _print_or_404(print_id)
    return render_template(
        "certificates/print.html", run=run, course_label=_course_label(run.course), path=printing.print_path(run)
    )


@bp.get("/sertifikat/cetak/<int:print_id>/status")
@allow(*PRINTERS)
def print_status(print_id: int):
    """Answer with a bulk print's progress as JSON, for the progress page's script."""
    run = _print_or_404(print_id)
    return jsonify(
        status=run.status,
        status_text=str(PRINT_STATUS_NAMES[run.status]),
        done=run.done,
        total=run.total,
        percent=round(run.percent, 1),
        progress_text=_("%(done)d of %(total)d pages", done=run.done, total=run.total),
        download_url=url_for("certificates.print_download", print_id=run.id) if printing.print_path(run) else None,
    )


@bp.get("/sertifikat/cetak/<int:print_id>/sertifikat.pdf")
@allow(*PRINTERS)
def print_download(print_id: int):
    """Download a finished bulk print."""
    run = _print_or_404(print_id)
    path = printing.print_path(run)
    if path is None:
        abort(404)
    name = f"sertifikat-{run.village_code}-{run.course.slug}.pdf"
    response = send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- Staff: finding and revoking ---------------------------------------------------------------------


def _area_filter(query):
    """Limit a certificate query to the officer's area (admins see all)."""
    if current_user.role == ADMIN:
        return query
    areas = [region.code for region in current_user.office.regions] if current_user.office else []
    if not areas:
        return query.where(false())
    return query.where(or_(*[User.village_code.startswith(code + ".", autoescape=True) for code in areas]))


@bp.get("/sertifikat/kelola")
@allow(*STAFF)
def index():
    """List the certificates of the officer's area, searchable by serial or name."""
    text = request.args.get("q", "").strip()[:80]
    page = min(max(request.args.get("page", 1, type=int) or 1, 1), 1_000_000)  # the database holds no larger offset
    query = _area_filter(select(models.Certificate).join(User, User.id == models.Certificate.user_id))
    if text:
        serial = operations.normalize_serial(text)
        like = f"%{text.lower()}%"
        query = query.where(
            models.Certificate.serial == serial if serial else func.lower(models.Certificate.holder_name).like(like)
        )
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    certificates = db.session.scalars(
        query.order_by(models.Certificate.issued_dt.desc(), models.Certificate.id.desc())
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return render_template(
        "certificates/index.html", certificates=certificates, q=text, page=page, total=total, per_page=PER_PAGE
    )


def _certificate_to_manage(serial: str) -> models.Certificate:
    certificate = certificate_or_404(serial)
    if not operations.may_revoke(current_user, certificate):
        abort(404)
    return certificate


def _render_detail(certificate: models.Certificate, form: RevokeForm, status: int = 200):
    return render_template("certificates/detail.html", certificate=certificate, form=form), status


@bp.get("/sertifikat/kelola/<serial>")
@allow(*STAFF)
def detail(serial: str):
    """Show a certificate with its download link and the form to revoke it."""
    return _render_detail(_certificate_to_manage(serial), RevokeForm(formdata=None))


@bp.post("/sertifikat/kelola/<serial>/cabut")
@allow(*STAFF)
def revoke(serial: str):
    """Revoke a certificate with a reason everyone who checks it will see."""
    certificate = _certificate_to_manage(serial)
    form = RevokeForm()
    if not form.validate_on_submit():
        return _render_detail(certificate, form, 422)
    try:
        changed = operations.revoke_certificate(certificate, current_user, form.reason.data)
    except operations.CertificateError as error:
        form.reason.errors = [str(REVOKE_ERRORS[error.reason])]
        return _render_detail(certificate, form, 422)
    db.session.commit()
    if changed:
        flash(_("The certificate is revoked. Everyone who checks it now sees the reason."), "success")
    else:
        flash(_("This certificate was already revoked."), "info")
    return redirect(url_for("certificates.detail", serial=certificate.serial))


# --- Admin: signing keys -----------------------------------------------------------------------------


@bp.get("/sertifikat/kunci")
@allow(ADMIN)
def keys():
    """List the signing keys: the active one signs new certificates, the others keep old ones verifiable."""
    return render_template("certificates/keys.html", keys=key_files(), form=NewKeyForm())


@bp.post("/sertifikat/kunci")
@allow(ADMIN)
def new_key():
    """Create a new signing key; it signs from now on, and the old keys still verify."""
    form = NewKeyForm()
    if not form.validate_on_submit():
        abort(400)
    _path, kid = create_signing_key()
    flash(_("A new signing key %(kid)s now signs new certificates.", kid=kid), "success")
    return redirect(url_for("certificates.keys"))

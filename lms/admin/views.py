"""Admin pages: people and roles, offices and their areas, leaders' villages, languages."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.fields import SelectChoice

from lms.access import ADMIN, ROLE_NAMES, ROLES, allow
from lms.accounts.models import User
from lms.admin import operations
from lms.admin.forms import LanguageForm, OfficeForm, UserForm
from lms.core.models import Language
from lms.extensions import db
from lms.regions.models import REGENCY, VILLAGE, Office
from lms.regions.operations import find_regions

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

#: What the admin is told when a change cannot be made.
ERRORS = {
    "taken": _l("This username or mobile number belongs to another account."),
    "village": _l("No village has this code."),
    "regency": _l("No regency or city has this code."),
    "office": _l("An officer needs an office."),
    "password": _l("A new account needs a password."),
    "not_leader": _l("Only a community leader leads villages. Save the role first."),
    "office_taken": _l("An office with this name exists already."),
}


def _office_choices() -> list[tuple[int, str]]:
    offices = db.session.scalars(db.select(Office).order_by(Office.name))
    return [SelectChoice(0, _("— none —"))] + [SelectChoice(o.id, o.name) for o in offices]


def _get_or_404(model, ident):
    record = db.session.get(model, ident)
    if record is None:
        abort(404)
    return record


@bp.get("/")
@allow(ADMIN)
def index():
    """Show the admin's overview."""
    return render_template("admin/index.html", counts=operations.counts())


@bp.get("/pengguna")
@allow(ADMIN)
def users():
    """List accounts, searchable by name, username or number, filterable by role."""
    query = request.args.get("q", "")[:80]
    role = request.args.get("role") if request.args.get("role") in ROLES else None
    page = min(max(request.args.get("page", 1, type=int), 1), 1_000_000)  # the database holds no larger offset
    found, total = operations.find_users(query, role, page)
    return render_template("admin/users.html", users=found, total=total, query=query, role=role, page=page)


@bp.route("/pengguna/baru", methods=["GET", "POST"])
@bp.route("/pengguna/<int:user_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_user(user_id: int | None = None):
    """Create an account, or change one's role, office, village and password."""
    user = _get_or_404(User, user_id) if user_id else None
    form = UserForm(obj=user)
    form.role.choices = [SelectChoice(role, str(label)) for role, label in ROLE_NAMES.items()]
    form.office_id.choices = _office_choices()
    if request.method == "GET" and user is not None:
        form.office_id.data = user.office_id or 0
        form.password.data = ""
    if form.validate_on_submit():
        try:
            user = operations.save_user(user, {**form.data, "office_id": form.office_id.data or None})
        except operations.AdminError as error:
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    query = request.args.get("village_query", "")[:80]
    results = find_regions(query, level=VILLAGE) if query and user and user.role == "leader" else []
    status = 422 if request.method == "POST" else 200
    return render_template("admin/user.html", form=form, user=user, query=query, results=results), status


@bp.post("/pengguna/<int:user_id>/desa")
@allow(ADMIN)
def leader_villages(user_id: int):
    """Add or remove a village a leader leads."""
    user = _get_or_404(User, user_id)
    _add_or_remove(operations.add_led_village, operations.remove_led_village, user)
    return redirect(url_for("admin.edit_user", user_id=user.id))


def _add_or_remove(add, remove, owner) -> None:
    """Add the posted region code to an owner's list or remove it, and tell the admin how it went."""
    code = request.form.get("code", "")[:13]
    try:
        (remove if request.form.get("action") == "remove" else add)(owner, code)
    except operations.AdminError as error:
        flash(str(ERRORS[str(error)]), "error")
    else:
        db.session.commit()
        flash(_("Saved."), "success")


@bp.get("/kantor")
@allow(ADMIN)
def offices():
    """List the immigration offices and the areas they cover."""
    found = db.session.scalars(db.select(Office).order_by(Office.name))
    return render_template("admin/offices.html", offices=list(found), form=OfficeForm())


@bp.route("/kantor/baru", methods=["POST"])
@bp.route("/kantor/<int:office_id>", methods=["GET", "POST"])
@allow(ADMIN)
def edit_office(office_id: int | None = None):
    """Create or rename an office, and show its area."""
    office = _get_or_404(Office, office_id) if office_id else None
    form = OfficeForm(obj=office)
    if form.validate_on_submit():
        try:
            office = operations.save_office(office, form.name.data)
        except operations.AdminError as error:
            flash(str(ERRORS[str(error)]), "error")
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("admin.edit_office", office_id=office.id))
    if office is None:
        return redirect(url_for("admin.offices"))
    query = request.args.get("regency_query", "")[:80]
    results = find_regions(query, level=REGENCY) if query else []
    status = 422 if request.method == "POST" else 200
    return render_template("admin/office.html", office=office, form=form, query=query, results=results), status


@bp.post("/kantor/<int:office_id>/wilayah")
@allow(ADMIN)
def office_regions(office_id: int):
    """Add or remove a regency or city from an office's area."""
    office = _get_or_404(Office, office_id)
    _add_or_remove(operations.add_office_region, operations.remove_office_region, office)
    return redirect(url_for("admin.edit_office", office_id=office.id))


@bp.route("/bahasa", methods=["GET", "POST"])
@allow(ADMIN)
def languages():
    """List content languages and add or change one, with its fallback chain."""
    form = LanguageForm()
    if form.validate_on_submit():
        operations.save_language(form.data)
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.languages"))
    found = db.session.scalars(db.select(Language).order_by(Language.position, Language.code))
    status = 422 if form.errors else 200
    return render_template("admin/languages.html", languages=list(found), form=form), status

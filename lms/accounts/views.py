"""Sign-up, sign-in, sign-out, and the person's own profile and data."""

import json

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from wtforms.fields import SelectChoice

from lms.access import ANYONE, ROLE_NAMES, SIGNED_IN, allow
from lms.accounts import operations
from lms.accounts.forms import DeleteAccountForm, ProfileForm, SignInForm, SignUpForm
from lms.extensions import db, limiter, login_manager
from lms.i18n import UI_LANGUAGE_NAMES, content_languages
from lms.regions.models import VILLAGE
from lms.regions.operations import find_regions, get_region

bp = Blueprint("accounts", __name__, url_prefix="/akun", template_folder="templates")


def init_app(app) -> None:
    """Connect Flask-Login to the server-side sessions."""
    login_manager.login_view = "accounts.sign_in"
    login_manager.session_protection = None  # the server-side session record is the protection
    login_manager.user_loader(operations.load_session_user)
    app.jinja_env.globals["role_names"] = ROLE_NAMES


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("core.home")


def _failed_sign_in(response) -> bool:
    """Count a sign-in attempt against the limits only when it did not succeed."""
    return response.status_code != 302


def _account_key() -> str:
    return "sign-in:" + operations.sign_in_key(request.form.get("identifier", ""))[:64]


@bp.route("/daftar", methods=["GET", "POST"])
@allow(ANYONE)
@limiter.limit(
    lambda: current_app.config["SIGN_UP_LIMIT_PER_ADDRESS"],
    methods=["POST"],
    deduct_when=lambda response: response.status_code == 302,
)
def sign_up():
    """Let a resident create an account after reading the consent text."""
    if current_user.is_authenticated:
        return redirect(url_for("core.home"))
    form = SignUpForm()
    query = request.form.get("village_query", "").strip()[:80]
    searching = request.form.get("action") == "search"
    status = 200
    if request.method == "POST" and not searching:
        if form.validate_on_submit():
            user = operations.create_user(
                name=form.name.data,
                password=form.password.data,
                username=form.username.data,
                phone=form.phone.data,
                village_code=form.village_code.data,
                language=session.get("language") or str(get_locale()),
                consent_version=current_app.config["CONSENT_VERSION"],
            )
            operations.start_session(user)
            db.session.commit()
            session.clear()
            login_user(user)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.name), "success")
            return redirect(url_for("core.home"))
        status = 422
    results = find_regions(query, level=VILLAGE) if query else []
    chosen = get_region(form.village_code.data, level=VILLAGE)
    page = render_template(
        "accounts/sign_up.html", form=form, query=query, results=results, chosen=chosen, searched=searching
    )
    return page, status


@bp.route("/masuk", methods=["GET", "POST"])
@allow(ANYONE)
@limiter.limit(
    lambda: current_app.config["SIGN_IN_LIMIT_PER_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed_sign_in,
)
@limiter.limit(lambda: current_app.config["SIGN_IN_LIMIT_PER_ADDRESS"], methods=["POST"], deduct_when=_failed_sign_in)
def sign_in():
    """Sign in with a phone number (any common form) or a username."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = SignInForm()
    if form.validate_on_submit():
        user = operations.authenticate(form.identifier.data, form.password.data)
        if user is not None:
            language = session.get("language")
            session.clear()  # a fresh session: nothing from before sign-in carries over
            operations.start_session(user)
            if language and not user.language:
                user.language = language
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("The number/username or the password is wrong."))
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/sign_in.html", form=form), status


@bp.post("/keluar")
@allow(ANYONE)
def sign_out():
    """End the session on the server and in the browser."""
    language = session.get("language")
    if current_user.is_authenticated:
        language = current_user.language or language
        operations.end_session(current_user.session_token)
        db.session.commit()
    logout_user()
    session.clear()
    if language:
        session["language"] = language  # the pages stay in the language the person chose
    flash(_("You have signed out."), "info")
    return redirect(url_for("core.home"))


@bp.route("/profil", methods=["GET", "POST"])
@allow(*SIGNED_IN)
def profile():
    """Show and change one's name and language."""
    form = ProfileForm(obj=current_user)
    form.language.choices = [SelectChoice(code, name) for code, name in _language_choices()]
    if form.validate_on_submit():
        current_user.name = form.name.data
        current_user.language = form.language.data
        db.session.commit()
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("accounts.profile"))
    return render_template("accounts/profile.html", form=form), (422 if form.errors else 200)


def _language_choices() -> list[tuple[str, str]]:
    """Return the languages a person may choose: the interface ones and every content language."""
    choices = dict(UI_LANGUAGE_NAMES)
    for code, name in content_languages():
        choices.setdefault(code, name)
    return list(choices.items())


@bp.get("/profil/data")
@allow(*SIGNED_IN)
def export_data():
    """Download everything held about oneself, as JSON."""
    data = operations.export_personal_data(current_user)
    body = json.dumps(data, ensure_ascii=False, indent=2)
    return current_app.response_class(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": "attachment; filename=data-saya-kelas-imigrasi.json"},
    )


@bp.route("/profil/hapus", methods=["GET", "POST"])
@allow(*SIGNED_IN)
def delete_account():
    """Delete one's own account after confirming with the password."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if operations.check_password(current_user, form.password.data):
            operations.delete_account(current_user._get_current_object())
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your account and your personal data have been deleted."), "info")
            return redirect(url_for("core.home"))
        form.password.errors.append(_("The password is wrong."))
    return render_template("accounts/delete.html", form=form), (422 if form.errors else 200)

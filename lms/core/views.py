"""Pages of the site as a whole: home, language switch, health, errors, security headers."""

import hashlib
import subprocess
from functools import lru_cache
from pathlib import Path

import flask
from flask import (
    Blueprint,
    abort,
    current_app,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from flask_wtf.form import _Auto, _is_submitted
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.datastructures import CombinedMultiDict, ImmutableMultiDict
from werkzeug.exceptions import HTTPException

from lms import jobs
from lms.access import ADMIN, ANYONE, LEADER, RESIDENT, STAFF, allow
from lms.core.stored_pages import stored
from lms.extensions import db
from lms.i18n import ui_locale_for

bp = Blueprint("core", __name__, template_folder="templates")

#: Errors of the Redis backends (rate limits, job queue): the page says "busy, try again" instead of a 500.
BACKEND_ERRORS = (RedisConnectionError, RedisTimeoutError)

#: Friendly titles and explanations for the errors a person may meet.
ERROR_PAGES = {
    400: (_l("Something in the request was not right"), _l("Please go back and try again.")),
    403: (_l("You may not open this page"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("The address may be mistyped, or the page was moved.")),
    405: (_l("This action is not possible here"), _l("Please go back and use the buttons on the page.")),
    413: (_l("The file is too large"), _l("Please choose a smaller file.")),
    422: (_l("Something in the form was not right"), _l("Please go back and check the form.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes, then try again.")),
    500: (_l("Something went wrong on our side"), _l("It is not your fault. Please try again in a moment.")),
    503: (_l("The service is busy"), _l("Please try again in a moment. Nothing you saved was lost.")),
}


class FieldsWithoutNul(ImmutableMultiDict):
    """Query and form fields as sent, less NUL bytes: nobody types one, and PostgreSQL refuses to store one."""

    def __init__(self, mapping=None):
        if mapping is not None and not isinstance(mapping, dict):
            mapping = [
                (name, value.replace("\x00", "") if isinstance(value, str) else value) for name, value in mapping
            ]
        super().__init__(mapping)


class Request(flask.Request):
    """A request whose query and form fields never carry a NUL byte to the database."""

    parameter_storage_class = FieldsWithoutNul


def init_app(app) -> None:
    """Install error pages, security headers and template helpers."""
    for code in ERROR_PAGES:
        app.register_error_handler(code, render_error)
    app.register_error_handler(CSRFError, render_csrf_error)
    app.register_error_handler(OperationalError, render_database_error)
    for error in BACKEND_ERRORS:
        app.register_error_handler(error, render_backend_error)
    FlaskForm.Meta.wrap_formdata = form_fields_only
    app.request_class = Request
    app.after_request(set_security_headers)
    app.jinja_env.globals["static_url"] = static_url
    app.jinja_env.globals["nav_items"] = nav_items


def render_error(error):
    """Render an HTTP error as a friendly page in the user's language."""
    code = error.code if isinstance(error, HTTPException) else 500
    if code not in ERROR_PAGES:
        code = 500
    title, advice = ERROR_PAGES[code]
    if request.accept_mimetypes.best == "application/json" or request.is_json:
        return jsonify(error=str(title), code=code), code
    return render_template("error.html", code=code, title=title, advice=advice), code


def render_csrf_error(error):
    """Explain an expired or missing form token without losing the person's place."""
    title = _("This form has expired")
    advice = _("Please go back, reload the page and send the form again.")
    if request.is_json:
        return jsonify(error=title, code=400), 400
    return render_template("error.html", code=400, title=title, advice=advice), 400


def form_fields_only(meta, form, formdata):
    """Give forms the posted fields and files only, never a JSON body."""
    # Flask-WTF would read JSON as fields, and a list, number or object there ends in a 500;
    # the views that take JSON (answer autosave, video position) read and check it themselves.
    if formdata is not _Auto:
        return formdata
    if not _is_submitted():
        return None
    if request.files:
        return CombinedMultiDict((request.files, request.form))
    return request.form or None


def render_backend_error(error):
    """Answer with 503 when Redis (rate limits, job queue) is unreachable, rather than a 500."""
    current_app.logger.warning("backend unavailable: %s", type(error).__name__)
    title, advice = ERROR_PAGES[503]
    if request.is_json:
        return jsonify(error=str(title), code=503), 503, {"Retry-After": "30"}
    return render_template("error.html", code=503, title=title, advice=advice), 503, {"Retry-After": "30"}


def render_database_error(error):
    """Answer with 503 when the database is locked or unreachable; the transaction is rolled back."""
    db.session.rollback()
    current_app.logger.warning("database unavailable: %s", type(error.orig).__name__ if error.orig else error)
    title, advice = ERROR_PAGES[503]
    if request.is_json:
        return jsonify(error=str(title), code=503), 503, {"Retry-After": "5"}
    page = render_template("error.html", code=503, title=title, advice=advice)
    return page, 503, {"Retry-After": "5"}


CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "font-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def set_security_headers(response):
    """Add the security headers to every response, errors and static files included."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config["HSTS_ENABLED"]:
        headers["Strict-Transport-Security"] = "max-age=63072000; includeSubDomains"
    if request.endpoint != "static" and "Cache-Control" not in headers:
        headers["Cache-Control"] = "private, no-cache" if current_user.is_authenticated else "no-cache"
    headers.add("Vary", "Cookie")
    return response


@lru_cache(maxsize=256)
def _static_hash(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


@lru_cache(maxsize=1024)
def _static_address(app_id: int, script_root: str, filename: str, mtime: float) -> str:
    # Built once per file version: every page asks for the stylesheet, and url_for is not free.
    path = Path(current_app.static_folder) / filename
    version = _static_hash(str(path), mtime) if mtime else "0"
    return url_for("static", filename=filename, v=version)


def static_url(filename: str) -> str:
    """Return a static file's URL carrying its content hash, so browsers may cache it for a year."""
    try:
        mtime = (Path(current_app.static_folder) / filename).stat().st_mtime
    except OSError:
        mtime = 0.0
    script_root = request.script_root if has_request_context() else ""
    return _static_address(id(current_app._get_current_object()), script_root, filename, mtime)


#: The main menu: endpoint, label, who sees it. Entries whose endpoint does not exist are left out.
NAV = (
    ("courses.catalogue", _l("Courses"), (ANYONE,)),
    ("progress.my_learning", _l("My learning"), (RESIDENT,)),
    ("progress.dashboard", _l("Village dashboard"), (LEADER,)),
    ("courses.manage", _l("Authoring"), STAFF),
    ("reports.office", _l("Reports"), STAFF),
    ("certificates.mine", _l("My certificates"), (RESIDENT,)),
    ("certificates.bulk", _l("Print certificates"), (LEADER, *STAFF)),
    ("certificates.index", _l("Certificates"), STAFF),
    ("certificates.lookup", _l("Check a certificate"), (ANYONE,)),
    ("admin.index", _l("Admin"), (ADMIN,)),
)


def nav_items() -> list[dict]:
    """Return the menu entries the current person may use."""
    role = current_user.role if current_user.is_authenticated else None
    entries = _nav_entries(id(current_app._get_current_object()), request.script_root, role)
    return [{"url": url, "label": label, "current": request.path == url} for url, label in entries]


@lru_cache(maxsize=64)
def _nav_entries(app_id: int, script_root: str, role: str | None) -> tuple:
    # The same for everyone of a role: built once, not with ten url_for calls on every page.
    return tuple(
        (url_for(endpoint), label)
        for endpoint, label, who in NAV
        if endpoint in current_app.view_functions and (ANYONE in who or role in who)
    )


@bp.get("/")
@allow(ANYONE)
@stored
def home():
    """Welcome page: what the site is, and where to start."""
    return render_template("core/home.html")


@bp.post("/bahasa")
@allow(ANYONE)
def set_language():
    """Switch the interface language; remembered on the account when signed in."""
    language = request.form.get("language", "")
    if ui_locale_for(language) is None:
        abort(400)
    session["language"] = language
    if current_user.is_authenticated:
        current_user.language = language
        db.session.commit()
    target = request.form.get("next", "")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        target = url_for("core.home")
    return redirect(target)


@lru_cache(maxsize=1)
def ffmpeg_state(binary: str) -> dict:
    """Report whether ffmpeg runs and its version."""
    try:
        output = subprocess.run([binary, "-version"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return {"ok": False, "found": False}
    first = output.splitlines()[0] if output else ""
    version = first.split(" ")[2] if first.startswith("ffmpeg version") else first
    return {"ok": bool(first), "found": True, "path": binary, "version": version}


def ffmpeg_binary() -> str:
    """Return the ffmpeg to use: the configured one, the system's, or the one shipped by imageio-ffmpeg."""
    import shutil

    configured = current_app.config.get("FFMPEG_BINARY")
    if configured:
        return configured
    system = shutil.which("ffmpeg")
    if system:
        return system
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


@bp.get("/healthz")
@allow(ANYONE)
def health():
    """Report the state of the database, the job queue and ffmpeg, as JSON."""
    try:
        db.session.execute(text("SELECT 1"))
        database = {"ok": True, "dialect": db.engine.dialect.name}
    except OperationalError as error:
        db.session.rollback()
        database = {"ok": False, "error": type(error.orig).__name__}
    state = {"database": database, "jobs": jobs.queue_state(), "ffmpeg": ffmpeg_state(ffmpeg_binary())}
    healthy = all(part["ok"] for part in state.values())
    state["status"] = "ok" if healthy else "degraded"
    return jsonify(state), (200 if healthy else 503)

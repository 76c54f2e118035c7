"""Certificate pages for everyone: public verification (online and offline), and holders' own certificates.

The pages for those who print and manage certificates are in :mod:`lms.certificates.staff`, on this blueprint.
"""

import hashlib
import json
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms import demo
from lms.access import ANYONE, SIGNED_IN, allow
from lms.accounts.operations import account_deleted
from lms.certificates import commands, models, operations, printing
from lms.certificates.forms import LookupForm
from lms.certificates.keys import published_keys
from lms.core.views import static_url
from lms.extensions import db, limiter

bp = Blueprint("certificates", __name__, template_folder="templates")

SERVICE_WORKER = Path(__file__).resolve().parent.parent / "static" / "js" / "verify-sw.js"
#: Verifies Ed25519 signatures on browsers whose WebCrypto lacks it; the offline checker loads it only there.
SIGNATURE_FALLBACK = "js/vendor/nacl-fast.min.js"
#: Why a token did not verify, in plain words.
TOKEN_PROBLEMS = {
    "malformed": _l("The code is incomplete or damaged. Scan the QR code again, or type the serial number instead."),
    "unknown_key": _l("The code was signed with a key Kelas Imigrasi does not know."),
    "bad_signature": _l("The code was changed after it was signed."),
}


def init_app(app) -> None:
    """Anonymise certificates on account deletion; add the key step to setup and the CLI commands."""
    account_deleted.connect(operations.on_account_deleted)
    if commands.create_first_key not in demo.SETUP_STEPS:
        demo.SETUP_STEPS.append(commands.create_first_key)
    app.cli.add_command(commands.certificates_cli)
    app.jinja_env.globals["print_status_names"] = staff.PRINT_STATUS_NAMES
    app.jinja_env.filters["certificate_date"] = lambda value: format_date(value, "long")


def _verify_limit() -> str:
    return current_app.config["VERIFY_LIMIT"]


#: One budget for every way of asking about a serial, so guessing cannot switch routes to go faster.
verify_limit = limiter.shared_limit(_verify_limit, scope="certificate-verify")


# --- Public verification -----------------------------------------------------------------------------


@bp.get("/verify")
@allow(ANYONE)
def lookup():
    """Check a certificate by the serial typed by hand, or by the address or code a QR code holds."""
    form = LookupForm(formdata=request.args if "q" in request.args else None)
    if "q" not in request.args:
        return render_template("certificates/lookup.html", form=form)
    if form.validate():
        found = operations.parse_lookup(form.q.data)
        if found is not None and found.serial:
            return redirect(url_for("certificates.verify", serial=found.serial, t=found.token))
        if found is not None:
            return redirect(url_for("certificates.verify_token", token=found.token))
        form.q.errors = [
            _("This is not a serial number. A serial number looks like KI-7H4-Q9M-XCE; check each letter.")
        ]
    return render_template("certificates/lookup.html", form=form), 422


def _render_verification(result: operations.Verification, serial: str | None = None):
    status = {operations.UNKNOWN: 404, operations.INVALID: 400}.get(result.outcome, 200)
    page = render_template(
        "certificates/verify.html",
        result=result,
        serial=serial,
        problem=TOKEN_PROBLEMS.get(result.reason or ""),
        form=LookupForm(formdata=None),
    )
    return page, status


@bp.get("/verify/<serial>")
@allow(ANYONE)
@verify_limit
def verify(serial: str):
    """Say whether a certificate is valid, revoked or unknown, with only what it states."""
    normalized = operations.normalize_serial(serial)
    token = request.args.get("t")
    if normalized is not None and normalized != serial:
        return redirect(url_for("certificates.verify", serial=normalized, t=token))
    if token is not None:
        result = operations.verify_certificate_token(token, serial=normalized or serial)
    else:
        result = operations.verify_serial(serial)
    return _render_verification(result, serial=normalized or serial[:40])


@bp.get("/v/<token>")
@allow(ANYONE)
@verify_limit
def verify_token(token: str):
    """Check the signed code of a certificate's QR code, then say what the certificate is now."""
    return _render_verification(operations.verify_certificate_token(token))


@bp.get("/verify/offline")
@allow(ANYONE)
def offline():
    """Check certificates' signatures in the browser, also without a connection once visited."""
    return render_template(
        "certificates/offline.html", form=LookupForm(formdata=None), fallback_url=static_url(SIGNATURE_FALLBACK)
    )


def _offline_urls() -> list[str]:
    return [
        url_for("certificates.offline"),
        static_url("app.css"),
        static_url("js/verify.js"),
        url_for("certificates.public_keys"),
        url_for("certificates.revocations"),
    ]


@bp.get("/verify/sw.js")
@allow(ANYONE)
def service_worker():
    """Serve the service worker that keeps the offline checker, its keys and revocations cached."""
    urls = _offline_urls()
    fallback = static_url(SIGNATURE_FALLBACK)
    source = SERVICE_WORKER.read_text(encoding="utf-8")
    version = hashlib.sha256((json.dumps([urls, fallback]) + source).encode()).hexdigest()[:12]
    body = (
        f"const PRECACHE = {json.dumps(urls)};\nconst FALLBACK = {json.dumps(fallback)};\n"
        f'const CACHE = "verify-{version}";\n{source}'
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/verify/revocations.json")
@allow(ANYONE)
def revocations():
    """List the revoked certificates with date and reason, for offline checking."""
    response = jsonify(operations.revocation_list())
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/.well-known/kelas-imigrasi-keys.json")
@allow(ANYONE)
def public_keys():
    """Publish the public keys that certificates are signed with, by key id."""
    response = jsonify(published_keys())
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


# --- A person's own certificates, and downloads ------------------------------------------------------


@bp.get("/sertifikat")
@allow(*SIGNED_IN)
def mine():
    """List one's own certificates to download or share."""
    return render_template("certificates/mine.html", certificates=operations.certificates_of(current_user))


def certificate_or_404(serial: str) -> models.Certificate:
    """Return the certificate with a serial, or answer 404."""
    certificate = operations.find_certificate(serial)
    if certificate is None:
        abort(404)
    return certificate


@bp.get("/sertifikat/<serial>.pdf")
@allow(*SIGNED_IN)
def download(serial: str):
    """Download a certificate as a PDF: its holder, the leader of their village, officers of the area, admins."""
    certificate = certificate_or_404(serial)
    if not operations.may_download(current_user, certificate):
        abort(404)
    pdf = printing.render_certificate(certificate)
    db.session.commit()  # a certificate anonymised without a key is signed on its first download
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{printing.pdf_filename(certificate)}"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


from lms.certificates import staff  # noqa: E402 - the printing and managing pages, on this blueprint

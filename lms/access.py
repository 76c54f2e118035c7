"""Who may use each view: every endpoint declares it, and one hook enforces it."""

from flask import abort, current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

ANYONE = "anyone"
RESIDENT = "resident"
LEADER = "leader"
OFFICER = "officer"
ADMIN = "admin"
ROLES = (RESIDENT, LEADER, OFFICER, ADMIN)
SIGNED_IN = ROLES
STAFF = (OFFICER, ADMIN)
#: What each role is called on the pages.
ROLE_NAMES = {
    RESIDENT: _l("Resident"),
    LEADER: _l("Community leader"),
    OFFICER: _l("Immigration officer"),
    ADMIN: _l("Admin"),
}


def allow(*who: str):
    """Declare who may use a view: ANYONE, or any of the roles."""
    if not who or any(w not in (ANYONE, *ROLES) for w in who):
        raise ValueError(f"allow() takes ANYONE or roles, not {who!r}")

    def decorate(view):
        view.allowed = frozenset(who)
        return view

    return decorate


def allowed_for(endpoint: str) -> frozenset | None:
    """Return who may use an endpoint, or None when it declares nothing."""
    if endpoint == "static":
        return frozenset({ANYONE})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "allowed", None)


def enforce_access():
    """Refuse a request its user may not make; a view that declares nothing is refused to all."""
    if request.endpoint is None:
        return None  # 404 and 405 are answered by their own handlers
    allowed = allowed_for(request.endpoint)
    if allowed is None:
        abort(403)
    if ANYONE in allowed:
        return None
    if not current_user.is_authenticated:
        return redirect(url_for("accounts.sign_in", next=request.full_path.rstrip("?")))
    if current_user.role not in allowed:
        abort(403)
    return None

"""Signing up, signing in and out, and a person's rights over their own data."""

import secrets
import unicodedata
from datetime import date, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from blinker import Namespace
from flask import current_app
from sqlalchemy import bindparam, delete, or_, select, update

from lms.access import RESIDENT
from lms.accounts.models import SignedInUser, User, UserSession
from lms.clock import utcnow
from lms.core.stored_pages import CHANGES_PEOPLE
from lms.extensions import db

#: Sent after an account's personal data is removed, so each domain can anonymise its own records.
account_deleted = Namespace().signal("account-deleted")
DELETED_NAME = "—"
#: Columns never included in a data export.
SECRET_COLUMNS = {"password_hash", "token"}


def normalize_phone(text: str | None) -> str | None:
    """Return an Indonesian mobile number in E.164 form (+628…), or None when it is not one."""
    if not text:
        return None
    cleaned = "".join(ch for ch in unicodedata.normalize("NFKC", text) if not ch.isspace())
    if len(cleaned) > 24:
        return None
    from lokal.phone import parse_phone

    info = parse_phone(cleaned)
    if not info.valid or info.type != "mobile":
        return None
    return info.e164


def normalize_username(text: str | None) -> str:
    """Fold a username for storage and comparison: trimmed, lower case, no inner spaces."""
    # NFKC again after casefold: folding can leave decomposed letters ("K¸" → "k" + U+0327), and the
    # same name must give the same key however it was typed, for look-up and for the sign-in limit.
    return unicodedata.normalize("NFKC", "".join(unicodedata.normalize("NFKC", text or "").split()).casefold())


def sign_in_key(identifier: str | None) -> str:
    """Return the account an identifier names, however it was typed: for rate limits and look-up."""
    phone = normalize_phone(identifier)
    return phone or normalize_username(identifier)


def _hasher() -> PasswordHasher:
    """Return the app's Argon2id hasher, with the cost the configuration sets."""
    hasher = current_app.extensions.get("password_hasher")
    if hasher is None:
        hasher = PasswordHasher(**current_app.config["PASSWORD_HASH_COST"])
        current_app.extensions["password_hasher"] = hasher
    return hasher


def hash_password(password: str) -> str:
    """Hash a password with Argon2id."""
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    """Tell whether the password is the user's."""
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user(identifier: str | None) -> User | None:
    """Find the account a phone number or username names."""
    key = sign_in_key(identifier)
    if not key:
        return None
    return db.session.scalar(select(User).where(or_(User.phone == key, User.username == key)))


def create_user(
    *,
    name: str,
    password: str,
    username: str | None = None,
    phone: str | None = None,
    role: str = RESIDENT,
    village_code: str | None = None,
    office_id: int | None = None,
    language: str | None = None,
    consent_version: str | None = None,
    is_assisted: bool = False,
) -> User:
    """Create an account; the caller has validated the fields."""
    user = User(
        name=name.strip(),
        username=normalize_username(username) or None,
        phone=normalize_phone(phone),
        password_hash=hash_password(password),
        role=role,
        village_code=village_code,
        office_id=office_id,
        language=language,
        consent_version=consent_version,
        consent_dt=utcnow() if consent_version else None,
        is_assisted=is_assisted,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(identifier: str, password: str) -> User | None:
    """Return the active account matching the credentials, or None."""
    user = find_user(identifier)
    if user is None:
        _hasher().hash(password)  # spend the same time, so timing does not tell which accounts exist
        return None
    if not user.is_active or not check_password(user, password):
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def start_session(user: User) -> str:
    """Open a server-side session for a user and return its token."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token=token, user_id=user.id))
    user.session_token = token
    user.last_active_dt = utcnow()
    return token


def end_session(token: str | None) -> None:
    """Close a session so its cookie is worthless."""
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token == token))


#: The account and times of a session token: what every signed-in request checks, and the page language.
_SESSION_CHECK = (
    select(
        User.id,
        User.role,
        User.language,
        User.is_active,
        UserSession.created_dt,
        UserSession.last_seen_dt,
    )
    .join(UserSession, UserSession.user_id == User.id)
    .where(UserSession.token == bindparam("token"))
)


def load_session_user(token: str) -> SignedInUser | None:
    """Return who a live session belongs to, closing it when idle or too old: one light query on every signed-in
    request, on the session's connection (the ORM would build a `User` the request may never need)."""
    found = db.session.connection().execute(_SESSION_CHECK, {"token": token}).first()
    if found is None:
        return None
    user_id, role, language, is_active, created_dt, last_seen_dt = found
    now = utcnow()
    config = current_app.config
    idle = timedelta(minutes=config["SESSION_IDLE_MINUTES"])
    absolute = timedelta(days=config["SESSION_ABSOLUTE_DAYS"])
    if now - last_seen_dt > idle or now - created_dt > absolute or not is_active:
        end_session(token)
        db.session.commit()
        return None
    if now - last_seen_dt > timedelta(minutes=5):  # one write every few minutes, not every request
        db.session.execute(update(UserSession).where(UserSession.token == token).values(last_seen_dt=now))
        db.session.execute(
            update(User).where(User.id == user_id).values(last_active_dt=now),
            execution_options={CHANGES_PEOPLE: (user_id,)},
        )
        db.session.commit()
    return SignedInUser(user_id, role, language, token)


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def export_personal_data(user: User) -> dict:
    """Collect every record that refers to a person, table by table, as plain JSON data."""
    data: dict[str, list[dict]] = {}
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if any(fk.column.table.name == "users" for fk in c.foreign_keys)]
        if table.name == "users":
            columns = [table.c.id]
        for column in columns:
            rows = db.session.execute(select(table).where(column == user.id)).mappings().all()
            for row in rows:
                record = {k: _plain(v) for k, v in row.items() if k not in SECRET_COLUMNS}
                data.setdefault(table.name, []).append(record)
    return {"exported_at": utcnow().isoformat() + "Z", "tables": data}


def delete_account(user: User) -> None:
    """Remove a person's personal data at their request; records that must stay are anonymised."""
    account_deleted.send(current_app._get_current_object(), user=user)
    db.session.execute(delete(UserSession).where(UserSession.user_id == user.id))
    user.name = DELETED_NAME
    user.username = None
    user.phone = None
    user.village_code = None
    user.language = None
    user.password_hash = "!"  # noqa: S105 - matches no password
    user.is_deleted = True
    user.led_villages = []
    db.session.flush()

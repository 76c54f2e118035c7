"""What an admin changes: people's roles and places, offices' areas, languages."""

from sqlalchemy import func, or_, select

from lms.access import LEADER, OFFICER, RESIDENT
from lms.accounts.models import User
from lms.accounts.operations import hash_password, normalize_phone, normalize_username
from lms.core.models import Language
from lms.extensions import db
from lms.regions.models import REGENCY, VILLAGE, Office
from lms.regions.operations import get_region


class AdminError(ValueError):
    """A change the admin asked for that cannot be made; the message is shown to them."""


def find_users(query: str = "", role: str | None = None, page: int = 1, per_page: int = 50):
    """Return a page of accounts matching a name, username or phone, and the total."""
    statement = select(User).where(User.is_deleted.is_(False))
    if role:
        statement = statement.where(User.role == role)
    query = query.strip()
    if query:
        like = f"%{query.lower()}%"
        phone = normalize_phone(query)
        statement = statement.where(
            or_(func.lower(User.name).like(like), User.username.like(like), User.phone == (phone or query))
        )
    total = db.session.scalar(select(func.count()).select_from(statement.subquery()))
    users = db.session.scalars(statement.order_by(User.name, User.id).limit(per_page).offset((page - 1) * per_page))
    return list(users), total


def save_user(user: User | None, data: dict) -> User:
    """Create or update an account from the admin's form; refuses duplicates and bad places."""
    username = normalize_username(data.get("username")) or None
    phone = normalize_phone(data.get("phone")) if data.get("phone") else None
    for column, value in ((User.username, username), (User.phone, phone)):
        if value is None:
            continue
        other = db.session.scalar(select(User.id).where(column == value))
        if other is not None and (user is None or other != user.id):
            raise AdminError("taken")
    village_code = (data.get("village_code") or "").strip() or None
    if village_code and get_region(village_code, level=VILLAGE) is None:
        raise AdminError("village")
    office_id = data.get("office_id") or None
    if data["role"] == OFFICER and office_id is None:
        raise AdminError("office")
    if user is None:
        if not data.get("password"):
            raise AdminError("password")
        user = User(password_hash=hash_password(data["password"]))
        db.session.add(user)
    elif data.get("password"):
        user.password_hash = hash_password(data["password"])
    user.name = data["name"]
    user.username = username
    user.phone = phone
    user.role = data["role"]
    user.office_id = office_id if data["role"] == OFFICER else None
    user.village_code = village_code
    user.is_disabled = bool(data.get("is_disabled"))
    if user.role != LEADER:
        user.led_villages = []
    db.session.flush()
    return user


def add_led_village(user: User, code: str) -> None:
    """Let a leader lead one more village."""
    village = get_region(code, level=VILLAGE)
    if village is None:
        raise AdminError("village")
    if user.role != LEADER:
        raise AdminError("not_leader")
    if village not in user.led_villages:
        user.led_villages.append(village)


def remove_led_village(user: User, code: str) -> None:
    """Stop a leader leading a village."""
    user.led_villages = [v for v in user.led_villages if v.code != code]


def add_office_region(office: Office, code: str) -> None:
    """Extend an office's area by a regency or city."""
    regency = get_region(code, level=REGENCY)
    if regency is None:
        raise AdminError("regency")
    if regency not in office.regions:
        office.regions.append(regency)


def remove_office_region(office: Office, code: str) -> None:
    """Take a regency or city out of an office's area."""
    office.regions = [r for r in office.regions if r.code != code]


def save_office(office: Office | None, name: str) -> Office:
    """Create or rename an office; names are unique."""
    other = db.session.scalar(select(Office.id).where(func.lower(Office.name) == name.strip().lower()))
    if other is not None and (office is None or other != office.id):
        raise AdminError("office_taken")
    if office is None:
        office = Office(name=name.strip())
        db.session.add(office)
    office.name = name.strip()
    db.session.flush()
    return office


def save_language(data: dict) -> Language:
    """Create or update a content language and its fallback chain."""
    language = db.session.get(Language, data["code"]) or Language(code=data["code"])
    language.name = data["name"].strip()
    language.fallbacks = data["fallbacks"]
    language.is_enabled = bool(data["is_enabled"])
    db.session.add(language)
    db.session.flush()
    return language


def counts() -> dict:
    """Return how many people of each role there are, and how many offices."""
    rows = db.session.execute(
        select(User.role, func.count()).where(User.is_deleted.is_(False)).group_by(User.role)
    ).all()
    result = {RESIDENT: 0, LEADER: 0, OFFICER: 0, "admin": 0}
    result.update(dict(rows))
    result["offices"] = db.session.scalar(select(func.count(Office.id)))
    return result

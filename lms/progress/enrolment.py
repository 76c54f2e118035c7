"""Assisted enrolment: a leader adds a villager who has no phone of their own and prints them a sign-in card.

The villager's account gets a generated username and a short password that is shown once, on the
card; only its hash is stored. A lost card is replaced by printing a new one (a new password).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.accounts.operations import create_user, hash_password, normalize_phone
from lms.extensions import db
from lms.progress.completion import enrol
from lms.progress.models import LEADER as VIA_LEADER

#: Stored as the password hash of an account whose card was not printed yet: it matches no password.
NO_PASSWORD = "!"  # noqa: S105 - a marker, not a password
#: Letters of generated passwords: no look-alikes (no o/0, l/1, i) and easy to type on any keyboard.
CONSONANTS = "bdfghjkmnprstw"
VOWELS = "aeu"
#: Most cards printed in one go (each needs a password hash, which takes a moment on purpose).
CARDS_PER_PRINT = 30


class EnrolmentError(Exception):
    """A villager who cannot be added as asked; the message is a code the form explains."""


def new_password() -> str:
    """Return a short password that is easy to read from a card and type: two syllables, a dash, four digits."""
    syllables = "".join(secrets.choice(CONSONANTS) + secrets.choice(VOWELS) for _ in range(2))
    return f"{syllables}-{secrets.randbelow(10000):04d}"


def username_stem(name: str) -> str:
    """Return the first name folded to plain lower-case letters, for a generated username."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = ["".join(ch for ch in word if ch.isalnum()) for word in folded.split()]
    stem = next((word for word in words if len(word) >= 2), "")
    return stem[:12] or "warga"


def free_usernames(names: list[str]) -> list[str]:
    """Return a free username for each name ("siti.4821"), unique among themselves and in the database."""
    taken: set[str] = set()
    pending = list(range(len(names)))
    result = [""] * len(names)
    while pending:
        candidates = {index: f"{username_stem(names[index])}.{secrets.randbelow(10000):04d}" for index in pending}
        wanted = set(candidates.values())
        in_use = set()
        values = sorted(wanted)
        for start in range(0, len(values), 500):
            chunk = values[start : start + 500]
            in_use |= set(db.session.scalars(select(User.username).where(User.username.in_(chunk))))
        pending = []
        for index, candidate in candidates.items():
            if candidate in in_use or candidate in taken:
                pending.append(index)  # draw again
            else:
                taken.add(candidate)
                result[index] = candidate
    return result


def leads(leader, village_code: str | None) -> bool:
    """Tell whether a leader leads a village."""
    return bool(village_code) and any(village.code == village_code for village in leader.led_villages)


@dataclass
class Card:
    """What a sign-in card shows; the password exists only here, never stored."""

    user_id: int
    name: str
    username: str
    password: str
    village_name: str


def add_villager(leader, *, name: str, phone: str | None, village_code: str, course_id: int | None) -> Card:
    """Create an assisted villager's account in a village the leader leads, enrol them, and return their card."""
    if not leads(leader, village_code):
        raise EnrolmentError("not_your_village")
    normalized = normalize_phone(phone) if phone else None
    if phone and normalized is None:
        raise EnrolmentError("phone_invalid")
    if normalized and db.session.scalar(select(User.id).where(User.phone == normalized)):
        raise EnrolmentError("phone_taken")
    password = new_password()
    user = create_user(
        name=name,
        password=password,
        username=free_usernames([name])[0],
        phone=normalized,
        role=RESIDENT,
        village_code=village_code,
        language="id",
        consent_version=current_app.config["CONSENT_VERSION"],
        is_assisted=True,
    )
    if course_id:
        enrol(user.id, course_id, via=VIA_LEADER, by_id=leader.id)
    return Card(user.id, user.name, user.username, password, user.village.name if user.village else "")


def managed_villagers(leader, user_ids=None) -> list[User]:
    """Return the assisted villagers of the villages the leader leads: all of them, or those among some ids."""
    codes = [village.code for village in leader.led_villages]
    if not codes:
        return []
    query = select(User).where(User.is_assisted, ~User.is_deleted, User.role == RESIDENT, User.village_code.in_(codes))
    if user_ids is not None:
        query = query.where(User.id.in_(list(user_ids)))
    return list(db.session.scalars(query.order_by(User.name, User.id)))


def print_cards(leader, user_ids) -> list[Card]:
    """Give assisted villagers of the leader's villages new passwords and return their cards (at most a batch)."""
    cards = []
    for user in managed_villagers(leader, list(user_ids)[: CARDS_PER_PRINT * 2])[:CARDS_PER_PRINT]:
        password = new_password()
        user.password_hash = hash_password(password)
        cards.append(Card(user.id, user.name, user.username or user.phone or "", password, user.village.name))
    db.session.flush()
    return cards


def villagers_without_card(leader, limit: int = CARDS_PER_PRINT) -> tuple[list[int], int]:
    """Return the first assisted villagers whose card was never printed, and how many there are."""
    codes = [village.code for village in leader.led_villages]
    condition = User.is_assisted & ~User.is_deleted & (User.password_hash == NO_PASSWORD) & User.village_code.in_(codes)
    total = db.session.scalar(select(func.count()).where(condition)) or 0
    if not limit or not total:
        return [], total
    ids = list(db.session.scalars(select(User.id).where(condition).order_by(User.name, User.id).limit(limit)))
    return ids, total


def new_token() -> str:
    """Return a fresh idempotency token for a form: the same token sent twice adds one villager."""
    return secrets.token_urlsafe(18)

"""People who use Kelas Imigrasi and their sign-in sessions."""

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Column, ForeignKey, Integer, String, Table, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.access import RESIDENT
from lms.clock import utcnow
from lms.extensions import db
from lms.regions.models import Office, Region

leader_villages = Table(
    "leader_villages",
    db.metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", String(13), ForeignKey("regions.code"), primary_key=True),
)


class User(UserMixin, db.Model):
    """A resident, community leader, immigration officer or admin."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Lower-case sign-in name; optional when a phone number is given.
    username: Mapped[str | None] = mapped_column(String(30), unique=True)
    #: Mobile number in E.164 form (+628…); optional when a username is given.
    phone: Mapped[str | None] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10), default=RESIDENT, index=True)
    #: Where a resident lives.
    village_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    #: The immigration office an officer works for.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    #: Preferred language, a BCP-47 tag; the interface falls back to Indonesian where it has no catalog.
    language: Mapped[str | None] = mapped_column(String(20))
    #: Version of the consent text the person agreed to, and when.
    consent_version: Mapped[str | None] = mapped_column(String(20))
    consent_dt: Mapped[datetime | None]
    #: Enrolled by a leader on behalf of someone without a phone.
    is_assisted: Mapped[bool] = mapped_column(default=False)
    is_disabled: Mapped[bool] = mapped_column(default=False)
    #: Personal data removed at the owner's request; the row stays so records keep their shape.
    is_deleted: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_active_dt: Mapped[datetime | None]

    village: Mapped[Region | None] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship()
    led_villages: Mapped[list[Region]] = relationship(secondary=leader_villages, order_by=Region.code)

    #: The server-side session this user object was loaded for (not a column).
    session_token = None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

    def get_id(self) -> str | None:
        """Return the session token Flask-Login keeps in the cookie."""
        return self.session_token

    @hybrid_property
    def is_active(self) -> bool:
        return not (self.is_disabled or self.is_deleted)

    @is_active.inplace.expression
    @classmethod
    def _is_active_expression(cls):
        return and_(cls.is_disabled.is_(False), cls.is_deleted.is_(False))

    @property
    def sign_in_name(self) -> str:
        """Return what the person signs in with."""
        return self.username or self.phone or ""


class SignedInUser:
    """The person a request's session belongs to: what the session check read (id, role, language), and the whole
    account (the `User`) loaded on first use of anything else. Saving a quiz answer or choosing the page language
    needs no more; a page showing the person's name pays one query more. Writes go to the account too."""

    __slots__ = ("id", "role", "language", "session_token", "_account")
    is_authenticated = True
    is_active = True  # the session check lets no switched-off account through
    is_anonymous = False

    def __init__(self, user_id: int, role: str, language: str | None, session_token: str) -> None:
        for name, value in zip(self.__slots__, (user_id, role, language, session_token, None), strict=True):
            object.__setattr__(self, name, value)

    @property
    def account(self) -> User:
        account = self._account
        if account is None or account not in db.session:
            account = db.session.get(User, self.id)
            if account is None:
                raise LookupError(f"the account of session user {self.id} is gone")
            account.session_token = self.session_token
            object.__setattr__(self, "_account", account)
        return account

    def get_id(self) -> str:
        """Return the session token Flask-Login keeps in the cookie."""
        return self.session_token

    def __getattr__(self, name: str):
        return getattr(self.account, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self.account, name, value)
        if name in self.__slots__:
            object.__setattr__(self, name, value)

    def __eq__(self, other) -> bool:
        if isinstance(other, SignedInUser):
            return other.id == self.id
        return self.account is other

    def __hash__(self) -> int:
        return hash(self.account)

    def __repr__(self) -> str:
        return f"<SignedInUser {self.id} {self.role}>"


class UserSession(db.Model):
    """A signed-in browser: its token lives in the cookie, so signing out ends it for good."""

    __tablename__ = "user_sessions"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_dt: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<UserSession of {self.user_id}>"

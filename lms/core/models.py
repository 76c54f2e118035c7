"""Records the application itself keeps."""

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from lms.clock import utcnow
from lms.extensions import db


class JobPing(db.Model):
    """A note written by the ping job: proves a worker ran it."""

    __tablename__ = "job_pings"

    id: Mapped[int] = mapped_column(primary_key=True)
    note: Mapped[str] = mapped_column(String(100))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<JobPing {self.note!r}>"


class Language(db.Model):
    """A language content can be written in: a BCP-47 tag, its own name and its fallback chain."""

    __tablename__ = "languages"

    code: Mapped[str] = mapped_column(String(20), primary_key=True)
    #: The language's name in itself ("Basa Jawa").
    name: Mapped[str] = mapped_column(String(60))
    #: Space-separated tags tried in turn when a text is missing, e.g. "id en".
    fallbacks: Mapped[str] = mapped_column(String(100), default="id en")
    is_enabled: Mapped[bool] = mapped_column(default=True)
    position: Mapped[int] = mapped_column(default=100)

    def __repr__(self) -> str:
        return f"<Language {self.code}>"

    @property
    def chain(self) -> list[str]:
        """Return the tags to try for a text: this language, then its fallbacks, without repeats."""
        chain: list[str] = []
        for tag in [self.code, *self.fallbacks.split()]:
            if tag not in chain:
                chain.append(tag)
        return chain


class ContentVersion(db.Model):
    """A stamp per kind of content, changed in the same transaction as the content, so caches can tell they are old."""

    __tablename__ = "content_versions"

    #: Which content the stamp covers, e.g. "courses".
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    #: A random value written on every change; random rather than counted, so an emptied table never repeats one.
    stamp: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<ContentVersion {self.name} {self.stamp}>"


class ChangeStamp(db.Model):
    """A stamp per person and per village, changed in the same transaction as anything recorded for them, so a
    page kept for a reader (lms.core.stored_pages) can tell it is old: "person:12", "village:16.03.04.2001"."""

    __tablename__ = "change_stamps"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    stamp: Mapped[str] = mapped_column(String(32))

    def __repr__(self) -> str:
        return f"<ChangeStamp {self.name} {self.stamp}>"

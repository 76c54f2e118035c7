"""Content versions: a stamp that changes with every write to watched tables, and caches kept per stamp.

A cache kept in one process (one gunicorn worker) stays right across many processes: each request
reads the stamp (one small query) and a cache whose stamp differs is dropped. The stamp is written
in the same transaction as the change, so once an officer's publication is committed, no reader
anywhere is served what was there before. Writes through the ORM (objects or statements) are seen;
SQL written as plain text is not.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Hashable
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from lms.core.models import ContentVersion
from lms.extensions import db, listen_to_sessions

#: Stamp name -> names of the tables whose changes change it.
WATCHED: dict[str, set[str]] = {}
#: Every stamp at once: a page that uses several caches asks the database one question, not one per cache.
_READ_STAMPS = select(ContentVersion.name, ContentVersion.stamp)
#: Where a session keeps the stamps it has read, so a request reads them once.
_SESSION_KEY = "content_stamps"


def watch(name: str, *models) -> None:
    """Change the stamp `name` whenever one of these models' tables is written to."""
    WATCHED.setdefault(name, set()).update(model.__table__.name for model in models)
    listen_to_sessions(("after_flush", _after_flush), ("do_orm_execute", _before_statement))


def current_stamp(name: str) -> str | None:
    """Return the stamp of some content as this request's transaction sees it; None before any change."""
    session = db.session()
    stamps = session.info.get(_SESSION_KEY)
    if stamps is None:
        stamps = session.info[_SESSION_KEY] = dict(session.execute(_READ_STAMPS).all())
    return stamps.get(name)


def remember_stamps(stamps: dict[str, str]) -> None:
    """Keep stamps this request's transaction has read already, so current_stamp() does not read them again."""
    db.session().info[_SESSION_KEY] = stamps


def is_watched(table_name: str) -> bool:
    """Tell whether a write to a table changes a content stamp."""
    return any(table_name in watched for watched in WATCHED.values())


def _names_for(tables: set[str]) -> list[str]:
    return sorted(name for name, watched in WATCHED.items() if watched & tables)


def _after_flush(session, flush_context) -> None:
    changed = {
        type(instance).__table__.name
        for instance in (*session.new, *session.dirty, *session.deleted)
        if hasattr(type(instance), "__table__")
    }
    renew(session, _names_for(changed))


def _before_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if table is not None and getattr(table, "name", None) != ContentVersion.__tablename__:
        renew(state.session, _names_for({table.name}))


def renew(session, names: list[str]) -> None:
    """Write a new stamp for each name, in the session's transaction."""
    if not names:
        return
    connection = session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for name in names:
        stamp = secrets.token_hex(16)
        statement = insert(ContentVersion).values(name=name, stamp=stamp)
        connection.execute(statement.on_conflict_do_update(index_elements=["name"], set_={"stamp": stamp}))
    session.info.pop(_SESSION_KEY, None)


class VersionedCache:
    """Values built from watched content, kept in this process while the content's stamp stays the same."""

    def __init__(self, name: str, max_entries: int = 2048) -> None:
        self.name = name
        self.max_entries = max_entries
        self._stamp: str | None = None
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, build: Callable[[], Any]) -> Any:
        """Return the value kept for a key under the current stamp, building and keeping it when missing."""
        stamp = current_stamp(self.name)
        if stamp is None:  # nothing written yet since the table was made: build every time
            return build()
        with self._lock:
            if self._stamp == stamp and key in self._values:
                return self._values[key]
        value = build()
        with self._lock:
            if self._stamp != stamp or len(self._values) >= self.max_entries:
                self._stamp, self._values = stamp, {}
            self._values[key] = value
        return value

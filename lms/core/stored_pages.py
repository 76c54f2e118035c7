"""Stored pages: a page kept as it was sent, and sent again while nothing it shows has changed.

A resident goes back and forth between the catalogue, a course and its lessons, and asks for the same
pages again and again. A view marked @stored has its response kept in this process (one gunicorn
worker), under everything in the request the page can depend on: the address, the cookies (so the
person and their session), the languages and encodings the browser accepts, its user agent and its
address. The kept page is sent again without running the application while

- every content stamp (lms.core.versions) is the same: no officer changed a course, video or question;
- the person's stamp is the same: nothing recorded for them changed (progress, enrolment, attempts,
  ratings, questions, their account); every write through the ORM to a row that points at a person
  changes that person's stamp and their village's with the same transaction (renew_people); a page
  that shows a village (the leader's dashboard) depends on the village's stamp too (depend_on), and
  every page on the PEOPLE stamp, which statements writing rows of people they cannot name change;
- their server-side session still exists, so signing out (here or everywhere) ends it at once;
- it is younger than STORED_PAGE_SECONDS, which bounds what no stamp sees (the clock, a session's idle time).

Telling all this takes one small query. A response that is not a 200 or sets a cookie (a flashed
message shown, a session changed) is never kept. As with the content stamps, SQL written as plain
text is not seen.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import bindparam, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from lms.accounts.models import User
from lms.core import versions
from lms.core.models import ChangeStamp, ContentVersion
from lms.extensions import db, listen_to_sessions

#: The stamp every stored page depends on, changed by statements that write rows of people without naming each
#: (imports, deletions).
PEOPLE = "people"
log = logging.getLogger(__name__)
#: What in a request a page may depend on: the address, who asks (the cookies), in which language, from what.
KEY_FIELDS = (
    "SCRIPT_NAME",
    "PATH_INFO",
    "QUERY_STRING",
    "HTTP_COOKIE",
    "HTTP_HOST",
    "wsgi.url_scheme",
    "HTTP_ACCEPT",
    "HTTP_ACCEPT_ENCODING",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_USER_AGENT",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_X_FORWARDED_PROTO",
    "REMOTE_ADDR",
)
#: Execution option of a statement that writes rows of people: the ids of the people it changes, so their
#: stamps change instead of the PEOPLE stamp every stored page depends on (an empty tuple: nobody's pages).
CHANGES_PEOPLE = "changes_people"
#: Execution options of a statement that changes nothing a stored page shows of anyone (a job's progress row).
NOBODY = {CHANGES_PEOPLE: ()}
#: Where a marked view leaves, for the store, the stamps it read before reading anything else.
_MARK = "kelas.stored_page"
#: Tables a statement writes (not row by row) without changing the PEOPLE stamp: the session check covers them.
_UNWATCHED_TABLES = {"user_sessions", ChangeStamp.__tablename__, ContentVersion.__tablename__}
#: Where a transaction keeps the stamps it changes (on PostgreSQL, to write once it commits), and its database.
_PENDING_KEY, _ENGINE_KEY = "change_stamps_pending", "change_stamps_engine"


def person(user_id: int) -> str:
    return f"person:{user_id}"


def village(code: str) -> str:
    return f"village:{code}"


@lru_cache(maxsize=64)
def stamps_sql(paramstyle: str, names: int) -> str:
    """Every stamp a stored page depends on, in one query: the contents', its own (persons, villages), the session's."""
    mark = "?" if paramstyle == "qmark" else "%s"
    listed = ", ".join([mark] * names) if names else "NULL"
    # Only placeholders are joined in; the names and the token go as parameters.
    own = f"SELECT name, stamp FROM change_stamps WHERE name IN ({listed})"  # noqa: S608
    session = f"SELECT 'session', '' FROM user_sessions WHERE token = {mark}"  # noqa: S608
    return f"SELECT name, stamp FROM content_versions UNION ALL {own} UNION ALL {session}"  # noqa: S608


@dataclass(frozen=True)
class Mark:
    """What a stored page depends on, and the stamps read before the view read anything else."""

    names: tuple[str, ...]
    token: str | None
    stamps: frozenset


def stored(view):
    """Keep this view's page for whoever asks while nothing it shows changes (see the module)."""

    @wraps(view)
    def keep_when_asked(*args, **kwargs):
        if request.method == "GET" and current_app.config.get("STORED_PAGES_BYTES"):
            signed_in = current_user.is_authenticated
            names = (PEOPLE, person(current_user.id)) if signed_in else (PEOPLE,)
            _read_stamps(names, current_user.session_token if signed_in else None)
        return view(*args, **kwargs)

    return keep_when_asked


def depend_on(*names: str) -> None:
    """Let the page being stored depend on more stamps (village(code)); call before reading what they cover."""
    mark = request.environ.get(_MARK)
    if mark is not None:
        _read_stamps(tuple(dict.fromkeys(mark.names + names)), mark.token)


def _read_stamps(names: tuple[str, ...], token: str | None) -> None:
    connection = db.session.connection()
    sql = stamps_sql(connection.dialect.paramstyle, len(names))
    stamps = frozenset(tuple(row) for row in connection.exec_driver_sql(sql, (*names, token)))
    versions.remember_stamps({name: stamp for name, stamp in stamps if name not in names and name != "session"})
    request.environ[_MARK] = Mark(names, token, stamps)


@dataclass(frozen=True)
class _Page:
    status: str
    headers: tuple
    body: bytes
    mark: Mark
    kept_at: float


class PageStore:
    """WSGI middleware keeping marked pages per request key, at most STORED_PAGES_BYTES of them in this process;
    the pages asked for least recently go first."""

    def __init__(self, app, wsgi_app) -> None:
        self.app, self.wsgi_app = app, wsgi_app
        self.max_bytes = int(app.config.get("STORED_PAGES_BYTES", 0))
        self.max_age = float(app.config.get("STORED_PAGE_SECONDS", 60))
        self.kept_bytes = 0
        self._pages: OrderedDict[tuple, _Page] = OrderedDict()
        self._lock = threading.Lock()
        self._engine = None

    def __call__(self, environ, start_response):
        if not self.max_bytes or environ.get("REQUEST_METHOD") != "GET":
            return self.wsgi_app(environ, start_response)
        key = tuple(environ.get(name) for name in KEY_FIELDS)
        page = self._find(key)
        if page is not None:
            start_response(page.status, list(page.headers))
            return [page.body]
        return self._render(key, environ, start_response)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.kept_bytes = 0

    def __len__(self) -> int:
        return len(self._pages)

    def _find(self, key: tuple) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
        if page is None:
            return None
        if time.monotonic() - page.kept_at > self.max_age or self._current_stamps(page.mark) != page.mark.stamps:
            with self._lock:
                if self._pages.get(key) is page:
                    del self._pages[key]
                    self.kept_bytes -= len(page.body)
            return None
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
        return page

    def _current_stamps(self, mark: Mark) -> frozenset | None:
        """Read the stamps with the database driver itself: no application context, no ORM session."""
        if self._engine is None:
            with self.app.app_context():
                self._engine = db.engine
        try:
            connection = self._engine.raw_connection()
        except Exception:  # noqa: BLE001 - no database: let the application answer, as it would
            return None
        try:
            cursor = connection.cursor()
            cursor.execute(stamps_sql(self._engine.dialect.paramstyle, len(mark.names)), (*mark.names, mark.token))
            rows = frozenset(tuple(row) for row in cursor.fetchall())
            cursor.close()
        except Exception:  # noqa: BLE001 - a failed check is a miss, never an error of its own
            rows = None
        finally:
            connection.close()
        return rows

    def _render(self, key: tuple, environ, start_response):
        answered: list = []

        def keep_answer(status, headers, exc_info=None):
            answered[:] = [status, headers]
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, keep_answer)
        mark = environ.get(_MARK)
        if mark is None or not answered or not answered[0].startswith("200 "):
            return body
        if any(name.lower() == "set-cookie" for name, _ in answered[1]):
            return body
        try:
            content = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        headers = tuple((name, value) for name, value in answered[1] if name.lower() not in ("date", "server"))
        page = _Page(answered[0], headers, content, mark, time.monotonic())
        with self._lock:
            replaced = self._pages.pop(key, None)
            self.kept_bytes += len(content) - (len(replaced.body) if replaced else 0)
            self._pages[key] = page
            while self.kept_bytes > self.max_bytes and self._pages:
                self.kept_bytes -= len(self._pages.popitem(last=False)[1].body)
        return [content]


def init_app(app) -> None:
    """Put the page store in front of the application and change the stamps of people with every write."""
    app.wsgi_app = app.extensions["stored_pages"] = PageStore(app, app.wsgi_app)
    listen_to_sessions(
        ("after_flush", _after_flush),
        ("do_orm_execute", _before_statement),
        ("after_commit", _after_commit),
        ("after_soft_rollback", _after_soft_rollback),
    )


# --- Stamps of people and villages --------------------------------------------------------------------

_person_columns_of: dict[type, tuple[str, ...]] = {}


def _person_columns(model: type) -> tuple[str, ...]:
    """Return the attributes of a model that name a person: the id of a user, the columns pointing at users."""
    columns = _person_columns_of.get(model)
    if columns is None:
        table = getattr(model, "__table__", None)
        if table is None or table.name in _UNWATCHED_TABLES:
            columns = ()
        elif table.name == "users":
            columns = ("id",)
        else:
            columns = tuple(
                attribute.key
                for attribute in inspect(model).column_attrs
                if any(fk.column.table.name == "users" for column in attribute.columns for fk in column.foreign_keys)
            )
        _person_columns_of[model] = columns
    return columns


def _after_flush(session, flush_context) -> None:
    people: set[int] = set()
    villages: set[str] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        columns = _person_columns(type(instance))
        if not columns:
            continue
        state = inspect(instance)
        for column in columns:
            people.add(state.dict.get(column))
            people.update(state.attrs[column].history.deleted)  # a row moved away from a person changes them too
        if isinstance(instance, User):  # a person moved to another village changes both villages
            villages.add(state.dict.get("village_code"))
            villages.update(state.attrs.village_code.history.deleted)
    renew_people(session, people, villages)


def renew_people(session, people: set, villages: set | None = None) -> None:
    """Change the stamps of some people and of their villages with the session's transaction.

    On SQLite they are written at once, in the transaction (it holds the one write lock already). On PostgreSQL
    they are written just after it commits, in a transaction of their own: a village's stamp is shared by all
    its residents, and a lock on it held until each writer commits would queue them behind one another (or
    deadlock two transactions that write for several people). Written after the data they stamp, a stamp can
    only make a page look old too early, never fresh too long; a process gone between the two leaves a page
    at most STORED_PAGE_SECONDS.
    """
    newcomers = [user_id for user_id in people - {None} if person(user_id) not in session.info.get(_PENDING_KEY, ())]
    villages = set(villages or ())
    if newcomers:  # their villages are looked up once a transaction
        villages.update(_villages_of(session, session.connection(), newcomers))
    villages.discard(None)
    _renew(session, {person(user_id) for user_id in newcomers} | {village(code) for code in villages})


def _renew(session, names: set[str]) -> None:
    """Change these stamps with the session's transaction: in it on SQLite, once it commits elsewhere."""
    pending = session.info.setdefault(_PENDING_KEY, set())
    names = names - pending
    if not names:
        return
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        _write_stamps(connection, names)
    else:
        session.info[_ENGINE_KEY] = connection.engine
    pending |= names


#: One stamp written, new or over the old one. In SQL text, which SQLite and PostgreSQL read alike: the
#: dialects' own upsert constructs are compiled anew on every use (SQLAlchemy cannot cache them).
_RENEW_STAMP = text(
    "INSERT INTO change_stamps (name, stamp) VALUES (:name, :stamp) "
    "ON CONFLICT (name) DO UPDATE SET stamp = excluded.stamp"
)


def _write_stamps(connection, names: set[str]) -> None:
    # In name order, so two transactions writing some of the same stamps take their locks in one order.
    stamps = [{"name": name, "stamp": secrets.token_hex(16)} for name in sorted(names)]
    connection.execute(_RENEW_STAMP, stamps)


def _after_commit(session) -> None:
    names, engine = session.info.pop(_PENDING_KEY, None), session.info.pop(_ENGINE_KEY, None)
    if not names or engine is None:  # on SQLite they were written in the transaction
        return
    try:
        with engine.begin() as connection:
            _write_stamps(connection, names)
    except SQLAlchemyError:  # the data are committed: their pages are stale at most STORED_PAGE_SECONDS
        log.exception("could not renew the stamps %s", sorted(names)[:5])


def _after_soft_rollback(session, previous_transaction) -> None:
    # Stamps waiting for the commit stay when a savepoint is rolled back (the transaction may still commit
    # others); stamps written in the transaction (SQLite) went with the savepoint and must be written again.
    if previous_transaction.parent is None or _ENGINE_KEY not in session.info:
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_ENGINE_KEY, None)


_VILLAGES_OF = select(User.village_code).where(User.id.in_(bindparam("people", expanding=True)))


def _villages_of(session, connection, people: list[int]) -> set[str]:
    """Return the villages of some people: from the users this session holds, else with one query."""
    found, missing = set(), []
    mapper = inspect(User)
    for user_id in people:
        user = session.identity_map.get(mapper.identity_key_from_primary_key([user_id]))
        if user is not None and "village_code" in inspect(user).dict:
            found.add(user.village_code)
        else:
            missing.append(user_id)
    if missing:
        found.update(connection.scalars(_VILLAGES_OF, {"people": missing}))
    return found


def _before_statement(state) -> None:
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    named = state.execution_options.get(CHANGES_PEOPLE)
    if named is not None:  # the statement names the people it changes (none: a job's progress, say)
        renew_people(state.session, set(named))
        return
    if names_people(getattr(state.statement, "table", None)):
        _renew(state.session, {PEOPLE})


def names_people(table) -> bool:
    """Tell whether a write to a table changes people's stamps: the users, or a table pointing at them."""
    name = getattr(table, "name", None)
    if name is None or name in _UNWATCHED_TABLES:
        return False
    return name == "users" or any(fk.column.table.name == "users" for fk in table.foreign_keys)

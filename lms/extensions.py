"""Flask extensions, created unbound and attached in create_app."""

from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base with constraint names set once, so migrations are stable."""

    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
compress = Compress()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def listen_to_sessions(*hooks) -> None:
    """Listen to events of every database session of the application: (event name, handler) pairs, each once."""
    for name, handler in hooks:
        if not event.contains(FlaskSession, name, handler):
            event.listen(FlaskSession, name, handler)


def sqlite_settings(synchronous: str):
    """Return what a new SQLite connection runs first: the write-ahead log, in which readers never wait for
    the writer and a commit appends to one file instead of writing a rollback journal and the database."""
    if synchronous.upper() not in ("FULL", "NORMAL"):
        raise ValueError(f"SQLITE_SYNCHRONOUS is FULL or NORMAL, not {synchronous!r}")

    def on_connect(dbapi_connection, connection_record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous.upper()}")
        cursor.close()

    return on_connect

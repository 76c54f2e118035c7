"""The embedded SQLite database: a long read never holds up a resident's save."""

import pytest
from sqlalchemy import create_engine, event, text

from config import TestConfig
from lms import create_app
from lms.extensions import sqlite_settings


def test_a_save_commits_while_a_long_report_is_still_reading(tmp_path):
    # A short wait for a lock, so the failure (with a rollback journal: "database is locked") comes quickly.
    engine = create_engine(f"sqlite:///{tmp_path / 'kelas.sqlite'}", connect_args={"timeout": 0.2})
    event.listen(engine, "connect", sqlite_settings("FULL"))
    with engine.begin() as setup:
        setup.execute(text("CREATE TABLE answers (id INTEGER PRIMARY KEY, choice INTEGER)"))
        setup.execute(text("INSERT INTO answers (id, choice) VALUES (:id, 1)"), [{"id": n} for n in range(1, 1001)])
    with engine.connect() as report, engine.connect() as save:
        rows = report.execute(text("SELECT id, choice FROM answers ORDER BY id"))
        assert rows.fetchone() == (1, 1)  # the report is reading, one row at a time
        with save.begin():
            save.execute(text("UPDATE answers SET choice = 2 WHERE id = 1000"))
        assert rows.fetchall()[-1] == (1000, 1)  # it reads on to its end in the state it began with
    with engine.connect() as later:
        assert later.execute(text("SELECT choice FROM answers WHERE id = 1000")).scalar() == 2
        assert later.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL: on disk before it is confirmed
    engine.dispose()


def test_a_mistyped_durability_setting_stops_the_start(tmp_path):
    class Mistyped(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'kelas.sqlite'}"
        INSTANCE_DIR = str(tmp_path)
        SQLITE_SYNCHRONOUS = "OFF"

    with pytest.raises(ValueError, match="FULL or NORMAL"):
        create_app(Mistyped)


def test_the_app_keeps_its_sqlite_database_in_that_log(app):
    from lms.extensions import db

    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("PostgreSQL keeps its own log")
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == 2

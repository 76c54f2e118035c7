"""One guarded write that needs no transaction around it, committed as soon as the database has it."""

from lms.core import stored_pages, versions
from lms.extensions import db


def write_at_once(statement, parameters: dict) -> int:
    """Run one UPDATE that is safe on its own (its WHERE clause holds every condition it depends on) and
    return how many rows it changed.

    On SQLite the database has one write lock: a write inside the session's transaction holds it until the
    request commits, Python work and all, and every other writer waits in SQLite's busy loop, which sleeps
    1, 2, 5, 10… ms between tries. Run by itself, the statement holds the lock only while SQLite runs it,
    and it is committed and on disk when this returns. On PostgreSQL it stays in the session's transaction,
    where the row locks taken before it keep their meaning until the request commits.

    It bypasses the session's listeners, so it refuses a table whose writes renew a stamp (a content stamp,
    or the stamps of people): those go through the session.
    """
    table = statement.table
    if versions.is_watched(table.name) or stored_pages.names_people(table):
        raise ValueError(f"writes to {table.name} renew stamps: run them through the session")
    connection = db.session.connection()
    driver = connection.connection.driver_connection
    if connection.dialect.name != "sqlite" or driver.in_transaction:
        return db.session.execute(statement, parameters).rowcount
    mode, driver.isolation_level = driver.isolation_level, None  # autocommit: this statement is its transaction
    try:
        return connection.execute(statement, parameters).rowcount
    finally:
        driver.isolation_level = mode

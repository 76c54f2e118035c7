"""Recording the SQL statements a block of test code makes the app run."""

from contextlib import contextmanager

from sqlalchemy import event

from lms.extensions import db


@contextmanager
def recorded_statements(app):
    """Yield a list that fills with every SQL statement the app's engine runs inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)

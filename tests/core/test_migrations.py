"""The migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from lms.extensions import db


def test_migrations_match_the_models(app_context):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": False, "render_as_batch": True})
        differences = compare_metadata(context, db.metadata)
    assert differences == [], "run `flask db migrate` and commit the migration"

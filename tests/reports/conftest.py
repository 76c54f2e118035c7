"""Fixtures for reports tests: published courses."""

import pytest

from lms.extensions import db
from tests.progress.conftest import add_course


@pytest.fixture
def make_course(app):
    """Return a factory for a published course (committed); it returns the course id."""

    def factory(*args, **kwargs) -> int:
        with app.app_context():
            course = add_course(*args, **kwargs)
            db.session.commit()
            return course.id

    return factory

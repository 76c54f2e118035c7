"""Fixtures for outreach tests: courses, sessions at chosen times, residents of another village."""

from datetime import timedelta

import pytest

from lms.clock import utcnow
from lms.extensions import db
from lms.outreach.models import OutreachSession
from tests.progress.conftest import add_course

#: A village in Kota Pagar Alam other than the demo village, and one in Jakarta (outside the demo office).
OTHER_VILLAGE = "16.72.01.1001"
FAR_VILLAGE = "31.71.01.1001"


@pytest.fixture
def make_course(app):
    """Return a factory for a published course (committed); it returns the course id."""

    def factory(*args, **kwargs) -> int:
        with app.app_context():
            course = add_course(*args, **kwargs)
            db.session.commit()
            return course.id

    return factory


@pytest.fixture
def make_session(app):
    """Return a factory for a session starting `starts_in` from now and lasting `hours`; it returns the id."""

    def factory(village_code="16.72.01.1018", course_id=None, starts_in=timedelta(hours=-1), hours=2, **fields) -> int:
        with app.app_context():
            starts = utcnow() + starts_in
            session = OutreachSession(
                village_code=village_code,
                course_id=course_id,
                topic=fields.pop("topic", "Penyuluhan uji"),
                starts_dt=starts,
                ends_dt=starts + timedelta(hours=hours),
                **fields,
            )
            db.session.add(session)
            db.session.commit()
            return session.id

    return factory

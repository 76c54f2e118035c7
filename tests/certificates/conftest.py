"""Fixtures for the certificate tests: a signing key, a published course, issued certificates."""

import pytest

from lms.accounts.models import User
from lms.certificates.keys import ensure_signing_key
from lms.certificates.operations import issue_certificate
from lms.courses.models import Course, CourseText
from lms.extensions import db


@pytest.fixture
def signing_key(app, tmp_path):
    """Give the app a key to sign certificates with, as `flask setup` does, in a folder of this test's own."""
    # A key left in the session's folder would make other packages' tests issue certificates.
    previous = app.config["CERTIFICATE_KEYS_DIR"]
    app.config["CERTIFICATE_KEYS_DIR"] = str(tmp_path / "certificate-keys")
    with app.app_context():
        ensure_signing_key()
    yield
    app.config["CERTIFICATE_KEYS_DIR"] = previous


@pytest.fixture
def create_course(app):
    """Return a factory for a published course with titles per language; returns its id."""

    def factory(slug: str = "paspor-pekerja-migran", titles: dict | None = None) -> int:
        titles = titles or {"id": "Paspor untuk Pekerja Migran", "jv": "Paspor kanggo Buruh Migran"}
        with app.app_context():
            course = Course(slug=slug, source_language="id", is_published=True)
            course.texts = [CourseText(language=language, title=title) for language, title in titles.items()]
            db.session.add(course)
            db.session.commit()
            return course.id

    return factory


@pytest.fixture
def course(create_course):
    """A published course with an Indonesian and a Javanese title."""
    return create_course()


@pytest.fixture
def issue(app, signing_key):
    """Return a function issuing (and committing) a person's certificate for a course; returns its serial."""

    def issue_for(user_id: int, course_id: int) -> str:
        with app.app_context():
            certificate = issue_certificate(db.session.get(User, user_id), db.session.get(Course, course_id))
            db.session.commit()
            return certificate.serial

    return issue_for


@pytest.fixture
def complete(app):
    """Return a function recording that people completed a course, where completions are recorded at all."""

    def record(user_ids: list[int], course_id: int) -> None:
        try:
            from lms.progress.models import CourseCompletion
        except ImportError:
            return  # the leader's choice of residents is what counts then
        with app.app_context():
            db.session.add_all(CourseCompletion(user_id=user_id, course_id=course_id) for user_id in user_ids)
            db.session.commit()

    return record

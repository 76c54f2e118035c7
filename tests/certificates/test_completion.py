"""A resident who completes a course gets a certificate by themselves, without anyone printing it."""

from lms.accounts.models import User
from lms.certificates.keys import key_ring
from lms.certificates.models import Certificate
from lms.certificates.operations import certificates_of, issue_missing_certificates
from lms.courses.models import Course, Lesson, LessonText, LessonVersion
from lms.extensions import db
from lms.progress.operations import record_lesson_read


def add_published_lesson(course_id: int) -> Lesson:
    """Give a course one lesson published in Indonesian."""
    lesson = Lesson(course_id=course_id, slug="satu", position=1)
    text = LessonText(language="id", title="Pelajaran satu", status="published")
    version = LessonVersion(title="Pelajaran satu", body_markdown="Isi.", body_html="<p>Isi.</p>", status="published")
    text.versions = [version]
    lesson.texts = [text]
    db.session.add(lesson)
    db.session.flush()
    text.published_version_id = version.id
    db.session.commit()
    return lesson


def test_reading_the_last_lesson_issues_the_certificate(app_context, signing_key, resident, course):
    lesson = add_published_lesson(course)
    user = db.session.get(User, resident)

    record_lesson_read(user, lesson)
    db.session.commit()  # the completion is handed to the certificates once committed

    db.session.expire_all()
    (certificate,) = certificates_of(db.session.get(User, resident))
    assert certificate.course_id == course
    assert certificate.kid == key_ring().active_kid


def test_completions_that_lack_a_certificate_get_one_from_the_sweep(
    app_context, signing_key, resident, course, complete
):
    complete([resident], course)
    assert db.session.query(Certificate).count() == 0

    assert issue_missing_certificates() == 1
    assert issue_missing_certificates() == 0
    (certificate,) = certificates_of(db.session.get(User, resident))
    assert certificate.course == db.session.get(Course, course)

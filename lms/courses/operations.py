"""Authoring rules: who may change which course, saving versions, review and publishing, reordering."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from lms.access import ADMIN, STAFF
from lms.clock import utcnow
from lms.courses.content import render_markdown, text_hash
from lms.courses.models import (
    DRAFT,
    PUBLISHED,
    RETURNED,
    REVIEW,
    Course,
    CourseText,
    Lesson,
    LessonText,
    LessonVersion,
)
from lms.extensions import db

#: Lesson slugs other pages use under /kursus/<slug>/.
RESERVED_LESSON_SLUGS = frozenset({"kuis", "sertifikat", "video", "dibaca"})


class AuthoringError(Exception):
    """A change that may not be made; the message is a code the pages turn into words."""


# --- Who may do what -------------------------------------------------------------------------------


def can_edit_course(user, course: Course) -> bool:
    """Tell whether a person may change a course: admins any, officers national ones and their office's."""
    if user.role == ADMIN:
        return True
    return user.role in STAFF and (course.office_id is None or course.office_id == user.office_id)


def can_publish(user, version: LessonVersion) -> bool:
    """Tell whether a person may publish a version: someone other than its author, unless an admin."""
    if not can_edit_course(user, version.text.lesson.course):
        return False
    if user.role == ADMIN:
        return version.status in (DRAFT, REVIEW, RETURNED)
    return version.status == REVIEW and version.author_id != user.id


def can_return(user, version: LessonVersion) -> bool:
    """Tell whether a person may send a version back to its author."""
    return (
        version.status == REVIEW
        and can_edit_course(user, version.text.lesson.course)
        and (version.author_id != user.id or user.role == ADMIN)
    )


def editable_courses(user) -> list[Course]:
    """Return the courses a person may change, in catalogue order."""
    query = select(Course).options(selectinload(Course.texts)).order_by(Course.position, Course.id)
    if user.role != ADMIN:
        query = query.where((Course.office_id.is_(None)) | (Course.office_id == user.office_id))
    return list(db.session.scalars(query))


def versions_awaiting_review(user) -> list[LessonVersion]:
    """Return the versions in review that a person may publish or send back."""
    query = (
        select(LessonVersion)
        .where(LessonVersion.status == REVIEW)
        .options(selectinload(LessonVersion.text).selectinload(LessonText.lesson).selectinload(Lesson.course))
        .order_by(LessonVersion.saved_dt)
    )
    return [version for version in db.session.scalars(query) if can_return(user, version)]


# --- Courses ---------------------------------------------------------------------------------------


def create_course(user, slug: str, source_language: str) -> Course:
    """Create an unpublished course owned by the officer's office (national when an admin creates it)."""
    if db.session.scalar(select(Course.id).where(Course.slug == slug)):
        raise AuthoringError("slug_taken")
    position = (db.session.scalar(select(func.max(Course.position))) or 0) + 1
    course = Course(
        slug=slug,
        source_language=source_language,
        position=position,
        office_id=None if user.role == ADMIN else user.office_id,
        is_published=False,
    )
    db.session.add(course)
    db.session.flush()
    return course


def update_course(course: Course, fields: dict, texts: dict[str, tuple[str, str]]) -> None:
    """Change a course's settings and its titles and summaries ({language: (title, summary)}; empty removes)."""
    if fields["slug"] != course.slug and db.session.scalar(select(Course.id).where(Course.slug == fields["slug"])):
        raise AuthoringError("slug_taken")
    source_language = fields["source_language"]
    if not texts.get(source_language, ("", ""))[0]:
        raise AuthoringError("source_title_missing")
    for name, value in fields.items():
        setattr(course, name, value)
    source_title, source_summary = texts[source_language]
    source_hash = text_hash(source_title, source_summary)
    for language, (title, summary) in texts.items():
        text = course.text(language)
        if not title:
            if text is not None:
                course.texts.remove(text)
            continue
        if text is None:
            text = CourseText(language=language, title=title, summary=summary, source_hash=source_hash)
            course.texts.append(text)
        elif (text.title, text.summary) != (title, summary):
            # A translation saved now is written from today's source text.
            text.title, text.summary, text.source_hash = title, summary, source_hash
    course.text(source_language).source_hash = source_hash
    db.session.flush()


def move_lesson(course: Course, lesson: Lesson, step: int) -> None:
    """Move a lesson one place up (-1) or down (+1) in its course."""
    lessons = course.current_lessons
    index = lessons.index(lesson)
    other = index + step
    if 0 <= other < len(lessons):
        lessons[index], lessons[other] = lessons[other], lessons[index]
    for position, item in enumerate(lessons, start=1):
        item.position = position
    db.session.flush()


# --- Lessons and their versions --------------------------------------------------------------------


def create_lesson(course: Course, slug: str, minutes: int, title: str, body: str, author) -> LessonVersion:
    """Add a lesson at the end of a course, with a first draft in the course's source language."""
    if slug in RESERVED_LESSON_SLUGS:
        raise AuthoringError("slug_reserved")
    if any(lesson.slug == slug for lesson in course.lessons):
        raise AuthoringError("slug_taken")
    position = max((lesson.position for lesson in course.lessons), default=0) + 1
    lesson = Lesson(slug=slug, position=position, minutes=minutes)
    course.lessons.append(lesson)
    text = LessonText(language=course.source_language)
    lesson.texts.append(text)
    db.session.flush()
    return save_version(text, title, body, author)


def get_or_create_text(lesson: Lesson, language: str) -> LessonText:
    """Return a lesson's text record in a language, creating an empty one for a new translation."""
    text = lesson.text(language)
    if text is None:
        text = LessonText(language=language)
        lesson.texts.append(text)
        db.session.flush()
    return text


def source_text(text: LessonText) -> LessonText | None:
    """Return the source-language text a translation is made from (None for the source itself)."""
    lesson = text.lesson
    if text.language == lesson.course.source_language:
        return None
    return lesson.text(lesson.course.source_language)


def save_version(text: LessonText, title: str, body: str, author, submit: bool = False) -> LessonVersion:
    """Save a new version of a lesson text as a draft (or straight into review); a repeated save adds nothing."""
    latest = text.latest_version
    status = REVIEW if submit else DRAFT
    if (
        latest is not None
        and latest.author_id == author.id
        and latest.status in (DRAFT, REVIEW)
        and (latest.title, latest.body_markdown) == (title, body)
    ):
        if submit and latest.status == DRAFT:
            latest.status = REVIEW
            text.status = REVIEW
        return latest
    source = source_text(text)
    version = LessonVersion(
        title=title,
        body_markdown=body,
        body_html=render_markdown(body),
        source_version_id=source.published_version_id if source is not None else None,
        author_id=author.id,
        saved_dt=utcnow(),
        status=status,
    )
    text.versions.insert(0, version)
    text.status = status
    db.session.flush()
    return version


def submit_for_review(version: LessonVersion, user) -> None:
    """Ask another officer to review a draft or a returned version."""
    if version.status == REVIEW:
        return  # a double submit
    if version.status not in (DRAFT, RETURNED) or not can_edit_course(user, version.text.lesson.course):
        raise AuthoringError("not_submittable")
    version.status = REVIEW
    _sync_status(version)
    db.session.flush()


def publish_version(version: LessonVersion, reviewer) -> None:
    """Publish a version: residents read it from now on. Officers cannot publish their own change."""
    text = version.text
    if text.published_version_id == version.id:
        return  # a double submit
    if not can_publish(reviewer, version):
        raise AuthoringError("own_change" if version.author_id == reviewer.id else "not_publishable")
    version.status = PUBLISHED
    version.reviewer_id = reviewer.id
    version.reviewed_dt = utcnow()
    text.published_version = version
    text.title = version.title
    _sync_status(version)
    db.session.flush()


def return_version(version: LessonVersion, reviewer, comment: str) -> None:
    """Send a version back to its author with a comment saying what to change."""
    if version.status == RETURNED:
        return  # a double submit
    if not comment.strip():
        raise AuthoringError("comment_missing")
    if not can_return(reviewer, version):
        raise AuthoringError("not_returnable")
    version.status = RETURNED
    version.review_comment = comment.strip()
    version.reviewer_id = reviewer.id
    version.reviewed_dt = utcnow()
    _sync_status(version)
    db.session.flush()


def restore_version(version: LessonVersion, user) -> LessonVersion:
    """Make an earlier version's content the newest draft; nothing is overwritten."""
    return save_version(version.text, version.title, version.body_markdown, user)


def _sync_status(version: LessonVersion) -> None:
    text = version.text
    if text.latest_version is version:
        text.status = version.status


def set_audio(text: LessonText, audio) -> None:
    """Attach an audio narration to a lesson text (or remove it with None)."""
    text.audio_filename = audio.name if audio else None
    text.audio_duration_s = audio.duration_s if audio else None
    text.audio_size_bytes = audio.size_bytes if audio else None
    db.session.flush()


# --- Translation state -----------------------------------------------------------------------------

MISSING, CURRENT, OUTDATED = "missing", "current", "outdated"


def translation_grid(
    course: Course, languages: list[str]
) -> list[tuple[Lesson, dict[str, tuple[str, LessonText | None]]]]:
    """Return each lesson's state per language: missing, current, or outdated (the source changed since)."""
    # Every text and its published version in three queries, not two per lesson.
    lessons = db.session.scalars(
        select(Lesson)
        .where(Lesson.course_id == course.id, ~Lesson.is_archived)
        .order_by(Lesson.position, Lesson.id)
        .options(selectinload(Lesson.texts).selectinload(LessonText.published_version))
    ).all()
    rows = []
    for lesson in lessons:
        source = lesson.text(course.source_language)
        states = {}
        for language in languages:
            text = lesson.text(language)
            if text is None or not text.is_published:
                states[language] = (MISSING, text)
            elif text.needs_update(source):
                states[language] = (OUTDATED, text)
            else:
                states[language] = (CURRENT, text)
        rows.append((lesson, states))
    return rows


def course_text_states(course: Course, languages: list[str]) -> dict[str, str]:
    """Return the state of the course's title and summary per language."""
    states = {}
    for language in languages:
        text = course.text(language)
        states[language] = MISSING if text is None else OUTDATED if text.needs_update else CURRENT
    return states

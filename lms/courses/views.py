"""Course pages for residents (catalogue, course, lesson) and the lesson media they load."""

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_from_directory, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms import demo
from lms.access import ANYONE, SIGNED_IN, STAFF, allow
from lms.core.stored_pages import stored
from lms.courses import models, reading
from lms.courses.commands import courses_cli, import_builtin_courses
from lms.extensions import db
from lms.progress import models as progress_models  # noqa: F401 - the models must exist when the app is created
from lms.progress.operations import record_lesson_read

bp = Blueprint("courses", __name__, template_folder="templates", static_folder=None)

#: Stored media names: a content hash and an extension, nothing a path could be made of.
MEDIA_NAME = re.compile(r"^[0-9a-f]{64}\.(jpg|png|mp3|m4a|ogg)$")
#: Media files never change under a name (the name is their hash), so browsers may keep them a year.
MEDIA_MAX_AGE = 60 * 60 * 24 * 365


def init_app(app) -> None:
    """Register the courses commands and the setup step that loads the built-in courses."""
    app.cli.add_command(courses_cli)
    authoring.init_authoring(app)
    if import_builtin_courses not in demo.SETUP_STEPS:
        demo.SETUP_STEPS.append(import_builtin_courses)


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _is_staff() -> bool:
    return current_user.is_authenticated and current_user.role in STAFF


def _course_or_404(slug: str) -> tuple[reading.CourseView, reading.Languages]:
    view, languages = reading.load_course(slug, include_unpublished=_is_staff())
    if view is None:
        abort(404)
    return view, languages


@bp.get("/kursus")
@allow(ANYONE)
@stored
def catalogue():
    """List the published courses in the reader's language."""
    languages = reading.load_languages()
    cards = reading.catalogue(languages, _user_id())
    return render_template("courses/catalogue.html", cards=cards, languages=languages)


@bp.get("/kursus/<slug>")
@allow(ANYONE)
@stored
def course(slug: str):
    """Show a course: its summary, its lessons and the time it takes."""
    view, languages = _course_or_404(slug)
    reading.load_lessons(view, languages, _user_id())
    return render_template("courses/course.html", view=view, languages=languages)


@bp.get("/kursus/<slug>/<lesson_slug>")
@allow(ANYONE)
@stored
def lesson(slug: str, lesson_slug: str):
    """Show a lesson from its stored HTML, with the previous and next lessons."""
    view, languages = _course_or_404(slug)
    reading.load_lessons(view, languages, _user_id(), reading=lesson_slug)
    previous, entry, following = view.neighbours(lesson_slug)
    if entry is None:
        abort(404)
    return render_template(
        "courses/lesson.html", view=view, lesson=entry, previous=previous, following=following, languages=languages
    )


@bp.post("/kursus/<slug>/<lesson_slug>/dibaca")
@allow(*SIGNED_IN)
def mark_read(slug: str, lesson_slug: str):
    """Record that the reader read a lesson, then go on to the next one."""
    view, languages = _course_or_404(slug)
    reading.load_lessons(view, languages, current_user.id)
    previous, entry, following = view.neighbours(lesson_slug)
    if entry is None:
        abort(404)
    record_lesson_read(current_user, db.session.get(models.Lesson, entry.id))
    db.session.commit()
    if following is not None:
        return redirect(url_for("courses.lesson", slug=slug, lesson_slug=following.slug))
    flash(_("You have read every lesson of this course."), "success")
    return redirect(url_for("courses.course", slug=slug))


def _send_media(folder: str, name: str):
    if not MEDIA_NAME.match(name):
        abort(404)
    response = send_from_directory(
        Path(current_app.config["MEDIA_ROOT"]) / folder, name, max_age=MEDIA_MAX_AGE, conditional=True
    )
    response.headers["Cache-Control"] = f"public, max-age={MEDIA_MAX_AGE}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/media/images/<name>")
@allow(ANYONE)
def image(name: str):
    """Serve a lesson image (re-encoded on upload, so it carries no metadata)."""
    return _send_media("images", name)


@bp.get("/media/audio/<name>")
@allow(ANYONE)
def audio(name: str):
    """Serve a lesson's audio narration, with range requests for seeking."""
    return _send_media("audio", name)


from lms.courses import authoring  # noqa: E402 - the officers' pages, on this blueprint

"""Officers' pages for writing, translating, reviewing and publishing courses (registered on the courses blueprint)."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from lms.access import ADMIN, STAFF, allow
from lms.courses import operations
from lms.courses.content import diff_table, render_markdown
from lms.courses.forms import AudioForm, ImageForm, LessonForm, NewCourseForm, NewLessonForm, ReviewForm, course_form
from lms.courses.models import Course, Lesson, LessonText, LessonVersion
from lms.courses.uploads import MAX_AUDIO_BYTES, MAX_IMAGE_BYTES, UploadError, store_audio, store_image
from lms.courses.views import bp
from lms.extensions import db
from lms.i18n import content_languages

#: What an officer is told when a change cannot be made.
ERRORS = {
    "slug_taken": _l("Another course or lesson already uses this address name."),
    "slug_reserved": _l("This address name is used by other pages; please choose another."),
    "source_title_missing": _l("The course needs a title in the language translations are made from."),
    "own_change": _l("You cannot publish your own change: another officer reviews it, or an admin."),
    "not_publishable": _l("This version cannot be published now."),
    "not_returnable": _l("This version is not waiting for review."),
    "not_submittable": _l("This version cannot be sent for review."),
    "comment_missing": _l("Please write what the author should change."),
}
UPLOAD_ERRORS = {
    "empty": _l("The file is empty."),
    "file_too_large": _l("The file is too large."),
    "not_image": _l("This file is not an image we can use. Please upload a JPEG, PNG, GIF or WebP picture."),
    "too_many_pixels": _l("This image has too many pixels (more than 40 megapixels). Please make it smaller first."),
    "not_audio": _l("This file is not audio we can play. Please upload an MP3, M4A or OGG file."),
    "has_video": _l("This file contains video. Please upload the sound only, or add the video as a lesson video."),
    "too_long": _l("The narration is longer than 30 minutes."),
}
STATUS_NAMES = {
    "draft": _l("Draft"),
    "review": _l("In review"),
    "published": _l("Published"),
    "returned": _l("Returned"),
}
STATE_NAMES = {
    operations.MISSING: _l("missing"),
    operations.CURRENT: _l("up to date"),
    operations.OUTDATED: _l("needs update"),
}


def init_authoring(app) -> None:
    """Give the authoring templates their labels."""
    app.jinja_env.globals.update(version_status_names=STATUS_NAMES, translation_state_names=STATE_NAMES)


def _course_or_404(slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None:
        abort(404)
    if not operations.can_edit_course(current_user, course):
        abort(403)
    return course


def _lesson_or_404(course: Course, lesson_slug: str) -> Lesson:
    lesson = next((lesson for lesson in course.lessons if lesson.slug == lesson_slug), None)
    if lesson is None:
        abort(404)
    return lesson


def _language_or_404(language: str) -> dict[str, str]:
    names = dict(content_languages())
    if language not in names:
        abort(404)
    return names


def _version_or_404(version_id: int) -> LessonVersion:
    version = db.session.get(LessonVersion, version_id)
    if version is None:
        abort(404)
    if not operations.can_edit_course(current_user, version.text.lesson.course):
        abort(403)
    return version


def _editor_url(text: LessonText) -> str:
    lesson = text.lesson
    return url_for("courses.edit_lesson", slug=lesson.course.slug, lesson_slug=lesson.slug, language=text.language)


# --- Courses ---------------------------------------------------------------------------------------


@bp.get("/kelola/kursus")
@allow(*STAFF)
def manage():
    """List the courses an officer may change, with their state, and the changes waiting for review."""
    courses = operations.editable_courses(current_user)
    form = NewCourseForm()
    form.source_language.choices = content_languages()
    return render_template(
        "courses/manage.html",
        courses=courses,
        awaiting=operations.versions_awaiting_review(current_user),
        form=form,
    )


@bp.post("/kelola/kursus/baru")
@allow(*STAFF)
def create_course():
    """Create an unpublished course with its first title."""
    form = NewCourseForm()
    form.source_language.choices = content_languages()
    if form.validate_on_submit():
        try:
            course = operations.create_course(current_user, form.slug.data, form.source_language.data)
            operations.update_course(
                course,
                {"slug": course.slug, "source_language": course.source_language},
                {course.source_language: (form.title.data.strip(), "")},
            )
        except operations.AuthoringError as error:
            db.session.rollback()
            form.slug.errors.append(ERRORS[str(error)])
        else:
            db.session.commit()
            flash(_("Course created. Add its summary and lessons."), "success")
            return redirect(url_for("courses.edit_course", slug=course.slug))
    courses = operations.editable_courses(current_user)
    awaiting = operations.versions_awaiting_review(current_user)
    return render_template("courses/manage.html", courses=courses, awaiting=awaiting, form=form), 422


@bp.route("/kelola/kursus/<slug>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_course(slug: str):
    """Change a course's settings, titles and summaries, and see its lessons."""
    course = _course_or_404(slug)
    languages = content_languages()
    data = {}
    if request.method == "GET":
        data = {
            "slug": course.slug,
            "source_language": course.source_language,
            "position": course.position,
            "estimated_minutes": course.estimated_minutes,
            "lessons_to_read": course.lessons_to_read,
            "video_percent": round(course.video_share * 100),
            "is_quiz_required": course.is_quiz_required,
            "is_attendance_required": course.is_attendance_required,
            "is_published": course.is_published,
        }
        for text in course.texts:
            key = text.language.replace("-", "_")
            data[f"title_{key}"], data[f"summary_{key}"] = text.title, text.summary
    form = course_form(languages, data=data or None)
    status = 200
    if form.validate_on_submit():
        fields = {
            "slug": form.slug.data,
            "source_language": form.source_language.data,
            "position": form.position.data,
            "estimated_minutes": form.estimated_minutes.data or 0,
            "lessons_to_read": form.lessons_to_read.data,
            "video_share": form.video_percent.data / 100,
            "is_quiz_required": form.is_quiz_required.data,
            "is_attendance_required": form.is_attendance_required.data,
            "is_published": form.is_published.data,
        }
        texts = {
            code: ((title.data or "").strip(), (summary.data or "").strip())
            for code, _name, title, summary in form.language_fields
        }
        try:
            operations.update_course(course, fields, texts)
        except operations.AuthoringError as error:
            db.session.rollback()
            flash(ERRORS[str(error)], "error")
            status = 422
        else:
            db.session.commit()
            flash(_("Saved."), "success")
            return redirect(url_for("courses.edit_course", slug=course.slug))
    elif request.method == "POST":
        status = 422
    return render_template("courses/edit_course.html", course=course, form=form), status


@bp.post("/kelola/kursus/<slug>/urutan")
@allow(*STAFF)
def move_lesson(slug: str):
    """Move a lesson up or down in its course."""
    course = _course_or_404(slug)
    lesson = next((item for item in course.current_lessons if str(item.id) == request.form.get("lesson_id")), None)
    if lesson is None:
        abort(404)
    operations.move_lesson(course, lesson, -1 if request.form.get("direction") == "up" else 1)
    db.session.commit()
    return redirect(url_for("courses.edit_course", slug=course.slug) + f"#lesson-{lesson.id}")


@bp.get("/kelola/kursus/<slug>/terjemahan")
@allow(*STAFF)
def translations(slug: str):
    """Show each language's state for each lesson: missing, up to date, or needing an update."""
    course = _course_or_404(slug)
    languages = content_languages()
    codes = [code for code, _name in languages]
    return render_template(
        "courses/translations.html",
        course=course,
        languages=languages,
        grid=operations.translation_grid(course, codes),
        course_states=operations.course_text_states(course, codes),
    )


# --- Lessons ---------------------------------------------------------------------------------------


def _lesson_action(form: LessonForm) -> str:
    for action in ("preview", "publish", "submit_review", "save"):
        if form[action].data:
            return action
    return "save"


@bp.route("/kelola/kursus/<slug>/pelajaran/baru", methods=["GET", "POST"])
@allow(*STAFF)
def create_lesson(slug: str):
    """Write a new lesson in the course's source language."""
    course = _course_or_404(slug)
    form = NewLessonForm()
    preview = None
    status = 200
    if request.method == "GET":
        form.minutes.data = 5
    elif form.validate_on_submit():
        action = _lesson_action(form)
        if action == "preview":
            preview = render_markdown(form.body.data)
        else:
            try:
                version = operations.create_lesson(
                    course,
                    form.slug.data,
                    form.minutes.data or 5,
                    form.title.data.strip(),
                    form.body.data,
                    current_user,
                )
                _after_save(version, action)
            except operations.AuthoringError as error:
                db.session.rollback()
                form.slug.errors.append(ERRORS[str(error)])
                status = 422
            else:
                db.session.commit()
                return redirect(_editor_url(version.text))
    else:
        status = 422
    return render_template("courses/new_lesson.html", course=course, form=form, preview=preview), status


def _after_save(version: LessonVersion, action: str) -> None:
    if action == "publish":
        operations.publish_version(version, current_user)
        flash(_("Published: residents read this version now."), "success")
    elif action == "submit_review":
        operations.submit_for_review(version, current_user)
        flash(_("Saved and sent for review. Another officer will publish it or send it back."), "success")
    else:
        flash(_("Draft saved. Residents still see the published version."), "success")


def _render_editor(course, lesson, language, form=None, preview=None, review_form=None, audio_form=None, status=200):
    """Render the lesson editor: the text in one language beside its source, its state, review and narration."""
    names = _language_or_404(language)
    text = lesson.text(language)
    latest = text.latest_version if text else None
    if form is None:
        form = LessonForm(formdata=None)
        form.minutes.data = lesson.minutes
        if latest is not None:
            form.title.data, form.body.data = latest.title, latest.body_markdown
    source = lesson.text(course.source_language) if language != course.source_language else None
    return (
        render_template(
            "courses/edit_lesson.html",
            course=course,
            lesson=lesson,
            language=language,
            names=names,
            text=text,
            latest=latest,
            source=source,
            needs_update=bool(text and text.needs_update(source)),
            form=form,
            preview=preview,
            review_form=review_form or ReviewForm(formdata=None),
            audio_form=audio_form or AudioForm(formdata=None),
            can_publish=latest is not None and operations.can_publish(current_user, latest),
            can_return=latest is not None and operations.can_return(current_user, latest),
        ),
        status,
    )


@bp.route("/kelola/kursus/<slug>/<lesson_slug>/<language>", methods=["GET", "POST"])
@allow(*STAFF)
def edit_lesson(slug: str, lesson_slug: str, language: str):
    """Write or translate a lesson text, beside its source text; preview without saving."""
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    _language_or_404(language)
    if request.method == "GET":
        return _render_editor(course, lesson, language)
    form = LessonForm()
    if not form.validate_on_submit():
        return _render_editor(course, lesson, language, form=form, status=422)
    action = _lesson_action(form)
    if action == "preview":
        return _render_editor(course, lesson, language, form=form, preview=render_markdown(form.body.data))
    if action == "publish" and current_user.role != ADMIN:
        abort(403)
    text = operations.get_or_create_text(lesson, language)
    if language == course.source_language and form.minutes.data:
        lesson.minutes = form.minutes.data
    version = operations.save_version(
        text, form.title.data.strip(), form.body.data, current_user, submit=action == "submit_review"
    )
    _after_save(version, action)
    db.session.commit()
    return redirect(_editor_url(text))


@bp.get("/kelola/kursus/<slug>/<lesson_slug>/<language>/versi")
@allow(*STAFF)
def versions(slug: str, lesson_slug: str, language: str):
    """List every saved version of a lesson text, with who wrote and reviewed it."""
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    names = _language_or_404(language)
    text = lesson.text(language)
    if text is None:
        abort(404)
    return render_template(
        "courses/versions.html", course=course, lesson=lesson, language=language, names=names, text=text
    )


@bp.get("/kelola/kursus/<slug>/<lesson_slug>/<language>/beda")
@allow(*STAFF)
def diff(slug: str, lesson_slug: str, language: str):
    """Show what changed between two versions of a lesson text."""
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    names = _language_or_404(language)
    text = lesson.text(language)
    if text is None:
        abort(404)
    by_id = {version.id: version for version in text.versions}
    old, new = by_id.get(request.args.get("dari", type=int)), by_id.get(request.args.get("ke", type=int))
    if old is None or new is None:
        abort(404)
    return render_template(
        "courses/diff.html",
        course=course,
        lesson=lesson,
        language=language,
        names=names,
        text=text,
        old=old,
        new=new,
        title_rows=diff_table(old.title, new.title),
        body_rows=diff_table(old.body_markdown, new.body_markdown),
    )


@bp.post("/kelola/versi/<int:version_id>/kirim")
@allow(*STAFF)
def submit_version(version_id: int):
    """Send a draft or a returned version for review."""
    version = _version_or_404(version_id)
    try:
        operations.submit_for_review(version, current_user)
    except operations.AuthoringError as error:
        flash(ERRORS[str(error)], "error")
    else:
        db.session.commit()
        flash(_("Sent for review."), "success")
    return redirect(_editor_url(version.text))


@bp.post("/kelola/versi/<int:version_id>/tinjau")
@allow(*STAFF)
def review(version_id: int):
    """Publish a version, or send it back to its author with a comment."""
    version = _version_or_404(version_id)
    form = ReviewForm()
    form.validate()
    try:
        if request.form.get("action") == "return":
            operations.return_version(version, current_user, form.comment.data or "")
            message = _("Sent back to the author with your comment.")
        else:
            operations.publish_version(version, current_user)
            message = _("Published: residents read this version now.")
    except operations.AuthoringError as error:
        db.session.rollback()
        flash(ERRORS[str(error)], "error")
        lesson = version.text.lesson
        return _render_editor(lesson.course, lesson, version.text.language, review_form=form, status=422)
    db.session.commit()
    flash(message, "success")
    return redirect(_editor_url(version.text))


@bp.post("/kelola/versi/<int:version_id>/pulihkan")
@allow(*STAFF)
def restore(version_id: int):
    """Make an earlier version the newest draft."""
    version = _version_or_404(version_id)
    operations.restore_version(version, current_user)
    db.session.commit()
    flash(_("The earlier version is now the newest draft. Send it for review to publish it."), "success")
    return redirect(_editor_url(version.text))


# --- Media -----------------------------------------------------------------------------------------


@bp.post("/kelola/kursus/<slug>/<lesson_slug>/<language>/audio")
@allow(*STAFF)
def upload_audio(slug: str, lesson_slug: str, language: str):
    """Attach an audio narration to a lesson text, or remove it."""
    course = _course_or_404(slug)
    lesson = _lesson_or_404(course, lesson_slug)
    _language_or_404(language)
    text = operations.get_or_create_text(lesson, language)
    if request.form.get("action") == "remove":
        operations.set_audio(text, None)
        db.session.commit()
        flash(_("Narration removed."), "success")
        return redirect(_editor_url(text))
    form = AudioForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _render_editor(course, lesson, language, audio_form=form, status=422)
    try:
        audio = store_audio(form.audio.data.stream, current_app.config["MEDIA_ROOT"])
    except UploadError as error:
        db.session.rollback()
        form.audio.errors = [UPLOAD_ERRORS[error.reason]]
        return _render_editor(course, lesson, language, audio_form=form, status=422)
    operations.set_audio(text, audio)
    db.session.commit()
    flash(_("Narration added: residents see a player above the text."), "success")
    return redirect(_editor_url(text))


@bp.route("/kelola/gambar", methods=["GET", "POST"])
@allow(*STAFF)
def upload_image():
    """Upload an image for lessons and get the Markdown to paste into a lesson."""
    form = ImageForm()
    image_url = snippet = None
    status = 200
    if form.validate_on_submit():
        try:
            name = store_image(form.image.data.stream, current_app.config["MEDIA_ROOT"])
        except UploadError as error:
            form.image.errors.append(UPLOAD_ERRORS[error.reason])
            status = 422
        else:
            description = " ".join(form.description.data.replace("[", "(").replace("]", ")").split())
            image_url = url_for("courses.image", name=name)
            snippet = f"![{description}]({image_url})"
    elif request.method == "POST":
        status = 422
    limits = {"image_mb": MAX_IMAGE_BYTES // 2**20, "audio_mb": MAX_AUDIO_BYTES // 2**20}
    return (
        render_template("courses/upload_image.html", form=form, image_url=image_url, snippet=snippet, limits=limits),
        status,
    )

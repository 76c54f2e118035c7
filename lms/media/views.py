"""Video pages: officers upload and follow transcoding; residents watch, with captions and saved position."""

import re

from flask import Blueprint, Response, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask import send_file as flask_send_file
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms.fields import SelectChoice

from lms import demo
from lms.access import ANYONE, SIGNED_IN, STAFF, allow
from lms.courses.models import Lesson
from lms.extensions import db
from lms.i18n import content_languages
from lms.media import jobs, models, operations, watching  # noqa: F401 - jobs registers the tasks the worker runs
from lms.media.captions import CaptionError
from lms.media.demo import attach_demo_videos
from lms.media.forms import CaptionForm, VideoUploadForm

bp = Blueprint("media", __name__, url_prefix="/video", template_folder="templates")

#: Why an upload was refused, per reason code of the probe (and file_too_big from the upload itself).
UPLOAD_ERRORS = {
    "empty": _l("The file is empty. Choose the video file again."),
    "not_video": _l("This file is not a video that can be played. Choose an MP4, MOV, MKV or WebM video."),
    "audio_only": _l("This file has sound but no picture. Choose a video file."),
    "truncated": _l("The file is incomplete: the copy or upload was cut off. Copy the video again and upload it."),
    "too_large": _l("The picture is too large (more than 8K). Export the video at a smaller size."),
    "too_long": _l("The video is longer than 3 hours. Lesson videos should be a few minutes long."),
    "too_small": _l("The picture is too small (less than 64 pixels). Choose a larger video."),
    "file_too_big": _l("The file is larger than %(size)s. Export the video at a smaller size."),
}
#: Why a transcode failed, in plain words.
FAILURES = {
    "timeout": _l("Converting took too long or stopped making progress."),
    "disk_full": _l("The server's disk is full. Ask the administrator to free some space, then try again."),
    "ffmpeg_failed": _l("The video could not be converted. The file may be damaged or use an unusual format."),
    "truncated": _l("The converted video came out shorter than the original. The file may be damaged."),
    "worker_lost": _l("Converting stopped unexpectedly several times. Try again, or ask the administrator."),
}
#: What is wrong with a caption file, per reason code of the caption parser.
CAPTION_ERRORS = {
    "empty": _l("the file has no captions"),
    "not_text": _l("the file is not a text file"),
    "too_large": _l("the file is larger than 2 MB"),
    "too_many_cues": _l("the file has too many captions"),
    "unknown_format": _l("this is neither WebVTT nor SRT"),
    "missing_header": _l("a WebVTT file must start with the word WEBVTT"),
    "bad_timestamp": _l("the time is not written like 00:01:02.500 --> 00:01:05.000"),
    "end_before_start": _l("the caption ends before it starts"),
}
STATUS_NAMES = {
    models.UPLOADED: _l("Waiting to be converted"),
    models.PROCESSING: _l("Converting"),
    models.READY: _l("Ready"),
    models.FAILED: _l("Failed"),
}
#: Content types of the files a video serves.
MIME_TYPES = {
    "m3u8": "application/vnd.apple.mpegurl",
    "m4s": "video/iso.segment",
    "ts": "video/mp2t",
    "mp4": "video/mp4",
    "m4a": "audio/mp4",
    "jpg": "image/jpeg",
}
IMMUTABLE = "public, max-age=31536000, immutable"
PRIVATE = "private, max-age=3600"
TRANSCRIPT_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$")


def init_app(app) -> None:
    """Register the demo videos step and offer the player to every template (courses/lesson.html includes it)."""
    if attach_demo_videos not in demo.DEMO_STEPS:
        demo.DEMO_STEPS.append(attach_demo_videos)
    app.jinja_env.globals.update(
        player_context=watching.player_context,
        video_status_names=STATUS_NAMES,
        video_failures=FAILURES,
    )


def _lesson_to_manage(lesson_id: int) -> Lesson:
    lesson = db.session.get(Lesson, lesson_id)
    if lesson is None or not operations.can_manage(current_user, lesson.course):
        abort(404)
    return lesson


def _video_to_manage(video_id: int) -> models.Video:
    video = db.session.get(models.Video, video_id)
    if video is None:
        abort(404)
    _lesson_to_manage(video.lesson_id)
    return video


def _video_to_watch(video_id: int) -> models.Video:
    video = db.session.get(models.Video, video_id)
    if video is None or not operations.may_watch(current_user, video):
        abort(404)
    return video


def _lesson_title(lesson: Lesson) -> str:
    text = lesson.text(lesson.course.source_language) or (lesson.texts[0] if lesson.texts else None)
    return (text.title or (text.latest_version.title if text.latest_version else "")) if text else lesson.slug


def _caption_form(video_id: int, formdata=True) -> CaptionForm:
    # A prefix per video keeps the field ids unique when a lesson has several videos.
    form = (
        CaptionForm(prefix=f"captions-{video_id}")
        if formdata
        else CaptionForm(prefix=f"captions-{video_id}", formdata=None)
    )
    form.language.choices = [SelectChoice(code, name) for code, name in content_languages()]
    return form


def _render_manage(lesson: Lesson, upload_form=None, caption_form=None, caption_video_id=None, status=200):
    max_mb = current_app.config["MAX_VIDEO_BYTES"] / 1_000_000
    videos = operations.lesson_videos(lesson)
    caption_forms = {video.id: _caption_form(video.id, formdata=False) for video in videos}
    if caption_form is not None:
        caption_forms[caption_video_id] = caption_form
    return (
        render_template(
            "media/manage.html",
            lesson=lesson,
            lesson_title=_lesson_title(lesson),
            videos=videos,
            upload_form=upload_form or VideoUploadForm(formdata=None),
            caption_forms=caption_forms,
            max_mb=max_mb,
        ),
        status,
    )


@bp.get("/pelajaran/<int:lesson_id>")
@allow(*STAFF)
def manage(lesson_id: int):
    """Show a lesson's videos with their conversion state, and the upload and caption forms."""
    return _render_manage(_lesson_to_manage(lesson_id))


@bp.post("/pelajaran/<int:lesson_id>/unggah")
@allow(*STAFF)
def upload(lesson_id: int):
    """Receive a video for a lesson, probe it, and queue its conversion."""
    lesson = _lesson_to_manage(lesson_id)
    max_bytes = current_app.config["MAX_VIDEO_BYTES"]
    # Multipart framing adds a little to the file itself.
    request.max_content_length = max_bytes + 1024 * 1024
    form = VideoUploadForm()
    if request.content_length and request.content_length > request.max_content_length:
        form.video.errors = [_upload_message("file_too_big", max_bytes)]
        return _render_manage(lesson, upload_form=form, status=413)
    if not form.validate_on_submit():
        return _render_manage(lesson, upload_form=form, status=422)
    file = form.video.data
    try:
        video = operations.receive_video(lesson, file.stream, file.filename, current_user, max_bytes)
    except operations.UploadRejected as error:
        db.session.rollback()
        form.video.errors = [_upload_message(error.reason, max_bytes)]
        return _render_manage(lesson, upload_form=form, status=422)
    except operations.DuplicateUpload as duplicate:
        db.session.rollback()
        # A second upload of the same file, or the second request of a double submit: the first one stands.
        name = duplicate.video.original_filename or _("Video")
        flash(_("This lesson already has this file, as “%(name)s”. It was not added again.", name=name), "info")
        return redirect(url_for("media.manage", lesson_id=lesson.id), 303)
    db.session.commit()
    operations.start_transcode(video)
    flash(_("The video was uploaded. It is being converted; this page shows the progress."), "success")
    return redirect(url_for("media.manage", lesson_id=lesson.id))


def _upload_message(reason: str, max_bytes: int) -> str:
    message = str(UPLOAD_ERRORS.get(reason, UPLOAD_ERRORS["not_video"]))
    return message % {"size": _size_text(max_bytes)} if reason == "file_too_big" else message


def _size_text(size_bytes: int) -> str:
    if size_bytes >= 1_000_000_000:
        return f"{size_bytes / 1_000_000_000:g} GB"
    return f"{size_bytes / 1_000_000:g} MB"


@bp.get("/<int:video_id>/status")
@allow(*STAFF)
def status(video_id: int):
    """Answer with a video's conversion state as JSON, for the manage page's progress script."""
    video = _video_to_manage(video_id)
    state = operations.status_of(video)
    state["status_text"] = str(STATUS_NAMES[video.status])
    left = video.seconds_left
    state["left_text"] = (
        _("about %(minutes)d min %(seconds)d s left", minutes=int(left // 60), seconds=int(left % 60))
        if left is not None and video.status == models.PROCESSING
        else ""
    )
    state["failure_text"] = str(FAILURES.get(video.failure_reason, "")) if video.failure_reason else None
    return jsonify(state)


@bp.post("/<int:video_id>/ulangi")
@allow(*STAFF)
def retry(video_id: int):
    """Queue a failed video's conversion again."""
    video = _video_to_manage(video_id)
    if operations.retry_video(video):
        db.session.commit()
        operations.start_transcode(video)
        flash(_("Converting again."), "success")
    return redirect(url_for("media.manage", lesson_id=video.lesson_id))


@bp.get("/pelajaran/<int:lesson_id>/hapus/<int:video_id>")
@allow(*STAFF)
def confirm_delete(lesson_id: int, video_id: int):
    """Ask an officer to confirm deleting a video of a lesson."""
    lesson = _lesson_to_manage(lesson_id)
    video = db.session.get(models.Video, video_id)
    if video is None or video.lesson_id != lesson.id:
        abort(404)
    is_current = (current := operations.current_video(lesson.id)) is not None and current.id == video.id
    return render_template(
        "media/delete.html", lesson=lesson, lesson_title=_lesson_title(lesson), video=video, is_current=is_current
    )


@bp.post("/pelajaran/<int:lesson_id>/hapus/<int:video_id>")
@allow(*STAFF)
def delete(lesson_id: int, video_id: int):
    """Delete a video of a lesson with its renditions, captions and files."""
    lesson = _lesson_to_manage(lesson_id)
    video = db.session.get(models.Video, video_id)
    if video is None:
        # The second request of a double submit: the first one deleted it.
        flash(_("The video was already deleted."), "info")
        return redirect(url_for("media.manage", lesson_id=lesson.id), 303)
    if video.lesson_id != lesson.id:
        abort(404)
    deleted = operations.delete_video(video)
    db.session.commit()
    operations.discard_video_files(deleted)
    flash(_("The video was deleted."), "success")
    return redirect(url_for("media.manage", lesson_id=lesson.id), 303)


@bp.post("/<int:video_id>/teks")
@allow(*STAFF)
def captions(video_id: int):
    """Store captions for a video in one language (WebVTT as is, SRT converted)."""
    video = _video_to_manage(video_id)
    lesson = db.session.get(Lesson, video.lesson_id)
    form = _caption_form(video.id)
    if not form.validate_on_submit():
        return _render_manage(lesson, caption_form=form, caption_video_id=video.id, status=422)
    file = form.captions.data
    data = file.stream.read(2 * 1024 * 1024 + 1)
    try:
        operations.save_captions(video, form.language.data, data, file.filename or "")
    except CaptionError as error:
        db.session.rollback()
        problem = CAPTION_ERRORS.get(error.reason, error.reason)
        if error.line_number is not None:
            message = _("Line %(line)d: %(problem)s.", line=error.line_number, problem=problem)
        else:
            message = _("The caption file was not accepted: %(problem)s.", problem=problem)
        form.captions.errors = [message]
        return _render_manage(lesson, caption_form=form, caption_video_id=video.id, status=422)
    db.session.commit()
    flash(_("The captions were saved."), "success")
    return redirect(url_for("media.manage", lesson_id=lesson.id))


def _cache_headers(response: Response, video: models.Video) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE if operations.is_public(video) else PRIVATE
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/<int:video_id>/berkas/<name>")
@allow(ANYONE)
def file(video_id: int, name: str):
    """Serve one file of a ready video (playlist, segment, MP4, poster) with range requests."""
    if not operations.SERVED_FILE.match(name):
        abort(404)
    video = _video_to_watch(video_id)
    folder = "mp4" if operations.PROGRESSIVE.match(name) else "hls"
    path = operations.media_root() / video.folder / folder / name
    if not path.is_file():
        abort(404)
    mimetype = MIME_TYPES[name.rpartition(".")[2]]
    response = flask_send_file(path, mimetype=mimetype, conditional=True, max_age=31536000)
    return _cache_headers(response, video)


@bp.get("/<int:video_id>/teks/<language>.vtt")
@allow(ANYONE)
def track(video_id: int, language: str):
    """Serve a video's captions in one language as WebVTT."""
    video = _video_to_watch(video_id)
    caption = next((t for t in video.captions if t.language == language), None)
    if caption is None:
        abort(404)
    path = operations.media_root() / caption.vtt_path
    response = flask_send_file(path, mimetype="text/vtt", conditional=True, max_age=31536000)
    return _cache_headers(response, video)


@bp.get("/<int:video_id>/transkrip/<language>.txt")
@allow(ANYONE)
def transcript(video_id: int, language: str):
    """Offer a video's transcript in one language as a text file to keep."""
    video = _video_to_watch(video_id)
    caption = next((t for t in video.captions if t.language == language), None)
    if caption is None or not TRANSCRIPT_LANGUAGE.match(language):
        abort(404)
    response = Response(caption.transcript, mimetype="text/plain")
    response.headers["Content-Disposition"] = f'attachment; filename="transkrip-{video.id}-{language}.txt"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/<int:video_id>/posisi")
@allow(*SIGNED_IN)
def position(video_id: int):
    """Save where the learner is in a video (JSON or form); the furthest point grows no faster than playback."""
    video = _video_to_watch(video_id)
    payload = request.get_json(silent=True) if request.is_json else request.form
    try:
        seconds = float((payload or {}).get("position", ""))
    except (TypeError, ValueError):
        return jsonify(error=_("The position must be a number of seconds.")), 422
    if seconds != seconds or seconds in (float("inf"), float("-inf")):
        return jsonify(error=_("The position must be a number of seconds.")), 422
    progress = watching.record_watching(current_user, video, seconds)
    db.session.commit()
    return jsonify(position=progress.video_position_s, furthest=progress.video_furthest_s)

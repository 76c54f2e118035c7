"""Pages of background file jobs, on the progress blueprint: progress (live with a small script, or on reload),
the file once it is ready, and why a job failed. Only the person who started a job sees it."""

from __future__ import annotations

from flask import abort, jsonify, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from lms.access import LEADER, STAFF, allow
from lms.progress import background
from lms.progress.exports import MIMETYPES
from lms.progress.models import DONE, EXPORT, FAILED, QUEUED, RUNNING, FileJob
from lms.progress.views import bp

STATUS_NAMES = {
    QUEUED: _l("Waiting to start"),
    RUNNING: _l("Working"),
    DONE: _l("Finished"),
    FAILED: _l("Stopped"),
}
FAILURES = {
    "error": _l(
        "Something went wrong while working on it. Please start it again; if it stops again, tell the administrator."
    ),
    "worker_lost": _l("The server stopped while working on it. Please start it again."),
    "gone": _l("The list it worked on no longer exists."),
}


def _own_job_or_404(job_id: int) -> FileJob:
    found = background.find_job(current_user, job_id)
    if found is None:
        abort(404)  # another person's job is as unknown as a missing one
    return found


def progress_text(file_job: FileJob) -> str:
    """Say how far a job got, in its own unit."""
    if file_job.kind == EXPORT:
        return _("%(done)d of %(total)d villages", done=file_job.done, total=file_job.total)
    return _("%(done)d of %(total)d villagers saved", done=file_job.done, total=file_job.total)


@bp.get("/pekerjaan/<int:job_id>")
@allow(LEADER, *STAFF)
def file_job(job_id: int):
    """Show a background job's progress, its file when ready, or why it failed."""
    found = _own_job_or_404(job_id)
    return render_template(
        "progress/file_job.html",
        job=found,
        status_names=STATUS_NAMES,
        failures=FAILURES,
        progress_text=progress_text(found),
        path=background.file_path(found),
    )


@bp.get("/pekerjaan/<int:job_id>/status")
@allow(LEADER, *STAFF)
def file_job_status(job_id: int):
    """Answer with a job's progress as JSON, for the progress page's script."""
    found = _own_job_or_404(job_id)
    return jsonify(
        status=found.status,
        status_text=str(STATUS_NAMES[found.status]),
        percent=round(found.percent, 1),
        progress_text=progress_text(found),
        download_url=url_for("progress.file_job_download", job_id=found.id) if background.file_path(found) else None,
    )


@bp.get("/pekerjaan/<int:job_id>/berkas")
@allow(LEADER, *STAFF)
def file_job_download(job_id: int):
    """Download a finished export."""
    found = _own_job_or_404(job_id)
    path = background.file_path(found)
    if path is None:
        abort(404)
    kind = found.params["format"]
    name = f"peserta-{found.params['region']}" + (f"-{found.params['course']}" if found.params.get("course") else "")
    response = send_file(path, mimetype=MIMETYPES[kind], as_attachment=True, download_name=f"{name}.{kind}", max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response

"""Course pages for residents, and authoring pages for officers."""

from flask import Blueprint

from lms import demo
from lms.courses import models  # noqa: F401 - the models must exist when the app is created
from lms.courses.commands import courses_cli, import_builtin_courses
from lms.progress import models as progress_models  # noqa: F401

bp = Blueprint("courses", __name__, template_folder="templates")


def init_app(app) -> None:
    """Register the courses commands and the setup step that loads the built-in courses."""
    app.cli.add_command(courses_cli)
    if import_builtin_courses not in demo.SETUP_STEPS:
        demo.SETUP_STEPS.append(import_builtin_courses)

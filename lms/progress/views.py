"""Progress pages: residents' "Belajar saya", leaders' village dashboard, assisted enrolment and roster import."""

from flask import Blueprint, render_template
from flask_login import current_user

import lms.progress.models  # noqa: F401 - the models must exist when the app is created
from lms import demo
from lms.access import RESIDENT, allow
from lms.courses import reading
from lms.progress import learning
from lms.progress.commands import progress_cli
from lms.progress.demo_data import add_demo_progress
from lms.progress.synth import synth_command
from lms.progress.triggers import install_hooks

bp = Blueprint("progress", __name__, template_folder="templates")


def init_app(app) -> None:
    """Check completions whenever facts change; register the commands and the demo progress."""
    install_hooks()
    app.cli.add_command(progress_cli)
    if "synth" not in demo.demo_cli.commands:
        demo.demo_cli.add_command(synth_command)
    if add_demo_progress not in demo.DEMO_STEPS:
        demo.DEMO_STEPS.append(add_demo_progress)
    app.jinja_env.globals.setdefault("certificate_url", learning.certificate_url)


@bp.get("/belajar")
@allow(RESIDENT)
def my_learning():
    """Show the resident's courses: progress, what is done, the next step, certificates."""
    languages = reading.load_languages()
    courses = learning.my_learning(current_user, languages)
    return render_template("progress/my_learning.html", courses=courses, languages=languages)


from lms.progress import file_jobs, leaders  # noqa: E402, F401 - more pages, on this blueprint

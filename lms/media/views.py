"""Video pages: officers upload and follow transcoding; residents watch, with captions and saved position."""

from flask import Blueprint

from lms.media import models  # noqa: F401 - the models must exist when the app is created

bp = Blueprint("media", __name__, template_folder="templates")

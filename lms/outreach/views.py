"""Outreach pages: schedule a session, mark attendance on the roster, show the QR code, check in."""

from flask import Blueprint

from lms.outreach import models  # noqa: F401 - the models must exist when the app is created

bp = Blueprint("outreach", __name__, template_folder="templates")

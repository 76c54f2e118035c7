"""Quiz pages for residents: take, answer one question a page, submit, review the result."""

from flask import Blueprint

from lms.quizzes import models  # noqa: F401 - the models must exist when the app is created

bp = Blueprint("quizzes", __name__, template_folder="templates")

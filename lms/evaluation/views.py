"""Feedback pages for residents and the evaluation pages for officers."""

from flask import Blueprint

from lms.evaluation import models as models  # the models must exist when the app is created

bp = Blueprint("evaluation", __name__, template_folder="templates")

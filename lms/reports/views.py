"""Officers' reports over their office's area, with drill-down and exports."""

from flask import Blueprint

bp = Blueprint("reports", __name__, template_folder="templates")

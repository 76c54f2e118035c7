"""Reports over an office's area: residents, enrolments, completions and certificates rolled up from villages to
districts, regencies and provinces by grouping on prefixes of the village code, never village by village.

A village code is "PP.RR.DD.VVVV": its first 2, 5, 8 and 13 characters name its province, regency,
district and village, so one GROUP BY over substr(village_code, 1, n) counts a whole level at once.
The number of queries is fixed, whatever the number of villages or residents.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, or_, select

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


def _within(column, area: list[str] | None, region: Region | None):
    """Return the SQL condition for a village code inside the area and inside the region."""
    conditions = []
    if region is not None:
        conditions.append(column.startswith(region.code + ".", autoescape=True))
    if area is not None:
        conditions.append(or_(*[column.startswith(code + ".", autoescape=True) for code in area]) if area else False)
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
            statement = statement.where(*_within(Region.code, area, None))
    return level, list(db.session.execute(statement.order_by(Region.name, Region.code)).all())


def rollup(area: list[str] | None, region: Region | None, course_id: int | None = None) -> Report:
    """Count residents, enrolled, completed and certified residents in each child region (five queries)."""
    level, children = child_regions(area, region)
    length = PREFIX_LENGTH[level]
    group = func.substr(User.village_code, 1, length).label("code")
    residents = [User.role == RESIDENT, ~User.is_deleted, User.village_code.is_not(None)]
    residents += _within(User.village_code, area, region)

    def grouped(statement) -> dict[str, int]:
        return dict(db.session.execute(statement.where(*residents).group_by(group)).all())

    counts = {
        "residents": grouped(select(group, func.count(User.id))),
        "enrolled": grouped(
            select(group, func.count(Enrolment.user_id.distinct()))
            .join(Enrolment, Enrolment.user_id == User.id)
            .where(*([Enrolment.course_id == course_id] if course_id else []))
        ),
        "completed": grouped(
            select(group, func.count(CourseCompletion.user_id.distinct()))
            .join(CourseCompletion, CourseCompletion.user_id == User.id)
            .where(*([CourseCompletion.course_id == course_id] if course_id else []))
        ),
    }
    model = certificate_model()
    if model is not None:
        counts["certified"] = grouped(
            select(group, func.count(model.user_id.distinct()))
            .join(model, model.user_id == User.id)
            .where(valid_certificates_condition(model), *([model.course_id == course_id] if course_id else []))
        )
    report = Report(region=region, level=level)
    total = ReportRow(region.code if region else "", region.name if region else "", region.level if region else 0)
    for code, name in children:
        row = ReportRow(code, name, level, **{key: values.get(code, 0) for key, values in counts.items()})
        report.rows.append(row)
        for key in ("residents", "enrolled", "completed", "certified"):
            setattr(total, key, getattr(total, key) + getattr(row, key))
    report.total = total
    return report

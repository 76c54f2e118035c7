"""Fixtures for the community tests: a published course, a second office, residents of each area."""

import re
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from lms.access import OFFICER, RESIDENT
from lms.community.models import Concern, ResidentQuestion
from lms.extensions import db
from lms.regions.operations import ensure_office
from tests.progress.conftest import add_course

#: A village of Kota Palembang (16.71), covered by the second office and not by the demo office.
PALEMBANG_VILLAGE = "16.71.01.1001"


@dataclass
class CourseIds:
    course: int
    lessons: list[int]


@pytest.fixture
def course(app) -> CourseIds:
    """A published course with three lessons (Indonesian and English)."""
    with app.app_context():
        record = add_course("kursus-uji", lessons=3, title="Paspor Uji")
        db.session.commit()
        return CourseIds(record.id, [lesson.id for lesson in record.lessons])


@pytest.fixture
def palembang_officer(app, create_user) -> int:
    """An officer of another office (Kantor Imigrasi Palembang, covering Kota Palembang)."""
    with app.app_context():
        office_id = ensure_office("Kantor Imigrasi Palembang", ["16.71"]).id
        db.session.commit()
    return create_user(OFFICER, "petugaspalembang", office_id=office_id)


@pytest.fixture
def palembang_resident(create_user) -> int:
    """A resident of a village in Kota Palembang."""
    return create_user(RESIDENT, "wargapalembang", village_code=PALEMBANG_VILLAGE)


@pytest.fixture
def counts(app):
    """Return a function counting the stored questions and concerns."""

    def count() -> tuple[int, int]:
        with app.app_context():
            questions = db.session.scalar(select(func.count()).select_from(ResidentQuestion))
            concerns = db.session.scalar(select(func.count()).select_from(Concern))
            return questions, concerns

    return count


def hidden_fields(client, path: str) -> dict[str, str]:
    """Open a form page and return its hidden fields (the one-time form token, the lesson), as a browser sends them."""
    page = client.get(path).get_data(as_text=True)
    return dict(re.findall(r'<input id="\w+" name="(\w+)" type="hidden" value="([^"]*)">', page))


def form_token(client, path: str = "/tanya") -> str:
    """Open a form page and return its one-time form token."""
    return hidden_fields(client, path)["form_token"]


def ask(client, body: str, **fields):
    """Ask a question through the page, as a browser would."""
    path = fields.pop("path", "/tanya")
    data = {**hidden_fields(client, path), "body": body, "language": "id", **fields}
    return client.post(path, data=data)

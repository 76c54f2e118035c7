"""Officers' reports: their office's area rolled up province → regency → district → village, with drill-down."""

import csv
import io
import re

import openpyxl
import pytest

from lms.access import ADMIN, OFFICER
from lms.extensions import db
from lms.progress.completion import enrol
from lms.regions.operations import ensure_office
from tests.progress.conftest import read_lessons

DEMO = "16.72.01.1018"  # Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam
NEIGHBOUR = "16.72.01.1001"  # the same district
MUARA_ENIM = "16.03.01.2011"  # another regency of the office
PALEMBANG = "16.71.01.1001"  # a regency of the province the office does not cover


@pytest.fixture
def population(app, create_user, make_course):
    """Residents in three villages of the area and one outside it, some enrolled, some finished."""
    course = make_course(lessons=2)
    people = {
        "demo_done": create_user(village_code=DEMO),
        "demo_started": create_user(village_code=DEMO),
        "demo_idle": create_user(village_code=DEMO),
        "neighbour_done": create_user(village_code=NEIGHBOUR),
        "muara_enim": create_user(village_code=MUARA_ENIM),
        "palembang_done": create_user(village_code=PALEMBANG),
    }
    with app.app_context():
        for key in ("demo_done", "neighbour_done", "palembang_done"):
            read_lessons(people[key], course)
        read_lessons(people["demo_started"], course, 1)
        enrol(people["muara_enim"], course, via="leader")
        db.session.commit()
    return people


def table_rows(page: str) -> dict[str, list[str]]:
    """Return {region name: [residents, enrolled, completed, rate, certified]} from a report page."""
    rows = {}
    for row in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page, re.S):
        name = re.search(r">([^<]+)</a>", row).group(1)
        rows[name] = re.findall(r"<td>([^<]*)</td>", row)
    return rows


def test_top_level_is_the_provinces_holding_the_area(client, auth, officer, population):
    auth.sign_in(officer)
    page = client.get("/laporan", headers={"Accept-Language": "en"}).get_data(as_text=True)
    rows = table_rows(page)
    assert list(rows) == ["Sumatera Selatan"]
    # Palembang is in the province but not in the office's area: its resident does not count.
    assert rows["Sumatera Selatan"] == ["5", "4", "2", "50%", "0"]


def test_drill_down_to_a_village(client, auth, officer, population):
    auth.sign_in(officer)
    regencies = table_rows(client.get("/laporan?region=16", headers={"Accept-Language": "en"}).get_data(as_text=True))
    assert list(regencies) == ["Kabupaten Muara Enim", "Kota Pagar Alam"]
    assert regencies["Kota Pagar Alam"] == ["4", "3", "2", "66.7%", "0"]
    assert regencies["Kabupaten Muara Enim"] == ["1", "1", "0", "0%", "0"]
    districts = table_rows(client.get("/laporan?region=16.72").get_data(as_text=True))
    assert districts["Pagar Alam Utara"][:3] == ["4", "3", "2"]
    villages = table_rows(client.get("/laporan?region=16.72.01").get_data(as_text=True))
    assert villages["Dempo Makmur"][:3] == ["3", "2", "1"]
    assert villages["Sukorejo"][:3] == ["1", "1", "1"]
    assert villages["Selibar"][:3] == ["0", "0", "0"]  # a village without residents still shows
    page = client.get(f"/laporan?region={DEMO}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Participants" in page and "How far participants got" in page
    assert page.count("status-completed") == 1


def test_a_course_filter(client, auth, officer, population, make_course):
    make_course("kursus-lain", lessons=1, title="Kursus Lain")
    auth.sign_in(officer)
    page = client.get("/laporan?region=16&course=kursus-lain").get_data(as_text=True)
    assert table_rows(page)["Kota Pagar Alam"] == ["4", "0", "0", "–", "0"]


@pytest.mark.parametrize("region", ["31", "16.71", PALEMBANG, "16.71.01", "99", "16.72.01.9999", "x" * 40])
def test_regions_outside_the_area_are_not_found(client, auth, officer, population, region):
    auth.sign_in(officer)
    for suffix in ("", "&format=csv", "&format=xlsx", "&format=print"):
        assert client.get(f"/laporan?region={region}{suffix}").status_code == 404


def test_another_office_sees_its_own_area_only(app, client, auth, create_user, population):
    with app.app_context():
        other = ensure_office("Kantor Imigrasi Palembang", ["16.71"])
        db.session.commit()
        other_id = other.id
    auth.sign_in(create_user(OFFICER, office_id=other_id))
    rows = table_rows(client.get("/laporan?region=16").get_data(as_text=True))
    assert list(rows) == ["Kota Palembang"] and rows["Kota Palembang"][:3] == ["1", "1", "1"]
    assert client.get(f"/laporan?region={DEMO}").status_code == 404


def test_admins_see_every_province(client, auth, create_user, population):
    auth.sign_in(create_user(ADMIN))
    rows = table_rows(client.get("/laporan").get_data(as_text=True))
    assert len(rows) == 38 and rows["Sumatera Selatan"][:3] == ["6", "5", "3"]


def test_an_officer_without_office_is_told(client, auth, create_user):
    from lms.accounts.models import User

    user_id = create_user(OFFICER)
    with client.application.app_context():
        db.session.get(User, user_id).office_id = None
        db.session.commit()
    auth.sign_in(user_id)
    page = client.get("/laporan", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Your account has no office yet" in page


def test_report_exports_open_back(client, auth, officer, population):
    auth.sign_in(officer)
    response = client.get("/laporan?region=16&format=csv", headers={"Accept-Language": "en"})
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Code", "Regency or city", "Residents"]
    assert rows[0][3:] == ["Enrolled", "Completed", "Completion rate (%)", "Certified"]
    assert ["16.72", "Kota Pagar Alam", "4", "3", "2", "66.7", "0"] in rows
    response = client.get("/laporan?region=16&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(min_row=2, values_only=True))
    assert ("16.72", "Kota Pagar Alam", 4, 3, 2, 66.7, 0) in values
    page = client.get("/laporan?region=16&format=print", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Kota Pagar Alam" in page and "Total" in page
    response = client.get(f"/laporan?region={DEMO}&format=csv", headers={"Accept-Language": "en"})
    assert response.get_data(as_text=True).count("\n") == 4  # the header and the village's three residents

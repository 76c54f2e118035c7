"""Roster import: a preview with every row's problems before anything is saved; one confirmation, saved once."""

import io
import re

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.accounts.models import User
from lms.extensions import db
from lms.progress.models import Enrolment, RosterImport
from tests.outreach.conftest import OTHER_VILLAGE

VILLAGE = "16.72.01.1018"


def upload(client, content: bytes, filename="warga.csv", **fields):
    data = {"file": (io.BytesIO(content), filename), "course_id": "0", "consent": "y", **fields}
    return client.post("/desa/impor", data=data, content_type="multipart/form-data", headers={"Accept-Language": "en"})


def xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def residents() -> int:
    return db.session.scalar(select(func.count()).select_from(User).where(User.role == "resident"))


def test_a_good_roster_is_previewed_then_saved_once(app, client, auth, leader, make_course):
    course_id = make_course()
    auth.sign_in(leader)
    content = f"nama;telepon;kode_desa\nSiti Aminah;0812 3456 7001;{VILLAGE}\nBudi;;\n".encode()
    response = upload(client, content, course_id=str(course_id))
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    with app.app_context():
        assert residents() == 0  # nothing is saved before the confirmation
    page = client.get(preview_url, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<strong id="rows-ready">2</strong>' in page and "Siti Aminah" in page and "+6281234567001" in page
    for _ in range(2):  # the confirmation sent twice
        response = client.post(preview_url, headers={"Accept-Language": "en"})
        assert response.status_code == 200
    assert "nothing was added twice" in response.get_data(as_text=True)
    with app.app_context():
        assert residents() == 2
        siti = db.session.scalar(select(User).where(User.name == "Siti Aminah"))
        assert siti.phone == "+6281234567001" and siti.village_code == VILLAGE and siti.is_assisted
        enrolled = select(func.count()).select_from(Enrolment).where(Enrolment.course_id == course_id)
        assert db.session.scalar(enrolled) == 2
    page = client.get("/desa/kartu", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "2 villagers have no sign-in card yet." in page


def refusals(app) -> dict[str, list[str]]:
    with app.app_context():
        record = db.session.scalar(select(RosterImport).order_by(RosterImport.id.desc()))
        return {row["name"]: row["errors"] for row in record.refused}


def test_bad_rows_are_listed_and_good_rows_still_saved(app, client, auth, leader, create_user):
    create_user(phone="081299990000")
    auth.sign_in(leader)
    content = "\n".join(
        [
            "Nama,No HP,Kode Desa",
            f"Baik Sekali,081200000001,{VILLAGE}",
            f"Kembar Satu,081200000002,{VILLAGE}",
            f"Kembar Dua,081200000002,{VILLAGE}",
            f"Sudah Ada,081299990000,{VILLAGE}",
            "Desa Entah,,99.99.99.9999",
            f"Desa Tetangga,,{OTHER_VILLAGE}",
            f'"=HYPERLINK(""http://x"")",,{VILLAGE}',
            f"+cmd,,{VILLAGE}",
            f",081200000009,{VILLAGE}",
            f"Nomor Aneh,12345,{VILLAGE}",
        ]
    ).encode()
    response = upload(client, content)
    assert response.status_code == 302
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<strong id="rows-ready">1</strong>' in page and '<strong id="rows-refused">9</strong>' in page
    assert "the mobile number appears more than once in the file" in page
    assert refusals(app) == {
        "Kembar Satu": ["phone_repeated"],
        "Kembar Dua": ["phone_repeated"],
        "Sudah Ada": ["phone_taken"],
        "Desa Entah": ["village_unknown"],
        "Desa Tetangga": ["village_not_yours"],
        '=HYPERLINK("http://x")': ["name_formula"],
        "+cmd": ["name_formula"],
        "": ["name_missing"],
        "Nomor Aneh": ["phone_invalid"],
    }
    client.post(response.headers["Location"])
    with app.app_context():
        assert set(db.session.scalars(select(User.name).where(User.is_assisted))) == {"Baik Sekali"}


@pytest.mark.parametrize(
    ("content", "filename", "message"),
    [
        (b"nama,umur\nSiti,30\n", "warga.csv", "Unknown or repeated columns: umur."),
        (b"telepon\n081200000001\n", "warga.csv", "with a column called nama"),
        (b"nama\n", "warga.csv", "The file has no villagers in it."),
        (b"bukan zip", "warga.xlsx", "could not be read as an XLSX workbook"),
        (b"nama\nSiti\n", "warga.pdf", "Please upload a CSV or XLSX file."),
    ],
)
def test_unusable_files_are_refused_whole(app, client, auth, leader, content, filename, message):
    auth.sign_in(leader)
    response = upload(client, content, filename)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RosterImport)) == 0


def test_xlsx_with_numbers_that_lost_their_leading_zero(app, client, auth, leader):
    auth.sign_in(leader)
    response = upload(client, xlsx([["Nama", "Telepon"], ["Siti", 81234567002], ["Budi", None]]), "warga.xlsx")
    assert response.status_code == 302
    client.post(response.headers["Location"])
    with app.app_context():
        assert db.session.scalar(select(User.phone).where(User.name == "Siti")) == "+6281234567002"


@pytest.mark.slow
def test_ten_thousand_rows_import_and_one_more_is_refused(app, client, auth, leader):
    auth.sign_in(leader)
    rows = [["nama", "telepon"]] + [[f"Warga {n}", f"0812{n:08d}"] for n in range(10_000)]
    response = upload(client, xlsx(rows), "warga.xlsx")
    assert response.status_code == 302
    preview = response.headers["Location"]
    response = client.post(preview, headers={"Accept-Language": "en"})
    assert response.status_code == 302  # saved in the background, with progress
    job_page = response.headers["Location"]
    again = client.post(preview, headers={"Accept-Language": "en"})  # a double submit adds nobody
    assert "This list was saved already; nothing was added twice." in again.get_data(as_text=True)
    page = client.get(job_page, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Finished" in page and ">100</span>%" in page and "10000 of 10000 villagers saved" in page
    page = client.get(preview, headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r'id="rows-ready">10000</strong> saved', page)
    with app.app_context():
        assert residents() == 10_000
        assert db.session.scalar(select(func.count(func.distinct(User.username)))) == 10_001  # and the leader
    response = upload(client, xlsx([*rows, ["Satu Lagi", ""]]), "warga.xlsx")
    assert response.status_code == 422
    assert "The file has more than 10000 villagers. Please split it." in response.get_data(as_text=True)


def test_another_leaders_preview_is_not_found(app, client, auth, leader, create_user):
    from lms.access import LEADER

    auth.sign_in(leader)
    location = upload(client, b"nama\nSiti\n").headers["Location"]
    token = re.search(r"/desa/impor/(.+)$", location).group(1)
    auth.sign_out()
    auth.sign_in(create_user(LEADER, villages=[OTHER_VILLAGE]))
    assert client.get(f"/desa/impor/{token}").status_code == 404
    assert client.post(f"/desa/impor/{token}").status_code == 404
    with app.app_context():
        assert residents() == 0


def test_consent_and_file_are_required(client, auth, leader):
    auth.sign_in(leader)
    response = client.post("/desa/impor", data={"consent": ""}, headers={"Accept-Language": "en"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Please choose a CSV or XLSX file." in page and "Please confirm the villagers agreed." in page

"""Scheduling sessions in one's own area, marking attendance idempotently, exporting it, counting it for completion."""

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import func, select

from lms.access import LEADER, OFFICER
from lms.extensions import db
from lms.outreach.models import QR, Attendance, OutreachSession
from lms.progress.models import CourseCompletion, Enrolment
from tests.outreach.conftest import FAR_VILLAGE, OTHER_VILLAGE
from tests.progress.conftest import read_lessons

FORM = {"village_code": "16.72.01.1018", "course_id": "0", "topic": "Paspor", "place": "Balai desa"}
WHEN = {"day": "2026-12-01", "starts": "09:00", "ends": "11:00"}


def test_leader_schedules_a_session_in_their_village(app, client, auth, leader):
    auth.sign_in(leader)
    response = client.post("/penyuluhan/baru", data={**FORM, **WHEN})
    assert response.status_code == 302
    with app.app_context():
        session = db.session.scalar(select(OutreachSession))
        assert session.village_code == "16.72.01.1018" and session.topic == "Paspor"
        # 09:00 in Jakarta is 02:00 UTC.
        assert (session.starts_dt.hour, session.ends_dt.hour) == (2, 4)
    page = client.get(response.headers["Location"], headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Outreach session in Dempo Makmur" in page


@pytest.mark.parametrize(
    ("role", "village", "allowed"),
    [(LEADER, OTHER_VILLAGE, False), (OFFICER, OTHER_VILLAGE, True), (OFFICER, FAR_VILLAGE, False)],
)
def test_sessions_only_in_ones_area(app, client, auth, create_user, role, village, allowed):
    auth.sign_in(create_user(role))
    response = client.post(
        "/penyuluhan/baru", data={**FORM, **WHEN, "village_code": village}, headers={"Accept-Language": "en"}
    )
    assert response.status_code == (302 if allowed else 422)
    if not allowed:
        assert "This village is not in your area." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutreachSession)) == int(allowed)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ends": "08:00"}, "The session must end after it starts."),
        ({"day": "besok"}, "Please give a date, e.g. 2026-12-01."),
        ({"starts": "9 pagi"}, "Please give a time, e.g. 09:30."),
        ({"topic": "", "course_id": "0"}, "Choose a course or write the topic."),
        ({"course_id": "999999"}, "No course has this number."),
        ({"village_code": "99.99.99.9999"}, "No village has this code."),
    ],
)
def test_bad_session_input_is_explained(app, client, auth, officer, change, message):
    auth.sign_in(officer)
    response = client.post("/penyuluhan/baru", data={**FORM, **WHEN, **change}, headers={"Accept-Language": "en"})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutreachSession)) == 0


def count_attendance(session_id: int) -> int:
    return db.session.scalar(select(func.count()).where(Attendance.session_id == session_id))


def test_roster_marking_is_idempotent(app, client, auth, leader, create_user, make_session):
    first, second, third = create_user(), create_user(), create_user()
    outsider = create_user(village_code=OTHER_VILLAGE)
    session_id = make_session()
    auth.sign_in(leader)
    page = client.get(f"/penyuluhan/{session_id}").get_data(as_text=True)
    assert f'value="{first}"' in page and f'value="{outsider}"' not in page
    listed = [first, second, third, outsider]
    data = {"listed": listed, "present": [first, second, outsider]}
    for _ in range(2):  # a double tap
        assert client.post(f"/penyuluhan/{session_id}/hadir", data=data).status_code == 302
    with app.app_context():
        assert count_attendance(session_id) == 2  # the resident of another village is ignored
    client.post(f"/penyuluhan/{session_id}/hadir", data={"listed": listed, "present": [first]})
    with app.app_context():
        assert set(db.session.scalars(select(Attendance.user_id))) == {first}


def test_unticking_leaves_qr_check_ins_alone(app, client, auth, leader, resident, make_session):
    session_id = make_session()
    with app.app_context():
        db.session.add(Attendance(session_id=session_id, user_id=resident, method=QR))
        db.session.commit()
    auth.sign_in(leader)
    client.post(f"/penyuluhan/{session_id}/hadir", data={"listed": [resident]})
    with app.app_context():
        assert count_attendance(session_id) == 1


def test_attendance_counts_toward_a_course_that_asks_for_it(
    app, client, auth, leader, resident, make_course, make_session
):
    course_id = make_course(lessons=1, is_attendance_required=True)
    with app.app_context():
        read_lessons(resident, course_id)
        assert db.session.scalar(select(func.count()).select_from(CourseCompletion)) == 0
    session_id = make_session(course_id=course_id)
    auth.sign_in(leader)
    client.post(f"/penyuluhan/{session_id}/hadir", data={"listed": [resident], "present": [resident]})
    with app.app_context():
        assert db.session.scalar(select(CourseCompletion.user_id)) == resident


def test_attending_a_course_session_enrols(app, client, auth, leader, resident, make_course, make_session):
    course_id = make_course(lessons=2)
    session_id = make_session(course_id=course_id)
    auth.sign_in(leader)
    client.post(f"/penyuluhan/{session_id}/hadir", data={"listed": [resident], "present": [resident]})
    with app.app_context():
        enrolment = db.session.scalar(select(Enrolment))
        assert (enrolment.user_id, enrolment.course_id, enrolment.via) == (resident, course_id, "leader")


def test_attendance_exports_neutralise_formulas(app, client, auth, leader, create_user, make_session):
    sly = create_user(name='=HYPERLINK("http://evil.example","klik")')
    plain = create_user(name="Siti Aminah")
    session_id = make_session(starts_in=timedelta(days=-1))
    auth.sign_in(leader)
    client.post(f"/penyuluhan/{session_id}/hadir", data={"listed": [sly, plain], "present": [sly, plain]})

    response = client.get(f"/penyuluhan/{session_id}/daftar-hadir.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    names = [row[0] for row in rows[1:]]
    assert names == ['\'=HYPERLINK("http://evil.example","klik")', "Siti Aminah"]

    response = client.get(f"/penyuluhan/{session_id}/daftar-hadir.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [cell.value for cell in cells] == ['\'=HYPERLINK("http://evil.example","klik")', "Siti Aminah"]
    assert all(cell.data_type == "s" for cell in cells)

    page = client.get(f"/penyuluhan/{session_id}/cetak").get_data(as_text=True)
    assert "Siti Aminah" in page and "&#34;http://evil.example&#34;" in page

    assert client.get(f"/penyuluhan/{session_id}/daftar-hadir.pdf").status_code == 404


def test_index_lists_the_areas_sessions_only(app, client, auth, leader, make_session):
    mine = make_session(topic="Sesi desa saya")
    make_session(village_code=OTHER_VILLAGE, topic="Sesi desa lain")
    auth.sign_in(leader)
    page = client.get("/penyuluhan/").get_data(as_text=True)
    assert "Sesi desa saya" in page and "Sesi desa lain" not in page
    assert f"/penyuluhan/{mine}" in page

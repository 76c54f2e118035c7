"""The leader's village dashboard: participants per course, funnel and activity charts, hardest questions, exports."""

import csv
import io
import re

import openpyxl

from lms.extensions import db
from lms.progress.completion import enrol
from tests.outreach.conftest import OTHER_VILLAGE
from tests.progress.conftest import read_lessons, take_quiz


def build_village(app, make_course, create_user):
    """Three residents here (one finished, one half-way, one enrolled only) and one in another village."""
    course = make_course(lessons=2, quiz=True, is_quiz_required=True, title="Paspor Uji")
    done, halfway, waiting = create_user(name="Budi Selesai"), create_user(name="Siti Separuh"), create_user()
    elsewhere = create_user(name="Orang Desa Lain", village_code=OTHER_VILLAGE)
    with app.app_context():
        read_lessons(done, course)
        take_quiz(done, course)
        read_lessons(halfway, course, 1)
        take_quiz(halfway, course, right=False)
        read_lessons(elsewhere, course)
        enrol(waiting, course, via="leader")
        db.session.commit()
    return course, (done, halfway, waiting, elsewhere)


def test_dashboard_shows_the_leaders_villagers_only(app, client, auth, leader, make_course, create_user):
    build_village(app, make_course, create_user)
    auth.sign_in(leader)
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Budi Selesai" in page and "Siti Separuh" in page
    assert "Orang Desa Lain" not in page
    assert re.search(r"Budi Selesai.*?status-completed", page, re.S)
    assert re.search(r"Siti Separuh.*?status-in_progress.*?1 of 3 steps", page, re.S)


def test_funnel_and_activity_are_svg_with_text_alternatives(app, client, auth, leader, make_course, create_user):
    build_village(app, make_course, create_user)
    auth.sign_in(leader)
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    funnel = re.search(r"<svg class=\"chart\"[^>]*>.*?</svg>", page, re.S).group(0)
    assert 'role="img"' in funnel and "<title" in funnel
    assert "Enrolled: 3; Started: 2; Completed: 1; Certified: 0" in funnel
    assert "Show as a table" in page and '<th scope="row">Enrolled</th><td>3</td>' in page
    assert "Active learners per week" in page
    assert "style=" not in page  # the CSP allows no inline styles


def test_hardest_questions_come_from_the_villagers_answers(app, client, auth, leader, make_course, create_user):
    course = make_course(lessons=1, quiz=True, is_quiz_required=True)
    with app.app_context():
        for _ in range(3):
            take_quiz(create_user(), course, right=False)
    auth.sign_in(leader)
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert re.search(r"Question \d\?.*?0 of 3 answers right", page, re.S)


def test_hardest_questions_leave_pre_tests_out(app, client, auth, leader, make_course, create_user):
    from lms.quizzes.models import Attempt

    course = make_course(lessons=1, quiz=True, is_quiz_required=True)
    with app.app_context():
        for _ in range(3):
            take_quiz(create_user(), course, right=False)
        db.session.execute(db.update(Attempt).values(is_pretest=True))  # answered before any lesson
        db.session.commit()
    auth.sign_in(leader)
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "answers right" not in page


def test_search_and_status_filters(app, client, auth, leader, make_course, create_user):
    build_village(app, make_course, create_user)
    auth.sign_in(leader)
    page = client.get("/desa?q=siti", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Siti Separuh" in page and "Budi Selesai" not in page
    page = client.get("/desa?course=kursus-uji&status=completed").get_data(as_text=True)
    assert "Budi Selesai" in page and "Siti Separuh" not in page


def test_another_village_is_not_found(client, auth, leader):
    auth.sign_in(leader)
    assert client.get(f"/desa?village={OTHER_VILLAGE}").status_code == 404
    assert client.get(f"/desa?village={OTHER_VILLAGE}&format=csv").status_code == 404


def test_exports_open_back_with_formulas_neutralised(app, client, auth, leader, make_course, create_user):
    build_village(app, make_course, create_user)
    create_user(name="@SUM(A1:A9)", phone="081234567890")
    auth.sign_in(leader)
    response = client.get("/desa?format=csv", headers={"Accept-Language": "en"})
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:5] == ["Name", "Username or phone", "Mobile number", "Village", "Added by a leader"]
    by_name = {row[0]: row for row in rows[1:]}
    assert "'@SUM(A1:A9)" in by_name and by_name["'@SUM(A1:A9)"][2] == "081234567890"
    assert by_name["Budi Selesai"][5] == "Completed"
    assert "Orang Desa Lain" not in by_name

    response = client.get("/desa?format=xlsx&status=completed&course=kursus-uji")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = [[cell for cell in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert [row[0] for row in values] == ["Budi Selesai"]

    response = client.get("/desa?format=xlsx&q=SUM")
    cell = openpyxl.load_workbook(io.BytesIO(response.data)).active["A2"]
    assert cell.value == "'@SUM(A1:A9)" and cell.data_type == "s"

    page = client.get("/desa?format=print").get_data(as_text=True)
    assert "Budi Selesai" in page and "@SUM(A1:A9)" in page


def test_a_leader_without_villages_is_told_so(client, auth, create_user):
    from lms.access import LEADER

    auth.sign_in(create_user(LEADER, villages=[]))
    page = client.get("/desa", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "You do not lead a village yet." in page

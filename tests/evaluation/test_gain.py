"""Knowledge gain on known data: pre-test and best final scores per village and course, and what is left out."""

from datetime import date

from sqlalchemy import select

from lms.courses.models import Course
from lms.demo import DEMO_VILLAGE
from lms.evaluation import summary
from lms.extensions import db
from lms.progress.exports import XLSX_TYPE
from tests.evaluation.conftest import FAR_VILLAGE, OTHER_VILLAGE, SLUG, take


def known_data(app, create_user):
    """Two villages of the office's area and one outside it; scores in quarters (4 questions an attempt).

    Dempo Makmur: A pre 25 → attempts 50 then 100 (best 100); B pre 50 → 75; C pre-test only; D quiz only.
    Sidorejo: E pre 75 → 75. Gambir (Jakarta, outside the area): F pre 0 → 100.
    """
    people = {
        name: create_user("resident", f"warga_{name.lower()}", village_code=village)
        for name, village in {
            "A": DEMO_VILLAGE,
            "B": DEMO_VILLAGE,
            "C": DEMO_VILLAGE,
            "D": DEMO_VILLAGE,
            "E": OTHER_VILLAGE,
            "F": FAR_VILLAGE,
        }.items()
    }
    plan = {"A": (1, [2, 4]), "B": (2, [3]), "C": (0, []), "D": (None, [4]), "E": (3, [3]), "F": (0, [4])}
    for name, (pre, finals) in plan.items():
        if pre is not None:
            take(app, SLUG, people[name], right=pre, pretest=True)
        for right in finals:
            take(app, SLUG, people[name], right=right)
    return people


def test_gain_per_village_and_course_on_known_data(app, create_user, course_slug):
    known_data(app, create_user)
    with app.app_context():
        course_id = db.session.scalar(select(Course.id).where(Course.slug == SLUG))
        period = summary.Period.default(summary.local_today())
        rows = {row.village_code: row for row in summary.gains(["16.72", "16.03"], period)}
        assert set(rows) == {DEMO_VILLAGE, OTHER_VILLAGE}  # Gambir lies outside; C and D lack a score
        demo = rows[DEMO_VILLAGE]
        assert (demo.course_id, demo.participants, demo.pre, demo.final, demo.gain) == (course_id, 2, 37.5, 87.5, 50.0)
        other = rows[OTHER_VILLAGE]
        assert (other.participants, other.pre, other.final, other.gain) == (1, 75.0, 75.0, 0.0)
        (total,) = summary.gains_by_course(list(rows.values()))
        assert total.participants == 3 and total.pre == 50.0 and round(total.final, 6) == round(250 / 3, 6)
        everywhere = summary.overall_gain(summary.gains(None, period))  # an admin's view: Gambir too
        assert everywhere.participants == 4 and everywhere.pre == 37.5 and everywhere.final == 87.5


def test_a_period_before_the_attempts_has_no_participants(app, create_user, course_slug):
    known_data(app, create_user)
    with app.app_context():
        assert summary.gains(None, summary.Period(date(2020, 1, 1), date(2020, 3, 31))) == []


def test_the_page_shows_the_gain_chart_and_exports_it(app, client, auth, create_user, officer, course_slug):
    known_data(app, create_user)
    auth.sign_in(officer)
    page = client.get("/evaluasi").get_data(as_text=True)
    assert '<svg class="chart gain-chart"' in page
    assert "pra-tes 50, akhir 83,3, peningkatan 33,3" in page  # the chart's description, per course
    assert "+33,3" in page and "Dempo Makmur" in page and "Sidorejo" in page and "Gambir" not in page
    csv = client.get("/evaluasi?format=csv").get_data(as_text=True)
    assert "Dempo Makmur,2,37.5,87.5,50.0" in csv and "Sidorejo,1,75.0,75.0,0.0" in csv and "Gambir" not in csv
    xlsx = client.get("/evaluasi?format=xlsx")
    assert xlsx.mimetype == XLSX_TYPE and xlsx.data[:2] == b"PK"

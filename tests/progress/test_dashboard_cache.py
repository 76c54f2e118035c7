"""A village's figures are kept between requests while nothing they count changes: after every kind of write
the dashboard shows exactly what a recount shows."""

import re
from datetime import timedelta

from sqlalchemy import delete, select, update

from lms.accounts.models import User
from lms.clock import utcnow
from lms.extensions import db
from lms.outreach.models import ROSTER, Attendance, OutreachSession
from lms.progress.completion import enrol
from lms.progress.dashboard import figures_cache
from lms.progress.models import CourseCompletion
from tests.progress.conftest import read_lessons, take_quiz
from tests.progress.test_village_dashboard import build_village
from tests.sql import recorded_statements

VILLAGE = "16.72.01.1018"
EN = {"Accept-Language": "en"}


def test_the_kept_figures_always_equal_a_recount(app, client, auth, leader, make_course, create_user):
    course, (done, halfway, waiting, _) = build_village(app, make_course, create_user)
    auth.sign_in(leader)

    def page() -> str:
        html = client.get("/desa", headers=EN).get_data(as_text=True)
        return re.sub(r'value="[\w-]+\.[\w-]+\.[\w-]+"', "", html)  # CSRF tokens carry the second they were made

    def recount() -> str:
        figures_cache.clear()
        app.extensions["stored_pages"].clear()  # the page as sent is kept too
        return page()

    def session_in_village() -> int:
        now = utcnow()
        found = OutreachSession(
            village_code=VILLAGE,
            course_id=course,
            topic="Paspor",
            place="Balai desa",
            starts_dt=now,
            ends_dt=now + timedelta(hours=2),
            created_by_id=leader,
        )
        db.session.add(found)
        db.session.flush()
        return found.id

    writes = [
        lambda: read_lessons(waiting, course, 1),  # a lesson read
        lambda: read_lessons(halfway, course),  # the rest read: a completion may follow
        lambda: take_quiz(waiting, course),  # an attempt, finished and passed
        lambda: enrol(create_user(name="Warga Baru"), course, via="leader"),  # a villager added and enrolled
        lambda: db.session.execute(update(User).where(User.id == waiting).values(name="Nama Lain Sekali")),
        lambda: db.session.add(
            Attendance(session_id=session_in_village(), user_id=halfway, checked_in_dt=utcnow(), method=ROSTER)
        ),
        lambda: db.session.execute(delete(Attendance)),  # attendance removed
        lambda: db.session.execute(delete(CourseCompletion).where(CourseCompletion.user_id == done)),
        lambda: db.session.execute(update(User).where(User.id == halfway).values(is_deleted=True)),
    ]
    first = page()
    assert first == recount() == page()  # the second request is served from the kept page
    for number, write in enumerate(writes):
        with app.app_context():
            write()
            db.session.commit()
        assert page() == recount(), f"write {number} was not seen"
    assert page() != first
    with app.app_context():
        assert db.session.scalar(select(User.name).where(User.id == waiting)) == "Nama Lain Sekali"


def test_a_dashboard_asked_for_again_is_sent_as_kept_until_the_village_changes(
    app, client, auth, leader, make_course, create_user
):
    course, (_, _, waiting, elsewhere) = build_village(app, make_course, create_user)
    auth.sign_in(leader)
    client.get("/")  # the welcome message, shown once
    first = client.get("/desa", headers=EN)
    with recorded_statements(app) as statements:
        again = client.get("/desa", headers=EN)
    assert again.get_data() == first.get_data() and statements == []
    with app.app_context():
        take_quiz(elsewhere, course)
        db.session.commit()
    with recorded_statements(app) as statements:
        assert client.get("/desa", headers=EN).get_data() == first.get_data()
    assert statements == []  # another village's resident changes nothing here
    with app.app_context():
        read_lessons(waiting, course)
        db.session.commit()
    changed = client.get("/desa", headers=EN).get_data()
    assert changed != first.get_data()
    figures_cache.clear()
    app.extensions["stored_pages"].clear()
    assert client.get("/desa", headers=EN).get_data() == changed


def test_a_question_reworded_shows_among_the_hardest_at_once(app, client, auth, leader, make_course, create_user):
    from lms.quizzes.models import QuestionText

    course, (_, _, waiting, _) = build_village(app, make_course, create_user)
    with app.app_context():
        take_quiz(waiting, course, right=False)  # a third finished attempt: every question now counts
        db.session.commit()
    auth.sign_in(leader)
    client.get("/")  # the welcome message, shown once
    page = client.get("/desa", headers=EN).get_data(as_text=True)
    with app.app_context():
        text = db.session.scalars(select(QuestionText).where(QuestionText.language == "en")).first()
        assert text.text in page  # among the hardest questions
        text.text = "A question put more plainly"
        db.session.commit()
    assert "A question put more plainly" in client.get("/desa", headers=EN).get_data(as_text=True)

"""The demo: warga1's question answered and published as an FAQ under a passport lesson, warga2's open, a concern."""

from pathlib import Path

from flask import url_for
from sqlalchemy import func, select

from lms import demo
from lms.community.models import Concern, Faq, ResidentQuestion
from lms.courses.files import import_courses
from lms.extensions import db

COURSES_DIR = Path(__file__).resolve().parents[2] / "courses"


def test_demo_questions_faq_and_concern_are_added_once(app, client):
    with app.app_context():
        import_courses(COURSES_DIR)
        db.session.commit()
        for _ in range(2):  # safe to run again
            accounts = demo.seed()
            db.session.commit()
        questions = list(db.session.scalars(select(ResidentQuestion).order_by(ResidentQuestion.id)))
        assert [(q.user_id, q.is_answered) for q in questions] == [
            (accounts["warga1"].id, True),
            (accounts["warga2"].id, False),
        ]
        faq = db.session.scalar(select(Faq))
        faq_question = faq.question
        assert faq.question_id == questions[0].id and faq.office_id == accounts["petugas1"].office_id
        assert db.session.scalar(select(func.count()).select_from(Faq)) == 1
        assert db.session.scalar(select(Concern.user_id)) == accounts["warga1"].id
        assert db.session.scalar(select(func.count()).select_from(Concern)) == 1
        with app.test_request_context():
            lesson_url = url_for("courses.lesson", slug="paspor", lesson_slug="biaya-paspor")
    page = client.get(lesson_url).get_data(as_text=True)
    assert faq_question in page and "calo" in page

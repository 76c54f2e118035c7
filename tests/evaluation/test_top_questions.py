"""The evaluation lists what residents of the area asked most about (Tanya Petugas), hidden questions left out."""

from sqlalchemy import select

from lms.accounts.models import User
from lms.community import operations as community
from lms.courses.models import Lesson
from lms.extensions import db
from tests.evaluation.conftest import FAR_VILLAGE, OTHER_VILLAGE


def test_top_questions_count_the_areas_questions_by_lesson(app, client, auth, create_user, officer, course_slug):
    askers = [create_user("resident", f"penanya{n}", village_code=OTHER_VILLAGE) for n in range(3)]
    far = create_user("resident", "penanya_jauh", village_code=FAR_VILLAGE)
    with app.app_context():
        lessons = dict(db.session.execute(select(Lesson.slug, Lesson.id)).all())
        plan = [(asker, "pelajaran-dua") for asker in askers]
        plan += [(askers[0], "pelajaran-satu"), (askers[1], "pelajaran-satu")]  # the second one is hidden below
        plan += [(far, "pelajaran-satu")] * 3  # outside the area: not counted
        hidden = None
        for number, (user_id, lesson) in enumerate(plan):
            question, _ = community.ask_question(
                db.session.get(User, user_id),
                body=f"Pertanyaan rahasia {number}?",
                language="id",
                is_public=False,
                form_token=f"token-{number}",
                lesson_id=lessons[lesson],
            )
            if number == 4:
                hidden = question
        hidden.is_hidden = True  # hidden as abusive: out of the count
        db.session.commit()
    auth.sign_in(officer)
    page = client.get("/evaluasi").get_data(as_text=True)
    section = page[page.index("Pertanyaan terbanyak") : page.index("Pelajaran dengan nilai terendah")]
    assert "Pelajaran dua: 3 pertanyaan" in section and "Pelajaran satu: 1 pertanyaan" in section
    assert section.index("Pelajaran dua") < section.index("Pelajaran satu")
    assert "rahasia" not in page  # counts only: private questions' text never shows here

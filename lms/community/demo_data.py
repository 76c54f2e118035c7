"""Demo content for Tanya Petugas: an answered question made an FAQ on a passport lesson, an open one, a concern."""

from sqlalchemy import select

from lms.community.models import JOB_OFFER, Concern, ResidentQuestion
from lms.courses.models import Course, Lesson
from lms.extensions import db

#: Form tokens of the demo records: they make the step safe to run again.
ANSWERED_TOKEN, OPEN_TOKEN, CONCERN_TOKEN = "demo-question-answered", "demo-question-open", "demo-concern"
ANSWERED_QUESTION = "Apakah biaya paspor boleh dibayar lewat calo supaya cepat selesai?"
ANSWER = (
    "Tidak perlu dan sebaiknya jangan. Biaya paspor dibayar sendiri dengan kode billing ke kas negara, "
    "sesuai PP 28/2019. Uang yang diserahkan ke calo tidak mempercepat apa pun dan bisa hilang."
)
FAQ_QUESTION = "Bolehkah membayar paspor lewat calo agar cepat?"
OPEN_QUESTION = "Anak saya umur 5 tahun, apakah perlu ikut datang ke kantor imigrasi?"
CONCERN = (
    "Ada orang menawarkan kerja di kebun sawit luar negeri lewat Facebook, berangkat pakai visa turis, "
    "dan minta paspor dititipkan kepadanya."
)


def add_demo_questions(accounts: dict) -> None:
    """Add the demo questions (warga1's answered and published, warga2's open) and warga1's concern, once."""
    from lms.community.operations import answer_question, save_faq

    course = db.session.scalar(select(Course).where(Course.slug == "paspor"))
    lesson = course and db.session.scalar(
        select(Lesson).where(Lesson.course_id == course.id, Lesson.slug == "biaya-paspor")
    )
    first, second, officer = accounts["warga1"], accounts["warga2"], accounts["petugas1"]
    if lesson is not None and not db.session.scalar(
        select(ResidentQuestion.id).where(ResidentQuestion.form_token == ANSWERED_TOKEN)
    ):
        question = ResidentQuestion(
            user_id=first.id, village_code=first.village_code, lesson_id=lesson.id, course_id=course.id,
            language="id", body=ANSWERED_QUESTION, is_public=True, form_token=ANSWERED_TOKEN,
        )  # fmt: skip
        db.session.add(question)
        db.session.flush()
        answer_question(officer, question, ANSWER)
        question.notified_dt = question.answered_dt
        save_faq(
            officer, None, lesson_id=lesson.id, language="id", question=FAQ_QUESTION, answer=ANSWER, source=question
        )
    if not db.session.scalar(select(ResidentQuestion.id).where(ResidentQuestion.form_token == OPEN_TOKEN)):
        db.session.add(
            ResidentQuestion(
                user_id=second.id,
                village_code=second.village_code,
                course_id=course.id if course else None,
                language="id",
                body=OPEN_QUESTION,
                is_public=False,
                form_token=OPEN_TOKEN,
            )  # fmt: skip
        )
    if not db.session.scalar(select(Concern.id).where(Concern.form_token == CONCERN_TOKEN)):
        db.session.add(
            Concern(
                user_id=first.id,
                village_code=first.village_code,
                kind=JOB_OFFER,
                body=CONCERN,
                form_token=CONCERN_TOKEN,
            )  # fmt: skip
        )
    db.session.flush()

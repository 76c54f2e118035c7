"""Questions residents ask officers, the FAQs made from them, and concern reports."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db
from lms.regions.models import Region

#: What a concern is about.
JOB_OFFER, RECRUITER, FOREIGNER, OTHER = "job_offer", "recruiter", "foreigner", "other"
CONCERN_KINDS = (JOB_OFFER, RECRUITER, FOREIGNER, OTHER)
#: Longest text a resident may post; longer answers and FAQs are allowed to officers.
QUESTION_MAX = 2000
ANSWER_MAX = 4000


class ResidentQuestion(db.Model):
    """A question a resident asked the officers of the office covering their village ("Tanya Petugas")."""

    __tablename__ = "resident_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The resident the question belongs to; None once they deleted their account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The community leader who asked on behalf of an assisted villager without a phone.
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The asker's village when asking: it decides which office sees the question, and names the asker in public.
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), index=True)
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"), index=True)
    #: BCP-47 tag of the language the question is written in.
    language: Mapped[str] = mapped_column(String(20))
    #: Exactly as written; escaped when shown.
    body: Mapped[str] = mapped_column(Text)
    #: Once answered, it may be shown under its lesson with the asker as "warga Desa …".
    is_public: Mapped[bool] = mapped_column(default=False)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    answered_dt: Mapped[datetime | None]
    #: When the asker was told about the answer (or the hiding), so the notice shows once.
    notified_dt: Mapped[datetime | None]
    #: Hidden by an officer as abusive: out of every public list and queue; the asker is told.
    is_hidden: Mapped[bool] = mapped_column(default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    hidden_dt: Mapped[datetime | None]
    #: One-time token of the form that sent it: a second submit of the same form finds this row.
    form_token: Mapped[str] = mapped_column(String(40), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    village: Mapped[Region] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<ResidentQuestion {self.id} from {self.village_code}>"

    @property
    def is_answered(self) -> bool:
        return self.answered_dt is not None


class Faq(db.Model):
    """A frequently asked question shown under a lesson, in one language, worded by an officer."""

    __tablename__ = "faqs"

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    #: The resident's question it was made from, if any.
    question_id: Mapped[int | None] = mapped_column(
        ForeignKey("resident_questions.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(20))
    question: Mapped[str] = mapped_column(Text)
    answer: Mapped[str] = mapped_column(Text)
    is_published: Mapped[bool] = mapped_column(default=True)
    #: The office whose officers may edit it: the office of the officer who made it.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id", ondelete="SET NULL"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Faq {self.id} on lesson {self.lesson_id}>"


class Concern(db.Model):
    """A private report to the office (a suspicious job offer or recruiter, an unreported foreigner, …)."""

    __tablename__ = "concerns"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The reporter; None once they deleted their account (the report stays with the office).
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: The reporter's village: only the office covering it sees the report.
    village_code: Mapped[str] = mapped_column(ForeignKey("regions.code"), index=True)
    #: job_offer, recruiter, foreigner or other.
    kind: Mapped[str] = mapped_column(String(20))
    #: Exactly as written; escaped when shown.
    body: Mapped[str] = mapped_column(Text)
    handled_dt: Mapped[datetime | None]
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: What the office did, as the reporter will read it.
    handling_note: Mapped[str | None] = mapped_column(Text)
    form_token: Mapped[str] = mapped_column(String(40), unique=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    village: Mapped[Region] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<Concern {self.id} {self.kind}>"

    @property
    def is_handled(self) -> bool:
        return self.handled_dt is not None

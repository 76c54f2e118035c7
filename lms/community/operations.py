"""Rules of the community pages: who asks and who sees a question, answers, FAQs, concerns, anonymising.

An officer's area is the reports package's: the regencies their office covers (`area_of`), with a
village inside it when its code starts with one of them. A record of another area is treated as
unknown (the views answer 404), the same as a missing one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import bindparam, delete, literal, null, or_, select, union_all, update
from sqlalchemy.exc import IntegrityError

from lms.access import ADMIN, LEADER, OFFICER
from lms.accounts.models import User
from lms.clock import utcnow
from lms.community.models import Concern, Faq, ResidentQuestion
from lms.core.versions import VersionedCache, watch
from lms.courses.models import Course, CourseText, Lesson, LessonText
from lms.courses.reading import Languages, pick
from lms.extensions import db
from lms.progress.enrolment import managed_villagers
from lms.regions.models import Region
from lms.reports.operations import area_of, may_see, within

#: How many questions a list shows at most (the oldest open ones first in the officers' queue).
LIST_LIMIT = 100
#: Under a lesson: at most this many FAQs and answered public questions.
LESSON_LIMIT = 20
#: Queue views of the officers' question list.
OPEN, ANSWERED, HIDDEN = "open", "answered", "hidden"


class CommunityError(Exception):
    """A request the rules refuse; `reason` names which rule."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def new_form_token() -> str:
    """Return a fresh one-time token for a form: the same token sent twice stores one record."""
    return secrets.token_urlsafe(18)


# --- Asking -----------------------------------------------------------------------------------------


def store_once(record, token: str, model):
    """Add a record unless its form token was already used; return the stored one and whether it is new."""
    existing = db.session.scalar(select(model).where(model.form_token == token))
    if existing is not None:
        return existing, False
    try:
        with db.session.begin_nested():
            db.session.add(record)
            db.session.flush()
    except IntegrityError:  # the same form sent twice at once: the other request stored it
        existing = db.session.scalar(select(model).where(model.form_token == token))
        if existing is None:
            raise
        return existing, False
    return record, True


def ask_question(
    asker,
    *,
    body: str,
    language: str,
    is_public: bool,
    form_token: str,
    lesson_id: int | None = None,
    course_id: int | None = None,
    villager_id: int | None = None,
) -> tuple[ResidentQuestion, bool]:
    """Store a question exactly as written; return it and whether it is new (a repeated form stores nothing)."""
    owner = asker
    if asker.role == LEADER:
        found = managed_villagers(asker, [villager_id]) if villager_id else []
        if not found:
            raise CommunityError("villager")
        owner = found[0]
    if not owner.village_code:
        raise CommunityError("no_village")
    if lesson_id:
        lesson = db.session.get(Lesson, lesson_id)
        if lesson is None or lesson.is_archived or not lesson.course.is_published:
            raise CommunityError("lesson")
        course_id = lesson.course_id
    elif course_id and db.session.scalar(select(Course.id).where(Course.id == course_id, Course.is_published)) is None:
        raise CommunityError("course")
    question = ResidentQuestion(
        user_id=owner.id,
        asked_by_id=asker.id if owner is not asker else None,
        village_code=owner.village_code,
        lesson_id=lesson_id or None,
        course_id=course_id or None,
        language=language,
        body=body,
        is_public=is_public,
        form_token=form_token,
    )
    stored, is_new = store_once(question, form_token, ResidentQuestion)
    if not is_new and asker.id not in (stored.user_id, stored.asked_by_id):
        raise CommunityError("token")
    return stored, is_new


def _own_condition(user):
    """Return the SQL condition for the questions a person asked or that were asked for them."""
    return or_(ResidentQuestion.user_id == user.id, ResidentQuestion.asked_by_id == user.id)


def own_questions(user, limit: int = 20) -> list[ResidentQuestion]:
    """Return the questions a person asked (or a leader asked on someone's behalf), newest first (one query)."""
    return list(
        db.session.scalars(
            select(ResidentQuestion).where(_own_condition(user)).order_by(ResidentQuestion.id.desc()).limit(limit)
        )
    )


def find_own_question(user, question_id: int) -> ResidentQuestion | None:
    """Return a question its asker (or the leader who asked for them) may read; None for anyone else."""
    question = db.session.get(ResidentQuestion, question_id)
    if question is None or user.id not in (question.user_id, question.asked_by_id):
        return None
    return question


# --- Officers: the queue, answering, hiding --------------------------------------------------------


def staff_area(user) -> list[str] | None:
    """Return the regions an officer's office covers (None for an admin: everywhere)."""
    return area_of(user)


def find_question_for_staff(user, question_id: int) -> ResidentQuestion | None:
    """Return a question of the officer's area; None for an unknown id and another area's question alike."""
    question = db.session.get(ResidentQuestion, question_id)
    if question is None or not may_see(staff_area(user), question.village_code):
        return None
    return question


def queue(
    user, *, view: str = OPEN, village_code: str | None = None, course_id: int | None = None
) -> list[ResidentQuestion]:
    """Return the questions of the officer's area: open ones oldest first; answered or hidden ones newest first."""
    query = select(ResidentQuestion).where(*within(ResidentQuestion.village_code, staff_area(user)))
    if view == HIDDEN:
        query = query.where(ResidentQuestion.is_hidden).order_by(
            ResidentQuestion.hidden_dt.desc(), ResidentQuestion.id.desc()
        )
    elif view == ANSWERED:
        query = query.where(~ResidentQuestion.is_hidden, ResidentQuestion.answered_dt.is_not(None))
        query = query.order_by(ResidentQuestion.answered_dt.desc(), ResidentQuestion.id.desc())
    else:
        query = query.where(~ResidentQuestion.is_hidden, ResidentQuestion.answered_dt.is_(None))
        query = query.order_by(ResidentQuestion.created_dt, ResidentQuestion.id)
    if village_code:
        query = query.where(ResidentQuestion.village_code == village_code)
    if course_id:
        query = query.where(ResidentQuestion.course_id == course_id)
    return list(db.session.scalars(query.limit(LIST_LIMIT)))


def queue_villages(user) -> list[tuple[str, str]]:
    """Return the villages (code, name) that asked questions in the officer's area, for the filter (one query)."""
    rows = db.session.execute(
        select(Region.code, Region.name)
        .where(
            Region.code.in_(
                select(ResidentQuestion.village_code).where(*within(ResidentQuestion.village_code, staff_area(user)))
            )
        )
        .order_by(Region.name, Region.code)
    )
    return [(code, name) for code, name in rows]


def answer_question(officer, question: ResidentQuestion, answer: str) -> None:
    """Record (or correct) the answer; the asker is told on their next visit."""
    question.answer = answer
    question.answered_by_id = officer.id
    question.answered_dt = utcnow()
    question.notified_dt = None
    db.session.flush()


def set_hidden(officer, question: ResidentQuestion, hidden: bool) -> None:
    """Hide an abusive question from every list (the asker is told), or show it again."""
    if question.is_hidden == hidden:
        return  # a repeated click changes nothing
    question.is_hidden = hidden
    question.hidden_by_id = officer.id if hidden else None
    question.hidden_dt = utcnow() if hidden else None
    question.notified_dt = None if hidden else question.notified_dt
    db.session.flush()


# --- FAQs --------------------------------------------------------------------------------------------


def may_edit_faq(user, faq: Faq) -> bool:
    """Tell whether a person may edit an FAQ: an admin, or an officer of the office that made it."""
    return user.role == ADMIN or (
        user.role == OFFICER and user.office_id is not None and faq.office_id == user.office_id
    )


def faq_from(question: ResidentQuestion) -> Faq | None:
    """Return the FAQ already made from a question, if any."""
    return db.session.scalar(select(Faq).where(Faq.question_id == question.id).order_by(Faq.id).limit(1))


def save_faq(
    officer,
    faq: Faq | None,
    *,
    lesson_id: int,
    language: str,
    question: str,
    answer: str,
    is_published: bool = True,
    source: ResidentQuestion | None = None,
) -> Faq:
    """Create or update an FAQ under a lesson; one FAQ per source question, so a repeated submit updates it."""
    if source is not None and faq is None:
        faq = faq_from(source)
    if faq is None:
        faq = Faq(question_id=source.id if source else None, office_id=officer.office_id, created_by_id=officer.id)
        db.session.add(faq)
    faq.lesson_id = lesson_id
    faq.language = language
    faq.question = question
    faq.answer = answer
    faq.is_published = is_published
    db.session.flush()
    return faq


@dataclass
class LessonChoice:
    """A lesson an FAQ may be attached to, titled in the reader's language."""

    id: int
    course_id: int
    course_title: str
    title: str


def lesson_choices(languages: Languages, lesson_ids: list[int] | None = None) -> list[LessonChoice]:
    """Return the lessons of published courses (or only some), with titles in the reader's language (one query)."""
    query = (
        select(
            Lesson.id, Lesson.course_id, Course.source_language, LessonText.language, LessonText.title,
            CourseText.language.label("course_language"), CourseText.title.label("course_title"),
        )
        .join(Course, Course.id == Lesson.course_id)
        .join(LessonText, LessonText.lesson_id == Lesson.id)
        .join(CourseText, CourseText.course_id == Course.id)
        .where(Course.is_published, ~Lesson.is_archived)
        .order_by(Course.position, Course.id, Lesson.position, Lesson.id)
    )  # fmt: skip
    if lesson_ids is not None:
        query = query.where(Lesson.id.in_(lesson_ids or [0]))
    grouped: dict[int, list] = {}
    for row in db.session.execute(query):
        grouped.setdefault(row.id, []).append(row)
    choices = []
    for lesson_id, rows in grouped.items():
        chain = languages.for_course(rows[0].source_language)
        _tag, text = pick({row.language: row for row in rows if row.title}, chain)
        _tag, course = pick({row.course_language: row for row in rows}, chain)
        title = text.title if text else rows[0].title
        choices.append(LessonChoice(lesson_id, rows[0].course_id, (course or rows[0]).course_title, title))
    return choices


# --- Under a lesson ---------------------------------------------------------------------------------


#: The posts under each lesson, kept per worker while no FAQ, question or village name changes: every request
#: checks the stamp, so a publication, an edit, an answer or a hiding shows on the very next page.
COMMUNITY = "community"
watch(COMMUNITY, Faq, ResidentQuestion, Region)
_cache = VersionedCache(COMMUNITY)


@dataclass(frozen=True)
class LessonPost:
    """A published FAQ or an answered public question, as shown under a lesson."""

    is_faq: bool
    question: str
    answer: str
    language: str
    #: For a resident's question: the name of their village (the asker is never named).
    village_name: str | None


def _lesson_posts_statement():
    """Build the statement for lesson_posts once: the lesson page pays for running it, not for building it."""
    faqs = select(
        literal(True).label("is_faq"), Faq.question, Faq.answer, Faq.language,
        null().label("village_name"), Faq.id.label("sort_id"),
    ).where(Faq.lesson_id == bindparam("lesson_id"), Faq.is_published)  # fmt: skip
    made_faq = select(Faq.question_id).where(Faq.question_id.is_not(None), Faq.is_published)
    questions = (
        select(
            literal(False).label("is_faq"), ResidentQuestion.body, ResidentQuestion.answer, ResidentQuestion.language,
            Region.name.label("village_name"), ResidentQuestion.id.label("sort_id"),
        )
        .join(Region, Region.code == ResidentQuestion.village_code)
        .where(
            ResidentQuestion.lesson_id == bindparam("lesson_id"),
            ResidentQuestion.is_public,
            ~ResidentQuestion.is_hidden,
            ResidentQuestion.answered_dt.is_not(None),
            ResidentQuestion.id.not_in(made_faq),
        )
    )  # fmt: skip
    combined = union_all(faqs, questions).subquery()
    return select(combined).order_by(combined.c.is_faq.desc(), combined.c.sort_id.desc()).limit(LESSON_LIMIT)


_LESSON_POSTS = _lesson_posts_statement()


def lesson_posts(lesson_id: int, languages: Languages) -> list[LessonPost]:
    """Return the FAQs and answered public questions under a lesson, FAQs first, in ONE query.

    FAQs in a language of the reader's chain come first; the others follow, so nothing published is lost.
    A public question already made into an FAQ is shown once, as the FAQ.
    """
    posts = _cache.get(("lesson", lesson_id), lambda: _load_lesson_posts(lesson_id))
    rank = {tag: index for index, tag in enumerate(languages.chain)}
    return sorted(posts, key=lambda post: (not post.is_faq, rank.get(post.language, len(rank))))


def _load_lesson_posts(lesson_id: int) -> tuple[LessonPost, ...]:
    rows = db.session.execute(_LESSON_POSTS, {"lesson_id": lesson_id}).all()
    return tuple(LessonPost(bool(r.is_faq), r.question, r.answer, r.language, r.village_name) for r in rows)


# --- The answer notice ------------------------------------------------------------------------------


def pending_notices(user) -> tuple[list[ResidentQuestion], bool]:
    """Return the person's answered or hidden questions not yet announced, and whether others are still open.

    One query over the person's questions that were never announced: open ones are among them too.
    """
    rows = list(
        db.session.scalars(select(ResidentQuestion).where(_own_condition(user), ResidentQuestion.notified_dt.is_(None)))
    )
    news = [q for q in rows if q.is_answered or q.is_hidden]
    return news, len(news) < len(rows)


def mark_notified(questions: list[ResidentQuestion]) -> None:
    """Remember that the person was told, so each notice shows once."""
    if questions:
        db.session.execute(
            update(ResidentQuestion)
            .where(ResidentQuestion.id.in_([q.id for q in questions]))
            .values(notified_dt=utcnow())
        )


# --- Account deletion -------------------------------------------------------------------------------


def on_account_deleted(sender, user: User, **extra) -> None:
    """Anonymise a deleted account's posts: private or unanswered questions go, public answers stay unnamed.

    A concern stays with the office without its reporter: it is about someone else and may still need acting on.
    """
    mine = ResidentQuestion.user_id == user.id
    keep = ResidentQuestion.is_public & ResidentQuestion.answered_dt.is_not(None) & ~ResidentQuestion.is_hidden
    db.session.execute(
        update(Faq).where(Faq.question_id.in_(select(ResidentQuestion.id).where(mine, ~keep))).values(question_id=None)
    )
    db.session.execute(delete(ResidentQuestion).where(mine, ~keep))
    db.session.execute(update(ResidentQuestion).where(mine).values(user_id=None))
    for column in (ResidentQuestion.asked_by_id, ResidentQuestion.answered_by_id, ResidentQuestion.hidden_by_id):
        db.session.execute(update(ResidentQuestion).where(column == user.id).values({column.key: None}))
    db.session.execute(update(Faq).where(Faq.created_by_id == user.id).values(created_by_id=None))
    db.session.execute(update(Concern).where(Concern.user_id == user.id).values(user_id=None))
    db.session.execute(update(Concern).where(Concern.handled_by_id == user.id).values(handled_by_id=None))

"""What residents read: texts picked along the reader's language chain, in a fixed, small number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import and_, func, or_, select

from lms.core.models import Language
from lms.courses.models import Course, CourseText, Lesson, LessonText, LessonVersion
from lms.extensions import db
from lms.i18n import language_name
from lms.progress.models import LessonProgress


@dataclass(frozen=True)
class Shown:
    """A piece of text as shown to a reader: its value, the language it is in, and the one wanted."""

    value: str
    language: str
    wanted: str

    @property
    def fell_back(self) -> bool:
        return self.language != self.wanted


@dataclass
class Languages:
    """The reader's language, the tags to try in turn, and every content language's own name."""

    wanted: str
    chain: list[str]
    names: dict[str, str]

    def name(self, tag: str) -> str:
        return self.names.get(tag) or language_name(tag)

    def for_course(self, course_language: str) -> Languages:
        """Return the chain ending with the course's source language, so every published lesson can be read."""
        if course_language in self.chain:
            return self
        return Languages(self.wanted, [*self.chain, course_language], self.names)


def reader_language() -> str:
    """Return the content language for the reader: their chosen language, else the interface locale."""
    if current_user.is_authenticated and current_user.language:
        return current_user.language
    return str(get_locale())


def _languages_from(rows, wanted: str) -> Languages:
    by_code = {language.code: language for language in rows}
    language = by_code.get(wanted)
    chain = language.chain if language else [wanted, *[tag for tag in ("id", "en") if tag != wanted]]
    return Languages(wanted=wanted, chain=chain, names={code: row.name for code, row in by_code.items()})


def load_languages(wanted: str | None = None) -> Languages:
    """Load the content languages (one query) and the reader's fallback chain."""
    wanted = wanted or reader_language()
    return _languages_from(db.session.scalars(select(Language)).all(), wanted)


def pick(texts: dict[str, object], languages: Languages):
    """Return (language, item) for the first language of the chain that has an item, else (None, None)."""
    for tag in languages.chain:
        if tag in texts:
            return tag, texts[tag]
    return None, None


# --- Catalogue -------------------------------------------------------------------------------------


@dataclass
class CourseCard:
    """A course as the catalogue lists it."""

    slug: str
    title: Shown
    summary: Shown | None
    minutes: int
    lesson_count: int
    read_count: int = 0


def _course_texts(texts: list[CourseText], languages: Languages) -> tuple[Shown, Shown | None]:
    by_language = {text.language: text for text in texts}
    tag, text = pick(by_language, languages)
    if text is None:  # a course without any text in the chain still shows its first title
        text = texts[0]
        tag = text.language
    title = Shown(text.title, tag, languages.wanted)
    summaries = {t.language: t for t in texts if t.summary}
    summary_tag, summary_text = pick(summaries, languages)
    summary = Shown(summary_text.summary, summary_tag, languages.wanted) if summary_text else None
    return title, summary


def catalogue(languages: Languages, user_id: int | None) -> list[CourseCard]:
    """Return the published courses in catalogue order, each in the reader's language as far as it goes."""
    lesson_counts = (
        select(Lesson.course_id, func.count(Lesson.id).label("lessons"))
        .where(~Lesson.is_archived, Lesson.texts.any(LessonText.published_version_id.is_not(None)))
        .group_by(Lesson.course_id)
        .subquery()
    )
    query = (
        select(Course, CourseText, lesson_counts.c.lessons)
        .join(CourseText, CourseText.course_id == Course.id)
        .outerjoin(lesson_counts, lesson_counts.c.course_id == Course.id)
        .where(Course.is_published)
        .order_by(Course.position, Course.id)
    )
    grouped: dict[int, tuple[Course, list[CourseText], int]] = {}
    for course, text, lessons in db.session.execute(query):
        grouped.setdefault(course.id, (course, [], lessons or 0))[1].append(text)
    reads = {}
    if user_id is not None:
        reads = dict(
            db.session.execute(
                select(Lesson.course_id, func.count(LessonProgress.id))
                .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
                .where(LessonProgress.user_id == user_id, LessonProgress.read_dt.is_not(None), ~Lesson.is_archived)
                .group_by(Lesson.course_id)
            ).all()
        )
    cards = []
    for course, texts, lessons in grouped.values():
        title, summary = _course_texts(texts, languages.for_course(course.source_language))
        cards.append(
            CourseCard(
                slug=course.slug,
                title=title,
                summary=summary,
                minutes=course.estimated_minutes,
                lesson_count=lessons,
                read_count=reads.get(course.id, 0),
            )
        )
    return cards


# --- A course and its lessons ------------------------------------------------------------------------


@dataclass
class LessonEntry:
    """A lesson as a course's list shows it, with the reader's progress."""

    id: int
    slug: str
    number: int
    minutes: int
    title: Shown
    is_read: bool
    #: Where the reader's video player was last (seconds), so the player needs no query of its own.
    video_position_s: float = 0.0
    #: The lesson's row, kept so the session's identity map answers later look-ups of it without a query.
    lesson: Lesson | None = field(default=None, repr=False)
    #: For the lesson being read: its body, its language, and the audio narration.
    body_html: str | None = None
    audio_filename: str | None = None
    audio_language: str | None = None


@dataclass
class CourseView:
    """A course as a reader sees it."""

    course: Course
    title: Shown
    summary: Shown | None
    lessons: list[LessonEntry] = field(default_factory=list)

    @property
    def read_count(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.is_read)

    @property
    def minutes(self) -> int:
        return self.course.estimated_minutes or sum(lesson.minutes for lesson in self.lessons)

    def next_unread(self) -> LessonEntry | None:
        return next((lesson for lesson in self.lessons if not lesson.is_read), None)

    def neighbours(self, slug: str) -> tuple[LessonEntry | None, LessonEntry | None, LessonEntry | None]:
        """Return the previous lesson, the lesson itself and the next one."""
        for index, lesson in enumerate(self.lessons):
            if lesson.slug == slug:
                previous = self.lessons[index - 1] if index else None
                following = self.lessons[index + 1] if index + 1 < len(self.lessons) else None
                return previous, lesson, following
        return None, None, None


def load_course(slug: str, include_unpublished: bool = False) -> tuple[CourseView | None, Languages]:
    """Load a course with its texts and the reader's languages in one query; no view when it is missing or hidden."""
    wanted = reader_language()
    # Each text row brings its own language's row and the reader's: names and chain without a query of their own.
    query = (
        select(Course, CourseText, Language)
        .join(CourseText, CourseText.course_id == Course.id)
        .outerjoin(Language, or_(Language.code == CourseText.language, Language.code == wanted))
        .where(Course.slug == slug)
    )
    if not include_unpublished:
        query = query.where(Course.is_published)
    rows = db.session.execute(query).all()
    languages = _languages_from({language for _, _, language in rows if language is not None}, wanted)
    if not rows:
        return None, languages
    course = rows[0][0]
    texts = list({text.id: text for _, text, _ in rows}.values())
    title, summary = _course_texts(texts, languages.for_course(course.source_language))
    return CourseView(course=course, title=title, summary=summary), languages


def load_lessons(view: CourseView, languages: Languages, user_id: int | None, reading: str | None = None) -> None:
    """Fill in the course's readable lessons, the reader's progress and, for `reading`, its body (one query)."""
    languages = languages.for_course(view.course.source_language)
    columns = [
        # The whole lesson row, so later look-ups of the lesson (the video player's) need no query.
        Lesson,
        LessonText.language,
        LessonText.title,
        LessonText.published_version_id,
        LessonText.audio_filename,
        LessonVersion.body_html,
    ]
    if user_id:
        columns.append(LessonProgress.read_dt.is_not(None).label("is_read"))
        columns.append(LessonProgress.video_position_s)
    query = (
        select(*columns)
        .select_from(Lesson)
        .join(LessonText, and_(LessonText.lesson_id == Lesson.id, LessonText.language.in_(languages.chain)))
        # Only the lesson being read brings its bodies along, so the query stays small whatever the course size.
        .outerjoin(
            LessonVersion,
            and_(LessonVersion.id == LessonText.published_version_id, Lesson.slug == (reading or "")),
        )
        .where(Lesson.course_id == view.course.id, ~Lesson.is_archived)
        .order_by(Lesson.position, Lesson.id)
    )
    if user_id:
        query = query.outerjoin(
            LessonProgress, and_(LessonProgress.lesson_id == Lesson.id, LessonProgress.user_id == user_id)
        )
    grouped: dict[int, list] = {}
    for row in db.session.execute(query):
        grouped.setdefault(row.Lesson.id, []).append(row)
    for rows in grouped.values():
        published = {row.language: row for row in rows if row.published_version_id is not None}
        tag, row = pick(published, languages)
        if row is None:
            continue  # not published in any language the reader can be shown
        entry = LessonEntry(
            id=row.Lesson.id,
            slug=row.Lesson.slug,
            number=len(view.lessons) + 1,
            minutes=row.Lesson.minutes,
            title=Shown(row.title, tag, languages.wanted),
            is_read=bool(user_id and row.is_read),
            video_position_s=(row.video_position_s or 0.0) if user_id else 0.0,
            lesson=row.Lesson,
            body_html=row.body_html,
        )
        audio_tag, audio = pick({r.language: r for r in rows if r.audio_filename}, languages)
        if audio is not None:
            entry.audio_filename, entry.audio_language = audio.audio_filename, audio_tag
        view.lessons.append(entry)

"""What residents read: texts picked along the reader's language chain, in a fixed, small number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import make_transient_to_detached

from lms.core.models import Language
from lms.core.versions import VersionedCache, watch
from lms.courses.models import Course, CourseText, Lesson, LessonText, LessonVersion
from lms.extensions import db
from lms.i18n import language_name
from lms.progress.models import LessonProgress

#: What readers see of the published courses, kept per worker while no course, lesson or language changes:
#: every request checks the stamp, so a publication shows on the very next page in every worker.
CONTENT = "courses"
watch(CONTENT, Language, Course, CourseText, Lesson, LessonText, LessonVersion)
_cache = VersionedCache(CONTENT)


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
    """Return the content languages and the reader's fallback chain (one query when they changed)."""
    wanted = wanted or reader_language()
    return _cache.get(
        ("languages", wanted), lambda: _languages_from(db.session.scalars(select(Language)).all(), wanted)
    )


def pick(texts: dict[str, object], languages: Languages):
    """Return (language, item) for the first language of the chain that has an item, else (None, None)."""
    for tag in languages.chain:
        if tag in texts:
            return tag, texts[tag]
    return None, None


# --- Catalogue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CourseCard:
    """A course as the catalogue lists it."""

    id: int
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
    cards = _cache.get(("catalogue", languages.wanted, tuple(languages.chain)), lambda: _catalogue_cards(languages))
    if user_id is None:
        return cards
    reads = dict(db.session.execute(_READS_PER_COURSE, {"user_id": user_id}).all())
    return [replace(card, read_count=reads.get(card.id, 0)) if card.id in reads else card for card in cards]


#: How many current lessons of each course a reader has read.
_READS_PER_COURSE = (
    select(Lesson.course_id, func.count(LessonProgress.id))
    .join(LessonProgress, LessonProgress.lesson_id == Lesson.id)
    .where(LessonProgress.user_id == bindparam("user_id"), LessonProgress.read_dt.is_not(None), ~Lesson.is_archived)
    .group_by(Lesson.course_id)
)


def _catalogue_cards(languages: Languages) -> list[CourseCard]:
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
    cards = []
    for course, texts, lessons in grouped.values():
        title, summary = _course_texts(texts, languages.for_course(course.source_language))
        cards.append(
            CourseCard(
                id=course.id,
                slug=course.slug,
                title=title,
                summary=summary,
                minutes=course.estimated_minutes,
                lesson_count=lessons,
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
    #: The kept shape this view was made from, so its lessons need no second look-up.
    shape: _CourseShape | None = field(default=None, repr=False)

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
    """Return a course with its texts and the reader's languages; no view when it is missing or hidden.

    The course as every reader of the same languages sees it is kept between requests (see CONTENT);
    a request asks only whether it is still current.
    """
    languages = load_languages()
    shape = _shape(slug, languages)
    if shape is None or not (shape.course["is_published"] or include_unpublished):
        return None, languages
    course = _attach(Course, shape.course)
    return CourseView(course=course, title=shape.title, summary=shape.summary, shape=shape), languages


def load_lessons(view: CourseView, languages: Languages, user_id: int | None, reading: str | None = None) -> None:
    """Fill in the course's readable lessons, the reader's progress and, for `reading`, its body and row."""
    shape = view.shape or _shape(view.course.slug, languages)
    if shape is None:
        return
    progress = {}
    if user_id:
        parameters = {"user_id": user_id, "course_id": shape.course["id"]}
        progress = {row.lesson_id: row for row in db.session.execute(_PROGRESS, parameters)}
    for cached in shape.lessons:
        mine = progress.get(cached.id)
        position = (mine.video_position_s or 0.0) if mine else 0.0
        entry = replace(cached, is_read=bool(mine and mine.is_read), video_position_s=position)
        if cached.slug == reading:
            # The lesson's row goes into the request's session, so the video player looks nothing up.
            entry.lesson = _attach(Lesson, shape.lesson_rows[cached.id])
            version_id = shape.versions[cached.id]
            entry.body_html = _cache.get(("body", version_id), lambda: _body(version_id))  # noqa: B023 - used at once
        view.lessons.append(entry)


#: A reader's progress in the lessons of one course.
_PROGRESS = (
    select(
        LessonProgress.lesson_id, LessonProgress.read_dt.is_not(None).label("is_read"), LessonProgress.video_position_s
    )
    .join(Lesson, Lesson.id == LessonProgress.lesson_id)
    .where(LessonProgress.user_id == bindparam("user_id"), Lesson.course_id == bindparam("course_id"))
)


@dataclass(frozen=True)
class _CourseShape:
    """A course as every reader of the same languages sees it: kept between requests, never changed."""

    #: The course row's columns, to put the row back into a request's session without a query.
    course: dict
    title: Shown
    summary: Shown | None
    #: Readable lessons in order, without anyone's progress and without bodies.
    lessons: tuple[LessonEntry, ...]
    #: Lesson id -> the lesson row's columns; lesson id -> the published version shown.
    lesson_rows: dict[int, dict]
    versions: dict[int, int]


def _shape(slug: str, languages: Languages) -> _CourseShape | None:
    key = ("course", slug, languages.wanted, tuple(languages.chain))
    return _cache.get(key, lambda: _load_shape(slug, languages))


def _columns(row) -> dict:
    return {column.key: getattr(row, column.key) for column in row.__mapper__.column_attrs}


def _attach(model, columns: dict):
    """Return the request session's row for these columns: the one it holds, else one made from them, no query."""
    session = db.session()
    held = session.identity_map.get(session.identity_key(model, columns["id"]))
    if held is not None:
        return held
    row = model(**columns)
    make_transient_to_detached(row)
    session.add(row)
    return row


def _body(version_id: int) -> str:
    return db.session.scalar(select(LessonVersion.body_html).where(LessonVersion.id == version_id)) or ""


def _load_shape(slug: str, languages: Languages) -> _CourseShape | None:
    rows = db.session.execute(
        select(Course, CourseText).join(CourseText, CourseText.course_id == Course.id).where(Course.slug == slug)
    ).all()
    if not rows:
        return None
    course = rows[0][0]
    languages = languages.for_course(course.source_language)
    title, summary = _course_texts([text for _, text in rows], languages)
    query = (
        select(
            Lesson, LessonText.language, LessonText.title, LessonText.published_version_id, LessonText.audio_filename
        )
        .join(LessonText, and_(LessonText.lesson_id == Lesson.id, LessonText.language.in_(languages.chain)))
        .where(Lesson.course_id == course.id, ~Lesson.is_archived)
        .order_by(Lesson.position, Lesson.id)
    )
    grouped: dict[int, list] = {}
    for row in db.session.execute(query):
        grouped.setdefault(row.Lesson.id, []).append(row)
    lessons, lesson_rows, versions = [], {}, {}
    for rows_of_lesson in grouped.values():
        published = {row.language: row for row in rows_of_lesson if row.published_version_id is not None}
        tag, row = pick(published, languages)
        if row is None:
            continue  # not published in any language the reader can be shown
        entry = LessonEntry(
            id=row.Lesson.id,
            slug=row.Lesson.slug,
            number=len(lessons) + 1,
            minutes=row.Lesson.minutes,
            title=Shown(row.title, tag, languages.wanted),
            is_read=False,
        )
        audio_tag, audio = pick({r.language: r for r in rows_of_lesson if r.audio_filename}, languages)
        if audio is not None:
            entry.audio_filename, entry.audio_language = audio.audio_filename, audio_tag
        lessons.append(entry)
        lesson_rows[entry.id] = _columns(row.Lesson)
        versions[entry.id] = row.published_version_id
    return _CourseShape(_columns(course), title, summary, tuple(lessons), lesson_rows, versions)

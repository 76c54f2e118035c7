"""Courses and lessons: identities, their texts per language, and every saved version of a lesson text."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.extensions import db

#: States of a lesson version, in workflow order.
DRAFT, REVIEW, PUBLISHED, RETURNED = "draft", "review", "published", "returned"
VERSION_STATES = (DRAFT, REVIEW, PUBLISHED, RETURNED)


class Course(db.Model):
    """A course: its language-independent identity, order, completion rules and owner."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Language-independent identity, used in URLs and as the folder name under courses/.
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: The language translations are made from (BCP-47 tag).
    source_language: Mapped[str] = mapped_column(String(20), default="id")
    #: Order in the catalogue.
    position: Mapped[int] = mapped_column(default=100)
    estimated_minutes: Mapped[int] = mapped_column(default=0)
    #: Lessons to read for completion: None means all of them.
    lessons_to_read: Mapped[int | None]
    #: Share of each lesson video to watch for completion (0 to 1).
    video_share: Mapped[float] = mapped_column(default=0.9)
    is_quiz_required: Mapped[bool] = mapped_column(default=False)
    #: Attendance at an outreach session on the course is required for completion.
    is_attendance_required: Mapped[bool] = mapped_column(default=False)
    is_published: Mapped[bool] = mapped_column(default=False)
    #: The owning immigration office; None for national (built-in) courses.
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"), index=True)
    #: Hash of the course.yml content last imported, so an unchanged file leaves web edits alone.
    imported_hash: Mapped[str | None] = mapped_column(String(64))
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    texts: Mapped[list["CourseText"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="CourseText.language"
    )
    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="course", cascade="all, delete-orphan", order_by="Lesson.position"
    )

    def __repr__(self) -> str:
        return f"<Course {self.slug}>"

    @property
    def completion(self) -> dict:
        """Return the completion rules as course.yml spells them."""
        return {
            "lessons_read": "all" if self.lessons_to_read is None else self.lessons_to_read,
            "video_share": self.video_share,
            "quiz_passed": self.is_quiz_required,
            "attendance": self.is_attendance_required,
        }

    def text(self, language: str) -> "CourseText | None":
        """Return the course's text in a language, if it has one."""
        return next((t for t in self.texts if t.language == language), None)

    @property
    def current_lessons(self) -> list["Lesson"]:
        """Return the lessons still in the course, in order."""
        return [lesson for lesson in self.lessons if not lesson.is_archived]


class CourseText(db.Model):
    """A course's title and summary in one language."""

    __tablename__ = "course_texts"
    __table_args__ = (UniqueConstraint("course_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    #: Hash of the source-language title and summary this text was written from (its own for the source).
    source_hash: Mapped[str] = mapped_column(String(64), default="")
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<CourseText {self.course_id} {self.language}>"

    @property
    def content_hash(self) -> str:
        """Return the hash of this title and summary, as translations record it."""
        from lms.courses.content import text_hash

        return text_hash(self.title, self.summary)

    @property
    def needs_update(self) -> bool:
        """Tell whether the source-language text changed after this translation was saved."""
        source = self.course.text(self.course.source_language)
        if source is None or source is self:
            return False
        return self.source_hash != source.content_hash


class Lesson(db.Model):
    """A lesson: its language-independent identity and place in the course."""

    __tablename__ = "lessons"
    __table_args__ = (UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    #: Identity inside the course, used in URLs and as the folder name.
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(default=0)
    #: Estimated reading time.
    minutes: Mapped[int] = mapped_column(default=5)
    #: Taken out of the course (no longer listed); kept so nobody's progress is lost.
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="lessons")
    texts: Mapped[list["LessonText"]] = relationship(
        back_populates="lesson", cascade="all, delete-orphan", order_by="LessonText.language"
    )

    def __repr__(self) -> str:
        return f"<Lesson {self.course_id}/{self.slug}>"

    def text(self, language: str) -> "LessonText | None":
        """Return the lesson's text record in a language, if it has one."""
        return next((t for t in self.texts if t.language == language), None)


class LessonText(db.Model):
    """A lesson in one language: which version is published, the workflow state, the audio narration."""

    __tablename__ = "lesson_texts"
    __table_args__ = (UniqueConstraint("lesson_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(20))
    #: Title of the published version (copied, so lists need no version rows); empty while unpublished.
    title: Mapped[str] = mapped_column(String(200), default="")
    published_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_versions.id", use_alter=True, ondelete="SET NULL")
    )
    #: State of the newest version: draft, review, published or returned.
    status: Mapped[str] = mapped_column(String(10), default="draft")
    #: Hash of the file content last imported, so an unchanged file leaves web edits alone.
    imported_hash: Mapped[str | None] = mapped_column(String(64))
    #: Audio narration file under MEDIA_ROOT/audio/, its length and size.
    audio_filename: Mapped[str | None] = mapped_column(String(100))
    audio_duration_s: Mapped[float | None]
    audio_size_bytes: Mapped[int | None]
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    lesson: Mapped[Lesson] = relationship(back_populates="texts")
    published_version: Mapped["LessonVersion | None"] = relationship(
        foreign_keys=[published_version_id], post_update=True
    )
    versions: Mapped[list["LessonVersion"]] = relationship(
        back_populates="text",
        foreign_keys="LessonVersion.text_id",
        order_by="LessonVersion.id.desc()",
        cascade="all, delete-orphan",
    )

    def __repr__(self) -> str:
        return f"<LessonText {self.lesson_id} {self.language}>"

    @property
    def is_published(self) -> bool:
        return self.published_version_id is not None

    @property
    def latest_version(self) -> "LessonVersion | None":
        return self.versions[0] if self.versions else None

    def needs_update(self, source: "LessonText | None") -> bool:
        """Tell whether the source-language text was published anew after this translation's source."""
        if source is None or source is self or self.published_version is None or source.published_version_id is None:
            return False
        translated_from = self.published_version.source_version_id
        return translated_from is None or translated_from < source.published_version_id


class LessonVersion(db.Model):
    """One saved version of a lesson text: Markdown as written, HTML as rendered and sanitised on save."""

    __tablename__ = "lesson_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    text_id: Mapped[int] = mapped_column(ForeignKey("lesson_texts.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body_markdown: Mapped[str] = mapped_column(Text)
    #: Rendered from body_markdown and sanitised when saved; served as is.
    body_html: Mapped[str] = mapped_column(Text)
    #: For a translation: the source-language version it was translated from.
    source_version_id: Mapped[int | None] = mapped_column(ForeignKey("lesson_versions.id", ondelete="SET NULL"))
    #: Who wrote it; None when imported from the courses/ files.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    saved_dt: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    #: Why a reviewer sent it back.
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_dt: Mapped[datetime | None]

    text: Mapped[LessonText] = relationship(back_populates="versions", foreign_keys=[text_id])
    author = relationship("User", foreign_keys=[author_id])
    reviewer = relationship("User", foreign_keys=[reviewer_id])

    def __repr__(self) -> str:
        return f"<LessonVersion {self.id} {self.status}>"

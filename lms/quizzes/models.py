"""A course's quiz: settings, the question pool with every text per language, attempts and their answers."""

import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.clock import utcnow
from lms.courses.models import Course, Lesson
from lms.extensions import db

#: When a resident sees the correct answers and explanations (see operations.shows_answers).
ALWAYS, AFTER_PASS, NEVER = "always", "after_pass", "never"
REVIEW_POLICIES = (ALWAYS, AFTER_PASS, NEVER)


# Foreign keys that lead a unique constraint are indexed by it and carry no index of their own.


class Quiz(db.Model):
    """A course's quiz: how many questions an attempt draws, what passes, how often and how long."""

    __tablename__ = "quizzes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), unique=True)
    #: Share of the points needed to pass, in percent.
    pass_mark: Mapped[int] = mapped_column(default=70)
    #: Questions drawn from the pool for each attempt; 0 takes the whole pool.
    questions_per_attempt: Mapped[int] = mapped_column(default=8)
    #: Attempts a resident may make; 0 means no limit.
    max_attempts: Mapped[int] = mapped_column(default=3)
    #: Minutes an attempt may take, enforced on the server; 0 means no limit.
    time_limit_minutes: Mapped[int] = mapped_column(default=0)
    #: When correct answers and explanations are shown: always, after_pass or never.
    review: Mapped[str] = mapped_column(String(12), default=AFTER_PASS)
    #: Residents may take the pool once before the first lesson (a pre-test), so the office can measure the gain.
    has_pretest: Mapped[bool] = mapped_column(default=False)
    #: Hash of the quiz.yml content last imported, so an unchanged file leaves web edits alone.
    imported_hash: Mapped[str | None] = mapped_column(String(64))
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    course: Mapped[Course] = relationship()
    questions: Mapped[list["Question"]] = relationship(
        back_populates="quiz", order_by="Question.position, Question.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Quiz of course {self.course_id}>"

    @property
    def current_questions(self) -> list["Question"]:
        """Return the questions attempts draw from (the retired ones stay only for past attempts)."""
        return [question for question in self.questions if not question.is_retired]


class Question(db.Model):
    """A question in the pool: its identity, type and options; its texts are per language."""

    __tablename__ = "quiz_questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    #: Stable identity inside the quiz, as in quiz.yml ("q01").
    key: Mapped[str] = mapped_column(String(40))
    #: A name from grading.QUESTION_TYPES.
    type: Mapped[str] = mapped_column(String(20))
    #: The lesson the question is about; attempts spread their questions over lessons.
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    #: Taken out of the pool; kept because past attempts refer to it.
    is_retired: Mapped[bool] = mapped_column(default=False)
    updated_dt: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    lesson: Mapped[Lesson | None] = relationship()
    texts: Mapped[list["QuestionText"]] = relationship(
        back_populates="question", order_by="QuestionText.language", cascade="all, delete-orphan"
    )
    options: Mapped[list["Option"]] = relationship(
        back_populates="question", order_by="Option.position, Option.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Question {self.quiz_id}/{self.key}>"

    def text(self, language: str) -> "QuestionText | None":
        """Return the question's texts in a language, if it has them."""
        return next((text for text in self.texts if text.language == language), None)

    def content_hash(self, language: str) -> str:
        """Return a hash of everything written in one language, so translations notice a changed source."""
        text = self.text(language)
        parts = [text.text, text.explanation] if text else ["", ""]
        for option in self.options:
            option_text = option.text(language)
            parts += [option.key, option_text.text if option_text else "", option_text.feedback if option_text else ""]
        digest = hashlib.sha256()
        for part in parts:
            digest.update(part.encode() + b"\x00")
        return digest.hexdigest()

    @property
    def languages(self) -> list[str]:
        return [text.language for text in self.texts]


class QuestionText(db.Model):
    """A question's wording and explanation in one language."""

    __tablename__ = "quiz_question_texts"
    __table_args__ = (UniqueConstraint("question_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    #: Shown after submitting, as the review policy allows.
    explanation: Mapped[str] = mapped_column(Text, default="")
    #: Hash of the source-language question this translation was written from (see Question.content_hash).
    source_hash: Mapped[str] = mapped_column(String(64), default="")

    question: Mapped[Question] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<QuestionText {self.question_id} {self.language}>"


class Option(db.Model):
    """One option of a question and whether it is correct; its texts are per language."""

    __tablename__ = "quiz_options"
    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id", ondelete="CASCADE"))
    #: Stable identity inside the question ("a", "true"); never sent to a resident's browser.
    key: Mapped[str] = mapped_column(String(20))
    is_correct: Mapped[bool] = mapped_column(default=False)
    #: Order in the editor and in the file; residents see a shuffled order.
    position: Mapped[int] = mapped_column(default=0)

    question: Mapped[Question] = relationship(back_populates="options")
    texts: Mapped[list["OptionText"]] = relationship(
        back_populates="option", order_by="OptionText.language", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Option {self.question_id}/{self.key}>"

    def text(self, language: str) -> "OptionText | None":
        """Return the option's texts in a language, if it has them."""
        return next((text for text in self.texts if text.language == language), None)


class OptionText(db.Model):
    """An option's wording and the feedback a resident who chose it reads, in one language."""

    __tablename__ = "quiz_option_texts"
    __table_args__ = (UniqueConstraint("option_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("quiz_options.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    feedback: Mapped[str] = mapped_column(Text, default="")

    option: Mapped[Option] = relationship(back_populates="texts")

    def __repr__(self) -> str:
        return f"<OptionText {self.option_id} {self.language}>"


class Attempt(db.Model):
    """One resident's attempt at a quiz: the questions drawn for it, its deadline and, once finished, its score."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (UniqueConstraint("quiz_id", "user_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Indexed by the unique constraint, which starts with it.
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    #: 1 for a resident's first attempt at this quiz, 2 for the next…; unique, so a double start makes one.
    #: A pre-test is number 0, so a resident has at most one.
    number: Mapped[int]
    #: Taken before the lessons to measure what was learned: never passes, never counts toward attempts or completion.
    is_pretest: Mapped[bool] = mapped_column(default=False)
    started_dt: Mapped[datetime] = mapped_column(default=utcnow)
    #: When the time limit runs out; None without a limit.
    deadline_dt: Mapped[datetime | None]
    #: When the attempt was submitted or ended by its time limit; None while it is open.
    finished_dt: Mapped[datetime | None]
    #: Ended by the time limit rather than by the resident.
    is_expired: Mapped[bool] = mapped_column(default=False)
    #: Points earned (sum over the answers) and the most that could be earned.
    score: Mapped[float | None]
    max_score: Mapped[int] = mapped_column(default=0)
    is_passed: Mapped[bool] = mapped_column(default=False)
    #: The token of the page that submitted it: the same page sending again is a repeat, not a stale tab.
    submit_token: Mapped[str | None] = mapped_column(String(40))

    quiz: Mapped[Quiz] = relationship()
    answers: Mapped[list["Answer"]] = relationship(
        back_populates="attempt", order_by="Answer.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Attempt {self.id} of user {self.user_id}>"

    @property
    def is_open(self) -> bool:
        return self.finished_dt is None

    @property
    def percent(self) -> float:
        """Return the score as a percentage of the most that could be earned."""
        return 100.0 * (self.score or 0.0) / self.max_score if self.max_score else 0.0


class Answer(db.Model):
    """One drawn question of an attempt: the order its options are shown in and what the resident chose."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    #: The question's number in the attempt, from 1.
    position: Mapped[int]
    question_id: Mapped[int] = mapped_column(ForeignKey("quiz_questions.id"), index=True)
    #: Option keys in the order the resident sees them; the browser only ever sees their numbers.
    option_order: Mapped[list] = mapped_column(JSON)
    #: Option keys chosen, in the order of option_order.
    selected: Mapped[list] = mapped_column(JSON, default=list)
    #: The client's sequence number of the stored answer: a save with a lower one is older and ignored.
    sequence: Mapped[int] = mapped_column(default=0)
    saved_dt: Mapped[datetime | None]
    #: Points earned, set when the attempt is finished.
    points: Mapped[float | None]

    attempt: Mapped[Attempt] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()

    def __repr__(self) -> str:
        return f"<Answer {self.attempt_id}#{self.position}>"

    @property
    def is_answered(self) -> bool:
        return bool(self.selected)

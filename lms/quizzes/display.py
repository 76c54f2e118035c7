"""What a resident reads: each text in the best language the fallback chain has, and nothing secret before the end.

A question on an open attempt is built without the answer key, feedback or explanation at all, so
no template can leak them by mistake; the review of a finished attempt adds them as the policy allows.
"""

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.core.models import Language
from lms.courses.models import Course
from lms.extensions import db
from lms.i18n import language_name
from lms.quizzes.grading import QUESTION_TYPES
from lms.quizzes.models import Answer, Option, Question


@dataclass(frozen=True)
class Shown:
    """A text as shown: its words, the language they are in, and whether that is a fallback."""

    value: str
    language: str
    is_fallback: bool

    def __str__(self) -> str:
        return self.value


def language_chain(language: str | None, course: Course) -> list[str]:
    """Return the languages to try for a resident's texts: theirs, its fallbacks, then the course's source."""
    record = db.session.get(Language, language) if language else None
    chain = record.chain if record else [tag for tag in (language, "id", "en") if tag]
    if course.source_language not in chain:
        chain.append(course.source_language)
    return chain


def pick(rows, chain: list[str], attribute: str) -> Shown | None:
    """Return a row's text in the first language of the chain that has it (any language as a last resort)."""
    by_language = {row.language: row for row in rows}
    for tag in [*chain, *sorted(by_language)]:
        row = by_language.get(tag)
        if row is not None and getattr(row, attribute):
            return Shown(getattr(row, attribute), tag, tag != chain[0])
    return None


@dataclass
class ShownOption:
    """An option as the resident sees it; `key`, `is_correct` and `feedback` are set only in a review."""

    number: int
    text: Shown | None
    is_chosen: bool
    key: str | None = None
    is_correct: bool | None = None
    feedback: Shown | None = None


@dataclass
class ShownQuestion:
    """A question as the resident sees it; `explanation` and `points` are set only in a review."""

    number: int
    type: str
    is_multiple: bool
    text: Shown | None
    options: list[ShownOption]
    explanation: Shown | None = None
    points: float | None = None
    #: In a review: whether the correct options may be marked.
    shows_answers: bool = False
    #: Languages the texts fell back to (empty when everything is in the resident's language).
    fallback_languages: list[str] = field(default_factory=list)

    @property
    def type_label(self) -> str:
        return str(QUESTION_TYPES[self.type].label) if self.type in QUESTION_TYPES else self.type


def load_questions(question_ids) -> dict[int, Question]:
    """Load questions with their texts and options in a fixed number of queries."""
    questions = db.session.scalars(
        select(Question)
        .where(Question.id.in_(set(question_ids)))
        .options(
            selectinload(Question.texts),
            selectinload(Question.options).selectinload(Option.texts),
        )
    )
    return {question.id: question for question in questions}


def show_question(
    question: Question, answer: Answer, chain: list[str], *, review: bool = False, shows_answers: bool = False
) -> ShownQuestion:
    """Build what a resident sees of one question of an attempt; the review adds what the policy allows."""
    by_key = {option.key: option for option in question.options}
    options = []
    for number, key in enumerate(answer.option_order, start=1):
        option = by_key.get(key)
        if option is None:  # removed from the question after the attempt was drawn
            continue
        shown = ShownOption(number, pick(option.texts, chain, "text"), key in answer.selected)
        if review:
            shown.feedback = pick(option.texts, chain, "feedback") if shown.is_chosen else None
            if shows_answers:
                shown.is_correct = option.is_correct
        options.append(shown)
    kind = QUESTION_TYPES.get(question.type)
    result = ShownQuestion(
        number=answer.position,
        type=question.type,
        is_multiple=bool(kind and kind.is_multiple),
        text=pick(question.texts, chain, "text"),
        options=options,
    )
    if review:
        result.points = answer.points
        result.shows_answers = shows_answers
        if shows_answers:
            result.explanation = pick(question.texts, chain, "explanation")
    texts = [result.text, result.explanation, *(o.text for o in options), *(o.feedback for o in options)]
    result.fallback_languages = sorted({t.language for t in texts if t is not None and t.is_fallback})
    return result


def preview_question(question: Question, chain: list[str], number: int) -> ShownQuestion:
    """Show a pool question to an officer as a resident would see it, options in their written order."""
    answer = Answer(position=number, option_order=[option.key for option in question.options], selected=[])
    return show_question(question, answer, chain)


def language_names(tags) -> dict[str, str]:
    """Return the own names of content languages, from the admin's list, else from CLDR."""
    names = dict(db.session.execute(select(Language.code, Language.name)).all())
    return {tag: names.get(tag) or language_name(tag) for tag in tags}

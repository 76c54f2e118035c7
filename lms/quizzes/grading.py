"""Question types: a registry of small classes, each knowing its rules and how to grade an answer.

Multiple choice gives partial credit: each correct option chosen earns 1/k (k correct options),
each wrong option chosen costs 1/(n−k), and the points never fall below 0. Choosing every option
therefore earns nothing, and so does choosing none; a question counts as answered correctly only
when it earns full points.
"""

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Protocol

from flask_babel import lazy_gettext as _l


class GradableOption(Protocol):
    key: str
    is_correct: bool


class GradableQuestion(Protocol):
    type: str
    options: Sequence[GradableOption]


class QuestionType:
    """What every question type shares: a name, which answers are well-formed, and grading."""

    name = ""
    label = ""
    #: Whether a resident may choose more than one option.
    is_multiple = False
    #: Option keys the type requires, in order, or None when authors choose them.
    fixed_keys: tuple[str, ...] | None = None

    @classmethod
    def problems(cls, options: Sequence[GradableOption]) -> list:
        """Return what is wrong with a question's options (empty when it can be used)."""
        problems = []
        keys = [option.key for option in options]
        if len(set(keys)) != len(keys):
            problems.append(_l("Two options have the same key."))
        if cls.fixed_keys is not None and sorted(keys) != sorted(cls.fixed_keys):
            problems.append(_l("A true/false question has exactly the options “true” and “false”."))
        elif len(options) < 2:
            problems.append(_l("A question needs at least two options."))
        correct = sum(1 for option in options if option.is_correct)
        if not cls.is_multiple and correct != 1:
            problems.append(_l("Exactly one option must be correct."))
        if cls.is_multiple and correct < 1:
            problems.append(_l("At least one option must be correct."))
        return problems

    @classmethod
    def grade(cls, question: GradableQuestion, selected_option_keys: Iterable[str]) -> float:
        """Return the points an answer earns, from 0 to 1."""
        raise NotImplementedError


class SingleChoice(QuestionType):
    """One option is correct; choosing it earns the point."""

    name = "single"
    label = _l("Single choice")

    @classmethod
    def grade(cls, question: GradableQuestion, selected_option_keys: Iterable[str]) -> float:
        chosen = set(selected_option_keys)
        if len(chosen) != 1:
            return 0.0
        (key,) = chosen
        return 1.0 if any(option.key == key and option.is_correct for option in question.options) else 0.0


class TrueFalse(SingleChoice):
    """A statement that is true or false: a single choice between the options “true” and “false”."""

    name = "true_false"
    label = _l("True or false")
    fixed_keys = ("true", "false")


class MultipleChoice(QuestionType):
    """Several options may be correct; partial credit, never below zero (see the module's note)."""

    name = "multiple"
    label = _l("Multiple choice")
    is_multiple = True

    @classmethod
    def grade(cls, question: GradableQuestion, selected_option_keys: Iterable[str]) -> float:
        chosen = set(selected_option_keys)
        correct = {option.key for option in question.options if option.is_correct}
        wrong = {option.key for option in question.options if not option.is_correct}
        if not correct:
            return 0.0
        points = Fraction(len(chosen & correct), len(correct))
        if wrong:
            points -= Fraction(len(chosen & wrong), len(wrong))
        return float(max(points, Fraction(0)))


#: Every question type by the name stored with a question and written in quiz.yml.
QUESTION_TYPES: dict[str, type[QuestionType]] = {
    "single": SingleChoice,
    "multiple": MultipleChoice,
    "true_false": TrueFalse,
}


def grade(question: GradableQuestion, selected_option_keys: Iterable[str]) -> float:
    """Grade an answer with its question's type; an unknown type earns nothing."""
    kind = QUESTION_TYPES.get(question.type)
    if kind is None:
        return 0.0
    return kind.grade(question, selected_option_keys)

"""Grading per question type: right answers earn the point, anything else earns less, always in [0, 1]."""

from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.quizzes.grading import QUESTION_TYPES, MultipleChoice, SingleChoice, TrueFalse, grade


@dataclass
class Option:
    key: str
    is_correct: bool


@dataclass
class Question:
    type: str
    options: list[Option] = field(default_factory=list)


def question(kind: str, correct: str, keys: str = "abcd") -> Question:
    return Question(kind, [Option(key, key in correct) for key in keys])


def test_registry_names_match_the_types_in_quiz_files():
    assert QUESTION_TYPES == {"single": SingleChoice, "multiple": MultipleChoice, "true_false": TrueFalse}
    assert all(kind.name == name for name, kind in QUESTION_TYPES.items())


@pytest.mark.parametrize(
    ("chosen", "points"), [(["a"], 1.0), (["b"], 0.0), ([], 0.0), (["a", "b"], 0.0), (["zz"], 0.0)]
)
def test_single_choice(chosen, points):
    assert grade(question("single", "a"), chosen) == points


@pytest.mark.parametrize(("chosen", "points"), [(["false"], 1.0), (["true"], 0.0), ([], 0.0), (["true", "false"], 0.0)])
def test_true_false(chosen, points):
    assert grade(question("true_false", "false", keys=("true", "false")), chosen) == points


@pytest.mark.parametrize(
    ("chosen", "points"),
    [
        (["a", "b"], 1.0),  # exactly the correct ones
        (["a"], 0.5),  # half of the correct ones
        (["a", "c"], 0.0),  # one right, one wrong: 1/2 − 1/2
        (["a", "b", "c"], 0.5),  # all right ones and one of two wrong
        (["a", "b", "c", "d"], 0.0),  # choosing everything earns nothing
        ([], 0.0),
        (["c", "d"], 0.0),  # never below zero
    ],
)
def test_multiple_choice_gives_partial_credit(chosen, points):
    assert grade(question("multiple", "ab"), chosen) == points


def test_multiple_choice_with_every_option_correct():
    assert grade(question("multiple", "abcd"), ["a", "b"]) == 0.5
    assert grade(question("multiple", "abcd"), ["a", "b", "c", "d"]) == 1.0


def test_unknown_type_earns_nothing():
    assert grade(question("essay", "a"), ["a"]) == 0.0


def test_problems_with_options():
    assert SingleChoice.problems(question("single", "ab").options)
    assert SingleChoice.problems(question("single", "a").options) == []
    assert MultipleChoice.problems(question("multiple", "").options)
    assert TrueFalse.problems(question("true_false", "a", keys="ab").options)
    assert TrueFalse.problems(question("true_false", "true", keys=("true", "false")).options) == []
    assert SingleChoice.problems([Option("a", True)])
    assert SingleChoice.problems([Option("a", True), Option("a", False)])


keys = st.lists(st.sampled_from("abcdefgh"), min_size=2, max_size=8, unique=True)


@st.composite
def questions(draw):
    kind = draw(st.sampled_from(sorted(QUESTION_TYPES)))
    option_keys = ["true", "false"] if kind == "true_false" else draw(keys)
    flags = draw(st.lists(st.booleans(), min_size=len(option_keys), max_size=len(option_keys)))
    return Question(kind, [Option(k, f) for k, f in zip(option_keys, flags, strict=True)])


@given(questions(), st.lists(st.text(max_size=6), max_size=10))
def test_points_are_always_between_zero_and_one_and_deterministic(q, chosen):
    points = grade(q, chosen)
    assert 0.0 <= points <= 1.0
    assert grade(q, list(reversed(chosen))) == points == grade(q, chosen + chosen)


@given(questions())
def test_choosing_exactly_the_correct_options_earns_full_points(q):
    correct = [o.key for o in q.options if o.is_correct]
    if QUESTION_TYPES[q.type].problems(q.options):
        return
    assert grade(q, correct) == 1.0


@given(questions(), st.sets(st.sampled_from("abcdefgh")))
def test_anything_but_the_correct_options_earns_less_than_full(q, chosen):
    correct = {o.key for o in q.options if o.is_correct}
    known = chosen & {o.key for o in q.options}
    if known != correct and not QUESTION_TYPES[q.type].problems(q.options):
        assert grade(q, known) < 1.0

"""Drawing questions from the pool and arranging options: fair, complete, stable for a seed."""

import random

from hypothesis import given
from hypothesis import strategies as st

from lms.quizzes.drawing import PoolQuestion, arrange_options, draw_questions, make_draw


@st.composite
def pools(draw):
    size = draw(st.integers(min_value=0, max_value=30))
    lessons = draw(st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=size, max_size=size))
    result = []
    for number, lesson in enumerate(lessons, start=1):
        kind = draw(st.sampled_from(["single", "multiple", "true_false"]))
        option_keys = ("true", "false") if kind == "true_false" else tuple("abcde"[: draw(st.integers(2, 5))])
        result.append(PoolQuestion(number * 7, kind, lesson, option_keys))
    return result


@given(pools(), st.integers(min_value=0, max_value=40), st.integers())
def test_draw_takes_distinct_questions_from_the_pool(pool, count, seed):
    drawn = draw_questions(pool, count, random.Random(seed))
    assert len(drawn) == (min(count, len(pool)) if count else len(pool))
    assert len({q.id for q in drawn}) == len(drawn)
    assert all(q in pool for q in drawn)


@given(pools(), st.integers(min_value=1, max_value=40), st.integers())
def test_draw_covers_every_lesson_before_repeating_one(pool, count, seed):
    drawn = draw_questions(pool, count, random.Random(seed))
    lessons = {q.lesson_id for q in pool}
    if count >= len(lessons):
        assert {q.lesson_id for q in drawn} == lessons
    else:
        assert len({q.lesson_id for q in drawn}) == len(drawn)


@given(pools(), st.integers(min_value=0, max_value=40), st.integers())
def test_same_seed_gives_the_same_quiz(pool, count, seed):
    assert make_draw(pool, count, seed) == make_draw(list(reversed(pool)), count, seed)


@given(pools(), st.integers())
def test_options_are_a_permutation_and_true_false_keeps_its_order(pool, seed):
    rng = random.Random(seed)
    for question in pool:
        order = arrange_options(question, rng)
        assert sorted(order) == sorted(question.option_keys)
        if question.type == "true_false":
            assert order == ["true", "false"]


def test_different_seeds_shuffle_differently():
    pool = [PoolQuestion(i, "single", None, tuple("abcd")) for i in range(20)]
    draws = {tuple(tuple(o) for _, o in make_draw(pool, 8, seed)) for seed in range(20)}
    assert len(draws) > 15
    first_positions = {order[0] for seed in range(50) for _, order in make_draw(pool, 8, seed)}
    assert first_positions == set("abcd")

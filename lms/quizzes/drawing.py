"""Drawing an attempt's questions from the pool and arranging each question's options.

The result is stored with the attempt, so these functions only need to be fair, not repeatable
across code changes; with the same seed they give the same draw, which the tests rely on.
"""

import random
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class PoolQuestion:
    """What the draw needs to know about a question in the pool."""

    id: int
    type: str
    #: The lesson the question is about; questions are spread over lessons.
    lesson_id: int | None
    option_keys: tuple[str, ...]


def draw_questions(pool: Sequence[PoolQuestion], count: int, rng: random.Random) -> list[PoolQuestion]:
    """Pick `count` questions (all when the pool is smaller), spread over the lessons, in random order.

    The pool is grouped by lesson and questions are taken from the groups in turn, so every lesson
    gets a question before any lesson gets a second one.
    """
    groups: dict[int | None, list[PoolQuestion]] = {}
    for question in sorted(pool, key=lambda q: q.id):
        groups.setdefault(question.lesson_id, []).append(question)
    lessons = sorted(groups, key=lambda lesson: (lesson is None, lesson or 0))
    for lesson in lessons:
        rng.shuffle(groups[lesson])
    rng.shuffle(lessons)
    chosen: list[PoolQuestion] = []
    count = min(max(count, 0), len(pool)) if count else len(pool)
    while len(chosen) < count:
        for lesson in lessons:
            if groups[lesson] and len(chosen) < count:
                chosen.append(groups[lesson].pop())
    rng.shuffle(chosen)
    return chosen


def arrange_options(question: PoolQuestion, rng: random.Random) -> list[str]:
    """Return the order to show a question's options in: shuffled, except true/false stays in order."""
    keys = list(question.option_keys)
    if question.type == "true_false":
        return sorted(keys, key=lambda key: key != "true")
    rng.shuffle(keys)
    return keys


def make_draw(pool: Sequence[PoolQuestion], count: int, seed: int) -> list[tuple[int, list[str]]]:
    """Return an attempt's questions and the order of each one's options, from a seed."""
    rng = random.Random(seed)
    return [(question.id, arrange_options(question, rng)) for question in draw_questions(pool, count, rng)]

"""Item statistics for officers: how often each question is answered correctly and each option chosen.

Counted over finished attempts, overall or for one village, so a confusing question shows up: few
residents get it right, or one wrong option draws more residents than the correct one.
"""

from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import noload

from lms.accounts.models import User
from lms.extensions import db
from lms.quizzes.models import Answer, Attempt, Question, Quiz
from lms.regions.models import Region

#: Below this share of full answers, a question is flagged for a second look.
LOW_SHARE = 0.4
#: Fewer answers than this say too little to flag anything.
FEW_ANSWERS = 5


@dataclass
class OptionStatistic:
    key: str
    is_correct: bool
    chosen: int = 0
    share: float = 0.0


@dataclass
class QuestionStatistic:
    question: Question
    #: Times the question was in a finished attempt (a blank answer counts).
    answered: int = 0
    #: Answers that earned full points.
    correct: int = 0
    share_correct: float = 0.0
    mean_points: float = 0.0
    options: list[OptionStatistic] = field(default_factory=list)

    @property
    def is_confusing(self) -> bool:
        """Tell whether the question deserves a second look."""
        if self.answered < FEW_ANSWERS:
            return False
        best_wrong = max((o.chosen for o in self.options if not o.is_correct), default=0)
        least_right = min((o.chosen for o in self.options if o.is_correct), default=0)
        return self.share_correct < LOW_SHARE or best_wrong > least_right


def item_statistics(quiz: Quiz, village_code: str | None = None) -> list[QuestionStatistic]:
    """Return every question's statistics (retired ones included, last), overall or for one village."""
    statement = (
        select(Answer.question_id, Answer.selected, Answer.points)
        .join(Attempt, Attempt.id == Answer.attempt_id)
        .where(Attempt.quiz_id == quiz.id, Attempt.finished_dt.is_not(None), Attempt.is_pretest.is_(False))
    )
    if village_code:
        statement = statement.join(User, User.id == Attempt.user_id).where(User.village_code == village_code)
    questions = sorted(quiz.questions, key=lambda q: (q.is_retired, q.position, q.id))
    result = {
        q.id: QuestionStatistic(q, options=[OptionStatistic(o.key, o.is_correct) for o in q.options]) for q in questions
    }
    points: dict[int, float] = {}
    for question_id, selected, earned in db.session.execute(statement):
        statistic = result.get(question_id)
        if statistic is None:
            continue
        statistic.answered += 1
        statistic.correct += 1 if earned is not None and earned >= 1.0 else 0
        points[question_id] = points.get(question_id, 0.0) + (earned or 0.0)
        for option in statistic.options:
            if option.key in selected:
                option.chosen += 1
    for statistic in result.values():
        if statistic.answered:
            statistic.share_correct = statistic.correct / statistic.answered
            statistic.mean_points = points.get(statistic.question.id, 0.0) / statistic.answered
            for option in statistic.options:
                option.share = option.chosen / statistic.answered
    return list(result.values())


def villages_with_attempts(quiz: Quiz) -> list[tuple[Region, int]]:
    """Return the villages whose residents finished attempts at a quiz, with how many attempts."""
    rows = db.session.execute(
        select(Region, func.count(Attempt.id))
        .options(noload(Region.parent))  # grouped by village: PostgreSQL refuses the parents' joined columns
        .join(User, User.village_code == Region.code)
        .join(Attempt, Attempt.user_id == User.id)
        .where(Attempt.quiz_id == quiz.id, Attempt.finished_dt.is_not(None), Attempt.is_pretest.is_(False))
        .group_by(Region.code)
        .order_by(Region.name)
    ).all()
    return [(region, count) for region, count in rows]

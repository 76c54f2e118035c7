"""Forms officers use: a quiz's settings, and a question with its translation side by side."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, FieldList, FormField, HiddenField, SelectField, TextAreaField
from wtforms import Form as SubForm
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from lms.core.forms import WholeNumberField, WholeNumberRange
from lms.quizzes.grading import QUESTION_TYPES
from lms.quizzes.models import REVIEW_POLICIES

#: How many option rows the editor shows (blank rows are ignored), so it works without JavaScript.
OPTION_ROWS = 6
TEXT_LIMIT = 2000
REVIEW_LABELS = {
    "always": _l("After every attempt"),
    "after_pass": _l("Once passed, or when no attempts are left"),
    "never": _l("Never"),
}


def _number(label, largest: int, hint_message):
    return WholeNumberField(
        label,
        validators=[
            InputRequired(message=_l("Please write a whole number.")),
            WholeNumberRange(min=0, max=largest, message=hint_message),
        ],
    )


class QuizSettingsForm(FlaskForm):
    """How a quiz is taken."""

    pass_mark = WholeNumberField(
        _l("Pass mark (%)"),
        validators=[
            InputRequired(message=_l("Please write a whole number.")),
            WholeNumberRange(min=1, max=100, message=_l("From 1 to 100.")),
        ],
    )
    questions_per_attempt = _number(_l("Questions per attempt (0 = the whole pool)"), 500, _l("From 0 to 500."))
    max_attempts = _number(_l("Attempts allowed (0 = no limit)"), 100, _l("From 0 to 100."))
    time_limit_minutes = _number(_l("Time limit in minutes (0 = none)"), 600, _l("From 0 to 600."))
    review = SelectField(
        _l("Show the correct answers and explanations"),
        choices=[SelectChoice(policy, REVIEW_LABELS[policy]) for policy in REVIEW_POLICIES],
    )
    has_pretest = BooleanField(_l("Offer a pre-test before the first lesson (to measure what residents learn)"))


class OptionForm(SubForm):
    """One option row: the source-language text and feedback beside their translation."""

    key = HiddenField(validators=[Length(max=20, message=_l("Too long."))])  # the column's width
    is_correct = BooleanField(_l("Correct"))
    source_text = TextAreaField(_l("Option"), validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))])
    source_feedback = TextAreaField(
        _l("Feedback when chosen"), validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))]
    )
    target_text = TextAreaField(_l("Option"), validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))])
    target_feedback = TextAreaField(
        _l("Feedback when chosen"), validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))]
    )


class QuestionForm(FlaskForm):
    """A question in the source language and one target language, with up to OPTION_ROWS options."""

    type = SelectField(_l("Type"), choices=[SelectChoice(name, kind.label) for name, kind in QUESTION_TYPES.items()])
    lesson = SelectField(_l("Lesson it is about"), validators=[Optional()])
    source_text = TextAreaField(
        lazy_pgettext("quiz", "Question"),
        validators=[
            DataRequired(message=lazy_pgettext("quiz", "Please write the question.")),
            Length(max=TEXT_LIMIT, message=_l("Too long.")),
        ],
    )
    source_explanation = TextAreaField(
        _l("Explanation (shown after the quiz)"),
        validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))],
    )
    target_text = TextAreaField(
        lazy_pgettext("quiz", "Question"), validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))]
    )
    target_explanation = TextAreaField(
        _l("Explanation (shown after the quiz)"),
        validators=[Optional(), Length(max=TEXT_LIMIT, message=_l("Too long."))],
    )
    is_translation_current = BooleanField(_l("The translation says the same as the source text"))
    options = FieldList(FormField(OptionForm), min_entries=OPTION_ROWS, max_entries=OPTION_ROWS)

"""Forms of the community pages: asking, answering, FAQs, hiding, reporting a concern, handling it."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.community.models import ANSWER_MAX, QUESTION_MAX
from lms.core.forms import choice_number

#: Characters no text may hold: PostgreSQL refuses NUL, and the others only hide what a text says.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def printable(form, field) -> None:
    """Refuse invisible control characters (tabs and line breaks are fine)."""
    if field.data and _CONTROL.search(field.data):
        raise ValidationError(_l("Please remove the invisible control characters from the text."))


def _text(label, maximum: int, required_message, **kwargs) -> TextAreaField:
    return TextAreaField(
        label,
        validators=[
            DataRequired(message=required_message),
            Length(max=maximum, message=_l("At most %(max)d characters, please.", max=maximum)),
            printable,
        ],
        **kwargs,
    )


class QuestionForm(FlaskForm):
    """Ask the officers a question, from a lesson or from the "Tanya Petugas" page."""

    body = _text(_l("Your question"), QUESTION_MAX, _l("Please write your question."), render_kw={"rows": 5})
    language = SelectField(_l("Language of your question"), validate_choice=True)
    is_public = BooleanField(_l("Others may read my question and its answer under the lesson (without my name)"))
    course_id = SelectField(_l("Course it is about (optional)"), coerce=choice_number, default=0, validate_choice=False)
    #: A leader asks on behalf of an assisted villager of their village.
    villager_id = SelectField(_l("On behalf of"), coerce=choice_number, default=0, validate_choice=False)
    lesson_id = HiddenField(filters=[choice_number])
    form_token = HiddenField()


class AnswerForm(FlaskForm):
    """An officer answers a question (or corrects the answer)."""

    answer = _text(_l("Answer"), ANSWER_MAX, _l("Please write the answer."), render_kw={"rows": 6})


class FaqForm(FlaskForm):
    """An officer words a frequently asked question under a lesson."""

    lesson_id = SelectField(_l("Lesson"), coerce=choice_number, validate_choice=True)
    language = SelectField(_l("Language"), validate_choice=True)
    question = _text(_l("Question"), QUESTION_MAX, _l("Please write the question."), render_kw={"rows": 3})
    answer = _text(_l("Answer"), ANSWER_MAX, _l("Please write the answer."), render_kw={"rows": 6})
    is_published = BooleanField(_l("Show under the lesson"), default=True)


class HideForm(FlaskForm):
    """Hide an abusive question, or show it again."""

    hide = HiddenField()


class ConcernForm(FlaskForm):
    """Report a concern privately to the office covering one's village."""

    kind = RadioField(_l("What is it about?"), validators=[DataRequired(message=_l("Please choose what it is about."))])
    body = _text(
        _l("What happened?"),
        QUESTION_MAX,
        _l("Please tell us what happened."),
        render_kw={"rows": 6},
    )
    form_token = HiddenField()


class HandleForm(FlaskForm):
    """An officer records what the office did about a concern."""

    note = _text(
        _l("What the office did"), QUESTION_MAX, _l("Please write what the office did."), render_kw={"rows": 4}
    )

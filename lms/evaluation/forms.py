"""Forms residents fill in about what they learned, and the period officers choose."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from lms.core.forms import WholeNumberRange

#: Longest answer to an open question; a resident's comment is a few sentences.
TEXT_LIMIT = 2000
SCALE = (1, 2, 3, 4, 5)
OUT_OF_SCALE = _l("Choose a number from 1 to 5.")
BAD_DATE = _l("Write a date as year-month-day, e.g. 2026-01-31.")


class RatingField(IntegerField):
    """A 1–5 rating sent by radio buttons; anything else gets a message in the reader's language."""

    def process_formdata(self, valuelist):
        if not valuelist or valuelist[0] == "":
            self.data = None
            return
        try:
            self.data = int(valuelist[0])
        except ValueError:
            self.data = None
            raise ValueError(OUT_OF_SCALE) from None


def _rating(label, *, required: bool = False):
    first = InputRequired(message=_l("Choose a number from 1 to 5.")) if required else Optional()
    return RatingField(label, validators=[first, WholeNumberRange(min=1, max=5, message=OUT_OF_SCALE)])


class CourseFeedbackForm(FlaskForm):
    """The short form at the end of a course; every part is optional, but not all of them at once."""

    clarity = _rating(_l("How clear was the course?"))
    usefulness = _rating(_l("How useful was it for you?"))
    hard_text = TextAreaField(
        _l("What was hard?"), validators=[Length(max=TEXT_LIMIT, message=_l("At most 2000 characters, please."))]
    )
    wish_text = TextAreaField(
        _l("What else do you want to learn?"),
        validators=[Length(max=TEXT_LIMIT, message=_l("At most 2000 characters, please."))],
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        written = (self.hard_text.data or "").strip() or (self.wish_text.data or "").strip()
        if self.clarity.data is None and self.usefulness.data is None and not written:
            self.clarity.errors = [_l("Please give a rating or write an answer.")]
            return False
        return True


class LessonRatingForm(FlaskForm):
    """The one question under a lesson."""

    rating = _rating(_l("Was this lesson clear?"), required=True)


class PeriodForm(FlaskForm):
    """The period an evaluation covers (read from the address, so a page can be bookmarked)."""

    class Meta:
        csrf = False

    dari = DateField(_l("From"), validators=[Optional()], invalid_value_message=BAD_DATE)
    sampai = DateField(_l("To"), validators=[Optional()], invalid_value_message=BAD_DATE)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.dari.data and self.sampai.data and self.dari.data > self.sampai.data:
            self.sampai.errors = [_l("The end comes before the start.")]
            return False
        return True

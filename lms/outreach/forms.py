"""Outreach forms: scheduling a session."""

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from lms.core.forms import choice_number


def _parse(text: str, pattern: str):
    return datetime.strptime(text.strip(), pattern)


def valid_day(form, field) -> None:
    """Refuse a day that is not a date (YYYY-MM-DD, as date inputs send it)."""
    try:
        field.parsed = _parse(field.data or "", "%Y-%m-%d").date()
    except ValueError:
        raise ValidationError(_l("Please give a date, e.g. 2026-12-01.")) from None


def valid_time(form, field) -> None:
    """Refuse a time that is not HH:MM (as time inputs send it)."""
    try:
        field.parsed = _parse(field.data or "", "%H:%M").time()
    except ValueError:
        raise ValidationError(_l("Please give a time, e.g. 09:30.")) from None


class SessionForm(FlaskForm):
    """Schedule an outreach session: where, on what, when."""

    village_code = StringField(
        _l("Village code"),
        validators=[
            DataRequired(message=_l("Please choose the village.")),
            Length(max=13, message=_l("At most 13 characters.")),
        ],
    )
    course_id = SelectField(_l("Course"), coerce=choice_number, default=0, validate_choice=False)
    topic = StringField(_l("Topic"), validators=[Length(max=200, message=_l("At most 200 characters."))])
    place = StringField(_l("Place"), validators=[Length(max=200, message=_l("At most 200 characters."))])
    day = StringField(
        _l("Date"),
        validators=[DataRequired(message=_l("Please fill this in.")), valid_day],
        render_kw={"type": "date"},
    )
    starts = StringField(
        _l("Starts at"),
        validators=[DataRequired(message=_l("Please fill this in.")), valid_time],
        render_kw={"type": "time"},
    )
    ends = StringField(
        _l("Ends at"),
        validators=[DataRequired(message=_l("Please fill this in.")), valid_time],
        render_kw={"type": "time"},
    )

    def validate_ends(self, field) -> None:
        starts: time | None = getattr(self.starts, "parsed", None)
        ends: time | None = getattr(field, "parsed", None)
        if starts is not None and ends is not None and ends <= starts:
            raise ValidationError(_l("The session must end after it starts."))

    @property
    def local_window(self) -> tuple[datetime, datetime]:
        """Return the start and end as local date-times (call after validation)."""
        day: date = self.day.parsed
        return datetime.combine(day, self.starts.parsed), datetime.combine(day, self.ends.parsed)


class LeaderSessionForm(SessionForm):
    """The same, for a community leader: the village is one of theirs, chosen from a list."""

    village_code = SelectField(
        _l("Village"), validators=[DataRequired(message=_l("Please choose the village."))], validate_choice=False
    )

"""Leaders' forms: adding a villager, importing a roster."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.core.forms import choice_number
from lms.progress.exports import FORMULA_STARTS

CONSENT_LABEL = _l(
    "I explained to the villager what Kelas Imigrasi keeps about them (name, village, progress) and they agreed."
)


def plain_name(form, field) -> None:
    """Refuse a name a spreadsheet would take for a formula."""
    if (field.data or "").strip().startswith(FORMULA_STARTS):
        raise ValidationError(_l("A name cannot start with =, +, -, or @."))


class VillagerForm(FlaskForm):
    """Add a villager who has no phone of their own (or shares one)."""

    #: The same token sent twice adds one villager (a double tap, a reload).
    token = HiddenField()
    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(max=80, message=_l("At most 80 characters.")),
            plain_name,
        ],
    )
    phone = StringField(
        _l("Mobile number (optional)"),
        validators=[Optional(), Length(max=24, message=_l("At most 24 characters."))],
    )
    village_code = SelectField(
        _l("Village"), validators=[DataRequired(message=_l("Please choose the village."))], validate_choice=False
    )
    course_id = SelectField(_l("Enrol in a course"), coerce=choice_number, default=0, validate_choice=False)
    consent = BooleanField(CONSENT_LABEL, validators=[DataRequired(message=_l("Please confirm the villager agreed."))])


class RosterForm(FlaskForm):
    """Upload a roster of villagers."""

    file = FileField(
        _l("Roster file (CSV or XLSX)"), validators=[FileRequired(message=_l("Please choose a CSV or XLSX file."))]
    )
    course_id = SelectField(_l("Enrol everyone in a course"), coerce=choice_number, default=0, validate_choice=False)
    consent = BooleanField(
        _l("The villagers on this list agreed that Kelas Imigrasi keeps their name, village and progress."),
        validators=[DataRequired(message=_l("Please confirm the villagers agreed."))],
    )

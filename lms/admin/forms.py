"""Forms for managing people, offices and languages."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.access import ROLES
from lms.accounts.forms import SignInWays, valid_name, valid_password

LANGUAGE_TAG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


class UserForm(SignInWays, FlaskForm):
    """An account as the admin sees it."""

    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Please write a name.")),
            Length(max=80, message=_l("At most 80 characters.")),
            valid_name,
        ],
    )
    role = SelectField(_l("Role"), choices=[SelectChoice(r) for r in ROLES])
    office_id = SelectField(_l("Office (for officers)"), coerce=int, validators=[Optional()])
    village_code = StringField(
        _l("Village code (for residents)"),
        validators=[Optional(), Length(max=13, message=_l("At most 13 characters."))],
    )
    password = PasswordField(
        _l("New password"),
        validators=[Optional(), Length(min=8, max=128, message=_l("Between 8 and 128 characters.")), valid_password],
    )
    is_disabled = BooleanField(_l("Account disabled"))


class OfficeForm(FlaskForm):
    """An immigration office's name."""

    name = StringField(
        _l("Office name"),
        validators=[
            DataRequired(message=_l("Please write a name.")),
            Length(max=120, message=_l("At most 120 characters.")),
        ],
    )


class LanguageForm(FlaskForm):
    """A content language and its fallback chain."""

    code = StringField(
        _l("Language tag (BCP-47)"),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(max=20, message=_l("At most 20 characters.")),
        ],
    )
    name = StringField(
        _l("Name in the language itself"),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(max=60, message=_l("At most 60 characters.")),
        ],
    )
    fallbacks = StringField(
        _l("Fallback languages, in order"),
        validators=[Length(max=100, message=_l("At most 100 characters."))],
        default="id en",
    )
    is_enabled = BooleanField(_l("Offered to learners"), default=True)

    def validate_code(self, field) -> None:
        field.data = field.data.strip()
        if not LANGUAGE_TAG.match(field.data):
            raise ValidationError(_l("Use a language tag such as id, jv, su, ljp or min."))

    def validate_fallbacks(self, field) -> None:
        tags = field.data.split()
        if any(not LANGUAGE_TAG.match(tag) for tag in tags):
            raise ValidationError(_l("Use language tags separated by spaces, such as: id en"))
        field.data = " ".join(tags)

"""Forms for signing up, signing in and the profile."""

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length, Optional, ValidationError

from lms.accounts import operations
from lms.accounts.models import User
from lms.extensions import db
from lms.regions.models import VILLAGE
from lms.regions.operations import get_region

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,29}$")
#: Punctuation a person's name may carry besides letters, combining marks and spaces.
NAME_PUNCTUATION = set(".'-,’")


def valid_name(form, field) -> None:
    """Accept a person's name in any script; refuse digits, symbols, emoji and markup."""
    value = unicodedata.normalize("NFC", (field.data or "").strip())
    field.data = " ".join(value.split())
    for ch in field.data:
        category = unicodedata.category(ch)
        if not (category[0] in "LM" or ch == " " or ch in NAME_PUNCTUATION):
            raise ValidationError(_l("A name may contain only letters, spaces and . ' - ,"))


def valid_password(form, field) -> None:
    """Refuse passwords with control characters (they cannot be typed again)."""
    if any(unicodedata.category(ch) == "Cc" for ch in field.data or ""):
        raise ValidationError(_l("The password contains characters that cannot be typed."))


class SignInWays:
    """The two ways to sign in, a mobile number and a username: at least one, each well formed."""

    phone = StringField(
        _l("Mobile number"), validators=[Optional(), Length(max=24, message=_l("At most 24 characters."))]
    )
    username = StringField(
        _l("Username"), validators=[Optional(), Length(max=30, message=_l("At most 30 characters."))]
    )

    def validate(self, extra_validators=None) -> bool:
        """Check the fields, then that at least one way to sign in was given."""
        valid = super().validate(extra_validators)
        if not (self.phone.data or self.username.data) and not self.username.errors:
            self.username.errors.append(_l("Give a mobile number or a username."))
            valid = False
        return valid

    def validate_phone(self, field) -> None:
        if field.data:
            phone = operations.normalize_phone(field.data)
            if phone is None:
                raise ValidationError(_l("This is not an Indonesian mobile number (for example 0812 3456 7890)."))
            field.data = phone

    def validate_username(self, field) -> None:
        if field.data:
            field.data = operations.normalize_username(field.data)
            if not USERNAME.match(field.data):
                raise ValidationError(
                    _l("3 to 30 characters: letters a–z, digits, and . _ - (starting with a letter or digit).")
                )


class SignUpForm(SignInWays, FlaskForm):
    """A resident's own sign-up: no e-mail, a phone number or a username, a village."""

    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Please write your name.")),
            Length(max=80, message=_l("At most 80 characters.")),
            valid_name,
        ],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(message=_l("Please choose a password.")),
            Length(min=8, max=128, message=_l("Between 8 and 128 characters.")),
            valid_password,
        ],
    )
    confirm = PasswordField(
        _l("Password again"), validators=[EqualTo("password", message=_l("The two passwords differ."))]
    )
    village_code = HiddenField(_l("Village"))
    consent = BooleanField(
        _l("I agree to the use of my data as described above."),
        validators=[DataRequired(message=_l("Please agree before signing up."))],
    )

    def validate_phone(self, field) -> None:
        super().validate_phone(field)
        if field.data and db.session.scalar(db.select(User.id).where(User.phone == field.data)):
            raise ValidationError(_l("This number is already registered. Sign in instead."))

    def validate_username(self, field) -> None:
        super().validate_username(field)
        if field.data and db.session.scalar(db.select(User.id).where(User.username == field.data)):
            raise ValidationError(_l("This username is taken."))

    def validate_village_code(self, field) -> None:
        if get_region(field.data, level=VILLAGE) is None:
            raise ValidationError(_l("Choose your village from the list."))


class SignInForm(FlaskForm):
    """Sign in with a phone number or a username."""

    identifier = StringField(
        _l("Mobile number or username"),
        validators=[DataRequired(message=_l("Please fill this in.")), Length(max=64, message=_l("Too long."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Please fill this in.")), Length(max=128, message=_l("Too long."))],
    )


class ProfileForm(FlaskForm):
    """What a person may change about themselves."""

    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(message=_l("Please write your name.")),
            Length(max=80, message=_l("At most 80 characters.")),
            valid_name,
        ],
    )
    language = SelectField(_l("Language"), validators=[DataRequired(message=_l("Choose a language."))])


class DeleteAccountForm(FlaskForm):
    """Confirm deleting one's account with the password."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(message=_l("Please fill this in.")), Length(max=128, message=_l("Too long."))],
    )
    confirm = BooleanField(
        _l("I understand that this cannot be undone."),
        validators=[DataRequired(message=_l("Please confirm."))],
    )

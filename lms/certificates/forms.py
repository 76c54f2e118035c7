"""Forms for checking, revoking and printing certificates."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from lms.certificates.operations import REASON_MAX_LENGTH


class LookupForm(FlaskForm):
    """A serial typed by hand, or a QR code's address or token pasted: a GET form anyone may send."""

    class Meta:
        csrf = False

    q = StringField(
        _l("Serial number or the address from the QR code"),
        validators=[
            DataRequired(message=_l("Type the serial number printed on the certificate.")),
            Length(max=2000, message=_l("This is too long to be a serial number or a certificate address.")),
        ],
    )


class RevokeForm(FlaskForm):
    """Why a certificate is revoked: shown to everyone who checks it."""

    reason = TextAreaField(
        _l("Reason (shown to everyone who checks the certificate)"),
        validators=[
            DataRequired(message=_l("Write why the certificate is revoked.")),
            Length(max=REASON_MAX_LENGTH, message=_l("At most 500 characters.")),
        ],
    )


class ChooseBulkForm(FlaskForm):
    """Which course and village to print certificates for (a GET form)."""

    class Meta:
        csrf = False

    course = SelectField(_l("Course"), validators=[DataRequired(message=_l("Choose a course."))])
    village = SelectField(_l("Village"), validators=[DataRequired(message=_l("Choose a village."))])


class BulkPrintForm(FlaskForm):
    """Print for the residents ticked on the page (read from the user_id checkboxes; a CSRF-checked form)."""


class NewKeyForm(FlaskForm):
    """Create a new signing key (a button with its CSRF token)."""

"""Forms for uploading a lesson video and its captions."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField
from wtforms.validators import DataRequired


class VideoUploadForm(FlaskForm):
    """A video file for a lesson."""

    video = FileField(_l("Video file"), validators=[FileRequired(message=_l("Choose a video file."))])


class CaptionForm(FlaskForm):
    """A WebVTT or SRT caption file in one language."""

    language = SelectField(_l("Language of the captions"), validators=[DataRequired(message=_l("Choose a language."))])
    captions = FileField(
        _l("Caption file (WebVTT or SRT)"), validators=[FileRequired(message=_l("Choose a caption file."))]
    )

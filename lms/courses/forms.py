"""Forms officers use to write courses and lessons, review them and upload their media."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from lms.core.forms import WholeNumberField, WholeNumberRange
from lms.courses.files import SLUG

SLUG_VALIDATORS = [
    DataRequired(message=_l("Please write a short name for the address.")),
    Length(max=80, message=_l("At most 80 characters.")),
    Regexp(SLUG, message=_l("Use only small letters a–z, digits and single dashes, e.g. paspor-untuk-kerja.")),
]
TITLE_VALIDATORS = [
    DataRequired(message=_l("Please write a title.")),
    Length(max=200, message=_l("At most 200 characters.")),
]
#: Longest lesson body accepted: a lesson is read on a phone, so this is generous.
MAX_BODY = 100_000


class NewCourseForm(FlaskForm):
    """The first things a new course needs: its address, its language and a title."""

    slug = StringField(_l("Address name (slug)"), validators=SLUG_VALIDATORS)
    source_language = SelectField(_l("Language it is written in"))
    title = StringField(_l("Title"), validators=TITLE_VALIDATORS)


class CourseForm(FlaskForm):
    """A course's settings; its titles and summaries per language are added by course_form()."""

    slug = StringField(_l("Address name (slug)"), validators=SLUG_VALIDATORS)
    source_language = SelectField(_l("Language translations are made from"))
    position = WholeNumberField(
        _l("Place in the catalogue"),
        validators=[
            DataRequired(message=_l("Please give a number.")),
            WholeNumberRange(min=1, max=10_000, message=_l("From 1 to 10000.")),
        ],
    )
    estimated_minutes = WholeNumberField(
        _l("Time to complete (minutes)"),
        validators=[Optional(), WholeNumberRange(min=0, max=10_000, message=_l("From 0 to 10000."))],
    )
    lessons_to_read = WholeNumberField(
        _l("Lessons to read for completion"),
        validators=[Optional(), WholeNumberRange(min=0, max=1000, message=_l("From 0 to 1000."))],
    )
    video_percent = WholeNumberField(
        _l("Share of each video to watch (%)"),
        validators=[
            DataRequired(message=_l("Please give a number.")),
            WholeNumberRange(min=1, max=100, message=_l("From 1 to 100.")),
        ],
    )
    is_quiz_required = BooleanField(_l("The quiz must be passed"))
    is_attendance_required = BooleanField(_l("Attending an outreach session is required"))
    is_published = BooleanField(_l("Published: residents see this course"))


def course_form(languages: list[tuple[str, str]], **kwargs) -> CourseForm:
    """Return a course form with a title and a summary field for each content language."""

    class Form(CourseForm):
        pass

    for code, _name in languages:
        key = code.replace("-", "_")
        setattr(
            Form,
            f"title_{key}",
            StringField(_l("Title"), validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))]),
        )
        setattr(
            Form,
            f"summary_{key}",
            TextAreaField(
                _l("Summary"), validators=[Optional(), Length(max=2000, message=_l("At most 2000 characters."))]
            ),
        )
    form = Form(**kwargs)
    form.source_language.choices = [(code, name) for code, name in languages]
    form.language_fields = [
        (code, name, form[f"title_{code.replace('-', '_')}"], form[f"summary_{code.replace('-', '_')}"])
        for code, name in languages
    ]
    return form


class LessonForm(FlaskForm):
    """A lesson text in one language, in Markdown."""

    title = StringField(_l("Title"), validators=TITLE_VALIDATORS)
    body = TextAreaField(
        _l("Lesson text (Markdown)"),
        validators=[
            DataRequired(message=_l("Please write the lesson text.")),
            Length(max=MAX_BODY, message=_l("At most 100,000 characters.")),
        ],
    )
    minutes = WholeNumberField(
        _l("Reading time (minutes)"),
        validators=[Optional(), WholeNumberRange(min=1, max=240, message=_l("From 1 to 240."))],
    )
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save draft"))
    submit_review = SubmitField(_l("Save and send for review"))
    publish = SubmitField(_l("Save and publish"))


class NewLessonForm(LessonForm):
    """A new lesson: its address name, then its first text."""

    slug = StringField(_l("Address name (slug)"), validators=SLUG_VALIDATORS)


class ReviewForm(FlaskForm):
    """A reviewer's decision on a version."""

    comment = TextAreaField(
        _l("Comment for the author"), validators=[Optional(), Length(max=4000, message=_l("At most 4000 characters."))]
    )


class ImageForm(FlaskForm):
    """An image for lessons."""

    image = FileField(
        _l("Image (JPEG, PNG, GIF or WebP)"), validators=[FileRequired(message=_l("Please choose a file."))]
    )
    description = StringField(
        _l("Description for people who cannot see the image"),
        validators=[
            DataRequired(message=_l("Please describe the image.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
    )


class AudioForm(FlaskForm):
    """An audio narration of a lesson text."""

    audio = FileField(
        _l("Audio file (MP3, M4A or OGG, at most 30 minutes)"),
        validators=[FileRequired(message=_l("Please choose a file."))],
    )

"""Form parts every package uses: whole numbers typed by people and numbers chosen from lists, of any size."""

from wtforms import IntegerField
from wtforms.validators import NumberRange, ValidationError

#: The largest number a database integer column holds (PostgreSQL's are 32-bit): ids and counts stay below it.
LARGEST_INTEGER = 2**31 - 1


class WholeNumberField(IntegerField):
    """A whole number typed by a person: text that is not one leaves no number, so the range's message explains."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None  # wtforms' own message is English only; the field's validators say what to write


class WholeNumberRange(NumberRange):
    """Refuse a number outside a range, whatever its size (wtforms' own turns it into a float, which overflows)."""

    def __call__(self, form, field):
        number = field.data
        if (
            number is None
            or (self.min is not None and number < self.min)
            or (self.max is not None and number > self.max)
        ):
            raise ValidationError(self.message)


def choice_number(value) -> int:
    """Read a number chosen from a list (an id); anything else, or a number no database holds, means none (0)."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 0
    return number if abs(number) <= LARGEST_INTEGER else 0

"""Serials: readable, typeable, and every typo a person makes is caught."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lms.certificates.serials import (
    ALPHABET,
    check_character,
    format_serial,
    is_valid_serial,
    new_serial,
    normalize_serial,
    serial_characters,
)

PRINTED = re.compile(rf"KI-[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}-[{ALPHABET}]{{3}}")

bodies = st.text(alphabet=ALPHABET, min_size=8, max_size=8)


def serial_from(body: str) -> str:
    return format_serial(body + check_character(body))


def test_alphabet_leaves_out_confusable_characters():
    assert len(ALPHABET) == len(set(ALPHABET)) == 29
    assert not set("0O1ILUV") & set(ALPHABET)


def test_new_serials_are_printed_in_groups_and_validate():
    serials = {new_serial() for _ in range(2000)}
    assert len(serials) == 2000
    for serial in serials:
        assert PRINTED.fullmatch(serial), serial
        assert is_valid_serial(serial)
        assert normalize_serial(serial) == serial


@given(bodies)
def test_every_serial_with_its_check_character_validates(body):
    assert is_valid_serial(serial_from(body))


# Hundreds of checks per example: a busy machine must not turn them into a deadline failure.
@settings(deadline=None)
@given(bodies)
def test_every_single_substitution_is_caught(body):
    characters = serial_characters(serial_from(body))
    for position, original in enumerate(characters):
        for replacement in ALPHABET.replace(original, ""):
            typo = characters[:position] + replacement + characters[position + 1 :]
            assert not is_valid_serial(typo), (characters, typo)


# Hundreds of checks per example: a busy machine must not turn them into a deadline failure.
@settings(deadline=None)
@given(bodies)
def test_every_transposition_is_caught(body):
    characters = serial_characters(serial_from(body))
    for first in range(len(characters)):
        for second in range(first + 1, len(characters)):
            if characters[first] == characters[second]:
                continue
            swapped = list(characters)
            swapped[first], swapped[second] = swapped[second], swapped[first]
            assert not is_valid_serial("".join(swapped)), (characters, first, second)


@pytest.mark.parametrize(
    "typed",
    [
        "KI-7H4-Q9M-XC{check}",
        "ki-7h4-q9m-xc{check}",
        "KI 7H4 Q9M XC{check}",
        "7H4Q9MXC{check}",
        "7h4 q9m xc{check}",
        "KI--7H4--Q9M--XC{check}",
        "  KI7H4Q9MXC{check}  ",
        "KI\u20137H4\u2013Q9M\u2013XC{check}",
        "\uff2b\uff29\uff0d\uff17\uff28\uff14\uff31\uff19\uff2d\uff38\uff23{check}",
    ],
)
def test_normalize_accepts_what_people_type(typed):
    check = check_character("7H4Q9MXC")
    assert normalize_serial(typed.format(check=check)) == f"KI-7H4-Q9M-XC{check}"


def test_normalize_reads_v_as_f_because_they_sound_alike():
    serial = serial_from("FFFFFFFF")
    assert normalize_serial(serial.replace("F", "v")) == serial


@pytest.mark.parametrize("excluded", list("0O1ILU"))
def test_normalize_rejects_characters_outside_the_alphabet(excluded):
    serial = serial_from("7H4Q9MXC")
    assert normalize_serial(serial.replace("7", excluded)) is None


@pytest.mark.parametrize(
    "typed", ["", "KI", "KI-7H4-Q9M", "KI-7H4-Q9M-XCE-2", "KX-7H4-Q9M-XCE", "KI-7H4-Q9M-XCZ", "ꦱꦸꦒꦶꦪꦠꦺꦴ"]
)
def test_normalize_rejects_wrong_shapes(typed):
    assert normalize_serial(typed) is None
    assert not is_valid_serial(typed)


@pytest.mark.parametrize("body", ["", "7H4Q9MX", "7H4Q9MXC2", "7H4Q9MX0"])
def test_check_character_needs_eight_characters_of_the_alphabet(body):
    with pytest.raises(ValueError):
        check_character(body)

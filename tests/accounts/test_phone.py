"""Indonesian mobile numbers are accepted in every usual form and stored as E.164."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lms.accounts.operations import normalize_phone, sign_in_key


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "+6281234567890",
        "6281234567890",
        "0812-3456-7890",
        " 0812 3456 7890 ",
        "(0812) 3456-7890",
        "＋６２８１２３４５６７８９０",
    ],
)
def test_usual_forms_normalise_to_e164(typed):
    assert normalize_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "12345", "0211234567", "+15551234567", "08123", "0812345678901234567", "abc"])
def test_non_mobile_numbers_are_refused(typed):
    assert normalize_phone(typed) is None


@given(st.text(max_size=40))
def test_normalise_never_fails_and_returns_e164_or_none(text):
    result = normalize_phone(text)
    assert result is None or (result.startswith("+628") and result[1:].isdigit())


def test_sign_in_key_folds_case_spaces_and_phone_format():
    assert sign_in_key(" Warga1 ") == sign_in_key("warga1") == sign_in_key("WARGA 1")
    assert sign_in_key("0812 3456 7890") == sign_in_key("+6281234567890") == "+6281234567890"

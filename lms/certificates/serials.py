"""Certificate serials that are easy to read aloud, type and check by hand.

A serial looks like ``KI-7H4-Q9M-XCE``: the prefix ``KI`` (Kelas Imigrasi), eight
random characters and one check character, in groups of three as phone numbers
are read. The alphabet has 29 characters, digits 2-9 and 21 capital letters, and
leaves out what is easily confused on paper or aloud in Indonesian:

- ``0 O`` and ``1 I L`` look alike; ``U`` looks like ``V`` in handwriting;
- ``V`` is read "fe", like ``F`` ("ef"), so a typed ``V`` is taken for ``F``.

The check character makes the weighted sum of all nine characters divisible by
29 (weights 9, 8, ..., 2 for the random characters and 1 for the check character).
As 29 is prime and every weight is a distinct non-zero number below it, the check
catches every single-character substitution and every transposition of two
characters (adjacent or not); Luhn mod N misses the transposition of the
alphabet's first and last characters, like 09 and 90 in Luhn mod 10.

Eight random characters give 29**8 (about 5 * 10**11) serials: collisions are
rare but possible, so whoever stores a serial enforces uniqueness and draws again.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
PREFIX = "KI"
RANDOM_LENGTH = 8
GROUP_LENGTH = 3

_MODULUS = len(ALPHABET)
_VALUES = {character: value for value, character in enumerate(ALPHABET)}
# Only misreadings with a single plausible meaning are repaired; 0/O and 1/I/L
# could stand for several characters, so they are rejected instead of guessed.
_MISREADINGS = str.maketrans({"V": "F"})
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.·/]+")


def _weighted_sum(characters: str) -> int:
    weights = range(len(characters) + 1, 1, -1)
    return sum(weight * _VALUES[character] for weight, character in zip(weights, characters, strict=True))


def check_character(body: str) -> str:
    """Return the check character for eight characters of the alphabet."""
    if len(body) != RANDOM_LENGTH or any(character not in _VALUES for character in body):
        raise ValueError(f"A serial body is {RANDOM_LENGTH} characters of {ALPHABET}")
    return ALPHABET[-_weighted_sum(body) % _MODULUS]


def format_serial(characters: str) -> str:
    """Return nine serial characters in their printed form, e.g. KI-7H4-Q9M-XCE."""
    groups = [characters[i : i + GROUP_LENGTH] for i in range(0, len(characters), GROUP_LENGTH)]
    return "-".join([PREFIX, *groups])


def new_serial() -> str:
    """Return a new random serial with its check character."""
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_LENGTH))
    return format_serial(body + check_character(body))


def normalize_serial(text: str) -> str | None:
    """Return the printed form of a serial as a person typed it, or None if it is not valid."""
    # Typing varies in case, spaces, dashes (missing, extra or typographic), the
    # KI prefix (often left out), full-width forms from some keyboards, and V for F.
    characters = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text)).upper()
    # I is not in the alphabet, so a leading KI can only be the prefix.
    if characters.startswith(PREFIX):
        characters = characters[len(PREFIX) :]
    characters = characters.translate(_MISREADINGS)
    if len(characters) != RANDOM_LENGTH + 1:
        return None
    if any(character not in _VALUES for character in characters):
        return None
    if (_weighted_sum(characters[:-1]) + _VALUES[characters[-1]]) % _MODULUS:
        return None
    return format_serial(characters)


def is_valid_serial(text: str) -> bool:
    """Tell whether text, as a person might type it, is a valid serial."""
    return normalize_serial(text) is not None


def serial_characters(serial: str) -> str:
    """Return the nine characters of a valid serial without prefix or dashes."""
    normalized = normalize_serial(serial)
    if normalized is None:
        raise ValueError(f"Not a valid serial: {serial!r}")
    return normalized[len(PREFIX) :].replace("-", "")

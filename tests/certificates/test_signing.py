"""Signed certificate tokens: short enough for a QR code, impossible to alter."""

import base64
import dataclasses
import datetime
import hashlib
import json
import re

import pytest
import segno
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from lms.certificates import signing
from lms.certificates.serials import ALPHABET, check_character, format_serial, new_serial, serial_characters
from lms.certificates.signing import (
    CertificateFields,
    InvalidToken,
    KeyRing,
    generate_private_key_pem,
    public_key_pem,
    public_keys_document,
    sign_certificate,
    verify_token,
)

#: A plausible public verification address; the QR holds it followed by the token.
VERIFY_URL = "https://belajar.imigrasi.go.id/v/"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
SERIAL = format_serial("7H4Q9MXC" + check_character("7H4Q9MXC"))


def create_fields(**overrides) -> CertificateFields:
    fields = {
        "serial": new_serial(),
        "holder_name": "Siti Nurhaliza",
        "course_slug": "paspor-pekerja-migran",
        "course_title": "Paspor untuk Pekerja Migran",
        "issued_on": datetime.date(2025, 3, 14),
        "office_name": "Kantor Imigrasi Muara Enim",
    }
    fields.update(overrides)
    return CertificateFields(**fields)


@pytest.fixture(scope="module")
def ring() -> KeyRing:
    return KeyRing.from_pem([generate_private_key_pem()])


@pytest.fixture(scope="module")
def token(ring) -> str:
    return sign_certificate(ring, create_fields(serial=SERIAL))


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_token_verifies_and_states_the_fields(ring):
    fields = create_fields()
    verified = verify_token(ring, sign_certificate(ring, fields))
    assert dataclasses.asdict(verified) == {**dataclasses.asdict(fields), "kid": ring.active_kid}


@pytest.mark.parametrize(
    "holder_name",
    ["ꦱꦸꦒꦶꦪꦠꦺꦴ", "Ni Luh Putu Ayu Wiryaśānti", "I Gusti Ngurah Rai | a.k.a. Pak Rai", "Nguyễn Thị Minh Khai"],
)
def test_any_unicode_name_survives_exactly(ring, holder_name):
    token = sign_certificate(ring, create_fields(holder_name=holder_name))
    assert verify_token(ring, token).holder_name == holder_name


def test_token_verifies_with_the_published_public_keys(ring, token):
    published = json.loads(json.dumps(public_keys_document(ring)))
    assert verify_token(published, token).holder_name == "Siti Nurhaliza"


def test_published_document_lists_each_key_by_kid(ring):
    (entry,) = public_keys_document(ring)["keys"]
    raw = b64decode(entry["public_key"])
    assert entry == {"kid": hashlib.sha256(raw).hexdigest()[:8], "alg": "Ed25519", "public_key": entry["public_key"]}
    assert len(raw) == 32
    assert "=" not in entry["public_key"]
    assert entry["kid"] == ring.active_kid


def test_signature_covers_the_ascii_payload_text_as_the_docstring_says(ring, token):
    payload_text, signature_text = token.split(".")
    payload = b64decode(payload_text)
    assert payload[0] == 1
    assert payload[1:5].hex() == ring.active_kid
    ring.active.public_key.verify(b64decode(signature_text), payload_text.encode("ascii"))
    assert payload[5:].decode().split("\x1f") == [
        serial_characters(SERIAL),
        "20250314",
        "paspor-pekerja-migran",
        "Siti Nurhaliza",
        "Paspor untuk Pekerja Migran",
        "Kantor Imigrasi Muara Enim",
    ]


@pytest.mark.parametrize(
    ("holder_name", "largest_version"),
    [("Siti Nurhaliza", 12), ("Muhammad Rizky Pratama", 12), ("ꦱꦸꦒꦶꦪꦠꦺꦴ", 12)],
)
def test_verification_qr_code_stays_small(ring, holder_name, largest_version):
    token = sign_certificate(ring, create_fields(holder_name=holder_name))
    qr = segno.make(VERIFY_URL + token, error="m", boost_error=False)
    print(f"{holder_name}: token {len(token)} characters, QR version {qr.version}-M")
    assert qr.version <= largest_version
    assert re.fullmatch(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", token)


def test_old_tokens_verify_after_the_key_rotates(tmp_path):
    old_pem = generate_private_key_pem()
    (tmp_path / "20250101-old.pem").write_bytes(old_pem)
    old_ring = KeyRing.from_directory(tmp_path)
    old_token = sign_certificate(old_ring, create_fields(holder_name="Sebelum Rotasi"))

    (tmp_path / "20250601-new.pem").write_bytes(generate_private_key_pem())
    rotated = KeyRing.from_directory(tmp_path)
    assert rotated.active_kid != old_ring.active_kid
    new_token = sign_certificate(rotated, create_fields())
    assert verify_token(rotated, new_token).kid == rotated.active_kid
    assert verify_token(rotated, old_token).holder_name == "Sebelum Rotasi"
    assert verify_token(public_keys_document(rotated), old_token).kid == old_ring.active_kid

    # Retiring the old private key keeps its public half, which still verifies.
    (tmp_path / "20250101-old.pem").write_bytes(public_key_pem(old_pem))
    retired = KeyRing.from_directory(tmp_path)
    assert retired.get(old_ring.active_kid).private_key is None
    assert retired.active_kid == rotated.active_kid
    assert verify_token(retired, old_token).kid == old_ring.active_kid


def test_explicit_active_key_wins_over_file_order():
    first, second = generate_private_key_pem(), generate_private_key_pem()
    chosen = KeyRing.from_pem([first]).active_kid
    ring = KeyRing.from_pem([first, second], active_kid=chosen)
    assert verify_token(ring, sign_certificate(ring, create_fields())).kid == chosen


def test_public_keys_alone_cannot_sign(ring):
    with pytest.raises(LookupError):
        sign_certificate(KeyRing.from_public_keys_document(public_keys_document(ring)), create_fields())


def test_key_ring_refuses_other_key_types():
    ecdsa_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValueError, match="Ed25519"):
        KeyRing.from_pem([ecdsa_pem])


def test_no_key_is_made_at_import():
    assert not any(isinstance(value, KeyRing) for value in vars(signing).values())


def test_token_from_an_unknown_key_is_refused(token):
    stranger = KeyRing.from_pem([generate_private_key_pem()])
    with pytest.raises(InvalidToken) as caught:
        verify_token(stranger, token)
    assert caught.value.reason == "unknown_key"


def test_signature_from_another_token_is_refused(ring, token):
    other = sign_certificate(ring, create_fields(holder_name="Orang Lain"))
    forged = token.split(".")[0] + "." + other.split(".")[1]
    with pytest.raises(InvalidToken) as caught:
        verify_token(ring, forged)
    assert caught.value.reason == "bad_signature"


def test_trailing_bits_of_base64_cannot_vary(ring, token):
    payload_text, signature_text = token.split(".")
    # 64 bytes leave 4 unused bits in the last character: flipping one decodes alike.
    last = BASE64URL.index(signature_text[-1])
    twin = signature_text[:-1] + BASE64URL[last ^ 1]
    assert b64decode(twin) == b64decode(signature_text)
    with pytest.raises(InvalidToken) as caught:
        verify_token(ring, f"{payload_text}.{twin}")
    assert caught.value.reason == "malformed"


@given(position=st.integers(min_value=0), replacement=st.sampled_from(BASE64URL + ".=+/ "))
def test_changing_any_character_of_a_token_is_refused(ring, token, position, replacement):
    position %= len(token)
    if token[position] == replacement:
        replacement = "A" if replacement != "A" else "B"
    tampered = token[:position] + replacement + token[position + 1 :]
    with pytest.raises(InvalidToken):
        verify_token(ring, tampered)


@given(part=st.sampled_from([0, 1]), position=st.integers(min_value=0), flip=st.integers(min_value=1, max_value=255))
def test_changing_any_byte_of_payload_or_signature_is_refused(ring, token, part, position, flip):
    parts = [bytearray(b64decode(text)) for text in token.split(".")]
    position %= len(parts[part])
    parts[part][position] ^= flip
    with pytest.raises(InvalidToken):
        verify_token(ring, ".".join(b64encode(bytes(data)) for data in parts))


@given(st.text(max_size=400))
def test_garbage_is_refused_as_malformed_without_crashing(ring, garbage):
    with pytest.raises(InvalidToken) as caught:
        verify_token(ring, garbage)
    assert caught.value.reason in {"malformed", "unknown_key"}


@pytest.mark.parametrize(
    "token",
    ["", ".", "abc", "a.b.c", "AQ.AA", "Ab6aQNQ2.x", "==.==", "ÅÄÖ.ÅÄÖ"],
)
def test_malformed_tokens_say_so(ring, token):
    with pytest.raises(InvalidToken) as caught:
        verify_token(ring, token)
    assert caught.value.reason == "malformed"


@pytest.mark.parametrize(
    "overrides",
    [
        {"serial": SERIAL[:-1] + ALPHABET[(ALPHABET.index(SERIAL[-1]) + 1) % len(ALPHABET)]},
        {"holder_name": ""},
        {"holder_name": "Siti\x1fNurhaliza"},
        {"course_title": "Paspor\nuntuk"},
        {"office_name": "   "},
        {"issued_on": "2025-03-14"},
    ],
)
def test_signing_refuses_fields_a_token_cannot_carry(ring, overrides):
    with pytest.raises(ValueError):
        sign_certificate(ring, create_fields(**overrides))


@pytest.mark.browser
def test_docstring_javascript_verifies_a_token_in_chromium(page, ring, token):
    """Run the module docstring's WebCrypto snippet on a real token in Chromium."""
    snippet = signing.__doc__.split("In a browser with WebCrypto::")[1].split("where ``publicKeys``")[0]
    public_keys = {entry["kid"]: entry["public_key"] for entry in public_keys_document(ring)["keys"]}
    # WebCrypto exists only in a secure context: serve a blank page over https.
    page.route(VERIFY_URL, lambda route: route.fulfill(content_type="text/html", body="<title>verify</title>"))
    page.goto(VERIFY_URL)
    result = page.evaluate(
        "async ([token, publicKeys]) => {"
        + snippet
        + "return {valid, serial, issuedOn, courseSlug, holderName, courseTitle, officeName}; }",
        [token, public_keys],
    )
    assert result == {
        "valid": True,
        "serial": serial_characters(SERIAL),
        "issuedOn": "20250314",
        "courseSlug": "paspor-pekerja-migran",
        "holderName": "Siti Nurhaliza",
        "courseTitle": "Paspor untuk Pekerja Migran",
        "officeName": "Kantor Imigrasi Muara Enim",
    }
    tampered = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    check_only = "async ([token, publicKeys]) => {" + snippet + "return valid; }"
    assert page.evaluate(check_only, [tampered, public_keys]) is False

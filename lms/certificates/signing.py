"""Sign certificates with Ed25519 so that a phone can verify them offline.

Keys
    A :class:`KeyRing` holds Ed25519 keys, each named by its ``kid``: the first
    8 hex digits of the SHA-256 of the raw 32-byte public key. One key with a
    private half is active for signing; the others only verify what they signed
    before a rotation. Keys come from PEM files or secrets, never from import-time
    generation; :func:`generate_private_key_pem` is for the command that creates one.
    The app publishes :func:`public_keys_document` for offline verifiers.

Token (version 1)
    ``<payload>.<signature>``, both base64url without padding (RFC 4648 section 5),
    in canonical form (unused trailing bits zero).

    The payload is the bytes::

        0x01                      version
        4 bytes                   kid, raw (its 8 hex digits are the key id)
        UTF-8 text                six fields joined by U+001F (unit separator):
                                  serial       9 characters, no prefix or dashes
                                  issued on    YYYYMMDD (ISO 8601 basic format)
                                  course slug
                                  holder name  exactly as written
                                  course title in Indonesian
                                  office name

    The signature is the 64-byte Ed25519 signature of the ASCII bytes of the
    base64url payload text, i.e. of everything before the dot, as in JWS.
    A verifier rejects non-canonical base64url (re-encode and compare), a
    version other than 1 and an unknown kid.

    In a browser with WebCrypto::

        const [p, s] = token.split(".");
        const bytes = (t) => Uint8Array.from(
            atob(t.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));
        const payload = bytes(p);
        const kid = Array.from(payload.subarray(1, 5),
            (b) => b.toString(16).padStart(2, "0")).join("");
        const key = await crypto.subtle.importKey(
            "raw", bytes(publicKeys[kid]), { name: "Ed25519" }, false, ["verify"]);
        const valid = await crypto.subtle.verify(
            { name: "Ed25519" }, key, bytes(s), new TextEncoder().encode(p));
        const [serial, issuedOn, courseSlug, holderName, courseTitle, officeName] =
            new TextDecoder().decode(payload.subarray(5)).split("\\x1f");

    where ``publicKeys`` maps each ``kid`` of the published document to its
    ``public_key``.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lms.certificates.serials import format_serial, is_valid_serial, serial_characters

ALGORITHM = "Ed25519"
TOKEN_VERSION = 1
KID_BYTES = 4
SIGNATURE_BYTES = 64
FIELD_SEPARATOR = "\x1f"

_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")

InvalidTokenReason = Literal["malformed", "unknown_key", "bad_signature"]


class InvalidToken(Exception):
    """A token that does not verify, with the reason why."""

    def __init__(self, reason: InvalidTokenReason) -> None:
        super().__init__(reason)
        self.reason: InvalidTokenReason = reason


@dataclass(frozen=True)
class CertificateFields:
    """What a certificate token states."""

    serial: str
    holder_name: str
    course_slug: str
    course_title: str  #: in Indonesian
    issued_on: datetime.date
    office_name: str


@dataclass(frozen=True)
class VerifiedToken(CertificateFields):
    """The fields of a token whose signature verified, and the key that signed it."""

    kid: str


@dataclass(frozen=True)
class Key:
    """An Ed25519 public key, with its private half when this ring may sign with it."""

    kid: str
    public_key: Ed25519PublicKey
    private_key: Ed25519PrivateKey | None = field(default=None, repr=False)


def key_id(public_key: Ed25519PublicKey) -> str:
    """Return the kid of a public key: 8 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(_raw(public_key)).hexdigest()[: KID_BYTES * 2]


def _raw(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    """Decode canonical unpadded base64url, raising ValueError on anything else."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # Trailing bits that decoding ignores would let two texts carry one signature.
    if _b64encode(data) != text:
        raise ValueError("non-canonical base64url")
    return data


class KeyRing:
    """Ed25519 keys by kid, one of them active for signing."""

    def __init__(self, keys: Iterable[Key], active_kid: str | None = None) -> None:
        """Hold keys; the active one is active_kid, else the last key that can sign."""
        self._keys: dict[str, Key] = {}
        for key in keys:
            known = self._keys.get(key.kid)
            if known is not None and _raw(known.public_key) != _raw(key.public_key):
                raise ValueError(f"Two different keys share the kid {key.kid}")
            if known is None or key.private_key is not None:
                self._keys[key.kid] = key
        signing_kids = [kid for kid, key in self._keys.items() if key.private_key is not None]
        if active_kid is not None and active_kid not in signing_kids:
            raise ValueError(f"No private key with kid {active_kid} to sign with")
        self.active_kid: str | None = active_kid or (signing_kids[-1] if signing_kids else None)

    @classmethod
    def from_pem(cls, pems: Iterable[bytes | str], active_kid: str | None = None) -> KeyRing:
        """Load private or public Ed25519 keys from PEM texts, in order."""
        return cls((_load_pem(pem) for pem in pems), active_kid)

    @classmethod
    def from_directory(cls, directory: str | Path, active_kid: str | None = None) -> KeyRing:
        """Load every *.pem file of a directory; the last private key by file name is active."""
        # File names sort by creation when the key command names them
        # <YYYYMMDD>-<kid>.pem, so the newest key signs unless told otherwise.
        keys = []
        for path in sorted(Path(directory).glob("*.pem")):
            try:
                keys.append(_load_pem(path.read_bytes()))
            except ValueError as error:
                raise ValueError(f"{path}: {error}") from error
        return cls(keys, active_kid)

    @classmethod
    def from_public_keys_document(cls, document: Mapping[str, Any]) -> KeyRing:
        """Load the public keys an app published with public_keys_document()."""
        keys = []
        for entry in document.get("keys", ()):
            if entry.get("alg") != ALGORITHM:
                continue
            public_key = Ed25519PublicKey.from_public_bytes(_b64decode(entry["public_key"]))
            if key_id(public_key) != entry.get("kid"):
                raise ValueError(f"The kid {entry.get('kid')!r} does not match its key")
            keys.append(Key(key_id(public_key), public_key))
        return cls(keys)

    @property
    def keys(self) -> tuple[Key, ...]:
        """Return every key of the ring."""
        return tuple(self._keys.values())

    @property
    def active(self) -> Key:
        """Return the key that signs new tokens."""
        if self.active_kid is None:
            raise LookupError("This key ring has no private key to sign with")
        return self._keys[self.active_kid]

    def get(self, kid: str) -> Key | None:
        """Return the key with a kid, if the ring has it."""
        return self._keys.get(kid)


def _load_pem(pem: bytes | str) -> Key:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    if b"PRIVATE KEY-----" in data:
        private_key = serialization.load_pem_private_key(data, password=None)
        if not isinstance(private_key, Ed25519PrivateKey):
            raise ValueError("not an Ed25519 private key")
        public_key = private_key.public_key()
        return Key(key_id(public_key), public_key, private_key)
    public_key = serialization.load_pem_public_key(data)
    if not isinstance(public_key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return Key(key_id(public_key), public_key)


def generate_private_key_pem() -> bytes:
    """Return a new Ed25519 private key as unencrypted PKCS#8 PEM."""
    return Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def public_key_pem(private_key_pem: bytes | str) -> bytes:
    """Return the public half of a PEM key as PEM, to keep after retiring the private half."""
    return _load_pem(private_key_pem).public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_keys_document(ring: KeyRing) -> dict[str, Any]:
    """Return the JSON-serialisable list of public keys that verifiers need."""
    return {
        "keys": [
            {"kid": key.kid, "alg": ALGORITHM, "public_key": _b64encode(_raw(key.public_key))} for key in ring.keys
        ]
    }


def _check_text(name: str, value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"A certificate's {name} must be non-empty text")
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError(f"A certificate's {name} must not contain control characters")
    return value


def encode_payload(fields: CertificateFields, kid: str) -> bytes:
    """Return the version 1 payload bytes for certificate fields and a kid."""
    if not is_valid_serial(fields.serial):
        raise ValueError(f"Not a valid serial: {fields.serial!r}")
    if not isinstance(fields.issued_on, datetime.date):
        raise ValueError("A certificate's issue date must be a date")
    text = FIELD_SEPARATOR.join(
        [
            serial_characters(fields.serial),
            f"{fields.issued_on.year:04d}{fields.issued_on.month:02d}{fields.issued_on.day:02d}",
            _check_text("course slug", fields.course_slug),
            _check_text("holder name", fields.holder_name),
            _check_text("course title", fields.course_title),
            _check_text("office name", fields.office_name),
        ]
    )
    return bytes([TOKEN_VERSION]) + bytes.fromhex(kid) + text.encode("utf-8")


def sign_certificate(ring: KeyRing, fields: CertificateFields) -> str:
    """Return a signed token stating the fields, signed with the ring's active key."""
    key = ring.active
    assert key.private_key is not None
    payload = _b64encode(encode_payload(fields, key.kid))
    signature = key.private_key.sign(payload.encode("ascii"))
    return f"{payload}.{_b64encode(signature)}"


def verify_token(keys: KeyRing | Mapping[str, Any], token: str) -> VerifiedToken:
    """Return the fields of a token signed by a ring's key or a published key, else raise InvalidToken."""
    ring = keys if isinstance(keys, KeyRing) else KeyRing.from_public_keys_document(keys)
    try:
        payload_text, signature_text = token.split(".")
        payload = _b64decode(payload_text)
        signature = _b64decode(signature_text)
    except (ValueError, TypeError, AttributeError) as error:
        raise InvalidToken("malformed") from error
    header = 1 + KID_BYTES
    if len(payload) <= header or payload[0] != TOKEN_VERSION or len(signature) != SIGNATURE_BYTES:
        raise InvalidToken("malformed")
    kid = payload[1:header].hex()
    key = ring.get(kid)
    if key is None:
        raise InvalidToken("unknown_key")
    try:
        key.public_key.verify(signature, payload_text.encode("ascii"))
    except InvalidSignature as error:
        raise InvalidToken("bad_signature") from error
    return _decode_fields(payload[header:], kid)


def _decode_fields(data: bytes, kid: str) -> VerifiedToken:
    # Only a key holder could have signed a malformed payload, yet a verifier
    # must still never crash on one.
    try:
        text = data.decode("utf-8")
        serial, issued_on, course_slug, holder_name, course_title, office_name = text.split(FIELD_SEPARATOR)
        date = datetime.date(int(issued_on[:4]), int(issued_on[4:6]), int(issued_on[6:]))
    except ValueError as error:
        raise InvalidToken("malformed") from error
    if not is_valid_serial(serial) or not re.fullmatch(r"[0-9]{8}", issued_on):
        raise InvalidToken("malformed")
    return VerifiedToken(
        serial=format_serial(serial),
        holder_name=holder_name,
        course_slug=course_slug,
        course_title=course_title,
        issued_on=date,
        office_name=office_name,
        kid=kid,
    )

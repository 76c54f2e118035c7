"""The app's certificate signing keys: PEM files in CERTIFICATE_KEYS_DIR, loaded into a key ring.

Files are named ``<YYYYMMDD>-<kid>.pem`` so that the newest private key signs; older keys
stay in the folder (private, or reduced to their public half) so that everything they
signed before a rotation still verifies.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

from lms.certificates.signing import Key, KeyRing, generate_private_key_pem, public_keys_document


class NoSigningKey(LookupError):
    """The keys folder holds no private key to sign certificates with."""


@dataclass(frozen=True)
class KeyFile:
    """A key file as the admin's page lists it."""

    kid: str
    filename: str
    created_on: datetime.date | None
    can_sign: bool
    is_active: bool


def _read_key(pem: bytes) -> Key:
    """Read one Ed25519 key, private or public, from PEM."""
    return KeyRing.from_pem([pem]).keys[0]


def keys_directory() -> Path:
    """Return the folder of signing keys."""
    return Path(current_app.config["CERTIFICATE_KEYS_DIR"])


def _directory_state(directory: Path) -> tuple:
    if not directory.is_dir():
        return ()
    return tuple(sorted((path.name, path.stat().st_mtime_ns, path.stat().st_size) for path in directory.glob("*.pem")))


def _newest_private_kid(directory: Path) -> str | None:
    """Return the kid of the newest private key: by the date in its name, then by when the file was written."""
    # Two keys made on one day share the date prefix; the later file must still win.
    newest = None
    for path in directory.glob("*.pem"):
        data = path.read_bytes()
        if b"PRIVATE KEY-----" not in data:
            continue
        rank = (path.name[:8], path.stat().st_mtime_ns, path.name)
        if newest is None or rank > newest[0]:
            newest = (rank, _read_key(data).kid)
    return newest[1] if newest else None


def key_ring() -> KeyRing:
    """Return the key ring of the keys folder, reloaded when a file there changes."""
    directory = keys_directory()
    state = _directory_state(directory)
    cached = current_app.extensions.get("certificate_key_ring")
    if cached is not None and cached[0] == (str(directory), state):
        return cached[1]
    ring = KeyRing.from_directory(directory, active_kid=_newest_private_kid(directory)) if state else KeyRing([])
    current_app.extensions["certificate_key_ring"] = ((str(directory), state), ring)
    return ring


def signing_ring() -> KeyRing:
    """Return the key ring, or raise NoSigningKey when it cannot sign."""
    ring = key_ring()
    if ring.active_kid is None:
        raise NoSigningKey(
            f"No certificate signing key in {keys_directory()}: run `flask certificates new-key` or `flask setup`."
        )
    return ring


def published_keys() -> dict:
    """Return the public keys document that offline verifiers download."""
    return public_keys_document(key_ring())


def create_signing_key(directory: Path | None = None, today: datetime.date | None = None) -> tuple[Path, str]:
    """Write a new private key file, which becomes the active one; return its path and kid."""
    directory = directory or keys_directory()
    directory.mkdir(parents=True, exist_ok=True)
    pem = generate_private_key_pem()
    kid = _read_key(pem).kid
    today = today or datetime.date.today()
    path = directory / f"{today:%Y%m%d}-{kid}.pem"
    # Exclusive creation with owner-only permissions: the key is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    return path, kid


def ensure_signing_key() -> str | None:
    """Create the first signing key when the folder has none; return the new kid, else None."""
    if key_ring().active_kid is not None:
        return None
    return create_signing_key()[1]


def key_files() -> list[KeyFile]:
    """Describe every key file, newest first."""
    directory = keys_directory()
    ring = key_ring()
    files = []
    for path in sorted(directory.glob("*.pem"), reverse=True) if directory.is_dir() else []:
        try:
            key = _read_key(path.read_bytes())
        except ValueError:
            continue
        try:
            created_on = datetime.datetime.strptime(path.name[:8], "%Y%m%d").date()
        except ValueError:
            created_on = None
        files.append(
            KeyFile(
                kid=key.kid,
                filename=path.name,
                created_on=created_on,
                can_sign=key.private_key is not None,
                is_active=key.kid == ring.active_kid,
            )
        )
    return files

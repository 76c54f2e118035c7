"""Operator commands: create signing keys, verify a certificate's code from the command line."""

import json
import sys

import click
from flask.cli import AppGroup

from lms.certificates.keys import create_signing_key, ensure_signing_key, key_ring
from lms.certificates.operations import find_certificate, parse_lookup
from lms.certificates.signing import InvalidToken, verify_token

certificates_cli = AppGroup("certificates", help="Certificate signing keys and verification.")

#: Exit codes of `flask certificates verify`.
EXIT_VALID, EXIT_NOT_VALID, EXIT_REVOKED = 0, 1, 2


def create_first_key() -> None:
    """Create the first certificate signing key when there is none (a `flask setup` step)."""
    kid = ensure_signing_key()
    if kid:
        click.echo(f"Certificate signing key {kid} created.")


@certificates_cli.command("new-key")
def new_key_command() -> None:
    """Write a new signing key; it signs from now on, older keys keep verifying what they signed."""
    path, kid = create_signing_key()
    click.echo(f"New signing key {kid} written to {path}; it signs new certificates from now on.")


@certificates_cli.command("verify")
@click.argument("code")
@click.option(
    "--keys",
    "keys_file",
    type=click.File("r"),
    help="Check against a published keys document (JSON) instead of this installation's keys.",
)
def verify_command(code: str, keys_file) -> None:
    """Check the signature of a certificate's QR code (the token or the whole address)."""
    found = parse_lookup(code)
    token = found.token if found is not None and found.token else code.strip()
    keys = json.load(keys_file) if keys_file else key_ring()
    try:
        verified = verify_token(keys, token)
    except InvalidToken as error:
        click.echo(f"NOT VALID: the signature does not verify ({error.reason}).", err=True)
        sys.exit(EXIT_NOT_VALID)
    click.echo("Valid signature (tanda tangan sah).")
    click.echo(f"Serial:      {verified.serial}")
    click.echo(f"Holder:      {verified.holder_name}")
    click.echo(f"Course:      {verified.course_title} ({verified.course_slug})")
    click.echo(f"Issued on:   {verified.issued_on.isoformat()}")
    click.echo(f"Issued by:   {verified.office_name}")
    click.echo(f"Signed with: key {verified.kid}")
    if keys_file:
        return
    certificate = find_certificate(verified.serial)
    if certificate is None:
        click.echo("Not in this installation's database.")
    elif certificate.is_revoked:
        click.echo(f"REVOKED on {certificate.revoked_dt.date().isoformat()}: {certificate.revocation_reason}")
        sys.exit(EXIT_REVOKED)
    else:
        click.echo("Not revoked.")

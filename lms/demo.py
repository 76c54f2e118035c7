"""Demo content: an office, a village, one account per role; and default languages."""

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from lms.access import ADMIN, LEADER, OFFICER, RESIDENT
from lms.accounts.models import User
from lms.accounts.operations import create_user
from lms.core.models import Language
from lms.extensions import db
from lms.regions.operations import ensure_office, get_region

#: Kelurahan Dempo Makmur, Kecamatan Pagar Alam Utara, Kota Pagar Alam.
DEMO_VILLAGE = "16.72.01.1018"
DEMO_OFFICE = "Kantor Imigrasi Muara Enim"
#: Kota Pagar Alam and Kabupaten Muara Enim.
DEMO_OFFICE_REGENCIES = ("16.72", "16.03")

#: Content languages every installation starts with: tag, own name, fallbacks, position.
DEFAULT_LANGUAGES = (
    ("id", "Bahasa Indonesia", "en", 1),
    ("en", "English", "id", 2),
    ("jv", "Basa Jawa", "id en", 3),
    ("su", "Basa Sunda", "id en", 4),
    ("ljp", "Bahasa Lampung Api", "id en", 5),
    ("abl", "Bahasa Lampung Nyo", "id en", 6),
    ("plm", "Baso Palembang", "id en", 7),
    ("min", "Baso Minang", "id en", 8),
)

#: Further setup steps that domains add (loading built-in courses, …), run by `flask setup` in order.
SETUP_STEPS: list = []
#: Further demo steps that domains add (progress, certificates, …), run after the accounts exist.
DEMO_STEPS: list = []

demo_cli = AppGroup("demo", help="Demo content.")


def ensure_languages() -> None:
    """Create the default content languages that are missing."""
    for code, name, fallbacks, position in DEFAULT_LANGUAGES:
        if db.session.get(Language, code) is None:
            db.session.add(Language(code=code, name=name, fallbacks=fallbacks, position=position))
    db.session.flush()


def _ensure_account(username: str, name: str, role: str, **fields) -> User:
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None:
        user = create_user(
            username=username,
            name=name,
            role=role,
            password=current_app.config["DEMO_PASSWORD"],
            consent_version=current_app.config["CONSENT_VERSION"],
            language="id",
            **fields,
        )
    return user


def seed() -> dict[str, User]:
    """Create the demo office and accounts if missing; safe to run again."""
    if get_region(DEMO_VILLAGE) is None:
        raise click.ClickException("Regions are not loaded: run `flask regions import` first.")
    office = ensure_office(DEMO_OFFICE, list(DEMO_OFFICE_REGENCIES))
    accounts = {
        "warga1": _ensure_account("warga1", "Siti Aminah", RESIDENT, village_code=DEMO_VILLAGE),
        "warga2": _ensure_account("warga2", "Budi Santoso", RESIDENT, village_code=DEMO_VILLAGE),
        "kades1": _ensure_account("kades1", "Rahmat Hidayat", LEADER),
        "petugas1": _ensure_account("petugas1", "Dewi Lestari", OFFICER, office_id=office.id),
        "petugas2": _ensure_account("petugas2", "Andi Pratama", OFFICER, office_id=office.id),
        "admin": _ensure_account("admin", "Admin Kelas Imigrasi", ADMIN),
    }
    leader = accounts["kades1"]
    village = get_region(DEMO_VILLAGE)
    if village not in leader.led_villages:
        leader.led_villages.append(village)
    db.session.flush()
    for step in DEMO_STEPS:
        step(accounts)
    return accounts


@demo_cli.command("seed")
def seed_command() -> None:
    """Create the demo accounts and content."""
    ensure_languages()
    seed()
    db.session.commit()
    click.echo("Demo accounts ready.")


def init_app(app) -> None:
    """Register the demo commands."""
    app.cli.add_command(demo_cli)

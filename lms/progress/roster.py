"""Roster import: a leader uploads villagers as CSV or XLSX, sees every row's problems, then confirms.

Reading checks the whole file before anything is saved: the columns, each row (a name, a mobile
number not used twice in the file nor by an account, a village the leader leads, no formula), and
the number of rows. The checked rows wait in a RosterImport; confirming saves all of them in one
transaction, and confirming the same import again saves nothing more.
"""

from __future__ import annotations

import csv
import io
import secrets
import zipfile
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import insert, select, update

from lms.access import RESIDENT
from lms.accounts.models import User
from lms.accounts.operations import normalize_phone
from lms.clock import utcnow
from lms.core.stored_pages import NOBODY
from lms.extensions import db
from lms.progress.completion import enrol_many
from lms.progress.enrolment import NO_PASSWORD, free_usernames
from lms.progress.exports import FORMULA_STARTS
from lms.progress.models import LEADER as VIA_LEADER
from lms.progress.models import RosterImport
from lms.regions.models import VILLAGE, Region

#: Most villagers one file may hold.
MAX_ROWS = 10_000
#: Largest file accepted.
MAX_BYTES = 5 * 1024 * 1024
#: Longest name kept (as the accounts allow).
MAX_NAME = 80
#: Column names understood, each with the names people give it.
COLUMNS = {
    "name": ("nama", "name", "nama_lengkap", "nama_warga"),
    "phone": ("telepon", "no_hp", "nomor_hp", "hp", "phone", "telp", "nomor_telepon", "no_telepon"),
    "village_code": ("kode_desa", "village_code", "kode_wilayah", "kode_kelurahan", "kode"),
}
#: Villagers saved per statement batch (and per step of a background save).
SAVE_BATCH = 1000
#: Rosters with more rows than this are saved in the background, with progress.
SAVE_IN_REQUEST = 1000
#: Rows of refusals shown and stored: enough to fix a file, never the whole of a bad one.
MAX_REFUSED_KEPT = 500


class RosterError(Exception):
    """The file as a whole cannot be read; the message is a code the page explains, with details."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(code)
        self.code, self.detail = code, detail


@dataclass
class CheckedRoster:
    """The rows of a file after checking."""

    rows: list[dict] = field(default_factory=list)
    refused: list[dict] = field(default_factory=list)
    refused_count: int = 0


# --- Reading files ------------------------------------------------------------------------------------


def _header_key(text) -> str:
    return "_".join(str(text or "").strip().lower().replace("-", " ").replace(".", " ").split())


def _read_csv(data: bytes):
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    yield from csv.reader(io.StringIO(text), dialect)


def _text(value) -> str:
    """Return a spreadsheet cell as text; whole numbers lose the ".0" a spreadsheet adds to them."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(data: bytes):
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        raise RosterError("unreadable", type(error).__name__) from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_text(value) for value in row]
    finally:
        workbook.close()


def read_rows(data: bytes, filename: str):
    """Yield the rows of a CSV or XLSX file as lists of text."""
    if len(data) > MAX_BYTES:
        raise RosterError("too_large")
    if data[:2] == b"PK" or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    if filename.lower().endswith((".csv", ".txt")) or not filename:
        return _read_csv(data)
    raise RosterError("format")


def _columns(header: list[str]) -> dict[str, int]:
    known = {alias: name for name, aliases in COLUMNS.items() for alias in aliases}
    positions: dict[str, int] = {}
    unknown = []
    for index, title in enumerate(header):
        key = _header_key(title)
        if not key:
            continue
        name = known.get(key)
        if name is None:
            unknown.append(str(title).strip()[:40])
        elif name in positions:
            raise RosterError("columns", str(title).strip()[:40])
        else:
            positions[name] = index
    if unknown:
        raise RosterError("columns", ", ".join(unknown[:5]))
    if "name" not in positions:
        raise RosterError("no_name_column")
    return positions


# --- Checking -----------------------------------------------------------------------------------------


def check_roster(leader, data: bytes, filename: str) -> CheckedRoster:
    """Read and check a roster file for a leader; raise RosterError when the file as a whole is unusable."""
    rows = read_rows(data, filename)
    header = next(rows, None)
    if header is None:
        raise RosterError("empty")
    positions = _columns(header)
    led = {village.code for village in leader.led_villages}
    default_village = next(iter(led)) if len(led) == 1 else None
    parsed = []
    for line, values in enumerate(rows, start=2):
        if not any(str(value).strip() for value in values):
            continue
        if len(parsed) >= MAX_ROWS:
            raise RosterError("too_many_rows", str(MAX_ROWS))

        def value(name: str, values=values) -> str:
            index = positions.get(name)
            return str(values[index]).strip() if index is not None and index < len(values) else ""

        parsed.append({"line": line, "name": value("name"), "phone": value("phone"), "village": value("village_code")})
    if not parsed:
        raise RosterError("empty")
    return _check_rows(parsed, led, default_village)


def _check_rows(parsed: list[dict], led: set[str], default_village: str | None) -> CheckedRoster:
    codes = {row["village"] for row in parsed if row["village"]}
    villages = set()
    code_list = sorted(codes)
    for start in range(0, len(code_list), 500):
        villages |= set(
            db.session.scalars(
                select(Region.code).where(Region.code.in_(code_list[start : start + 500]), Region.level == VILLAGE)
            )
        )
    phones: dict[str, int] = {}
    for row in parsed:
        if row["phone"].isdigit() and row["phone"].startswith("8"):
            row["phone"] = "0" + row["phone"]  # a spreadsheet dropped the leading zero of 08…
        row["normalized"] = normalize_phone(row["phone"]) if row["phone"] else None
        if row["normalized"]:
            phones[row["normalized"]] = phones.get(row["normalized"], 0) + 1
    taken = taken_phones(list(phones))
    result = CheckedRoster()
    seen_phones: set[str] = set()
    for row in parsed:
        errors = []
        name = " ".join(row["name"].split())
        if not name:
            errors.append("name_missing")
        elif name.startswith(FORMULA_STARTS) or row["name"].startswith(FORMULA_STARTS):
            errors.append("name_formula")
        elif len(name) > MAX_NAME:
            errors.append("name_too_long")
        phone = row["normalized"]
        if row["phone"] and phone is None:
            errors.append("phone_invalid")
        elif phone and phone in taken:
            errors.append("phone_taken")
        elif phone and phones[phone] > 1:
            errors.append("phone_repeated")
        village = row["village"] or default_village
        if not village:
            errors.append("village_missing")
        elif village not in villages and village != default_village:
            errors.append("village_unknown")
        elif village not in led:
            errors.append("village_not_yours")
        if errors:
            result.refused_count += 1
            if len(result.refused) < MAX_REFUSED_KEPT:
                result.refused.append({"line": row["line"], "name": row["name"][:MAX_NAME], "errors": errors})
            continue
        if phone:
            seen_phones.add(phone)
        result.rows.append({"line": row["line"], "name": name, "phone": phone, "village_code": village})
    return result


def taken_phones(phones: list[str]) -> set[str]:
    """Return which of these mobile numbers belong to an account already (a query per 500)."""
    taken: set[str] = set()
    for start in range(0, len(phones), 500):
        taken |= set(db.session.scalars(select(User.phone).where(User.phone.in_(phones[start : start + 500]))))
    return taken


# --- Preview and confirmation -------------------------------------------------------------------------


def start_import(leader, data: bytes, filename: str, course_id: int | None) -> RosterImport:
    """Check a file and keep its rows for the leader's preview."""
    checked = check_roster(leader, data, filename)
    record = RosterImport(
        token=secrets.token_urlsafe(24),
        leader_id=leader.id,
        filename=(filename or "")[:200],
        rows=checked.rows,
        refused=checked.refused,
        course_id=course_id or None,
    )
    record.refused_count = checked.refused_count
    db.session.add(record)
    db.session.flush()
    return record


def find_import(leader, token: str) -> RosterImport | None:
    """Return one of the leader's own imports by its token."""
    return db.session.scalar(
        select(RosterImport).where(RosterImport.token == token[:40], RosterImport.leader_id == leader.id)
    )


@dataclass
class ImportResult:
    """What confirming an import did."""

    saved: int
    #: Rows skipped because their number was taken between the preview and the confirmation.
    skipped: list[dict]
    #: False when this import had been confirmed before (nothing was saved now).
    is_new: bool
    user_ids: list[int] = field(default_factory=list)


def confirm_import(leader, record: RosterImport) -> ImportResult:
    """Save an import's checked rows in the current transaction, once: a second confirmation saves nothing."""
    claimed = db.session.execute(
        update(RosterImport)
        .where(RosterImport.id == record.id, RosterImport.confirmed_dt.is_(None))
        .values(confirmed_dt=utcnow())
        .execution_options(synchronize_session=False, **NOBODY)
    )
    db.session.refresh(record)
    if claimed.rowcount != 1:
        return ImportResult(record.saved_count, [], False, [row["user_id"] for row in record.rows if "user_id" in row])
    remaining = len(record.rows)
    while remaining:
        remaining = save_next_batch(leader, record)[1]
    skipped = [row for row in record.rows if row.get("skipped")]
    return ImportResult(record.saved_count, skipped, True, [row["user_id"] for row in record.rows if "user_id" in row])


def pending_rows(record: RosterImport) -> int:
    """Return how many of an import's checked rows are neither saved nor skipped yet."""
    return sum(1 for row in record.rows if "user_id" not in row and not row.get("skipped"))


def save_next_batch(leader, record: RosterImport, size: int = SAVE_BATCH) -> tuple[int, int]:
    """Save the next batch of an import's unsaved rows; return (villagers saved so far, rows left).

    Each saved row keeps its new account's id and a row whose number was taken since the preview is
    marked skipped, so running this again (a second confirmation, a restarted job) never saves a row twice.
    """
    now = utcnow()
    rows = [dict(row) for row in record.rows]
    pending = [row for row in rows if "user_id" not in row and not row.get("skipped")]
    batch = pending[:size]
    taken = taken_phones([row["phone"] for row in batch if row["phone"]])
    for row in batch:
        row["skipped"] = row["phone"] in taken
    keep = [row for row in batch if not row["skipped"]]
    usernames = free_usernames([row["name"] for row in keep])
    values = [
        {
            "username": username,
            "phone": row["phone"],
            "name": row["name"],
            "password_hash": NO_PASSWORD,
            "role": RESIDENT,
            "village_code": row["village_code"],
            "language": "id",
            "consent_version": current_app.config["CONSENT_VERSION"],
            "consent_dt": now,
            "is_assisted": True,
            "is_disabled": False,
            "is_deleted": False,
            "created_dt": now,
        }
        for row, username in zip(keep, usernames, strict=True)
    ]
    if values:
        db.session.execute(insert(User), values)
        names = [item["username"] for item in values]
        found = dict(db.session.execute(select(User.username, User.id).where(User.username.in_(names))).all())
        for row, item in zip(keep, values, strict=True):
            row["user_id"] = found[item["username"]]
        if record.course_id:
            enrol_many([row["user_id"] for row in keep], record.course_id, via=VIA_LEADER, by_id=leader.id)
    record.rows = rows
    record.saved_count = sum("user_id" in row for row in rows)
    record.confirmed_dt = record.confirmed_dt or now
    db.session.flush()
    return record.saved_count, len(pending) - len(batch)

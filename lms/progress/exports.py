"""Lists as files: CSV and XLSX, with cells that a spreadsheet would run as formulas made harmless.

Every list a leader or officer sees can be exported (participants, reports, attendance). A text
cell that starts with = + - @ or a tab or carriage return is prefixed with an apostrophe, so a
name like "=HYPERLINK(…)" typed into a form stays text when the file is opened (CSV injection).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response
from flask_babel import to_user_timezone

#: What a cell may not start with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def neutralise(value):
    """Return a cell value that no spreadsheet runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def local_phone(phone: str | None) -> str:
    """Return a mobile number as Indonesians write it (0812…), which also never reads as a formula."""
    if not phone:
        return ""
    return "0" + phone[3:] if phone.startswith("+62") else phone


def _cell(value, *, for_csv: bool):
    if isinstance(value, datetime):
        local = to_user_timezone(value).replace(tzinfo=None)
        return local.strftime("%Y-%m-%d %H:%M") if for_csv else local
    if isinstance(value, date):
        return value.isoformat() if for_csv else value
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    return neutralise(str(value))


def safe_filename(name: str, extension: str) -> str:
    """Return an ASCII file name for a download."""
    stem = _UNSAFE_FILENAME.sub("-", name).strip("-")[:80] or "export"
    return f"{stem}.{extension}"


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """Write a list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the accents)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([neutralise(str(title)) for title in header])
    for row in rows:
        writer.writerow([_cell(value, for_csv=True) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(header: Sequence[str], rows: Iterable[Sequence], title: str = "Data") -> bytes:
    """Write a list as an XLSX workbook with one sheet, streaming rows (write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_UNSAFE_FILENAME.sub(" ", title)[:31] or "Data")
    sheet.append([neutralise(str(name)) for name in header])
    for row in rows:
        sheet.append([_cell(value, for_csv=False) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_response(kind: str, name: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """Answer with a list as a CSV or XLSX download."""
    if kind == "xlsx":
        body, mimetype = xlsx_bytes(header, rows, title=name), XLSX_TYPE
    else:
        body, mimetype = csv_bytes(header, rows), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(name, kind)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

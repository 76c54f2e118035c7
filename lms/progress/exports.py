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
from typing import BinaryIO

from flask import Response
from flask_babel import to_user_timezone

#: What a cell may not start with.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MIMETYPES = {"csv": "text/csv; charset=utf-8", "xlsx": XLSX_TYPE}
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


class ListWriter:
    """Write a list as CSV or XLSX into a binary stream row by row, so a long list never sits in memory whole."""

    def __init__(self, output: BinaryIO, kind: str, header: Sequence[str], title: str = "Data") -> None:
        self.output, self.kind = output, kind
        if kind == "xlsx":
            from openpyxl import Workbook

            self.workbook = Workbook(write_only=True)
            self.sheet = self.workbook.create_sheet(title=_UNSAFE_FILENAME.sub(" ", title)[:31] or "Data")
            self.sheet.append([neutralise(str(name)) for name in header])
        else:
            # UTF-8 with a byte-order mark, so spreadsheet programs read the accents.
            self.text = io.TextIOWrapper(output, encoding="utf-8-sig", newline="", write_through=True)
            self.writer = csv.writer(self.text)
            self.writer.writerow([neutralise(str(name)) for name in header])

    def append(self, row: Sequence) -> None:
        if self.kind == "xlsx":
            self.sheet.append([_cell(value, for_csv=False) for value in row])
        else:
            self.writer.writerow([_cell(value, for_csv=True) for value in row])

    def close(self) -> None:
        """Finish the file (the stream stays open)."""
        if self.kind == "xlsx":
            self.workbook.save(self.output)
        else:
            self.text.flush()
            self.text.detach()


def list_bytes(kind: str, header: Sequence[str], rows: Iterable[Sequence], title: str = "Data") -> bytes:
    """Write a list as CSV or XLSX and return the file's bytes."""
    buffer = io.BytesIO()
    writer = ListWriter(buffer, kind, header, title)
    for row in rows:
        writer.append(row)
    writer.close()
    return buffer.getvalue()


def export_response(kind: str, name: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """Answer with a list as a CSV or XLSX download."""
    response = Response(list_bytes(kind, header, rows, title=name), mimetype=MIMETYPES[kind])
    response.headers["Content-Disposition"] = f'attachment; filename="{safe_filename(name, kind)}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response

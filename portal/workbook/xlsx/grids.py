"""An .xlsx file's values: every sheet in one read-only pass with python-calamine, or openpyxl for a
file calamine cannot read.

The file is opened read-only and never written here; formulas give their cached values
(what Excel showed when it last saved the file).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import python_calamine

from ...domain.problems import Unreadable
from ..grid import Grid


class UnreadableWorkbook(Unreadable):
    """The file cannot be read as a workbook at all; the message says why and what to do."""


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")


def _refuse_non_xlsx(path: Path) -> None:
    try:
        with path.open("rb") as f:
            head = f.read(1 << 16)
    except FileNotFoundError:
        raise UnreadableWorkbook(f"{path}: no such file. Check the path.") from None
    except PermissionError:
        raise UnreadableWorkbook(
            f"{path}: the file is locked or you may not read it. Close it in Excel "
            "(or wait for OneDrive/SharePoint to finish syncing) and try again."
        ) from None
    if head.startswith(_OLE_MAGIC):
        if _ENCRYPTION_STREAM in head:
            raise UnreadableWorkbook(
                f"{path}: the workbook is password-protected. In Excel, choose File > Info > "
                "Protect Workbook > Encrypt with Password, clear the password and save; or save an "
                "unprotected copy for Debtor Portal."
            )
        raise UnreadableWorkbook(
            f"{path}: this is an old-format .xls workbook. In Excel, choose File > Save As > "
            "Excel Workbook (*.xlsx) and use that file."
        )
    if not zipfile.is_zipfile(path):
        raise UnreadableWorkbook(
            f"{path}: this is not an Excel .xlsx workbook (a CSV or another kind of file?). "
            "Open it in Excel and save it as Excel Workbook (*.xlsx)."
        )


_PROLOG_BYTES = 1 << 16
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def _refuse_declarations(path: Path) -> None:
    """Excel never writes a DTD: an XML part that declares one (entities that expand, or point at other
    files) is refused before any XML parser sees it."""
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            with z.open(info) as part:
                head = part.read(_PROLOG_BYTES)
            root = _ROOT_START.search(head)
            prolog = head[: root.start()] if root else head
            if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
                raise UnreadableWorkbook(
                    f"{path}: its part {info.filename} declares XML entities (a DOCTYPE), which Excel never "
                    "writes: the file was made or changed by another program and is not read, for safety. "
                    "Open it in Excel and save it as a new .xlsx workbook."
                )


def _cell(value: object) -> object:
    """A calamine value as openpyxl gives it: None for empty, int for whole numbers, datetime for dates."""
    if value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if type(value) is date:
        return datetime(value.year, value.month, value.day)
    return value


def _calamine_grids(path: Path) -> list[Grid] | None:
    """The grids read by calamine (Rust, about ten times faster than openpyxl); None when it cannot."""
    try:
        book = python_calamine.CalamineWorkbook.from_path(str(path))
        grids = []
        for sheet in book.sheets_metadata:
            if sheet.typ != python_calamine.SheetTypeEnum.WorkSheet:
                continue
            rows = book.get_sheet_by_name(sheet.name).to_python(skip_empty_area=False)
            grids.append(Grid.of(sheet.name, (tuple(map(_cell, r)) for r in rows)))
        return grids
    except Exception:  # any file calamine cannot read is left to openpyxl, whose errors are explained
        return None


def read_grids(path: Path) -> list[Grid]:
    """Every worksheet's values, in workbook order."""
    path = Path(path)
    _refuse_non_xlsx(path)
    try:
        _refuse_declarations(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnreadableWorkbook(
            f"{path}: the workbook is damaged or not an .xlsx file ({exc}). Open it in Excel, "
            "let Excel repair it if it offers to, and save it again."
        ) from None
    if (grids := _calamine_grids(path)) is not None:
        return grids
    import openpyxl  # loading it takes a tenth of a second: only for the files calamine cannot read
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
        raise UnreadableWorkbook(
            f"{path}: the workbook is damaged or not an .xlsx file ({exc}). Open it in Excel, "
            "let Excel repair it if it offers to, and save it again."
        ) from None
    try:
        grids = []
        for sheet in book.worksheets:
            sheet.reset_dimensions()  # a stated size may be too small: read every row that is there
            rows = [tuple(row) for row in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]
            grids.append(Grid.of(sheet.title, rows))
        return grids
    finally:
        book.close()

"""The one way Debtor Portal changes an .xlsx workbook on disk, without losing the user's data.

openpyxl rewrites the whole file from its own model of it: whatever it does not model is
dropped on save. So:

* `losses(path)` inspects the package (parts, content types, drawings, VML and sheet XML)
  for what a load + save through openpyxl would drop or damage, and the writer refuses
  (`UnsafeToWrite`) before writing anything when the list is not empty; it also refuses a
  macro-enabled file and a workbook open in Excel or LibreOffice (its lock file is beside it);
* only the managed columns of the Invoices table are written, rows are only appended
  (Log, Reminders), and report sheets (Actions, Overview) are replaced whole; a managed column the sheet lacks is added right of its headers, inside
  its Excel Table when it has one;
* by default the result is a copy beside the workbook, `<stem> (updated YYYY-MM-DD HHMM).xlsx`;
  in place, a byte-identical backup goes first to `.debtor-portal/backups/`, then the new
  file is written to a temporary file in the same folder and moved over the workbook in one
  atomic step, so that a crash never leaves a half-written workbook;
* openpyxl saves formulas without their last results and rewrites docProps/app.xml: the
  results (which other readers, our own included, show) and the company, manager and
  hyperlink base are put back from the original;
* before it replaces anything, the new file is read back and compared with the old one,
  value by value: any difference the writer did not ask for stops it.

What openpyxl keeps, checked by round-tripping test files (tests/test_workbook_write.py):
values and formulas, styles and number formats, text with several formats in one cell
(loaded with rich_text=True), Excel Tables, data validations and conditional formatting
(the Excel 2007 kinds), comments (text and author), merged cells, hyperlinks, column widths,
hidden rows and sheets, freeze panes, defined names, print areas and titles, sheet
protection, custom document properties, pictures (PNG, JPEG, GIF, BMP, with their name and
alt text) and plain links to other workbooks. What it drops or damages is what `losses`
reports.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
import zipfile
from copy import copy
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import openpyxl
from openpyxl.cell.cell import MergedCell
from openpyxl.styles import Font
from openpyxl.utils import column_index_from_string, range_boundaries
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableColumn, TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from .. import schema
from ..grid import column_letter
from ..port import REPORT_MARK, Applied, Changes, UnsafeToWrite, state_dir
from ..read import FoundTable, append_places, locate_tables
from ..template import write_cell
from .grids import read_grids
from .losses import MAIN_NS, REL_NS, human_list, losses, relationships

BACKUP_DIR = "backups"
TEMP_PREFIX = ".debtor-portal-writing-"
MAX_CELL_TEXT = 32767  # Excel's limit: longer text makes Excel repair the file
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"


# --------------------------------------------------------------------------------------------
# Refusals
# --------------------------------------------------------------------------------------------


def _lock_files(path: Path) -> list[Path]:
    return [path.with_name("~$" + path.name), path.with_name(f".~lock.{path.name}#")]


def _refuse_unsafe(source: Path) -> None:
    name = source.name
    if source.suffix.lower() in (".xlsm", ".xlam", ".xltm"):
        raise UnsafeToWrite(
            f"{name} is a macro-enabled workbook: writing it would remove its macros. Nothing was written. "
            "Use the same button on the Excel ribbon (it writes through Excel itself), or save a copy as "
            "Excel Workbook (*.xlsx) and use that copy.",
            ("macros (VBA)",),
        )
    if source.suffix.lower() != ".xlsx":
        raise UnsafeToWrite(
            f"{name}: only .xlsx workbooks can be written. Nothing was written. In Excel, choose "
            "File > Save As > Excel Workbook (*.xlsx) and use that file."
        )
    for lock in _lock_files(source):
        if lock.exists():
            app = "LibreOffice" if lock.name.startswith(".~lock.") else "Excel"
            raise UnsafeToWrite(
                f"{name} is open in {app} (its lock file {lock.name} is next to it): close it in {app} first, "
                "or use the same button on the Excel ribbon. Nothing was written."
            )


def _refuse_losses(source: Path) -> None:
    name = source.name
    try:
        lost = losses(source)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError):
        read_grids(source)  # a file that is no workbook at all: the reader's message says what to do
        raise
    if lost:
        raise UnsafeToWrite(
            f"{name} contains {human_list(lost)}, which the writer cannot keep. Nothing was written. Use the same "
            "button on the Excel ribbon (it writes through Excel itself), or save a copy of the workbook without them "
            "and use that copy.",
            tuple(lost),
        )


# --------------------------------------------------------------------------------------------
# Tables in the sheet
# --------------------------------------------------------------------------------------------


@dataclass
class _Target:
    """A table being written: its sheet, header row and columns (1-based), and its Excel Table."""

    table: schema.Table
    ws: Worksheet
    header_row: int
    columns: dict[str, int]
    excel: ExcelTable | None
    touched: set[tuple[str, int, int]]  # (sheet, row, column) of every cell written, for the final check
    lang: str = "en"  # of the headers and sheet names the writer adds

    def put(self, row: int, col: int, value: object, kind: str) -> None:
        _put(self.ws, row, col, value, kind)
        self.touched.add((self.ws.title, row, col))


def _cells(ws: Worksheet) -> dict:
    """The cells the sheet holds, by (row, column). Reading through ws.cell() or ws[...] would create
    empty cells in the model, and in the file: the writer only peeks."""
    return ws._cells


def _occupied(ws: Worksheet, row: int, col: int) -> bool:
    cell = _cells(ws).get((row, col))
    return cell is not None and (isinstance(cell, MergedCell) or cell.value not in (None, ""))


def _column_free(ws: Worksheet, col: int, from_row: int, to_row: int | None = None) -> bool:
    return not any(c == col and from_row <= r <= (to_row or r) and _occupied(ws, r, c) for (r, c) in _cells(ws))


def _bounds(table: ExcelTable) -> tuple[int, int, int, int]:
    return range_boundaries(table.ref)  # min_col, min_row, max_col, max_row


def _set_ref(table: ExcelTable, max_col: int, max_row: int) -> None:
    min_col, min_row, _, _ = _bounds(table)
    table.ref = f"{column_letter(min_col)}{min_row}:{column_letter(max_col)}{max_row}"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref


def _excel_table_at(ws: Worksheet, header_row: int, columns: dict[str, int]) -> ExcelTable | None:
    best, best_count = None, 0
    for table in ws.tables.values():
        min_col, min_row, max_col, _ = _bounds(table)
        count = sum(1 for c in columns.values() if min_col <= c <= max_col)
        if min_row == header_row and table.headerRowCount != 0 and count > best_count:
            best, best_count = table, count
    return best


def _target(book: Workbook, found: FoundTable, table: schema.Table, touched: set, lang: str) -> _Target:
    ws = book[found.grid.name]
    header_row = found.header_row + 1
    columns = {key: index + 1 for key, index in found.columns.items()}
    return _Target(table, ws, header_row, columns, _excel_table_at(ws, header_row, columns), touched, lang)


def _unique_table_name(book: Workbook, wanted: str) -> str:
    names = {t.displayName.lower() for ws in book.worksheets for t in ws.tables.values()}
    names |= {n.lower() for n in book.defined_names}
    name, n = wanted, 1
    while name.lower() in names:
        n += 1
        name = f"{wanted}{n}"
    return name


def _unique_sheet_title(book: Workbook, wanted: str) -> str:
    titles = {t.lower() for t in book.sheetnames}
    title, n = wanted, 1
    while title.lower() in titles:
        n += 1
        title = f"{wanted} ({n})"
    return title


def _new_sheet(book: Workbook, table: schema.Table, touched: set, lang: str) -> _Target:
    """A sheet for a table the workbook lacks, with headers in `lang` and an Excel Table."""
    ws = book.create_sheet(_unique_sheet_title(book, table.sheet_name(lang)))
    for col, column in enumerate(table.columns, start=1):
        ws.cell(row=1, column=col, value=column.header(lang)).font = Font(bold=True)
        ws.column_dimensions[column_letter(col)].width = column.width
    excel = ExcelTable(
        displayName=_unique_table_name(book, table.sheet_name(lang)), ref=f"A1:{column_letter(len(table.columns))}2"
    )
    excel.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    excel._initialise_columns()
    for table_column, column in zip(excel.tableColumns, table.columns):
        table_column.name = column.header(lang)
    ws.add_table(excel)
    ws.freeze_panes = "A2"
    return _Target(table, ws, 1, {c.key: i for i, c in enumerate(table.columns, start=1)}, excel, touched, lang)


def _set_width_if_unset(ws: Worksheet, col: int, width: int) -> None:
    for letter, dim in ws.column_dimensions.items():
        first = dim.min or column_index_from_string(letter)
        if first <= col <= (dim.max or first):
            return  # the user's own width (a second <col> over the same column would make Excel repair)
    ws.column_dimensions[column_letter(col)].width = width


def _add_column(target: _Target, key: str, added: list[str]) -> int:
    """Add a column the sheet lacks, right of its headers (and inside its Excel Table)."""
    ws, header_row, column = target.ws, target.header_row, target.table.column(key)
    header = column.header(target.lang)
    if target.excel is not None:
        _, _, max_col, max_row = _bounds(target.excel)
        col = max_col + 1
        if not _column_free(ws, col, header_row, max_row):
            raise UnsafeToWrite(
                f"Sheet '{ws.title}' needs a '{header}' column, but the column right of its table "
                f"'{target.excel.displayName}' ({column_letter(col)}) is not empty. Insert an empty column "
                f"there, or add a '{header}' column to the table yourself. Nothing was written."
            )
        names = {c.name.lower() for c in target.excel.tableColumns}
        name, n = header, 1
        while name.lower() in names:
            n += 1
            name = f"{header} ({n})"
        header = name
        next_id = max((c.id for c in target.excel.tableColumns), default=0) + 1
        target.excel.tableColumns.append(TableColumn(id=next_id, name=header))
        _set_ref(target.excel, col, max_row)
    else:
        col = max(target.columns.values(), default=0) + 1
        last_header = max((c for (r, c) in _cells(ws) if r == header_row and _occupied(ws, r, c)), default=0)
        col = max(col, last_header + 1)
        while not _column_free(ws, col, header_row):
            col += 1
        if ws.auto_filter.ref:
            min_col, min_row, max_col, max_row = range_boundaries(ws.auto_filter.ref)
            if min_row == header_row and max_col + 1 == col:
                ws.auto_filter.ref = f"{column_letter(min_col)}{min_row}:{column_letter(col)}{max_row}"
    cell = ws.cell(row=header_row, column=col, value=header)
    target.touched.add((ws.title, header_row, col))
    neighbour = _cells(ws).get((header_row, col - 1))
    if neighbour is not None and neighbour.has_style:
        cell._style = copy(neighbour._style)
    _set_width_if_unset(ws, col, column.width)
    target.columns[key] = col
    added.append(f"{ws.title}!{header}")
    return col


# --------------------------------------------------------------------------------------------
# Values
# --------------------------------------------------------------------------------------------


def _same(cell, new: object) -> bool:
    """Whether the cell already holds this value (a formula never equals a value)."""
    old = cell.value
    if cell.data_type == "f":
        return False
    if isinstance(new, bool):
        new = "yes" if new else "no"
    if old in (None, "") or new in (None, ""):
        return old in (None, "") and new in (None, "")
    if isinstance(new, (date, datetime)):
        if not isinstance(old, (date, datetime)):
            return False

        def as_datetime(d):
            return d if isinstance(d, datetime) else datetime.combine(d, time())

        return as_datetime(old) == as_datetime(new)
    numeric = (int, float, Decimal)
    if isinstance(new, numeric) and isinstance(old, numeric) and not isinstance(old, bool):
        return Decimal(repr(old) if isinstance(old, float) else str(old)) == Decimal(str(new))
    return type(old) is type(new) and old == new


def _put(ws: Worksheet, row: int, col: int, value: object, kind: str) -> None:
    """Write one value as data (never a formula), formatted when the cell has no format of its own."""
    existing = _cells(ws).get((row, col))
    if isinstance(existing, MergedCell):
        raise UnsafeToWrite(
            f"Cell {column_letter(col)}{row} on sheet '{ws.title}' is part of merged cells; "
            "unmerge them first. Nothing was written."
        )
    if value is None or value == "":
        if existing is not None:
            existing.value = None
        return
    if isinstance(value, str) and len(value) > MAX_CELL_TEXT:
        raise ValueError(
            f"A text for {column_letter(col)}{row} on sheet '{ws.title}' is longer than "
            f"Excel's {MAX_CELL_TEXT} characters"
        )
    general = existing is None or existing.number_format == "General"
    write_cell(ws, row, col, value)
    cell = ws.cell(row=row, column=col)
    if not general:
        return
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = schema.NUMBER_FORMATS["date"]
    elif isinstance(value, Decimal) or (
        kind == "money" and isinstance(value, (int, float)) and not isinstance(value, bool)
    ):
        cell.number_format = schema.NUMBER_FORMATS["money"]


def _write_cells(target: _Target, rows: dict[int, dict[str, object]], added: list[str]) -> int:
    changed = 0
    order = [c.key for c in target.table.columns]
    keys = {key for values in rows.values() for key in values}
    for key in keys:
        if key not in order or not target.table.column(key).managed:
            raise ValueError(
                f"'{key}' is not a managed column of the {target.table.key} table: the writer only "
                "writes managed columns"
            )
    for key in sorted(keys, key=order.index):
        if key not in target.columns:
            _add_column(target, key, added)
    for row in sorted(rows):
        if row <= target.header_row:
            raise ValueError(
                f"Row {row} is not below the {target.table.key} table's header (row "
                f"{target.header_row} on sheet '{target.ws.title}')"
            )
        for key, value in rows[row].items():
            col = target.columns[key]
            existing = _cells(target.ws).get((row, col))
            if existing is not None and not isinstance(existing, MergedCell) and _same(existing, value):
                continue
            if existing is None and value in (None, ""):
                continue
            target.put(row, col, value, target.table.column(key).type)
            changed += 1
    return changed


def _append_rows(target: _Target, rows: list[dict[str, object]], added: list[str]) -> int:
    ws, table = target.ws, target.table
    known = {c.key for c in table.columns}
    for record in rows:
        unknown = set(record) - known
        if unknown:
            raise ValueError(f"{', '.join(sorted(unknown))}: not columns of the {table.key} table")
    for column in table.columns:
        if column.key not in target.columns and any(not _blank(r.get(column.key)) for r in rows):
            _add_column(target, column.key, added)
    if target.excel is not None:
        min_col, min_row, max_col, max_row = _bounds(target.excel)
        if target.excel.totalsRowCount:
            raise UnsafeToWrite(
                f"The table '{target.excel.displayName}' on sheet '{ws.title}' has a total row: the writer cannot "
                "add rows above it. Turn the total row off (Table Design > Total Row) and try again. "
                "Nothing was written."
            )
        span = range(min_col, max_col + 1)
        last = max(
            (r for r in range(min_row + 1, max_row + 1) if any(_occupied(ws, r, c) for c in span)), default=min_row
        )
    else:
        cols = list(target.columns.values())
        span = range(min(cols), max(cols) + 1)
        last = max(
            (r for (r, c) in _cells(ws) if r > target.header_row and c in span and _occupied(ws, r, c)),
            default=target.header_row,
        )
    first = last + 1
    end = last + len(rows)
    if target.excel is not None:
        for r in range(max(first, _bounds(target.excel)[3] + 1), end + 1):
            if any(_occupied(ws, r, c) for c in span):
                raise UnsafeToWrite(
                    f"The rows below the table '{target.excel.displayName}' on sheet '{ws.title}' are not empty "
                    f"(row {r}): the writer cannot add rows to it. Move what is below the table and try again. "
                    "Nothing was written."
                )
        for other in ws.tables.values():
            o_min_col, o_min_row, o_max_col, o_max_row = _bounds(other)
            if (
                other is not target.excel
                and o_min_row <= end
                and o_max_row >= first
                and o_min_col <= span[-1]
                and o_max_col >= span[0]
            ):
                raise UnsafeToWrite(
                    f"The table '{other.displayName}' is below '{target.excel.displayName}' on "
                    f"sheet '{ws.title}': the writer cannot add rows. Nothing was written."
                )
    for offset, record in enumerate(rows):
        row = first + offset
        if row - 1 > target.header_row:
            for c in span:
                above = _cells(ws).get((row - 1, c))
                if above is not None and above.has_style and not isinstance(above, MergedCell):
                    ws.cell(row=row, column=c)._style = copy(above._style)
        for key, value in record.items():
            if not _blank(value):
                target.put(row, target.columns[key], value, table.column(key).type)
    if target.excel is not None:
        _, _, max_col, max_row = _bounds(target.excel)
        _set_ref(target.excel, max_col, max(max_row, end))
    return len(rows)


def _holds(ws: Worksheet, rows: list[list[object]]) -> bool:
    """Whether the sheet already holds exactly these values."""
    wanted = {(r, c): v for r, row in enumerate(rows, 1) for c, v in enumerate(row, 1) if not _blank(v)}
    held = {(r, c) for (r, c) in list(_cells(ws)) if _occupied(ws, r, c)}
    return held == set(wanted) and all(_same(_cells(ws)[key], value) for key, value in wanted.items())


def _report_sheet(book: Workbook, title: str, rows: list[list[object]], touched: set) -> bool:
    """Make the sheet `title` hold exactly `rows` (see `Changes.sheets`); False when it already did."""
    if not rows or not str(rows[0][0] if rows[0] else "").startswith(REPORT_MARK):
        raise ValueError(f"A report sheet's cell A1 must begin with {REPORT_MARK!r} ({title})")
    if title in book.sheetnames:
        ws = book[title]
        first = _cells(ws).get((1, 1))
        mine = first is not None and str(first.value or "").startswith(REPORT_MARK)
        if not mine and any(_occupied(ws, r, c) for (r, c) in list(_cells(ws))):
            raise UnsafeToWrite(
                f"The sheet '{title}' is not one Debtor Portal wrote (its cell A1 does not begin with "
                f"'{REPORT_MARK}'): rename it, and Debtor Portal will write its own. Nothing was written."
            )
        if _holds(ws, rows):
            return False
        if ws.tables or ws._charts or ws._images:
            raise UnsafeToWrite(
                f"The sheet '{title}' holds a table, chart or picture: Debtor Portal rewrites that sheet whole. "
                "Move them to another sheet. Nothing was written."
            )
        for merged in list(ws.merged_cells.ranges):
            ws.unmerge_cells(str(merged))
        for (r, c), cell in list(_cells(ws).items()):
            touched.add((title, r, c))
            cell.value = None
    else:
        ws = book.create_sheet(title)
    for r, values in enumerate(rows, start=1):
        for c, value in enumerate(values, start=1):
            if not _blank(value):
                _put(ws, r, c, value, "")
                touched.add((title, r, c))
    ws.cell(row=1, column=1).font = Font(bold=True, size=13)
    return True


def _blank(value: object) -> bool:
    return value is None or value == ""


# --------------------------------------------------------------------------------------------
# Putting back what openpyxl leaves out of a file it saves: formulas' last results, and the
# document properties it does not read (company, manager, hyperlink base)
# --------------------------------------------------------------------------------------------


def _sheet_parts(z: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its part in the package."""
    root_rels = relationships(z, "")
    workbook_part = next(
        (t for (kind, t, ext) in root_rels.values() if kind.endswith("/officeDocument")), "xl/workbook.xml"
    )
    rels = relationships(z, workbook_part)
    root = ET.fromstring(z.read(workbook_part))
    parts = {}
    for sheet in root.iter(f"{{{MAIN_NS}}}sheet"):
        rel = rels.get(sheet.get(f"{{{REL_NS}}}id", ""))
        if rel:
            parts[sheet.get("name", "")] = rel[1]
    return parts


def _cached_results(z: zipfile.ZipFile, part: str) -> dict[str, tuple[str | None, str]]:
    results = {}
    cell_tag, f_tag, v_tag = (f"{{{MAIN_NS}}}{t}" for t in ("c", "f", "v"))
    with z.open(part) as source:
        for _, element in ET.iterparse(source):
            if element.tag == cell_tag:
                f, v = element.find(f_tag), element.find(v_tag)
                if f is not None and v is not None and v.text is not None:
                    results[element.get("r", "")] = (element.get("t"), v.text)
                element.clear()
    return results


_WRITTEN_FORMULA_CELL = re.compile(r'<c r="([A-Z]{1,3}[0-9]{1,7})"([^>]*)>(<f(?:\s[^>]*)?(?:/>|>[^<]*</f>))<v\s*/></c>')


_APP_NS = "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"
_APP_KEPT = ("Template", "Manager", "Company", "HyperlinkBase")  # in the order the schema wants, all before
# <Application>, the first element openpyxl writes


def _app_properties(original: bytes, written: bytes) -> bytes | None:
    """openpyxl writes docProps/app.xml afresh: put the original's company, manager and hyperlink base back."""
    root = ET.fromstring(original)
    kept = [(name, el.text) for name in _APP_KEPT if (el := root.find(f"{{{_APP_NS}}}{name}")) is not None and el.text]
    if not kept:
        return None
    text = written.decode("utf-8")
    start = text.index(">", text.index("<Properties")) + 1
    return (text[:start] + "".join(f"<{name}>{escape(value)}</{name}>" for name, value in kept) + text[start:]).encode(
        "utf-8"
    )


def _put_back(source: Path, written: Path, out: Path) -> None:
    """Copy `written` to `out` with the formulas' last results and the document properties of `source`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(written) as new:
        before, after = _sheet_parts(original), _sheet_parts(new)
        replaced: dict[str, bytes] = {}
        if "docProps/app.xml" in original.namelist() and "docProps/app.xml" in new.namelist():
            app = _app_properties(original.read("docProps/app.xml"), new.read("docProps/app.xml"))
            if app is not None:
                replaced["docProps/app.xml"] = app
        for name, part in after.items():
            if name not in before or not _WRITTEN_FORMULA_CELL.search(new.read(part).decode("utf-8")):
                continue
            results = _cached_results(original, before[name])

            def put_back(match: re.Match, results: dict = results) -> str:
                ref, attrs, formula = match.groups()
                result = results.get(ref)
                if result is None or " t=" in attrs or result[0] not in (None, "n", "str", "b", "e"):
                    return match.group(0)
                kind = f' t="{result[0]}"' if result[0] in ("str", "b", "e") else ""
                return f'<c r="{ref}"{attrs}{kind}>{formula}<v>{escape(result[1])}</v></c>'

            if results:
                replaced[part] = _WRITTEN_FORMULA_CELL.sub(put_back, new.read(part).decode("utf-8")).encode("utf-8")
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as result_zip:
            for info in new.infolist():
                result_zip.writestr(
                    info, replaced.get(info.filename) or new.read(info.filename), compress_type=zipfile.ZIP_DEFLATED
                )


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    """The data on the disk before the rename, so that a power cut cannot leave an empty workbook."""
    with path.open("rb+") as f:
        os.fsync(f.fileno())


def _fsync_folder(folder: Path) -> None:
    if os.name != "posix":
        return  # Windows commits the rename itself; a folder cannot be opened there
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _free_name(folder: Path, stem: str, suffix: str) -> Path:
    candidate, n = folder / f"{stem}{suffix}", 1
    while candidate.exists():
        n += 1
        candidate = folder / f"{stem} ({n}){suffix}"
    return candidate


def _backup(source: Path, now: datetime, digest: str) -> Path:
    folder = state_dir(source.parent) / BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{source.stem}.backup-{now:%Y%m%d-%H%M%S}"
    backup, n = folder / f"{stem}{source.suffix}", 1
    while backup.exists():
        n += 1
        backup = folder / f"{stem}-{n}{source.suffix}"
    shutil.copy2(source, backup)
    if _sha256(backup) != digest:
        backup.unlink(missing_ok=True)
        raise UnsafeToWrite(
            f"{source.name} changed while it was being backed up (saved in Excel?). Nothing was written; try again."
        )
    return backup


def _cell_values(path: Path) -> list[tuple[str, dict[tuple[int, int], object]]]:
    """Every sheet's non-empty values (formulas give their saved results), in workbook order.

    Not `read_grids`: read-only openpyxl trusts the sheet's <dimension>, which some programs
    write too small; this reads every cell there is.
    """
    book = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    try:
        sheets = []
        for ws in book.worksheets:
            ws.reset_dimensions()
            values = {
                (cell.row, cell.column): cell.value
                for row in ws.iter_rows()
                for cell in row
                if cell.value is not None and cell.value != ""
            }
            sheets.append((ws.title, values))
        return sheets
    finally:
        book.close()


def _check_written(path: Path, before: list[tuple[str, dict]], touched: set[tuple[str, int, int]]) -> None:
    """Read the new file back: every sheet and every value of the old one is there, but what was written.

    The last line of defence against whatever openpyxl could read differently from Excel.
    """
    with zipfile.ZipFile(path) as z:
        bad = z.testzip()
        if bad is not None:
            raise UnsafeToWrite(f"The new workbook came out damaged ({bad}). Nothing was written.")
    after = _cell_values(path)
    if [name for name, _ in after[: len(before)]] != [name for name, _ in before]:
        raise UnsafeToWrite("The new workbook came out without some sheets of the old one. Nothing was written.")
    for (name, old), (_, new) in zip(before, after):
        for row, col in sorted(old.keys() | new.keys()):
            was, now = old.get((row, col)), new.get((row, col))
            if was != now and (name, row, col) not in touched:
                raise UnsafeToWrite(
                    f"Checking the new workbook, cell {column_letter(col)}{row} on sheet '{name}' would change "
                    f"from {was!r} to {now!r}, which the writer did not ask for. Nothing was written; use the "
                    "same button on the Excel ribbon, and please report this."
                )


def write_workbook_changes(
    source: Path, changes: Changes, *, now: datetime, in_place: bool = False, out: Path | None = None
) -> Applied:
    """Write managed cells and appended rows; by default to a copy next to `source`.

    In place, the workbook is first backed up (byte-identical, in `.debtor-portal/backups/`),
    then replaced atomically. Raises `UnsafeToWrite` before writing anything when the
    workbook holds what the writer would lose, is macro-enabled or is open in Excel.
    """
    source = Path(source)
    if in_place and out is not None:
        raise ValueError("give either in_place=True or out, not both")
    if in_place:
        source = source.resolve()  # through a symbolic link, replace the file itself, not the link
    _refuse_unsafe(source)
    _refuse_losses(source)
    if in_place and not source.stat().st_mode & stat.S_IWUSR:
        raise UnsafeToWrite(
            f"{source.name} is read-only: make it writable (Properties > uncheck Read-only) or "
            "write the results to a copy. Nothing was written."
        )
    digest = _sha256(source)
    grids = read_grids(source)
    values_before = _cell_values(source)
    target_path: Path
    if in_place:
        target_path = source
    elif out is not None:
        target_path = Path(out)
        if target_path.exists() and target_path.resolve() == source.resolve():
            raise ValueError(f"{target_path} is the workbook itself: write in place instead (it keeps a backup)")
        if target_path.suffix.lower() != ".xlsx":
            raise ValueError(f"{target_path}: the output must be an .xlsx file")
        for lock in _lock_files(target_path):
            if lock.exists():
                raise UnsafeToWrite(
                    f"{target_path.name} is open ({lock.name} is next to it): close it first. Nothing was written."
                )
    else:
        target_path = _free_name(source.parent, f"{source.stem} (updated {now:%Y-%m-%d %H%M})", ".xlsx")

    located = locate_tables(grids)
    # rich_text: without it openpyxl flattens text with several formats in one cell (verified).
    book = openpyxl.load_workbook(source, keep_vba=False, keep_links=True, rich_text=True)
    if _sha256(source) != digest:
        raise UnsafeToWrite(
            f"{source.name} changed while it was being read (saved in Excel?). Nothing was written; run again."
        )
    added: list[str] = []
    touched: set[tuple[str, int, int]] = set()
    cells = 0
    for key, rows in changes.cells.items():
        if key not in located:
            raise ValueError(f"No {key} table in {source.name}")
        cells += _write_cells(_target(book, located[key], located[key].table, touched, changes.lang), rows, added)
    rows_added: dict[str, int] = {}
    appended = {key: records for key, records in changes.append.items() if records}
    for key, (table, found) in append_places(grids, located, appended).items():
        records = appended[key]
        target = (
            _target(book, found, table, touched, changes.lang)
            if found is not None
            else _new_sheet(book, table, touched, changes.lang)
        )
        rows_added[key] = _append_rows(target, records, added)
    sheets = tuple(title for title, content in changes.sheets.items() if _report_sheet(book, title, content, touched))

    if in_place and not cells and not rows_added and not added and not sheets:
        return Applied(str(source), None, 0, {}, (), path=source)
    book.calculation.fullCalcOnLoad = True  # formulas that depend on what changed are recalculated on opening

    backup = _backup(source, now, digest) if in_place else None
    folder = target_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    temps: list[Path] = []
    try:
        for _ in range(2):
            handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=".xlsx", dir=folder)
            os.close(handle)
            temps.append(Path(name))
        saved, final = temps
        book.save(saved)
        _put_back(source, saved, final)
        _check_written(final, values_before, touched)
        _fsync(final)
        shutil.copymode(source, final)
        if in_place and _sha256(source) != digest:
            raise UnsafeToWrite(
                f"{source.name} changed while it was being written (saved in Excel?). It was left as it is; run again."
            )
        try:
            os.replace(final, target_path)  # atomic: the old file or the new one, never half of one
        except PermissionError as exc:
            raise UnsafeToWrite(
                f"{target_path.name} could not be replaced: it is open in another program or "
                f"read-only ({exc.strerror}). It was left as it is; close it and run again."
            ) from exc
        _fsync_folder(folder)
    finally:
        for temp in temps:
            temp.unlink(missing_ok=True)
    return Applied(str(target_path), backup, cells, rows_added, tuple(added), tuple(changes.sheets), path=target_path)

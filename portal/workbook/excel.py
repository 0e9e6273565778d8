"""The workbook port for the workbook open in Excel, through xlwings: read in bulk, written live.

Every sheet is read in one call (`range.options(ndim=2, err_to_str=True).value` from A1 to the
last used cell), every changed managed column is written in one call per run of rows, rows
are appended to the Excel Tables (resized to hold them), and a report sheet that changed is
written in one call (over what it held before, so that nothing of it stays). Nothing is saved: the user's workbook
changes as if typed, so charts, pivots and macros stay as they are, and Excel's undo history is
the only casualty.

Excel gives numbers as float (whole numbers too), dates as datetime, empty cells as None and,
with `err_to_str`, errors as their text (#N/A): whole floats become int here, so the grids are
the ones the file port reads from the same workbook saved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

from . import cells, schema
from .grid import Grid
from .port import REPORT_MARK, Applied, Changes, UnsafeToWrite, grids_fingerprint
from .read import FoundTable, append_places, locate_tables

LINK_COLUMNS = {("invoices", "portal_link"), ("reminders", "link")}
_MAX_EXACT = 2**53


def from_excel(value: object) -> object:
    """A value as xlwings gives it, as openpyxl gives the same cell of the saved file."""
    if isinstance(value, float) and value.is_integer() and abs(value) < _MAX_EXACT:
        return int(value)
    return value


def to_excel(value: object) -> object:
    """What to give xlwings for a value of a `Changes`: text that looks like a formula stays text."""
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    if isinstance(value, str):
        if value[:1] in ("=", "+", "-", "@"):
            return "'" + value
        return value
    return value


def same(old: object, new: object) -> bool:
    """Whether a cell holding `old` (as read) already shows `new` (as `to_excel` gives it)."""
    if isinstance(new, str) and new.startswith("'"):
        new = new[1:]
    if cells.is_blank(old) or cells.is_blank(new):
        return cells.is_blank(old) and cells.is_blank(new)
    if isinstance(new, datetime) or isinstance(old, datetime):
        return isinstance(old, datetime) and isinstance(new, datetime) and old == new
    numbers = (int, float)
    if isinstance(new, numbers) and isinstance(old, numbers) and not isinstance(old, bool):
        return Decimal(repr(float(old))) == Decimal(repr(float(new)))
    return type(old) is type(new) and old == new


class OnlineWorkbook(UnsafeToWrite):
    """The workbook's path is a web address (OneDrive, SharePoint): there is no folder beside it."""


@dataclass
class ExcelWorkbook:
    """A workbook open in Excel (`xlwings.Book`), e.g. `xw.Book.caller()` from a ribbon button."""

    book: Any
    _read: list[Grid] | None = field(default=None, repr=False, compare=False)

    @property
    def name(self) -> str:
        return str(self.book.name)

    @property
    def folder(self) -> Path:
        full = str(self.book.fullname)
        if full.startswith(("http://", "https://")):
            raise OnlineWorkbook(
                f"{self.book.name} is opened from OneDrive or SharePoint as a web address, so Debtor Portal has no "
                "folder to keep the site and its state in. Open it from the synchronised folder on this computer "
                "(File > Open > Browse), or save a copy on this computer, and click again."
            )
        return Path(full).resolve().parent

    # ----------------------------------------------------------------------------------------
    # Reading
    # ----------------------------------------------------------------------------------------

    def _sheet_values(self, sheet: Any) -> tuple[tuple[object, ...], ...]:
        last = sheet.used_range.last_cell
        height, width = last.row, last.column
        if height == 1 and width == 1 and sheet.range((1, 1)).value is None:
            return ()
        rows = sheet.range((1, 1), (height, width)).options(ndim=2, err_to_str=True).value
        return tuple(tuple(from_excel(v) for v in row) for row in rows)

    def grids(self) -> list[Grid]:
        """Every sheet's values; read once per port until `apply` writes (a click reads the workbook once)."""
        if self._read is None:
            self._read = [Grid.of(str(sheet.name), self._sheet_values(sheet)) for sheet in self.book.sheets]
        return self._read

    def fingerprint(self) -> str:
        return grids_fingerprint(self.grids())

    # ----------------------------------------------------------------------------------------
    # Writing
    # ----------------------------------------------------------------------------------------

    def apply(self, changes: Changes) -> Applied:
        try:
            return self._apply(changes)
        finally:
            self._read = None

    def _apply(self, changes: Changes) -> Applied:
        grids = self.grids()
        reports = [_Report.plan(self.book, grids, title, rows) for title, rows in changes.sheets.items()]
        located = locate_tables(grids)
        added: list[str] = []
        written = 0
        for key, rows in changes.cells.items():
            if key not in located:
                raise ValueError(f"No {key} table in {self.name}")
            found = located[key]
            written += _Target(self.book.sheets[found.grid.name], found, key, changes.lang).write_cells(rows, added)
        rows_added: dict[str, int] = {}
        appended = {key: records for key, records in changes.append.items() if records}
        for key, (table, place) in append_places(grids, located, appended).items():
            records = appended[key]
            target = (
                _Target(self.book.sheets[place.grid.name], place, key, changes.lang)
                if place is not None
                else _Target.new_sheet(self.book, table, key, changes.lang)
            )
            rows_added[key] = target.append(records, added)
        sheets = tuple(report.title for report in reports if report.write())
        return Applied(self.name, None, written, rows_added, tuple(added), sheets)


def _runs(rows: Iterable[int]) -> list[list[int]]:
    """Consecutive row numbers grouped: [3, 4, 5, 9] -> [[3, 4, 5], [9]]."""
    runs: list[list[int]] = []
    for row in sorted(rows):
        if runs and runs[-1][-1] == row - 1:
            runs[-1].append(row)
        else:
            runs.append([row])
    return runs


class _Target:
    """One table in a sheet of the open workbook: where its header is and which column holds what (1-based)."""

    def __init__(self, sheet: Any, found: FoundTable | None, key: str, lang: str, table: schema.Table | None = None):
        self.sheet = sheet
        self.key = key
        self.lang = lang
        known = table or (found.table if found else None)
        if known is None:
            raise ValueError(f"the {key} table is neither found nor given")
        self.table: schema.Table = known
        self.grid_rows = found.grid.rows if found else ()
        self.header_row = found.header_row + 1 if found else 1
        self.columns = {k: i + 1 for k, i in found.columns.items()} if found else {}
        self.excel_table = self._excel_table()

    @classmethod
    def new_sheet(cls, book: Any, table: schema.Table, key: str, lang: str) -> _Target:
        """A sheet for a table the workbook lacks, with headers in `lang` and an Excel Table."""
        names = {str(s.name).lower() for s in book.sheets}
        title, n = table.sheet_name(lang), 1
        while title.lower() in names:
            n += 1
            title = f"{table.sheet_name(lang)} ({n})"
        sheet = book.sheets.add(title, after=book.sheets[len(book.sheets) - 1])
        headers = [c.header(lang) for c in table.columns]
        sheet.range((1, 1)).value = [headers]
        sheet.tables.add(
            source=sheet.range((1, 1), (1, len(headers))), name=re.sub(r"\W", "_", title), has_headers=True
        )
        target = cls(sheet, None, key, lang, table)
        target.columns = {c.key: i for i, c in enumerate(table.columns, start=1)}
        target.excel_table = target._excel_table()
        return target

    def _excel_table(self) -> Any | None:
        for excel in self.sheet.tables:
            header = excel.header_row_range
            if header is not None and header.row == self.header_row:
                first, last = header.column, header.column + header.columns.count - 1
                if not self.columns or any(first <= c <= last for c in self.columns.values()):
                    return excel
        return None

    def _value(self, row: int, col: int) -> object:
        if row - 1 < len(self.grid_rows) and col - 1 < len(self.grid_rows[row - 1]):
            return self.grid_rows[row - 1][col - 1]
        return None

    def _table_bounds(self) -> tuple[int, int, int, int]:
        """(first row, first column, last row, last column) of the Excel Table."""
        assert self.excel_table is not None
        whole = self.excel_table.range
        return whole.row, whole.column, whole.row + whole.rows.count - 1, whole.column + whole.columns.count - 1

    def _add_column(self, key: str, added: list[str]) -> int:
        column = self.table.column(key)
        header = column.header(self.lang)
        if self.excel_table is not None:
            top, left, bottom, right = self._table_bounds()
            col = right + 1
            if any(not cells.is_blank(self._value(r, col)) for r in range(top, bottom + 1)):
                raise UnsafeToWrite(
                    f"Sheet '{self.sheet.name}' needs a '{header}' column, but the column right of its table "
                    f"'{self.excel_table.name}' is not empty. Insert an empty column there, or add a '{header}' "
                    "column to the table yourself. Nothing was written."
                )
            self.sheet.range((self.header_row, col)).value = header
            self.excel_table.resize(self.sheet.range((top, left), (bottom, col)))
        else:
            header_cells = self.grid_rows[self.header_row - 1] if self.grid_rows else ()
            last = max((i + 1 for i, v in enumerate(header_cells) if not cells.is_blank(v)), default=0)
            col = max([last, *self.columns.values()]) + 1
            self.sheet.range((self.header_row, col)).value = header
        self.columns[key] = col
        added.append(f"{self.sheet.name}!{header}")
        kind = schema.NUMBER_FORMATS.get(column.type)
        if kind:
            bottom = max(self.header_row + 1, len(self.grid_rows))
            self.sheet.range((self.header_row + 1, col), (bottom, col)).number_format = kind
        return col

    def write_cells(self, rows: dict[int, dict[str, object]], added: list[str]) -> int:
        order = [c.key for c in self.table.columns]
        keys = {k for values in rows.values() for k in values}
        for key in keys:
            if key not in order or not self.table.column(key).managed:
                raise ValueError(f"'{key}' is not a managed column of the {self.key} table: only those are written")
        for row in rows:
            if row <= self.header_row:
                raise ValueError(f"Row {row} is not below the {self.key} table's header (row {self.header_row})")
        changed = 0
        for key in sorted(keys, key=order.index):
            col = self.columns.get(key) or self._add_column(key, added)
            values = {row: to_excel(v[key]) for row, v in rows.items() if key in v}
            differs = {row for row, new in values.items() if not same(self._value(row, col), new)}
            if not differs:
                continue
            for run in _runs(values):
                if not differs.intersection(run):
                    continue
                self.sheet.range((run[0], col), (run[-1], col)).value = [[values[row]] for row in run]
            if (self.key, key) in LINK_COLUMNS:
                for row in sorted(differs):
                    link = values[row]
                    if isinstance(link, str) and link.startswith(("http://", "https://")):
                        self.sheet.range((row, col)).add_hyperlink(link, link)
            changed += len(differs)
        return changed

    def _last_row(self) -> int:
        if self.excel_table is not None:
            top, left, bottom, right = self._table_bounds()
            span = range(left, right + 1)
        else:
            top, bottom = self.header_row, len(self.grid_rows)
            span = range(min(self.columns.values()), max(self.columns.values()) + 1)
        return max(
            (r for r in range(top + 1, bottom + 1) if any(not cells.is_blank(self._value(r, c)) for c in span)),
            default=top,
        )

    def append(self, records: list[dict[str, object]], added: list[str]) -> int:
        known = {c.key for c in self.table.columns}
        for record in records:
            unknown = set(record) - known
            if unknown:
                raise ValueError(f"{', '.join(sorted(unknown))}: not columns of the {self.key} table")
        for column in self.table.columns:
            if column.key not in self.columns and any(not cells.is_blank(r.get(column.key)) for r in records):
                self._add_column(column.key, added)
        if self.excel_table is not None and self.excel_table.show_totals:
            raise UnsafeToWrite(
                f"The table '{self.excel_table.name}' on sheet '{self.sheet.name}' has a total row: rows cannot be "
                "added above it. Turn the total row off (Table Design > Total Row) and try again. Nothing was written."
            )
        first = self._last_row() + 1
        end = first + len(records) - 1
        if self.excel_table is not None:
            top, left, bottom, right = self._table_bounds()
            below = range(max(first, bottom + 1), end + 1)
            if any(not cells.is_blank(self._value(r, c)) for r in below for c in range(left, right + 1)):
                raise UnsafeToWrite(
                    f"The rows below the table '{self.excel_table.name}' on sheet '{self.sheet.name}' are not empty: "
                    "rows cannot be added to it. Move what is below the table and try again. Nothing was written."
                )
            if end > bottom:
                self.excel_table.resize(self.sheet.range((top, left), (end, right)))
        for key, col in sorted(self.columns.items(), key=lambda item: item[1]):
            values = [to_excel(r.get(key)) for r in records]
            if all(cells.is_blank(v) for v in values):
                continue
            self.sheet.range((first, col), (end, col)).value = [[v] for v in values]
            if (self.key, key) in LINK_COLUMNS:
                for offset, value in enumerate(values):
                    if isinstance(value, str) and value.startswith(("http://", "https://")):
                        self.sheet.range((first + offset, col)).add_hyperlink(value, value)
        return len(records)


@dataclass
class _Report:
    """A report sheet to write (see `Changes.sheets`): the sheet when it exists, what it held, what it gets."""

    book: Any
    title: str
    rows: list[list[object]]
    sheet: Any | None
    held: tuple[tuple[object, ...], ...]

    @classmethod
    def plan(cls, book: Any, grids: list[Grid], title: str, rows: list[list[object]]) -> _Report:
        """Refuse before anything is written: a sheet of that name that is the user's own, or holds a table."""
        if not rows or not str(rows[0][0] if rows[0] else "").startswith(REPORT_MARK):
            raise ValueError(f"A report sheet's cell A1 must begin with {REPORT_MARK!r} ({title})")
        grid = next((g for g in grids if g.name.lower() == title.lower()), None)
        if grid is None:
            return cls(book, title, rows, None, ())
        held = grid.rows
        first = held[0][0] if held and held[0] else None
        if not str(first or "").startswith(REPORT_MARK) and any(not cells.is_blank(v) for row in held for v in row):
            raise UnsafeToWrite(
                f"The sheet '{grid.name}' is not one Debtor Portal wrote (its cell A1 does not begin with "
                f"'{REPORT_MARK}'): rename it, and Debtor Portal will write its own. Nothing was written."
            )
        sheet = book.sheets[grid.name]
        if len(sheet.tables):
            raise UnsafeToWrite(
                f"The sheet '{grid.name}' holds a table: Debtor Portal rewrites that sheet whole. "
                "Move the table to another sheet. Nothing was written."
            )
        return cls(book, title, rows, sheet, held)

    def _held(self, row: int, col: int) -> object:
        if row < len(self.held) and col < len(self.held[row]):
            return self.held[row][col]
        return None

    def write(self) -> bool:
        """Make the sheet hold exactly the rows, in one call; False when it already did."""
        height = max(len(self.rows), len(self.held))
        width = max([0, *(len(r) for r in self.rows), *(len(r) for r in self.held)])
        values = [
            [to_excel(self.rows[r][c]) if r < len(self.rows) and c < len(self.rows[r]) else None for c in range(width)]
            for r in range(height)
        ]
        if self.sheet is not None and all(
            same(self._held(r, c), values[r][c]) for r in range(height) for c in range(width)
        ):
            return False
        if self.sheet is None:
            self.sheet = self.book.sheets.add(self.title, after=self.book.sheets[len(self.book.sheets) - 1])
        self.sheet.range((1, 1), (height, width)).value = values
        self.sheet.range((1, 1), (height, width)).number_format = "General"
        for (kind, col), runs in self._formatted().items():
            for run in _runs(runs):
                self.sheet.range((run[0], col), (run[-1], col)).number_format = schema.NUMBER_FORMATS[kind]
        return True

    def _formatted(self) -> dict[tuple[str, int], list[int]]:
        """The cells shown as money or as a date, by (kind, column): rows (1-based)."""
        found: dict[tuple[str, int], list[int]] = {}
        for r, row in enumerate(self.rows, start=1):
            for c, value in enumerate(row, start=1):
                kind = "money" if isinstance(value, Decimal) else "date" if isinstance(value, date) else None
                if kind:
                    found.setdefault((kind, c), []).append(r)
        return found

"""An in-memory stand-in of the part of xlwings' object model that Debtor Portal uses.

It holds values as Excel gives them through xlwings (numbers as float, dates as datetime, empty as
None, errors as None or, with `err_to_str`, their text), counts value reads and writes, and refuses
values xlwings would not take (Decimal, enums). Every public attribute here must exist on the real
class of the same name in `xlwings.main`, with a compatible signature: tests/test_excel.py checks it.
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.utils import range_boundaries

# What a test reads or arranges through the stand-in, beyond xlwings' own attributes.
TEST_HELPERS = {
    "App": ("alerts", "answers", "status_history"),
    "Book": ("counter", "of_file"),
    "Sheet": ("cells", "hyperlinks", "number_formats", "extent", "deleted"),
}
# Attributes set on instances (plain attributes here, properties in xlwings).
INSTANCE_ATTRIBUTES = {
    "App": ("status_bar", "screen_updating", "calculation", "display_alerts"),
    "Table": ("show_totals",),
}


class ExcelError(str):
    """An error value in a cell (#N/A, #DIV/0!...)."""


class Counter:
    def __init__(self) -> None:
        self.reads = 0
        self.writes = 0
        self.hyperlinks = 0


def _cell(value: Any) -> Any:
    """What Excel stores for a value written through xlwings."""
    if value is None or isinstance(value, (str, bool, float, datetime)):
        if isinstance(value, str) and value.startswith("'"):
            return value[1:]
        return None if value == "" else value
    if isinstance(value, int):
        return float(value)
    if isinstance(value, date):
        return datetime.combine(value, time())
    raise TypeError(f"xlwings cannot write a {type(value).__name__} ({value!r})")


class App:
    def __init__(self) -> None:
        self.status_bar: str | bool = False
        self.screen_updating = True
        self.calculation = "automatic"
        self.display_alerts = True
        self.alerts: list[dict[str, Any]] = []
        self.answers: list[str] = []  # what the user clicks, in order; "ok"/"yes" when none is left
        self.status_history: list[str | bool] = []
        self._books: list[Book] = []

    @property
    def books(self) -> Books:
        return Books(self)

    def alert(self, prompt, title=None, buttons="ok", mode=None, callback=None):
        self.alerts.append({"prompt": prompt, "title": title, "buttons": buttons, "mode": mode})
        if self.answers:
            return self.answers.pop(0)
        return "yes" if buttons.startswith("yes") else "ok"

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "status_bar" and "status_history" in self.__dict__:
            self.status_history.append(value)
        if name == "calculation" and value not in ("manual", "automatic", "semiautomatic"):
            raise ValueError(value)
        object.__setattr__(self, name, value)


class Book:
    def __init__(self, fullname: Path | str, app: App | None = None) -> None:
        self._fullname = str(fullname)
        self._app = app or App()
        self._app._books.append(self)
        self._sheets: list[Sheet] = []
        self.counter = Counter()

    @property
    def name(self) -> str:
        return Path(self._fullname).name if not self._fullname.startswith("http") else self._fullname.rsplit("/", 1)[-1]

    @property
    def fullname(self) -> str:
        return self._fullname

    @property
    def app(self) -> App:
        return self._app

    @property
    def sheets(self) -> Sheets:
        return Sheets(self)

    @classmethod
    def of_file(cls, path: Path, app: App | None = None) -> Book:
        """The workbook file as Excel would hold it once opened: values and Excel Tables."""
        book = cls(Path(path).resolve(), app)
        source = openpyxl.load_workbook(path, data_only=True)
        for ws in source.worksheets:
            sheet = Sheet(book, ws.title)
            book._sheets.append(sheet)
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value is None:
                        continue
                    value = cell.value
                    if (
                        isinstance(value, str)
                        and value.startswith("#")
                        and value.rstrip("!?/0A").upper()
                        in ("#N", "#DIV", "#VALUE", "#REF", "#NAME", "#NUM", "#NULL", "#N/", "#SPILL", "#CALC")
                    ):
                        value = ExcelError(value)
                    elif not isinstance(value, ExcelError):
                        value = _cell(value)
                    sheet.cells[(cell.row, cell.column)] = value
            sheet.extent = (ws.max_row, ws.max_column)
            for table in ws.tables.values():
                min_col, min_row, max_col, max_row = range_boundaries(table.ref)
                sheet._tables.append(Table(sheet, table.displayName, (min_row, min_col, max_row, max_col)))
        return book


class Books:
    def __init__(self, app: App) -> None:
        self._app = app

    def __iter__(self):
        return iter(list(self._app._books))

    def __len__(self) -> int:
        return len(self._app._books)

    def open(self, fullname=None) -> Book:
        return Book.of_file(Path(fullname), self._app)


class Sheets:
    def __init__(self, book: Book) -> None:
        self._book = book

    def __iter__(self):
        return iter(list(self._book._sheets))

    def __len__(self) -> int:
        return len(self._book._sheets)

    def __getitem__(self, key: int | str) -> Sheet:
        if isinstance(key, int):
            return self._book._sheets[key]
        for sheet in self._book._sheets:
            if sheet.name.lower() == key.lower():
                return sheet
        raise KeyError(key)

    def add(self, name=None, before=None, after=None) -> Sheet:
        if any(s.name.lower() == (name or "").lower() for s in self._book._sheets):
            raise ValueError(f"a sheet named {name} exists")
        sheet = Sheet(self._book, name or f"Sheet{len(self._book._sheets) + 1}")
        position = len(self._book._sheets)
        if after is not None:
            position = self._book._sheets.index(after) + 1
        elif before is not None:
            position = self._book._sheets.index(before)
        self._book._sheets.insert(position, sheet)
        return sheet


class Sheet:
    def __init__(self, book: Book, name: str) -> None:
        self._book = book
        self._name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.hyperlinks: dict[tuple[int, int], str] = {}
        self.number_formats: dict[tuple[int, int], str] = {}
        self.extent = (1, 1)
        self._tables: list[Table] = []
        self.deleted = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def book(self) -> Book:
        return self._book

    @property
    def tables(self) -> Tables:
        return Tables(self)

    @property
    def used_range(self) -> Range:
        rows = max([self.extent[0], *(r for r, _ in self.cells)], default=1)
        cols = max([self.extent[1], *(c for _, c in self.cells)], default=1)
        return Range(self, (1, 1), (rows, cols))

    def range(self, cell1, cell2=None) -> Range:
        first = _address(cell1)
        return Range(self, first, _address(cell2) if cell2 is not None else first)

    def delete(self) -> None:
        self._book._sheets.remove(self)
        self.deleted = True

    def activate(self) -> None:
        pass


def _address(cell: Any) -> tuple[int, int]:
    if isinstance(cell, Range):
        return cell._first
    if isinstance(cell, tuple):
        return cell
    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    letters, row = coordinate_from_string(cell.replace("$", ""))
    return row, column_index_from_string(letters)


class _Count:
    def __init__(self, count: int) -> None:
        self.count = count


class Range:
    def __init__(self, sheet: Sheet, first: tuple[int, int], last: tuple[int, int], options: dict | None = None):
        self._sheet = sheet
        self._first = (min(first[0], last[0]), min(first[1], last[1]))
        self._last = (max(first[0], last[0]), max(first[1], last[1]))
        self._options = options or {}

    @property
    def sheet(self) -> Sheet:
        return self._sheet

    @property
    def row(self) -> int:
        return self._first[0]

    @property
    def column(self) -> int:
        return self._first[1]

    @property
    def rows(self) -> _Count:
        return _Count(self._last[0] - self._first[0] + 1)

    @property
    def columns(self) -> _Count:
        return _Count(self._last[1] - self._first[1] + 1)

    @property
    def last_cell(self) -> Range:
        return Range(self._sheet, self._last, self._last)

    def options(self, convert=None, **options) -> Range:
        return Range(self._sheet, self._first, self._last, {**self._options, **options})

    def _read(self, row: int, col: int) -> Any:
        value = self._sheet.cells.get((row, col))
        if isinstance(value, ExcelError):
            return str(value) if self._options.get("err_to_str") else None
        return value

    @property
    def value(self) -> Any:
        self._sheet.book.counter.reads += 1
        rows = [
            [self._read(r, c) for c in range(self._first[1], self._last[1] + 1)]
            for r in range(self._first[0], self._last[0] + 1)
        ]
        if self._options.get("ndim") == 2:
            return rows
        if len(rows) == 1 and len(rows[0]) == 1:
            return rows[0][0]
        if len(rows) == 1:
            return rows[0]
        if all(len(r) == 1 for r in rows):
            return [r[0] for r in rows]
        return rows

    @value.setter
    def value(self, data: Any) -> None:
        self._sheet.book.counter.writes += 1
        top, left = self._first
        if isinstance(data, (list, tuple)):
            rows = data if data and isinstance(data[0], (list, tuple)) else [data]
            for i, row in enumerate(rows):
                for j, value in enumerate(row):
                    self._put(top + i, left + j, value)
        else:
            for r in range(top, self._last[0] + 1):
                for c in range(left, self._last[1] + 1):
                    self._put(r, c, data)

    def _put(self, row: int, col: int, value: Any) -> None:
        stored = _cell(value)
        if stored is None:
            self._sheet.cells.pop((row, col), None)
            self._sheet.hyperlinks.pop((row, col), None)
        else:
            self._sheet.cells[(row, col)] = stored

    @property
    def number_format(self) -> str:
        return self._sheet.number_formats.get(self._first, "General")

    @number_format.setter
    def number_format(self, value: str) -> None:
        for r in range(self._first[0], self._last[0] + 1):
            for c in range(self._first[1], self._last[1] + 1):
                self._sheet.number_formats[(r, c)] = value

    def add_hyperlink(self, address, text_to_display=None, screen_tip=None) -> None:
        self._sheet.book.counter.hyperlinks += 1
        self._sheet.hyperlinks[self._first] = address
        self._put(*self._first, text_to_display if text_to_display is not None else address)

    def expand(self, mode="table") -> Range:
        row, col = self._first
        last_row, last_col = self._last
        if mode in ("table", "down", "d"):
            while self._sheet.cells.get((last_row + 1, col)) is not None:
                last_row += 1
        if mode in ("table", "right", "r"):
            while self._sheet.cells.get((row, last_col + 1)) is not None:
                last_col += 1
        return Range(self._sheet, self._first, (last_row, last_col), self._options)


class Tables:
    def __init__(self, sheet: Sheet) -> None:
        self._sheet = sheet

    def __iter__(self):
        return iter(list(self._sheet._tables))

    def __len__(self) -> int:
        return len(self._sheet._tables)

    def __getitem__(self, key: int | str) -> Table:
        if isinstance(key, int):
            return self._sheet._tables[key]
        return next(t for t in self._sheet._tables if t.name.lower() == key.lower())

    def add(
        self,
        source=None,
        name=None,
        source_type=None,
        link_source=None,
        has_headers=True,
        destination=None,
        table_style_name="TableStyleMedium2",
    ) -> Table:
        table = Table(self._sheet, name or f"Table{len(self._sheet._tables) + 1}", (*source._first, *source._last))
        self._sheet._tables.append(table)
        return table


class Table:
    def __init__(self, sheet: Sheet, name: str, bounds: tuple[int, int, int, int]) -> None:
        self._sheet = sheet
        self._name = name
        self._bounds = bounds  # first row, first column, last row, last column
        self.show_totals = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def range(self) -> Range:
        top, left, bottom, right = self._bounds
        return Range(self._sheet, (top, left), (bottom, right))

    @property
    def header_row_range(self) -> Range:
        top, left, _, right = self._bounds
        return Range(self._sheet, (top, left), (top, right))

    @property
    def data_body_range(self) -> Range | None:
        top, left, bottom, right = self._bounds
        return Range(self._sheet, (top + 1, left), (bottom, right)) if bottom > top else None

    def resize(self, range) -> None:
        if range.row != self._bounds[0]:
            raise ValueError("a table keeps its header row when resized")
        self._bounds = (*range._first, *range._last)

"""What every front door hands the commands: one workbook, read in bulk and written through `apply`.

A port is either a file on disk (`portal.workbook.file.FileWorkbook`, through openpyxl) or the
workbook open in Excel (`portal.workbook.excel.ExcelWorkbook`, through xlwings). Commands only use
the members below, so they never know which one they hold.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..domain.problems import UserError
from . import cells
from .grid import Grid

STATE_DIR = ".debtor-portal"  # beside the workbook: build manifest, publish state, backups, secret
REPORT_MARK = "Debtor Portal"  # the start of cell A1 of every report sheet


@dataclass(frozen=True)
class Changes:
    """What to write: managed cells by table key, sheet row (1-based) and column key; rows to append;
    report sheets to replace.

    A value is a str, Decimal, int, float, bool, date or datetime; None clears the cell.

    `sheets` maps a sheet name to its rows (row 1 first, column A first): the port makes that sheet hold
    exactly these values, as data (never formulas), creating it after the last sheet when missing, and
    clearing every other cell it held. A Decimal is shown as money, a date as a date. Cell A1 of a report
    sheet begins with `REPORT_MARK`; an existing non-empty sheet of that name whose A1 does not is the
    user's own: the port refuses (`UnsafeToWrite`) rather than replace it. No other sheet is touched.
    """

    cells: dict[str, dict[int, dict[str, object]]] = field(default_factory=dict)
    append: dict[str, list[dict[str, object]]] = field(default_factory=dict)
    lang: str = "en"  # the workbook's language: of any header, sheet or table name the port adds
    sheets: dict[str, list[list[object]]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return any(self.cells.values()) or any(self.append.values()) or bool(self.sheets)


@dataclass(frozen=True)
class Applied:
    """What `apply` did: where it wrote, what it kept, how much changed."""

    target: str  # the file written, or the open workbook's name
    backup: Path | None  # a byte-identical copy of the file before it was replaced in place
    cells: int  # cells whose value changed
    rows_added: dict[str, int]  # table key -> rows appended
    columns_added: tuple[str, ...] = ()  # "Sheet!Header" of each column added
    sheets: tuple[str, ...] = ()  # the report sheets written (a sheet that already held the rows is not)
    path: Path | None = None  # the file written, when the port writes files


class WorkbookPort(Protocol):
    @property
    def name(self) -> str:
        """How messages name the workbook (its file name, or the open book's name)."""
        ...

    @property
    def folder(self) -> Path:
        """The workbook's folder: user templates, invoice PDFs and the state folder live there."""
        ...

    def grids(self) -> list[Grid]:
        """Every sheet's values, read in one pass."""
        ...

    def apply(self, changes: Changes) -> Applied:
        """Write managed cells, append rows, replace report sheets; refuses (`UnsafeToWrite`) rather than damage."""
        ...

    def fingerprint(self) -> str:
        """A hash of what the workbook holds, to tell whether it changed since a build."""
        ...


class UnsafeToWrite(UserError):
    """Writing would lose or damage something in the user's workbook; nothing was written."""

    def __init__(self, message: str, items: tuple[str, ...] = ()):
        super().__init__(message)
        self.items = items


def state_dir(folder: Path) -> Path:
    """The folder beside a workbook (in its `folder`) where Debtor Portal keeps what it needs between runs."""
    return Path(folder).resolve() / STATE_DIR


def grids_fingerprint(grids: list[Grid]) -> str:
    """The same for the same values, whichever port read them (Excel gives floats where openpyxl gives ints)."""
    digest = hashlib.sha256()
    for grid in grids:
        digest.update(b"\x1e" + grid.name.encode("utf-8"))
        for row in grid.rows:
            digest.update(b"\x1d" + "\x1f".join(cells.text(v) for v in row).rstrip("\x1f").encode("utf-8"))
    return digest.hexdigest()

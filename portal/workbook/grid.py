"""One sheet's values as every port reads them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def column_letter(number: int) -> str:
    """Excel's name for column `number` (1-based): A to Z, then AA, AB and so on."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _empty(value: object) -> bool:
    return value is None or value == ""


def _width(row: tuple[object, ...]) -> int:
    """One past the last cell of the row that holds something."""
    for i in range(len(row) - 1, -1, -1):
        if not _empty(row[i]):
            return i + 1
    return 0


@dataclass(frozen=True)
class Grid:
    """One sheet's cell values, row by row from A1; rows are padded to the same width."""

    name: str
    rows: tuple[tuple[object, ...], ...]

    @classmethod
    def of(cls, name: str, rows: Iterable[Sequence[object]]) -> Grid:
        """The grid in its one form, whichever reader gave the rows: padded, without trailing empty rows
        or columns (a file's stated size and Excel's used range may count cells that hold nothing)."""
        kept = [tuple(row) for row in rows]
        while kept and all(_empty(v) for v in kept[-1]):
            kept.pop()
        width = max(map(_width, kept), default=0)
        return cls(name, tuple(row[:width] + (None,) * (width - len(row)) for row in kept))

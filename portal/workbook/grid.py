"""One sheet's values as every port reads them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    """One sheet's cell values, row by row from A1; rows are padded to the same width."""

    name: str
    rows: tuple[tuple[object, ...], ...]

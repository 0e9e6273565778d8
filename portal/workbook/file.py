"""The workbook port for an .xlsx file on disk: read with python-calamine, written through the safe writer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .grid import Grid
from .port import Applied, Changes, grids_fingerprint
from .xlsx.grids import read_grids


@dataclass(frozen=True)
class FileWorkbook:
    """A workbook file. Reading never changes it; `apply` writes a dated copy beside it, or, with
    `in_place`, replaces it after keeping a backup. `now` names the copy and the backup."""

    path: Path
    now: datetime | None = None
    in_place: bool = False
    out: Path | None = None

    @property
    def name(self) -> str:
        return str(self.path)

    @property
    def folder(self) -> Path:
        return Path(self.path).resolve().parent

    def grids(self) -> list[Grid]:
        return read_grids(self.path)

    def fingerprint(self) -> str:
        return grids_fingerprint(self.grids())

    def apply(self, changes: Changes) -> Applied:
        if self.now is None:
            raise ValueError("this workbook was opened for reading only: give `now` to write to it")
        from .xlsx.write import write_workbook_changes  # openpyxl, loaded only by the commands that write

        return write_workbook_changes(Path(self.path), changes, now=self.now, in_place=self.in_place, out=self.out)

    def written(self, applied: Applied) -> FileWorkbook:
        """The workbook that holds the changes: this file when written in place, else the copy."""
        return self if applied.path is None else FileWorkbook(applied.path, self.now, self.in_place, self.out)

"""The commands behind both front doors (the CLI and the Excel ribbon).

Each takes a workbook port (anything with `.path` and `.grids()`) and options, and
returns a result object; the front door decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from . import sample, validate
from .ledger import Ledger
from .problems import ERROR, Problem, errors, warnings
from .reading import Reading, read_ledger, setting_places
from .workbook_file import Grid
from .workbook_template import write_workbook


class WorkbookPort(Protocol):
    path: Path

    def grids(self) -> list[Grid]: ...


@dataclass(frozen=True)
class Loaded:
    """A workbook read and checked: the Ledger (None when unreadable as one) and every problem."""

    ledger: Ledger | None
    problems: tuple[Problem, ...]
    reading: Reading

    @property
    def errors(self) -> list[Problem]:
        return errors(list(self.problems))

    @property
    def warnings(self) -> list[Problem]:
        return warnings(list(self.problems))


def load(workbook: WorkbookPort, creditor: dict[str, str] | None = None) -> Loaded:
    """Read every table once and run every check."""
    overrides = creditor or {}
    grids = workbook.grids()
    reading = read_ledger(grids, overrides)
    problems = list(reading.problems)
    if reading.ledger is not None:
        problems += validate.check(reading, setting_places(grids, overrides))
    problems.sort(key=lambda p: (p.severity != ERROR, p.where.sheet, p.where.row or 0))
    return Loaded(reading.ledger, tuple(problems), reading)


@dataclass(frozen=True)
class CheckResult:
    workbook: Path
    problems: tuple[Problem, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if errors(list(self.problems)) else 0

    def to_json(self) -> dict:
        return {"workbook": str(self.workbook), "ok": self.exit_code == 0,
                "errors": [p.to_json() for p in errors(list(self.problems))],
                "warnings": [p.to_json() for p in warnings(list(self.problems))], "counts": self.counts}


def check(workbook: WorkbookPort, creditor: dict[str, str] | None = None) -> CheckResult:
    loaded = load(workbook, creditor)
    ledger = loaded.ledger
    counts = {} if ledger is None else {
        "customers": len(ledger.customers), "invoices": len(ledger.invoices), "payments": len(ledger.payments),
        "installments": len(ledger.installments), "log": len(ledger.log)}
    return CheckResult(workbook.path, loaded.problems, counts)


@dataclass(frozen=True)
class InitResult:
    path: Path
    sample: bool


def init(path: Path, *, with_sample: bool = False, lang: str = "en", overwrite: bool = False) -> InitResult:
    """Write a new template workbook, optionally with the sample data."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists: choose another name, or pass --force to replace it.")
    if with_sample:
        write_workbook(path, lang=lang, settings=sample.SETTINGS, rows=sample.sample_rows())
    else:
        write_workbook(path, lang=lang)
    return InitResult(path, with_sample)

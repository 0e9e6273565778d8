"""The commands behind both front doors (the CLI and the Excel ribbon).

Each takes a workbook port (anything with `.path` and `.grids()`) and options, and
returns a result object; the front door decides how to show it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

from . import dunning, sample, site, tokens, validate
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


STATE_DIR = ".debtor-portal"  # beside the workbook: build manifest, publish state


class Refused(Exception):
    """A command will not act on a workbook with errors; `problems` lists them."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems


def state_dir(workbook: WorkbookPort) -> Path:
    return Path(workbook.path).resolve().parent / STATE_DIR


def assessed(workbook: WorkbookPort, *, today: date, as_of: date | None = None,
             creditor: dict[str, str] | None = None) -> tuple[Loaded, dunning.Assessment]:
    """Read, check and assess: the date is the one given, else the workbook's "as of", else today."""
    loaded = load(workbook, creditor)
    if loaded.errors:
        raise Refused(f"{workbook.path} has {len(loaded.errors)} error(s): run 'debtor-portal check' and correct "
                      "them first.", loaded.problems)
    ledger = loaded.ledger
    return loaded, dunning.assess(ledger, as_of or ledger.creditor.as_of or today)


@dataclass(frozen=True)
class BuildOutcome:
    site: site.BuildResult
    assessment: dunning.Assessment
    warnings: tuple[Problem, ...]


def build(workbook: WorkbookPort, *, today: date, out_dir: Path, as_of: date | None = None,
          creditor: dict[str, str] | None = None, secret_file: Path | None = None) -> BuildOutcome:
    """Check the workbook, assess it and write the portal to `out_dir`."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    try:
        secret = tokens.load_secret(secret_file)
    except tokens.SecretError as exc:
        raise Refused(str(exc)) from None
    try:
        result = site.build_site(assessment, out_dir, secret, Path(workbook.path),
                                 manifest=state_dir(workbook) / "build.json")
    except site.BuildError as exc:
        raise Refused(str(exc)) from None
    return BuildOutcome(result, assessment, tuple(loaded.warnings))

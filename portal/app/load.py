"""Reading a workbook once: the Ledger, every problem, and the assessment as of a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING

from ..domain.ledger import Ledger, Where
from ..domain.problems import ERROR, Problem, errors, warnings
from ..render import sources
from ..workbook import validate
from ..workbook.grid import Grid
from ..workbook.port import WorkbookPort, grids_fingerprint
from ..workbook.read import Reading, read_ledger, setting_places
from .errors import Refused

if TYPE_CHECKING:
    from ..domain.dunning import Assessment


@dataclass(frozen=True)
class Loaded:
    """A workbook read and checked: the Ledger (None when unreadable as one) and every problem."""

    ledger: Ledger | None
    problems: tuple[Problem, ...]
    reading: Reading
    grids: list[Grid] = field(repr=False, compare=False)

    @cached_property
    def fingerprint(self) -> str:
        """Of the values read, to tell later whether the workbook changed."""
        return grids_fingerprint(self.grids)

    @property
    def errors(self) -> list[Problem]:
        return errors(list(self.problems))

    @property
    def warnings(self) -> list[Problem]:
        return warnings(list(self.problems))


def load(workbook: WorkbookPort, creditor: dict[str, str] | None = None, grids: list[Grid] | None = None) -> Loaded:
    """Read every table once (or take the `grids` already read from it) and run every check."""
    overrides = creditor or {}
    grids = workbook.grids() if grids is None else grids
    reading = read_ledger(grids, overrides)
    problems = list(reading.problems)
    if reading.ledger is not None:
        places = setting_places(grids, overrides)
        problems += validate.check(reading, places)
        try:
            sources.logo_source(reading.ledger.creditor.logo, workbook.folder)
        except sources.BuildError as exc:
            fix = "Put a PNG, JPEG or SVG file in the workbook's folder and give its name, or clear the setting."
            message = str(exc).removeprefix(f"{sources.LOGO_PLACE}: ")
            problems.append(Problem(ERROR, "invalid_logo", places.get("logo") or Where("Settings"), message, fix))
    problems.sort(key=lambda p: (p.severity != ERROR, p.where.sheet, p.where.row or 0))
    return Loaded(reading.ledger, tuple(problems), reading, grids)


def assessed(
    workbook: WorkbookPort,
    *,
    today: date,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    grids: list[Grid] | None = None,
) -> tuple[Loaded, Assessment]:
    """Read, check and assess: the date is the one given, else the workbook's "as of", else today."""
    from ..domain import dunning  # the law and the calendars: loaded by the commands that assess

    loaded, ledger = checked(workbook, creditor, grids=grids)
    return loaded, dunning.assess(ledger, as_of or ledger.creditor.as_of or today)


def checked(
    workbook: WorkbookPort,
    creditor: dict[str, str] | None = None,
    *,
    then: str = "run 'debtor-portal check' and correct them first.",
    grids: list[Grid] | None = None,
) -> tuple[Loaded, Ledger]:
    """Read and check, refusing a workbook with errors (`then` says what to do); the ledger it gives."""
    loaded = load(workbook, creditor, grids)
    if loaded.errors or loaded.ledger is None:
        raise Refused(f"{workbook.name} has {len(loaded.errors)} error(s): {then}", loaded.problems)
    return loaded, loaded.ledger


def law_warnings(assessment: Assessment) -> list[str]:
    """What the legal computations want the user to know (e.g. a rate table to update), once each."""
    found = {w for state in assessment.invoices if state.claim for w in state.claim.warnings}
    found |= {str(p.get("why")) for state in assessment.invoices for p in state.reason if p.key == "no_rate"}
    return sorted(found)

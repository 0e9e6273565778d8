"""Problems found in a workbook, each saying where it is, what was found and how to fix it."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from .ledger import Where

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Problem:
    severity: str  # ERROR stops a build; WARNING is worth a look
    code: str  # stable key for machines, e.g. "invalid_iban"
    where: Where
    message: str  # what is wrong
    fix: str  # how to fix it
    value: str = ""  # what the cell holds, as text

    def __str__(self) -> str:
        found = f" (found: {self.value!r})" if self.value else ""
        return f"{self.severity.upper()}: {self.where}: {self.message}{found}. {self.fix}"

    def to_json(self) -> dict:
        data = asdict(self)
        data["where"] = {k: v for k, v in asdict(self.where).items() if v is not None}
        return data


class UserError(Exception):
    """A failure the user can act on: its message says what is wrong and what to do (front doors show
    it without a traceback; `app.errors` says how)."""


class Unreadable(UserError):
    """A file that cannot be read as what it should be at all."""


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]

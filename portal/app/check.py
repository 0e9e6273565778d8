"""`check`: every problem of a workbook, with where it is and how to fix it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..domain.problems import Problem, errors, warnings
from ..workbook.port import WorkbookPort
from .load import load


@dataclass(frozen=True)
class CheckResult:
    workbook: str
    problems: tuple[Problem, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if errors(list(self.problems)) else 0

    def to_json(self) -> dict:
        return {
            "workbook": str(self.workbook),
            "ok": self.exit_code == 0,
            "errors": [p.to_json() for p in errors(list(self.problems))],
            "warnings": [p.to_json() for p in warnings(list(self.problems))],
            "counts": self.counts,
        }


def check(workbook: WorkbookPort, creditor: dict[str, str] | None = None) -> CheckResult:
    loaded = load(workbook, creditor)
    ledger = loaded.ledger
    counts = (
        {}
        if ledger is None
        else {
            "customers": len(ledger.customers),
            "invoices": len(ledger.invoices),
            "payments": len(ledger.payments),
            "installments": len(ledger.installments),
            "log": len(ledger.log),
        }
    )
    return CheckResult(workbook.name, loaded.problems, counts)

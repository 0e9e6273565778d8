"""`refresh`: the managed columns of every invoice, written into the workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain import dunning
from ..render import site, tokens
from ..workbook.port import Applied, Changes, WorkbookPort
from .load import assessed, secret


def managed_values(assessment: dunning.Assessment, secret: tokens.Secret) -> dict[int, dict[str, object]]:
    """The Invoices table's managed columns, by sheet row, as Refresh writes them."""
    creditor = assessment.ledger.creditor
    rows = {}
    for state in assessment.invoices:
        if state.invoice.where is None:
            continue
        link = site.page_link(secret, creditor, "i", state.invoice.number)
        rows[state.invoice.where.row] = {
            "paid": state.paid,
            "balance": state.balance,
            "status": state.status,
            "days_overdue": max(state.days_overdue, 0) if state.balance > 0 else 0,
            "stage": dunning.stage_label(state.stage) if state.stage else "",
            "next_action": state.reason,
            "next_action_date": state.next_action_date,
            "last_reminder": state.last_reminder,
            "portal_link": site.absolute_url(creditor, link) if state.balance > 0 or state.paid_on else "",
        }
    return rows


@dataclass(frozen=True)
class RefreshOutcome:
    assessment: dunning.Assessment
    written: Applied


def refresh(
    workbook: WorkbookPort,
    *,
    today: date,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
) -> RefreshOutcome:
    """Write status, balance, stage, next action and portal link of every invoice into the workbook."""
    _, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    changes = Changes(cells={"invoices": managed_values(assessment, secret(secret_file))})
    return RefreshOutcome(assessment, workbook.apply(changes))

"""`refresh`: the managed columns of every invoice, written into the workbook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain import dunning
from ..domain.allocation import Unmatched
from ..render import i18n, site, templating, tokens
from ..render.workbook_text import describe, stage_label, status_label
from ..workbook.port import Applied, Changes, WorkbookPort
from .actions import week_actions
from .load import assessed
from .report import overview_sheet


def managed_values(
    assessment: dunning.Assessment, secret: tokens.Secret, f: i18n.Formatter
) -> dict[int, dict[str, object]]:
    """The Invoices table's managed columns, by sheet row, as Refresh writes them (words in `f`'s language)."""
    creditor = assessment.ledger.creditor
    rows = {}
    for state in assessment.invoices:
        if state.invoice.where is None or state.invoice.where.row is None:
            continue
        link = site.page_link(secret, creditor, "i", state.invoice.number)
        rows[state.invoice.where.row] = {
            "paid": state.paid,
            "balance": state.balance,
            "status": status_label(state.status, f),
            "days_overdue": max(state.days_overdue, 0) if state.balance > 0 else 0,
            "stage": stage_label(state.stage, f) if state.stage else "",
            "next_action": describe(state.reason, f),
            "next_action_date": state.next_action_date,
            "last_reminder": state.last_reminder,
            "portal_link": site.absolute_url(creditor, link) if state.balance > 0 or state.paid_on else "",
        }
    return rows


@dataclass(frozen=True)
class RefreshOutcome:
    assessment: dunning.Assessment
    written: Applied

    @property
    def unmatched(self) -> tuple[Unmatched, ...]:
        """Payments that settle no invoice: shown to the user, never silently dropped."""
        return self.assessment.unmatched_payments


def refresh(
    workbook: WorkbookPort,
    *,
    today: date,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
) -> RefreshOutcome:
    """Write status, balance, stage, next action and portal link of every invoice into the workbook, and
    the Actions sheet (this week's follow-up) and the Overview sheet."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    lang = loaded.reading.language
    f = i18n.formatter(
        lang, assessment.ledger.creditor.country, i18n.load_messages(templating.environment(workbook.folder))
    )
    week = week_actions(assessment, f)
    changes = Changes(
        cells={"invoices": managed_values(assessment, tokens.workbook_secret(workbook.folder, secret_file), f)},
        lang=lang,
        sheets={week.sheet: week.rows, **dict([overview_sheet(assessment, f)])},
    )
    return RefreshOutcome(assessment, workbook.apply(changes))

"""`actions`: this week's follow-up, per customer, the largest amount at risk first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..domain import actions, dunning
from ..render import actions as text
from ..render import i18n, templating
from ..workbook.port import WorkbookPort
from .load import assessed


@dataclass(frozen=True)
class ActionsOutcome:
    assessment: dunning.Assessment
    weeks: tuple[actions.CustomerWeek, ...]
    lang: str
    sheet: str  # the Actions sheet's name in the workbook's language
    rows: list[list[object]]  # the Actions sheet
    lines: list[str]  # the same for a terminal


def workbook_formatter(workbook: WorkbookPort, lang: str, country: str) -> i18n.Formatter:
    """The words of the workbook's language (user templates first)."""
    return i18n.formatter(lang, country, i18n.load_messages(templating.environment(workbook.folder)))


def week_actions(assessment: dunning.Assessment, f: i18n.Formatter) -> ActionsOutcome:
    weeks = actions.week(assessment)
    days, as_of = actions.WEEK_DAYS, assessment.as_of
    return ActionsOutcome(
        assessment,
        weeks,
        f.lang,
        text.sheet_name(f),
        text.sheet_rows(weeks, as_of, days, f),
        text.text_lines(weeks, as_of, days, f),
    )


def actions_for(
    workbook: WorkbookPort, *, today: date, as_of: date | None = None, creditor: dict[str, str] | None = None
) -> ActionsOutcome:
    """The week's actions, read from the workbook (nothing is written)."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    f = workbook_formatter(workbook, loaded.reading.language, assessment.ledger.creditor.country)
    return week_actions(assessment, f)

"""`report`: the overview for the creditor, as a local HTML page that is never published."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain import dunning
from ..domain.overview import Overview, overview
from ..render import i18n
from ..render import report as page
from ..workbook.port import WorkbookPort, state_dir
from .actions import workbook_formatter
from .errors import Refused
from .load import assessed

SITE_FOLDER = "site_out"


@dataclass(frozen=True)
class ReportOutcome:
    assessment: dunning.Assessment
    overview: Overview
    path: Path


def default_path(workbook: WorkbookPort, as_of: date) -> Path:
    """In the state folder beside the workbook, which nothing publishes."""
    return state_dir(workbook.folder) / "reports" / f"overview-{as_of:%Y-%m-%d}.html"


def overview_sheet(assessment: dunning.Assessment, f: i18n.Formatter) -> tuple[str, list[list[object]]]:
    """The Overview sheet Refresh writes: its name and rows."""
    return page.sheet_name(f), page.sheet_rows(overview(assessment), f)


def _refuse_site(path: Path, workbook: WorkbookPort) -> None:
    site = (workbook.folder / SITE_FOLDER).resolve()
    target = path.resolve()
    if target == site or site in target.parents:
        raise Refused(
            f"{path} is inside {site}, which is published: the overview is for you only. "
            "Write it elsewhere (--out overview.html) or leave --out out."
        )


def report(
    workbook: WorkbookPort,
    *,
    today: date,
    out: Path | None = None,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
) -> ReportOutcome:
    """Write the overview page for the workbook as of a date; never into the site folder."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    path = Path(out) if out is not None else default_path(workbook, assessment.as_of)
    _refuse_site(path, workbook)
    f = workbook_formatter(workbook, loaded.reading.language, assessment.ledger.creditor.country)
    ov = overview(assessment)
    html = page.render_html(ov, assessment.ledger.creditor, f, workbook.folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html, encoding="utf-8")
    return ReportOutcome(assessment, ov, path)

"""End to end: the sample workbook, a bank statement paying three of its invoices (one partly), then
import → refresh → build → remind, as the ribbon's buttons run them."""

from __future__ import annotations

import html
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from portal.app import build, refresh, remind
from portal.app.import_bank import import_bank
from portal.app.load import assessed
from portal.workbook.file import FileWorkbook

from .bankfiles import Entry
from .bankfiles import camt053 as write_camt

TODAY = date(2026, 11, 16)  # the sample's "as of" date
NOW = datetime(2026, 11, 16, 8, 0)
# 2026-0067 EuroLex Translations (en) 5010.97 and 2026-0119 Eupener Holzbau GmbH (de) 144.33 are due for a
# first reminder in the sample; 2026-0003 Architectenbureau Goossens (nl) 2776.78 is not due yet.
STATEMENT = [
    Entry("5010.97", date(2026, 11, 12), "E2E-1", ogm="002026006765", name="EuroLex Translations Ltd"),
    Entry("144.33", date(2026, 11, 13), "E2E-2", text="Rechnung 2026-0119 danke", name="Eupener Holzbau"),
    Entry("1000.00", date(2026, 11, 13), "E2E-3", text="Voorschot +++002/0260/00301+++", name="Goossens"),
]
PAID, PARTLY = ("2026-0067", "2026-0119"), "2026-0003"


def _page(out: Path, outcome: build.BuildOutcome, number: str) -> str:
    return html.unescape((out / outcome.site.invoice_pages[number].path / "index.html").read_text("utf-8"))


def test_a_statement_paying_three_invoices_stops_their_reminders(sample_copy: Path, tmp_path: Path):
    secret = tmp_path / "secret"
    _, before = assessed(FileWorkbook(sample_copy), today=TODAY)
    assert {s.invoice.number for s in before.due_actions()} >= set(PAID)
    assert before.invoice(PARTLY).status == "not_due"

    statement = tmp_path / "statement.xml"
    statement.write_bytes(write_camt(STATEMENT, "08"))
    imported = import_bank(FileWorkbook(sample_copy, now=NOW, in_place=True), [statement], today=TODAY)
    assert [d.outcome.value for d in imported.decisions] == ["matched"] * 3
    assert imported.rows_added == 3

    workbook = FileWorkbook(sample_copy, now=NOW, in_place=True)
    refreshed = refresh.refresh(workbook, today=TODAY, secret_file=secret)
    states = {n: refreshed.assessment.invoice(n) for n in (*PAID, PARTLY)}
    assert [states[n].status for n in PAID] == ["paid", "paid"]
    assert states[PARTLY].status == "partly_paid" and states[PARTLY].balance == Decimal("1776.78")

    out = tmp_path / "site_out"
    built = build.build(FileWorkbook(sample_copy), today=TODAY, out_dir=out, secret_file=secret)
    assert "We have received your payment. Thank you!" in _page(out, built, "2026-0067")
    assert "Wir haben Ihre Zahlung erhalten. Vielen Dank!" in _page(out, built, "2026-0119")
    partly = _page(out, built, PARTLY)
    assert "Reeds betaald" in partly and "1.000,00" in partly and "1.776,78" in partly

    reminded = remind.remind(workbook, today=TODAY, outbox=tmp_path / "outbox", secret_file=secret)
    assert reminded.prepared, "the sample still has other reminders due"
    assert not {p.invoice for p in reminded.prepared} & {*PAID, PARTLY}

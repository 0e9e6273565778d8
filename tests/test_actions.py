"""This week's actions: the Actions sheet Refresh writes, read back with openpyxl, against expectations
worked out by hand from the sample's rows and from small workbooks written for the purpose."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest

from portal.app import refresh
from portal.app.actions import actions_for
from portal.front.cli import main
from portal.workbook import sample
from portal.workbook.file import FileWorkbook
from portal.workbook.template import write_workbook

NOW = datetime(2026, 11, 16, 9, 0)
AS_OF = sample.AS_OF


def _sheet(path, title="Actions"):
    return [list(r) for r in openpyxl.load_workbook(path)[title].iter_rows(values_only=True)]


@pytest.mark.slow
def test_the_sample_actions_sheet_as_of_its_date(sample_copy):
    applied = refresh.refresh(FileWorkbook(sample_copy, now=NOW, in_place=True), today=AS_OF).written
    assert "Actions" in applied.sheets
    rows = _sheet(sample_copy)
    assert rows[0][0] == "Debtor Portal — actions for the week of 16/11/2026 to 22/11/2026"
    assert rows[2][:11] == [
        "Customer",
        "Name",
        "Amount at risk",
        "To do",
        "Stage",
        "Channel",
        "Invoices",
        "Amount",
        "Date",
        "Phone",
        "Note",
    ]
    body = [r[:9] for r in rows[3:]]
    # Worked out from the sample's Invoices, Payments and Log sheets: C032's two invoices had their formal
    # notice more than 15 days ago and are still unpaid (hand over, and call first), C030 has three such,
    # plus 2026-0067 nine days late with only the nudge sent (reminder 1 due since 08/11); C002's 2026-0023
    # is disputed (waiting); C040's 2026-0017 had reminder 2 on 08/10 and its formal notice is due.
    expected_top = [
        [
            "C032",
            "Sarah O'Connor",
            9466.96,
            "Hand the file over",
            "Handover to collection",
            None,
            "2026-0033, 2026-0113",
            9466.96,
            datetime(2026, 9, 15),
        ],
        [
            "C032",
            "Sarah O'Connor",
            9466.96,
            "Call",
            None,
            "phone",
            "2026-0033, 2026-0113",
            9466.96,
            datetime(2026, 11, 16),
        ],
        [
            "C030",
            "EuroLex Translations",
            8967.12,
            "Hand the file over",
            "Handover to collection",
            None,
            "2026-0027, 2026-0107, 2026-0147",
            3956.15,
            datetime(2026, 8, 25),
        ],
        [
            "C030",
            "EuroLex Translations",
            8967.12,
            "Call",
            None,
            "phone",
            "2026-0027, 2026-0107, 2026-0147",
            3956.15,
            datetime(2026, 11, 16),
        ],
        [
            "C030",
            "EuroLex Translations",
            8967.12,
            "Send",
            "Reminder 1",
            "e-mail",
            "2026-0067",
            5010.97,
            datetime(2026, 11, 8),
        ],
        [
            "C002",
            "Cabinet Lambert & Associés",
            7315.59,
            "Hand the file over",
            "Handover to collection",
            None,
            "2026-0063, 2026-0103",
            545.86,
            datetime(2026, 10, 6),
        ],
        [
            "C002",
            "Cabinet Lambert & Associés",
            7315.59,
            "Call",
            None,
            "phone",
            "2026-0063, 2026-0103",
            545.86,
            datetime(2026, 11, 16),
        ],
        [
            "C002",
            "Cabinet Lambert & Associés",
            7315.59,
            "Waiting on the debtor",
            None,
            None,
            "2026-0023",
            6769.73,
            None,
        ],
        [
            "C040",
            "Lena Hoffmann",
            5755.62,
            "Send by registered post",
            "Formal notice",
            "registered post",
            "2026-0017",
            7.54,
            datetime(2026, 10, 24),
        ],
    ]
    assert body[: len(expected_top)] == expected_top
    at_risk = [r[2] for r in body]
    assert at_risk == sorted(at_risk, reverse=True)
    # The plan on schedule (C008) waits with nothing at risk; the invoice on hold and the written-off one are absent.
    plan = [r for r in body if r[0] == "C008"]
    assert plan == [
        [
            "C008",
            "Studio Graphique Lumen",
            0,
            "Waiting on the debtor",
            None,
            None,
            "2026-0001",
            36000,
            datetime(2026, 11, 21),
        ]
    ]
    listed = {i for r in body for i in (r[6] or "").split(", ")}
    assert "2026-0037" not in listed and "2026-0058" not in listed
    call = next(r for r in rows[3:] if r[0] == "C032" and r[3] == "Call")
    assert (
        call[9].startswith("+32 ")
        and "Call on __/__" in call[10]
        and "2026-0033: Formal notice sent on 15/10/2026" in call[10]
    )
    # Running Refresh again replaces the sheet: same rows, nothing else added.
    refresh.refresh(FileWorkbook(sample_copy, now=NOW, in_place=True), today=AS_OF)
    assert _sheet(sample_copy) == rows
    assert openpyxl.load_workbook(sample_copy).sheetnames.count("Actions") == 1


def _small(path, log, lang="en", **invoice):
    customer = {
        "id": "K1",
        "name": "Klant Een BV",
        "language": "nl",
        "kind": "B2B",
        "email": "een@example.be",
        "phone": "+32 2 000 00 01",
        "scenario": "standard",
    }
    rows = {
        "customers": [customer, {**customer, "id": "K2", "name": "Zonder Mail", "email": "", "phone": ""}],
        "invoices": [
            {
                "number": "A-1",
                "customer_id": "K1",
                "issue_date": AS_OF - timedelta(days=60),
                "due_date": AS_OF - timedelta(days=30),
                "amount": Decimal("1000.00"),
                **invoice,
            },
            {
                "number": "A-2",
                "customer_id": "K2",
                "issue_date": AS_OF - timedelta(days=34),
                "due_date": AS_OF - timedelta(days=4),
                "amount": Decimal("250.00"),
            },
        ],
        "log": log,
    }
    return write_workbook(path, lang=lang, settings=sample.SETTINGS, rows=rows)


def test_promises_disputes_and_channels_from_the_log(tmp_path):
    sent = [
        {"date": AS_OF - timedelta(days=d), "customer_id": "K1", "invoice": "A-1", "channel": "email", "action": s}
        for s, d in (("reminder_1", 27), ("reminder_2", 16))
    ]
    promise = {
        "date": AS_OF - timedelta(days=2),
        "customer_id": "K1",
        "invoice": "A-1",
        "channel": "phone",
        "action": "Promesse",
        "note": "paiera le 20/11/2026",
    }
    book = _small(tmp_path / "p.xlsx", [*sent, promise])
    weeks = actions_for(FileWorkbook(book), today=AS_OF).weeks
    k1 = next(w for w in weeks if w.customer.id == "K1")
    assert [(a.todo, a.invoices, a.day) for a in k1.actions] == [("wait", ("A-1",), date(2026, 11, 20))]
    k2 = next(w for w in weeks if w.customer.id == "K2")  # no e-mail address: reminder 1 goes by post
    assert [(a.todo, a.stage, a.channel) for a in k2.actions] == [("post", "reminder_1", "post")]

    broken = {**promise, "note": "paiera le 12/11/2026"}
    book = _small(tmp_path / "b.xlsx", [*sent, broken])
    k1 = next(w for w in actions_for(FileWorkbook(book), today=AS_OF).weeks if w.customer.id == "K1")
    todo = {a.todo: a for a in k1.actions}
    assert todo["registered"].stage == "formal_notice" and todo["registered"].channel == "registered"
    assert todo["call"].amount == Decimal("1000.00")
    found = actions_for(FileWorkbook(book), today=AS_OF)
    note = next(r for r in found.rows[3:] if r[0] == "K1" and r[3] == "Call")[10]
    assert "promise to pay by 12/11/2026 not kept (noted on 14/11/2026)" in note

    dispute = {**promise, "action": "betwisting", "note": "levering onvolledig"}
    book = _small(tmp_path / "d.xlsx", [*sent, dispute], lang="nl")
    found = actions_for(FileWorkbook(book), today=AS_OF)
    assert found.sheet == "Acties" and found.rows[2][3] == "Te doen"
    row = next(r for r in found.rows[3:] if r[0] == "K1")
    assert row[3] == "Wacht op de klant" and "levering onvolledig" in row[10]


def test_the_actions_command_prints_the_week(capsys):
    assert main(["actions", str(sample.__file__).replace("portal/workbook/sample.py", "workbook/sample.xlsx")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Debtor Portal — actions for the week of 16/11/2026 to 22/11/2026")
    assert "C032  Sarah O'Connor" in out

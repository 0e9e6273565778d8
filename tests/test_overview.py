"""The overview: figures against values worked out by hand on a small workbook; the page in a real
Chromium (axe, WCAG 2.1 AA; no request leaves the page); the Overview sheet Refresh writes."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from portal.app import refresh
from portal.app.load import assessed
from portal.domain.overview import count_back_dso, overview
from portal.front.cli import main
from portal.workbook import sample
from portal.workbook.file import FileWorkbook
from portal.workbook.template import write_workbook

from .axe import axe_report

AS_OF = date(2026, 11, 16)  # a Monday
D = Decimal


def _fixture(path):
    """Two customers, six invoices. Worked by hand in the tests below."""
    k1 = {"id": "K1", "name": "Klant Een BV", "language": "nl", "kind": "B2B", "email": "een@example.be"}
    k2 = {**k1, "id": "K2", "name": "Client Deux SRL", "language": "fr", "email": "deux@example.be"}

    def invoice(number, customer, issued, due, amount, **more):
        return {
            "number": number,
            "customer_id": customer,
            "issue_date": issued,
            "due_date": due,
            "amount": D(amount),
            **more,
        }

    def paid(day, amount, number):
        return {"date": day, "amount": D(amount), "invoice": number, "source": "bank"}

    rows = {
        "customers": [k1, k2],
        "invoices": [
            invoice("A-1", "K1", date(2026, 10, 1), date(2026, 10, 31), "1000.00"),  # open, 16 days late
            invoice("A-2", "K1", date(2026, 8, 1), date(2026, 8, 31), "600.00"),  # paid 10 days late
            invoice(
                "A-3", "K1", date(2026, 7, 1), date(2026, 7, 31), "400.00"
            ),  # paid 20 days late, 5 after reminder 1
            invoice("A-4", "K2", date(2026, 11, 10), date(2026, 12, 10), "300.00"),  # not due
            invoice("A-5", "K2", date(2026, 6, 1), date(2026, 7, 1), "500.00"),  # 200 paid, 138 days late
            invoice("A-6", "K2", date(2026, 9, 1), date(2026, 10, 1), "100.00", written_off="yes"),
        ],
        "payments": [
            paid(date(2026, 9, 10), "600.00", "A-2"),
            paid(date(2026, 8, 20), "400.00", "A-3"),
            paid(date(2026, 7, 5), "200.00", "A-5"),
        ],
        "log": [
            {
                "date": date(2026, 8, 15),
                "customer_id": "K1",
                "invoice": "A-3",
                "channel": "email",
                "action": "reminder_1",
            },
            {
                "date": date(2026, 11, 10),
                "customer_id": "K1",
                "invoice": "A-1",
                "channel": "email",
                "action": "reminder_1",
            },
        ],
    }
    settings = {**sample.SETTINGS, "as_of": AS_OF}
    return write_workbook(path, settings=settings, rows=rows)


@pytest.fixture
def fixture_book(tmp_path):
    return _fixture(tmp_path / "small.xlsx")


def test_figures_match_the_hand_computation(fixture_book):
    _, assessment = assessed(FileWorkbook(fixture_book), today=AS_OF)
    ov = overview(assessment)
    # Open: A-1 1000 (16 days late), A-4 300 (not due), A-5 300 (138 days late); A-6 written off.
    assert ov.outstanding == D("1600.00") and ov.overdue == D("1300.00")
    assert ov.ageing == (
        ("not_due", D("300.00"), 1),
        ("1_30", D("1000.00"), 1),
        ("31_60", D(0), 0),
        ("61_90", D(0), 0),
        ("over_90", D("300.00"), 1),
    )
    # Count-back on 16/11: 1600 owed. 1-16 Nov sold 300 (16 days, 1300 left); October 1000 (31 days, 300
    # left); September nothing (30 days; A-6 is written off); August 600: 300/600 of 31 days = 15.5.
    assert ov.dso == D("92.5")
    # On 31/10: 1300 owed (A-1, A-5's 300); October 1000 (31, 300 left); September 0 (30); August 300/600*31.
    trend = dict(ov.dso_trend)
    assert trend[date(2026, 10, 31)] == D("76.5")
    # On 31/05: A-5 not issued yet, no sale at all: no figure.
    assert trend[date(2026, 5, 31)] is None and len(ov.dso_trend) == 12
    # K1: A-2 600 at +10 days, A-3 400 at +20: (6000 + 8000) / 1000 = 14.0; both late; A-3 paid 5 days
    # after reminder 1. K2 paid nothing in full.
    [k1] = ov.payers
    assert (k1.customer.id, k1.invoices, k1.amount, k1.average_days_late) == ("K1", 2, D("1000.00"), D("14.0"))
    assert k1.always_late and (k1.reminded, k1.paid_within_7) == (1, 1) and k1.faster_after_reminder
    # Expected: A-1 due 31/10 + 14 days = 14/11, already past: this week; A-5 (K2, no history) past: this
    # week; A-4 on its due date 10/12, the week of Monday 07/12.
    expected = dict(ov.expected)
    assert expected[date(2026, 11, 16)] == D("1300.00") and expected[date(2026, 12, 7)] == D("300.00")
    assert sum(expected.values()) == D("1600.00") and ov.expected_later == 0
    # Reminder 1 twice: A-3 (400 owed, 400 paid within 7 days), A-1 (1000 owed, nothing paid).
    [r1] = ov.reminders
    assert (r1.stage, r1.sent, r1.reminded, r1.paid_within_7, r1.share) == (
        "reminder_1",
        2,
        D("1400.00"),
        D("400.00"),
        D("28.6"),
    )
    assert [s.invoice.number for s in ov.written_off] == ["A-6"]


def test_count_back_runs_over_several_months():
    from portal.domain.ledger import Invoice

    sales = [
        Invoice(str(n), "K", date(2026, m, 15), date(2026, m, 15), D(a))
        for n, (m, a) in enumerate([(9, "900"), (10, "300"), (11, "600")])
    ]
    # 30 Nov: 1500 owed; November 600 (30 days, 900 left), October 300 (31, 600 left), September 600/900*30 = 20.
    assert count_back_dso(D("1500"), sales, date(2026, 11, 30)) == D("81.0")
    assert count_back_dso(D("2000"), sales, date(2026, 11, 30)) is None  # more owed than ever sold


def test_the_overview_sheet_and_the_page(fixture_book, tmp_path):
    book = FileWorkbook(fixture_book, now=datetime(2026, 11, 16, 9), in_place=True)
    applied = refresh.refresh(book, today=AS_OF).written
    assert set(applied.sheets) == {"Actions", "Overview"}
    rows = [list(r) for r in openpyxl.load_workbook(fixture_book)["Overview"].iter_rows(values_only=True)]
    find = {r[0]: tuple(r[1:]) for r in rows if r and r[0]}
    assert rows[0][0] == "Debtor Portal — receivables overview on 16/11/2026"
    assert find["Total outstanding"][0] == 1600 and find["Of which overdue"][0] == 1300
    assert find["DSO (count-back, days)"][0] == 92.5
    assert find["1 to 30 days"][:2] == (1000, 1) and find["Over 90 days"][:2] == (300, 1)
    assert find["K1"][:4] == ("Klant Een BV", 2, 1000, 14)
    assert find["A-6"][:3] == ("K2", datetime(2026, 10, 1), 100)

    out = tmp_path / "overview.html"
    assert main(["report", str(fixture_book), "--out", str(out)]) == 0
    html = out.read_text(encoding="utf-8")
    assert "92.5" in html and "1,600.00" in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    assert main(["report", str(fixture_book), "--out", str(fixture_book.parent / "site_out" / "o.html")]) == 1
    assert not (fixture_book.parent / "site_out").exists()


@pytest.mark.e2e
def test_the_page_passes_axe_and_requests_nothing(browser, tmp_path):
    book = sample.__file__.replace("portal/workbook/sample.py", "workbook/sample.xlsx")
    out = tmp_path / "overview.html"
    assert main(["report", book, "--out", str(out)]) == 0
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    requests: list[str] = []
    context.route(
        "**/*",
        lambda route: (
            requests.append(route.request.url),
            route.continue_() if route.request.url.startswith("file://") else route.abort(),
        ),
    )
    try:
        page = context.new_page()
        page.goto(out.as_uri(), wait_until="load")
        assert requests == [out.as_uri()]
        assert page.locator("svg.chart").count() == 3
        assert [t.text_content() for t in page.locator("svg.chart > title").all()] == [
            "Ageing of receivables",
            "DSO over 12 months",
            "Expected receipts per week",
        ]
        # Black and white: the ageing bars differ by pattern, each carries its amount as text.
        fills = page.eval_on_selector_all("#h-ageing ~ svg > rect", "rs => rs.map(r => r.getAttribute('fill'))")
        assert len(set(fills)) == 5
        report = axe_report(page)
        assert not report, report
        page.emulate_media(media="print")
        assert page.pdf(format="A4")[:4] == b"%PDF"
    finally:
        context.close()

"""Report sheets (Actions, Overview) replaced whole by the file port, on real .xlsx files."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest

from portal.workbook.file import FileWorkbook
from portal.workbook.port import Changes, UnsafeToWrite

NOW = datetime(2026, 11, 16, 9, 30)


def _values(path, title):
    ws = openpyxl.load_workbook(path)[title]
    return [[c.value for c in row] for row in ws.iter_rows()]


@pytest.mark.slow
def test_a_report_sheet_is_created_then_replaced_whole_and_nothing_else_changes(sample_copy):
    before = openpyxl.load_workbook(sample_copy)
    others = {ws.title: [[c.value for c in r] for r in ws.iter_rows()] for ws in before.worksheets}
    first = [
        ["Debtor Portal — Actions", None],
        ["Customer", "Amount"],
        ["C001", Decimal("12.50")],
        ["C002", date(2026, 11, 20)],
    ]
    book = FileWorkbook(sample_copy, now=NOW, in_place=True)
    applied = book.apply(Changes(sheets={"Actions": first}))
    assert applied.sheets == ("Actions",)
    written = openpyxl.load_workbook(sample_copy)
    assert written.sheetnames == [*before.sheetnames, "Actions"]
    ws = written["Actions"]
    assert ws["B3"].value == 12.5 and "#,##0.00" in ws["B3"].number_format
    assert ws["B4"].value == datetime(2026, 11, 20)
    for title, rows in others.items():
        assert [[c.value for c in r] for r in written[title].iter_rows()] == rows, title

    again = book.apply(Changes(sheets={"Actions": first}))
    assert again.sheets == () and again.backup is None  # it already held these rows: nothing written

    second = [["Debtor Portal — Actions, again"], ["only this"]]
    book.apply(Changes(sheets={"Actions": second}))
    assert _values(sample_copy, "Actions")[:2] == [["Debtor Portal — Actions, again", None], ["only this", None]]
    assert all(v is None for row in _values(sample_copy, "Actions")[2:] for v in row)
    assert openpyxl.load_workbook(sample_copy).sheetnames == [*before.sheetnames, "Actions"]


def test_a_users_own_sheet_of_that_name_is_never_replaced(sample_copy):
    book = openpyxl.load_workbook(sample_copy)
    book.create_sheet("Overview")["A1"] = "My own notes"
    book.save(sample_copy)
    data = sample_copy.read_bytes()
    with pytest.raises(UnsafeToWrite, match="rename it"):
        FileWorkbook(sample_copy, now=NOW, in_place=True).apply(Changes(sheets={"Overview": [["Debtor Portal"]]}))
    assert sample_copy.read_bytes() == data

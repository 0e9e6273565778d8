"""The xlwings port and the ribbon's handlers, on an in-memory stand-in of xlwings' objects holding the
sample workbook as Excel holds it; the stand-in is checked against the real xlwings classes."""

from __future__ import annotations

import email
import inspect
import os
import re
import shutil
import signal
import urllib.request
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlwings.main

from portal.app import build, check, refresh, remind
from portal.app.import_bank import import_bank
from portal.app.import_ubl import import_ubl
from portal.codes.payment import rf
from portal.front import excel as handlers
from portal.workbook import cells
from portal.workbook.excel import ExcelWorkbook
from portal.workbook.file import FileWorkbook
from portal.workbook.port import REPORT_MARK, Changes, UnsafeToWrite, grids_fingerprint, state_dir
from portal.workbook.read import locate_tables
from portal.workbook.xlsx.grids import read_grids

from . import xlwings_standin as standin
from .bankfiles import camt053
from .conftest import SAMPLE, column_letter, edit_workbook
from .einvoices import MINIMAL_PDF, Buyer, einvoice
from .test_import_bank import ENTRIES, RF_2026_0021

TODAY = date(2026, 11, 16)  # the sample's "as of" date
SECRET = "s" * 40
STANDIN_CLASSES = ("App", "Books", "Book", "Sheets", "Sheet", "Range", "Tables", "Table")


def _public(cls: type) -> dict[str, object]:
    return {
        name: member
        for name, member in vars(cls).items()
        if not name.startswith("_") and name not in standin.TEST_HELPERS.get(cls.__name__, ())
    }


@pytest.mark.parametrize("name", STANDIN_CLASSES)
def test_the_standin_offers_only_what_xlwings_has_with_compatible_signatures(name):
    fake, real = getattr(standin, name), getattr(xlwings.main, name)
    for attribute, member in _public(fake).items():
        assert hasattr(real, attribute), f"xlwings.{name} has no {attribute}"
        actual = inspect.getattr_static(real, attribute)
        if isinstance(member, property):
            assert isinstance(actual, property), f"{name}.{attribute} is not a property in xlwings"
            assert (member.fset is None) or (actual.fset is not None), f"{name}.{attribute} cannot be set in xlwings"
        elif callable(member):
            ours = list(inspect.signature(getattr(fake, attribute)).parameters.values())
            theirs = inspect.signature(getattr(real, attribute)).parameters
            for parameter in ours:
                assert parameter.name in theirs, f"xlwings' {name}.{attribute} has no parameter {parameter.name}"
                if parameter.default is inspect.Parameter.empty and parameter.name not in ("self", "cls"):
                    assert (
                        theirs[parameter.name].default is inspect.Parameter.empty
                        or parameter.kind is parameter.VAR_KEYWORD
                    )
            required = [
                p
                for p in theirs.values()
                if p.default is inspect.Parameter.empty and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            ]
            assert {p.name for p in required} <= {p.name for p in ours}, (
                f"{name}.{attribute} misses a required parameter"
            )
    for attribute in standin.INSTANCE_ATTRIBUTES.get(name, ()):
        assert isinstance(inspect.getattr_static(xlwings.main.__dict__[name], attribute), property), attribute


def test_the_standin_refuses_what_xlwings_cannot_write(tmp_path):
    book = standin.Book.of_file(SAMPLE)
    from decimal import Decimal

    with pytest.raises(TypeError):
        book.sheets[0].range("A1").value = Decimal("1.5")


# --------------------------------------------------------------------------------------------
# The port
# --------------------------------------------------------------------------------------------


def test_the_port_reads_the_grids_of_the_file_port_one_call_per_sheet():
    book = standin.Book.of_file(SAMPLE)
    grids = ExcelWorkbook(book).grids()
    assert book.counter.reads == len(book.sheets)
    on_disk = read_grids(SAMPLE)
    assert [g.name for g in grids] == [g.name for g in on_disk]
    for ours, theirs in zip(grids, on_disk):
        assert ours.rows == theirs.rows, ours.name
    assert grids_fingerprint(grids) == ExcelWorkbook(book).fingerprint() == FileWorkbook(SAMPLE).fingerprint()


def test_excel_value_types_read_like_the_file(tmp_path):
    path = edit_workbook(shutil.copy(SAMPLE, tmp_path / "s.xlsx"), "Settings", {"B13": 30.0, "B27": "#N/A"})
    book = standin.Book.of_file(path)
    sheet = book.sheets["Settings"]
    assert sheet.range("B13").value == 30.0 and isinstance(sheet.range("B13").value, float)
    sheet.cells[(27, 2)] = standin.ExcelError("#N/A")
    assert sheet.range("B27").value is None
    grid = next(g for g in ExcelWorkbook(book).grids() if g.name == "Settings")
    assert grid.rows[12][1] == 30 and isinstance(grid.rows[12][1], int)
    assert grid.rows[26][1] == "#N/A"  # as the file gives an error's text, so the check reports it


def _copy(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    return Path(shutil.copy(SAMPLE, folder / "sample.xlsx"))


def _managed(grids, key="invoices") -> dict[tuple[int, str], str]:
    found = locate_tables(grids)[key]
    columns = {k: c for k, c in found.columns.items() if found.table.column(k).managed}
    return {
        (index, k): cells.text(row[c])
        for index, row in enumerate(found.grid.rows)
        if index > found.header_row
        for k, c in columns.items()
    }


def _rows(grids, sheet: str) -> list[tuple[str, ...]]:
    grid = next(g for g in grids if g.name == sheet)
    return [tuple(cells.text(v) for v in row) for row in grid.rows if any(v is not None for v in row)]


def _reports(grids) -> dict[str, list[tuple[str, ...]]]:
    """The report sheets (cell A1 begins with the mark), by name, as text."""
    return {g.name: _rows(grids, g.name) for g in grids if g.rows and str(g.rows[0][0] or "").startswith(REPORT_MARK)}


def _eml(folder: Path) -> dict[str, tuple]:
    found = {}
    for path in sorted(folder.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes())
        headers = [(k, v) for k, v in message.items() if k not in ("Message-ID", "Content-Type")]
        bodies = [part.get_payload(decode=True) for part in message.walk() if not part.is_multipart()]
        found[path.name] = (headers, bodies)
    return found


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_full_cycle_on_the_standin_gives_what_the_cli_gives_on_the_file(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    path = _copy(tmp_path, "cli")
    file = FileWorkbook(path, now=__import__("datetime").datetime(2026, 11, 16, 9, 0), in_place=True)
    check.check(file)
    refresh.refresh(file, today=TODAY)
    remind.remind(file, today=TODAY, outbox=path.parent / "outbox")
    build.build(file, today=TODAY, out_dir=path.parent / "site_out")

    book = standin.Book.of_file(_copy(tmp_path, "excel"))
    folder = Path(book.fullname).parent
    for handler in (handlers.check, handlers.refresh, handlers.remind, handlers.build):
        handler(book, TODAY)
        assert book.app.alerts[-1]["mode"] != "critical", book.app.alerts[-1]["prompt"]

    live, saved = ExcelWorkbook(book).grids(), read_grids(path)
    assert _managed(live) == _managed(saved)
    assert _reports(live) == _reports(saved) and len(_reports(live)) == 2
    assert _rows(live, "Log") == _rows(saved, "Log")
    here = [tuple(v.replace(str(folder), "FOLDER") for v in row) for row in _rows(live, "Reminders")]
    there = [tuple(v.replace(str(path.parent), "FOLDER") for v in row) for row in _rows(saved, "Reminders")]
    assert here == there and len(here) > 1
    assert _eml(folder / "outbox") == _eml(path.parent / "outbox") != {}
    assert _files(folder / "site_out") == _files(path.parent / "site_out")
    link_column = locate_tables(live)["invoices"].columns["portal_link"] + 1
    invoices = book.sheets[locate_tables(live)["invoices"].grid.name]
    linked = {cell: url for cell, url in invoices.hyperlinks.items() if cell[1] == link_column}
    assert linked and all(invoices.cells[cell] == url for cell, url in linked.items())


def test_a_second_refresh_the_same_day_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "excel"))
    first = refresh.refresh(ExcelWorkbook(book), today=TODAY)
    assert first.written.cells > 0 and len(first.written.sheets) == 2
    writes, reads = book.counter.writes, book.counter.reads
    second = refresh.refresh(ExcelWorkbook(book), today=TODAY)
    assert second.written.cells == 0 and second.written.sheets == () and book.counter.writes == writes
    assert book.counter.reads - reads == len(book.sheets)


def test_apply_writes_one_call_per_changed_column_and_appends_to_the_table(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "excel"))
    port = ExcelWorkbook(book)
    found = locate_tables(port.grids())["invoices"]
    rows = [i + 1 for i in range(found.header_row + 1, found.header_row + 6)]
    log = locate_tables(port.grids())["log"]
    table = next(iter(book.sheets[log.grid.name].tables))
    bottom = table.range.row + table.range.rows.count - 1
    before = book.counter.writes
    applied = port.apply(
        Changes(
            cells={"invoices": {r: {"status": f"s{r}", "stage": "x"} for r in rows}},
            append={"log": [{"date": TODAY, "customer_id": "C1", "channel": "email", "action": "call"}] * 2},
        )
    )
    assert applied.cells == 10 and applied.rows_added == {"log": 2}
    assert book.counter.writes - before == 2 + 4  # two columns; four log columns of two rows each
    assert table.range.row + table.range.rows.count - 1 == bottom + 2


def test_a_missing_managed_column_is_added_inside_the_table_with_its_header(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    whole = standin.Book.of_file(_copy(tmp_path, "whole"))
    refresh.refresh(ExcelWorkbook(whole), today=TODAY)
    book = standin.Book.of_file(_copy(tmp_path, "excel"))
    found = locate_tables(ExcelWorkbook(book).grids())["invoices"]
    sheet = book.sheets[found.grid.name]
    table = next(iter(sheet.tables))
    col, header = found.columns["portal_link"] + 1, found.headers["portal_link"]
    top, left = table.range.row, table.range.column
    bottom, right = top + table.range.rows.count - 1, left + table.range.columns.count - 1
    assert col == right  # the sample's last column: remove it, as a user might
    for cell in [k for k in sheet.cells if k[1] == col]:
        del sheet.cells[cell]
    table.resize(sheet.range((top, left), (bottom, right - 1)))
    done = refresh.refresh(ExcelWorkbook(book), today=TODAY)
    assert done.written.columns_added == (f"{found.grid.name}!{header}",)
    assert table.range.columns.count == right - left + 1
    assert _managed(ExcelWorkbook(book).grids()) == _managed(ExcelWorkbook(whole).grids())


# --------------------------------------------------------------------------------------------
# The handlers
# --------------------------------------------------------------------------------------------


def test_every_handler_restores_excel_and_says_one_thing_even_on_error(tmp_path):
    path = edit_workbook(_copy(tmp_path, "bad"), "Settings", {"B5": "BE00 0000 0000 0000"})
    book = standin.Book.of_file(path)
    app = book.app
    app.status_bar, app.calculation, app.screen_updating = "Ready", "semiautomatic", True
    for handler in (handlers.refresh, handlers.build, handlers.remind, handlers.overview, handlers.publish):
        app.alerts.clear()
        message = handler(book, TODAY)
        assert len(app.alerts) == 1 and app.alerts[0]["mode"] == "critical", handler.__name__
        assert "error" in message and "IBAN" in message
        assert (app.status_bar, app.calculation, app.screen_updating) == ("Ready", "semiautomatic", True)


def test_an_unexpected_error_is_reported_and_excel_restored(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    book.app.status_bar = False

    def broken(session):
        session.status("working")
        raise ZeroDivisionError("boom")

    message = handlers._click(book, TODAY, broken)
    assert "unexpected error" in message and "ZeroDivisionError: boom" in message
    assert book.app.status_bar is False and book.app.calculation == "automatic" and book.app.screen_updating is True
    assert "Debtor Portal: working" in book.app.status_history


def test_check_lists_problems_with_links_and_removes_the_sheet_when_all_is_well(tmp_path):
    path = edit_workbook(_copy(tmp_path, "bad"), "Settings", {"B5": "BE00 0000 0000 0000"})
    book = standin.Book.of_file(path)
    handlers.check(book, TODAY)
    problems = book.sheets["Problems"]
    assert problems.range("A1").value == "Severity"
    assert "#'Settings'!B5" in problems.hyperlinks.values()
    assert "Problems" in book.app.alerts[-1]["prompt"]
    book.sheets["Settings"].range("B5").value = "BE71 0961 2345 6769"
    handlers.check(book, TODAY)
    assert "Problems" not in [s.name for s in book.sheets]


def test_build_shows_progress_in_the_status_bar(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    handlers.build(book, TODAY)
    assert any(isinstance(s, str) and s.startswith("Debtor Portal: ") for s in book.app.status_history)
    assert book.app.status_history[-1] is False


def test_publish_asks_first_and_names_the_target(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    folder = Path(book.fullname).parent
    handlers.build(book, TODAY)
    book.app.answers = ["no"]
    assert handlers.publish(book, TODAY) == "Nothing was published."
    question = book.app.alerts[-2]
    assert question["buttons"] == "yes_no" and str(folder / "site_published") in question["prompt"]
    assert not (folder / "site_published").exists()
    book.app.answers = ["yes"]
    assert "Published to" in handlers.publish(book, TODAY)
    assert (folder / "site_published" / "index.html").is_file()
    shown = [s for s in book.app.status_history if isinstance(s, str)]
    assert any(re.fullmatch(r"Debtor Portal: Uploading \(0/\d+\)", s) for s in shown)
    assert any(re.fullmatch(r"Debtor Portal: Finishing \((\d+)/\1\)", s) for s in shown)


def test_preview_serves_the_site_and_opens_the_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    assert "Build portal first" in handlers.preview(book, TODAY, browser=lambda url: None)
    handlers.build(book, TODAY)
    opened: list[str] = []
    handlers.preview(book, TODAY, browser=opened.append)
    url_file = state_dir(Path(book.fullname).parent) / handlers.PREVIEW_FILE
    url, pid = url_file.read_text().split()
    try:
        assert opened == [url] and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(url, timeout=10) as response:
            assert response.status == 200 and b"<html" in response.read().lower()
    finally:
        os.kill(int(pid), signal.SIGTERM)


def test_a_workbook_opened_as_a_web_address_gets_a_clear_message(tmp_path):
    book = standin.Book("https://contoso.sharepoint.com/sites/x/Documents/Receivables.xlsx")
    message = handlers.build(book, TODAY)
    assert "OneDrive or SharePoint" in message and book.app.alerts[-1]["mode"] == "critical"


def test_new_workbook_creates_the_sample_beside_and_opens_it(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    handlers.new_workbook(book, TODAY)
    created = Path(book.fullname).parent / "Receivables.xlsx"
    assert created.is_file() and [b.fullname for b in book.app.books][-1] == str(created)


def test_overview_writes_the_local_page_and_opens_it_in_the_browser(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    opened: list[str] = []
    message = handlers.overview(book, TODAY, browser=opened.append)
    page = state_dir(Path(book.fullname).parent) / "reports" / "overview-2026-11-16.html"
    assert opened == [page.as_uri()] and "<html" in page.read_text(encoding="utf-8").lower()
    assert message.startswith("As of 16/11/2026: ") and "overdue" in message and str(page) in message
    assert "never published" in message
    assert "Check:" in handlers.show_help(book, TODAY)
    assert [a["mode"] for a in book.app.alerts] == ["info"] * 2
    assert book.counter.writes == 0


def test_text_that_looks_like_a_formula_is_written_as_text_and_rows_never_overwrite_what_is_below(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    port = ExcelWorkbook(book)
    found = locate_tables(port.grids())["invoices"]
    row = found.header_row + 2
    port.apply(Changes(cells={"invoices": {row: {"next_action": "=HYPERLINK(1)"}}}))
    sheet = book.sheets[found.grid.name]
    assert sheet.cells[(row, found.columns["next_action"] + 1)] == "=HYPERLINK(1)"
    assert port.apply(Changes(cells={"invoices": {row: {"next_action": "=HYPERLINK(1)"}}})).cells == 0

    log = locate_tables(ExcelWorkbook(book).grids())["log"]
    log_sheet = book.sheets[log.grid.name]
    table = next(iter(log_sheet.tables))
    below = table.range.row + table.range.rows.count
    log_sheet.range((below, table.range.column)).value = "a note under the table"
    writes = book.counter.writes
    with pytest.raises(UnsafeToWrite, match="not empty"):
        ExcelWorkbook(book).apply(Changes(append={"log": [{"date": TODAY, "customer_id": "C1", "action": "call"}]}))
    assert book.counter.writes == writes


# --------------------------------------------------------------------------------------------
# Report sheets
# --------------------------------------------------------------------------------------------


def test_a_report_sheet_is_written_in_one_call_shown_as_money_and_dates_and_cleared_of_what_it_held(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    count = len(book.sheets)
    rows = [[f"{REPORT_MARK}: test"], [], ["Total", Decimal("1234.50"), date(2026, 11, 16)], ["a", "=not a formula"]]
    before = book.counter.writes
    applied = ExcelWorkbook(book).apply(Changes(sheets={"Report": rows}))
    assert applied.sheets == ("Report",) and book.counter.writes - before == 1
    sheet = book.sheets[count]
    assert sheet.name == "Report" and len(book.sheets) == count + 1
    assert sheet.cells == {
        (1, 1): f"{REPORT_MARK}: test",
        (3, 1): "Total",
        (3, 2): 1234.5,
        (3, 3): datetime(2026, 11, 16),
        (4, 1): "a",
        (4, 2): "=not a formula",
    }
    assert sheet.range("B3").number_format == "#,##0.00" and sheet.range("C3").number_format == "DD/MM/YYYY"

    again = ExcelWorkbook(book).apply(Changes(sheets={"report": rows}))
    assert again.sheets == () and book.counter.writes - before == 1

    shorter = [[f"{REPORT_MARK}: test"], ["Total", 7]]
    assert ExcelWorkbook(book).apply(Changes(sheets={"Report": shorter})).sheets == ("Report",)
    assert sheet.cells == {(1, 1): f"{REPORT_MARK}: test", (2, 1): "Total", (2, 2): 7.0}
    assert sheet.range("B3").number_format == "General" and book.counter.writes - before == 2


def test_a_sheet_of_the_users_own_with_a_report_name_is_never_replaced_nor_anything_else_written(tmp_path):
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    mine = book.sheets.add("Actions", after=book.sheets[len(book.sheets) - 1])
    mine.range("A1").value = [["My own actions"], ["call Garage Marchal"]]
    port = ExcelWorkbook(book)
    found = locate_tables(port.grids())["invoices"]
    writes = book.counter.writes
    with pytest.raises(UnsafeToWrite, match="'Actions' is not one Debtor Portal wrote"):
        port.apply(
            Changes(
                cells={"invoices": {found.header_row + 2: {"status": "x"}}},
                sheets={"Actions": [[f"{REPORT_MARK}: actions"]]},
            )
        )
    assert book.counter.writes == writes
    assert mine.cells == {(1, 1): "My own actions", (2, 1): "call Garage Marchal"}
    with pytest.raises(ValueError, match="must begin with"):
        port.apply(Changes(sheets={"Other": [["no mark"]]}))


# --------------------------------------------------------------------------------------------
# The imports
# --------------------------------------------------------------------------------------------


def _with_rf(path: Path) -> Path:
    """The sample with an RF reference typed on invoice 2026-0021 (row 22), as the bank import tests have it."""
    letter = column_letter(path, "Invoices", "Structured reference")
    return edit_workbook(path, "Invoices", {f"{letter}22": rf.format(RF_2026_0021)})


def test_import_bank_imports_the_statements_folder_into_payments_as_the_cli_does(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    cli = _with_rf(_copy(tmp_path, "cli"))
    book = standin.Book.of_file(_with_rf(_copy(tmp_path, "excel")))
    folder = Path(book.fullname).parent / handlers.BANK_FOLDER

    assert "nothing to import" in handlers.import_bank(book, TODAY)
    assert folder.is_dir() and book.counter.writes == 0

    (folder / "november.xml").write_bytes(camt053(ENTRIES))
    (cli.parent / "november.xml").write_bytes(camt053(ENTRIES))
    import_bank(
        FileWorkbook(cli, now=datetime(2026, 11, 16, 9, 0), in_place=True), [cli.parent / "november.xml"], today=TODAY
    )
    book.app.alerts.clear()
    message = handlers.import_bank(book, TODAY)
    assert len(book.app.alerts) == 1 and book.app.alerts[0]["mode"] == "info"
    assert message.startswith("Read 11 entries from 1 file(s): 5 matched, 1 suggested")
    assert "6 payment row(s) written to sample.xlsx" in message and "Click Refresh" in message
    assert "Debtor Portal: Reading november.xml (0/3)" in book.app.status_history
    assert book.app.status_history[-1] is False

    live = ExcelWorkbook(book).grids()
    payments = _rows(live, "Payments")
    assert payments == _rows(read_grids(cli), "Payments")
    assert sum("BNK-0003" in row for row in payments) == 1

    writes = book.counter.writes
    again = handlers.import_bank(book, TODAY)
    assert "Nothing new to write." in again and book.counter.writes == writes


def test_import_einvoices_adds_the_folders_invoices_and_customers_as_the_cli_does(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    eupen = Buyer("Eupener Glaswerk GmbH", "BE0403170701", "info@glaswerk.example", "Bergstraße 3", "4700", "Eupen")
    gent = Buyer("Bloemen Vandaele BV", "BE0202239951", "info@vandaele.example", "Veldstraat 10", "9000", "Gent")
    files = {
        "1.xml": einvoice("INV-9001", eupen, "1210.00", payment_id="+++090/9337/55493+++", pdf=MINIMAL_PDF),
        "2.xml": einvoice("INV-9002", gent, "400.00"),
        "3.xml": einvoice("CN-9003", gent, "50.00", credit_note=True, preceding="INV-9002"),
    }
    cli = _copy(tmp_path, "cli")
    book = standin.Book.of_file(_copy(tmp_path, "excel"))
    workbook_folder = Path(book.fullname).parent
    for target in (cli.parent / "inbox", workbook_folder / handlers.EINVOICE_FOLDER):
        target.mkdir()
        for name, data in files.items():
            (target / name).write_bytes(data)
    import_ubl(FileWorkbook(cli, now=datetime(2026, 11, 16, 9, 0), in_place=True), [cli.parent / "inbox"], today=TODAY)

    message = handlers.import_invoices(book, TODAY)
    assert message.startswith("Read 3 e-invoice(s): 3 added, 2 new customer(s), 0 skipped.")
    assert "Debtor Portal: Reading 1.xml (0/5)" in book.app.status_history
    live, saved = ExcelWorkbook(book).grids(), read_grids(cli)
    for sheet in ("Invoices", "Customers"):
        assert _rows(live, sheet) == _rows(saved, sheet), sheet
    invoices = _rows(live, "Invoices")
    assert any("INV-9001" in row and "+++090/9337/55493+++" in row for row in invoices)
    assert (workbook_folder / "invoices" / "INV-9001.pdf").read_bytes() == MINIMAL_PDF

    writes = book.counter.writes
    assert "3 skipped" in handlers.import_invoices(book, TODAY) and book.counter.writes == writes


def test_a_long_import_summary_ends_in_a_file_beside_the_workbook(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_with_rf(_copy(tmp_path, "excel")))
    folder = Path(book.fullname).parent / handlers.BANK_FOLDER
    folder.mkdir()
    (folder / "november.xml").write_bytes(camt053(ENTRIES))
    handlers.import_bank(book, TODAY)
    for n in range(4):
        (folder / f"copy {n}.xml").write_bytes(camt053(ENTRIES))
    message = handlers.import_bank(book, TODAY)
    kept = state_dir(folder.parent) / "imports" / "bank-2026-11-16.txt"
    assert len(message) <= handlers.MESSAGE_CHARACTERS and str(kept) in message
    assert message.startswith("Read 55 entries from 5 file(s)") and message.endswith("Nothing new to write.")
    whole = kept.read_text(encoding="utf-8").splitlines()
    shown = message.splitlines()
    assert len(whole) > len(shown) and all(line in whole for line in shown if not line.startswith("... "))

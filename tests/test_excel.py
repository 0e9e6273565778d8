"""The xlwings port and the ribbon's handlers, on an in-memory stand-in of xlwings' objects holding the
sample workbook as Excel holds it; the stand-in is checked against the real xlwings classes."""

from __future__ import annotations

import email
import inspect
import os
import shutil
import signal
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import xlwings.main

from portal.app import build, check, refresh, remind
from portal.front import excel as handlers
from portal.workbook import cells
from portal.workbook.excel import ExcelWorkbook
from portal.workbook.file import FileWorkbook
from portal.workbook.port import Changes, UnsafeToWrite, grids_fingerprint, state_dir
from portal.workbook.read import locate_tables
from portal.workbook.xlsx.grids import read_grids

from . import xlwings_standin as standin
from .conftest import SAMPLE, edit_workbook

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
    assert first.written.cells > 0
    writes, reads = book.counter.writes, book.counter.reads
    second = refresh.refresh(ExcelWorkbook(book), today=TODAY)
    assert second.written.cells == 0 and book.counter.writes == writes
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


def test_overview_help_and_the_imports_say_what_they_can(tmp_path, monkeypatch):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", SECRET)
    book = standin.Book.of_file(_copy(tmp_path, "x"))
    overview = handlers.overview(book, TODAY)
    assert overview.startswith("As of 16/11/2026: ") and "overdue" in overview
    assert "Check:" in handlers.show_help(book, TODAY)
    for handler in (handlers.import_bank, handlers.import_invoices):
        assert "not part of this version" in handler(book, TODAY)
    assert [a["mode"] for a in book.app.alerts] == ["info"] * 4
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

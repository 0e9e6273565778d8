"""The safe write path: real .xlsx files written, reloaded with openpyxl and compared.

Each "loss" test builds a workbook holding something openpyxl cannot keep, shows that a plain
openpyxl load + save really loses it, and that the writer refuses the file.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import warnings
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from openpyxl.chart import BarChart, Reference
from openpyxl.comments import Comment
from openpyxl.drawing.image import Image
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from PIL import Image as PILImage

from portal.app import init as init_command
from portal.workbook import schema
from portal.workbook.port import Applied, Changes, UnsafeToWrite
from portal.workbook.read import locate_tables
from portal.workbook.schema import REMINDERS_COLUMNS
from portal.workbook.xlsx import write
from portal.workbook.xlsx.grids import read_grids
from portal.workbook.xlsx.losses import losses
from portal.workbook.xlsx.write import write_workbook_changes

NOW = datetime(2026, 3, 5, 14, 30, 15)
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"


# ------------------------------------------------------------------------------------------
# Helpers
# ------------------------------------------------------------------------------------------


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*")}


def patch_xlsx(
    src: Path,
    dst: Path,
    *,
    add: dict[str, bytes | str] | None = None,
    replace: dict[str, object] | None = None,
    overrides: dict[str, str] | None = None,
    defaults: dict[str, str] | None = None,
    rels: dict[str, list[tuple[str, str, str]]] | None = None,
    main_type: str | None = None,
) -> Path:
    """Copy an .xlsx, adding parts, content types and relationships, or editing parts' text."""
    with zipfile.ZipFile(src) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    for name, edit in (replace or {}).items():
        parts[name] = edit(parts[name].decode()).encode()
    for rels_part, items in (rels or {}).items():
        xml = parts.get(
            rels_part,
            b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'relationships"></Relationships>',
        ).decode()
        extra = "".join(
            f'<Relationship Id="{i}" Type="{t}" Target="{target}"'
            + (' TargetMode="External"' if ":" in target else "")
            + "/>"
            for i, t, target in items
        )
        parts[rels_part] = xml.replace("</Relationships>", extra + "</Relationships>").encode()
    types = parts["[Content_Types].xml"].decode()
    for name, ctype in (overrides or {}).items():
        types = types.replace("</Types>", f'<Override PartName="{name}" ContentType="{ctype}"/></Types>')
    for ext, ctype in (defaults or {}).items():
        types = types.replace("</Types>", f'<Default Extension="{ext}" ContentType="{ctype}"/></Types>')
    if main_type:
        types = types.replace("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", main_type)
    parts["[Content_Types].xml"] = types.encode()
    for name, data in (add or {}).items():
        parts[name] = data.encode() if isinstance(data, str) else data
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return dst


def openpyxl_round_trip(path: Path, tmp_path: Path) -> zipfile.ZipFile | None:
    """What a plain openpyxl load + save makes of the file (the claim each loss test verifies).

    None when openpyxl cannot even load it (it fails on a DDE link).
    """
    out = tmp_path / "openpyxl-round-trip" / path.name
    out.parent.mkdir(exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about some of what it drops, not all
        try:
            book = openpyxl.load_workbook(path)
        except KeyError:
            return None
        book.save(out)
    return zipfile.ZipFile(out)


def sheet_xml(z: zipfile.ZipFile, n: int = 1) -> str:
    return z.read(f"xl/worksheets/sheet{n}.xml").decode()


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (16, 16), "red").save(buffer, "PNG")
    return buffer.getvalue()


def snapshot(path: Path) -> dict:
    """Everything the round trip guarantee covers, as openpyxl reads it back."""
    book = openpyxl.load_workbook(path)
    sheets = {}
    for ws in book.worksheets:
        cells = {}
        for row in ws.iter_rows():
            for c in row:
                if c.value is None and not c.has_style and c.comment is None:
                    continue
                cells[c.coordinate] = (
                    c.value,
                    c.data_type,
                    c.number_format,
                    (c.comment.text, c.comment.author) if c.comment else None,
                    c.font.b,
                    c.fill.fgColor.rgb,
                    bool(c.hyperlink),
                )
        sheets[ws.title] = {
            "cells": cells,
            "tables": {t.displayName: t.ref for t in ws.tables.values()},
            "table_columns": {t.displayName: [(c.id, c.name) for c in t.tableColumns] for t in ws.tables.values()},
            "validations": sorted((str(dv.sqref), dv.type, dv.formula1) for dv in ws.data_validations.dataValidation),
            "widths": {k: d.width for k, d in ws.column_dimensions.items() if d.width},
            "freeze": ws.freeze_panes,
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
        }
    return {"order": book.sheetnames, "sheets": sheets}


def assert_tables_consistent(path: Path) -> None:
    """What Excel checks on opening: each table's columns match its width and its header cells."""
    book = openpyxl.load_workbook(path)
    names = [t.displayName.lower() for ws in book.worksheets for t in ws.tables.values()]
    assert len(names) == len(set(names))
    for ws in book.worksheets:
        for table in ws.tables.values():
            min_col, min_row, max_col, max_row = range_boundaries(table.ref)
            headers = [ws.cell(row=min_row, column=c).value for c in range(min_col, max_col + 1)]
            assert [c.name for c in table.tableColumns] == headers, (ws.title, table.displayName)
            assert len({c.id for c in table.tableColumns}) == len(table.tableColumns)
            assert table.autoFilter is None or table.autoFilter.ref == table.ref
            assert max_row > min_row


def managed_coordinates(path: Path, cells: dict[int, dict[str, object]]) -> tuple[str, set[str]]:
    found = locate_tables(read_grids(path))["invoices"]
    coords = {f"{get_column_letter(found.columns[key] + 1)}{row}" for row, values in cells.items() for key in values}
    return found.grid.name, coords


def sample_changes(path: Path) -> Changes:
    """Managed values for three invoice rows, a log row and two reminders."""
    found = locate_tables(read_grids(path))["invoices"]
    rows = [index + 1 for index, _ in found.rows()][:3] or [found.header_row + 2]
    cells = {
        rows[0]: {
            "paid": Decimal("100.00"),
            "balance": Decimal("1110.50"),
            "status": "overdue",
            "days_overdue": 12,
            "stage": "reminder_1",
            "next_action": "Send reminder 2",
            "next_action_date": date(2026, 3, 12),
            "last_reminder": date(2026, 3, 5),
            "portal_link": "https://pay.example.be/i/abc",
        },
    }
    for row in rows[1:]:
        cells[row] = {"status": "open", "next_action": None, "days_overdue": 0}
    return Changes(
        cells={"invoices": cells},
        append={
            "log": [
                {
                    "date": date(2026, 3, 5),
                    "customer_id": "C001",
                    "invoice": "F2026-001",
                    "channel": "email",
                    "action": "reminder_1",
                    "note": "=sent by Debtor Portal",
                }
            ],
            "reminders": [
                {
                    "date": date(2026, 3, 5),
                    "customer_id": "C001",
                    "customer": "Boulangerie Dupont",
                    "email": "compta@dupont.example",
                    "invoice": "F2026-001",
                    "stage": "reminder_1",
                    "subject": "Rappel : facture F2026-001",
                    "body": "Bonjour,\n\nSauf erreur…",
                    "link": "https://pay.example.be/i/abc",
                    "eml_file": "reminders/F2026-001.eml",
                },
                {
                    "date": date(2026, 3, 5),
                    "customer_id": "C002",
                    "customer": "Garage Marchal",
                    "invoice": "F2026-002",
                    "stage": "reminder_2",
                },
            ],
        },
    )


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return init_command.init(tmp_path / "Invoices.xlsx").path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return init_command.init(tmp_path / "Invoices.xlsx", with_sample=True).path


# ------------------------------------------------------------------------------------------
# Round trip on our own workbooks
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_sample", [False, True], ids=["template", "sample"])
def test_round_trip_keeps_everything_but_the_managed_cells_and_new_rows(tmp_path, with_sample):
    source = init_command.init(tmp_path / "Invoices.xlsx", with_sample=with_sample).path
    changes = sample_changes(source)
    invoices_sheet, changed = managed_coordinates(source, changes.cells["invoices"])
    before = snapshot(source)
    log_ref = before["sheets"]["Log"]["tables"]["Log"]

    result = write_workbook_changes(source, changes, now=NOW)

    assert_tables_consistent(result.path)
    after = snapshot(result.path)
    assert after["order"] == before["order"] + ["Reminders"]
    log_rows_before = int(log_ref.split(":")[1][1:])
    log_last = max(int(re.sub(r"\D", "", c)) for c, v in before["sheets"]["Log"]["cells"].items() if v[0] is not None)
    appended_log_row = log_last + 1
    for title, old in before["sheets"].items():
        new = after["sheets"][title]
        skip = changed if title == invoices_sheet else set()
        if title == "Log":
            skip = {f"{get_column_letter(c)}{appended_log_row}" for c in range(1, 7)}
        for coordinate in old["cells"].keys() | new["cells"].keys():
            if coordinate in skip:
                continue
            assert new["cells"].get(coordinate) == old["cells"].get(coordinate), (title, coordinate)
        assert new["validations"] == old["validations"], title
        assert new["widths"] == old["widths"], title
        assert new["freeze"] == old["freeze"], title
        assert new["merged"] == old["merged"], title
        assert new["table_columns"] == old["table_columns"], title
        if title != "Log":
            assert new["tables"] == old["tables"], title
    assert after["sheets"]["Log"]["tables"]["Log"] == f"A1:H{max(log_rows_before, appended_log_row)}"

    # the managed values, as written
    cells = after["sheets"][invoices_sheet]["cells"]
    found = locate_tables(read_grids(result.path))["invoices"]
    first_row = min(changes.cells["invoices"])
    letter = {k: get_column_letter(i + 1) for k, i in found.columns.items()}
    assert cells[f"{letter['balance']}{first_row}"][0] == pytest.approx(1110.5)
    assert cells[f"{letter['balance']}{first_row}"][2] == "#,##0.00"
    assert cells[f"{letter['next_action_date']}{first_row}"][0] == datetime(2026, 3, 12)
    assert cells[f"{letter['next_action_date']}{first_row}"][2] == "DD/MM/YYYY"
    assert cells[f"{letter['status']}{first_row}"][0] == "overdue"
    log = after["sheets"]["Log"]["cells"]
    assert log[f"A{appended_log_row}"][0] == datetime(2026, 3, 5)
    assert log[f"F{appended_log_row}"][:2] == ("=sent by Debtor Portal", "s")
    assert result.rows_added == {"log": 1, "reminders": 2}
    old_cells = before["sheets"][invoices_sheet]["cells"]
    assert result.cells == sum(1 for c in changed if (old_cells.get(c) or (None,))[0] != (cells.get(c) or (None,))[0])


def test_copy_mode_leaves_the_source_byte_identical(sample):
    digest = sha(sample)
    result = write_workbook_changes(sample, sample_changes(sample), now=NOW)
    assert sha(sample) == digest
    assert result.path == sample.parent / "Invoices (updated 2026-03-05 1430).xlsx"
    assert result.backup is None and result.cells > 0
    again = write_workbook_changes(sample, sample_changes(sample), now=NOW)
    assert again.path == sample.parent / "Invoices (updated 2026-03-05 1430) (2).xlsx"
    assert sha(result.path) != digest and result.path.exists()
    assert not (sample.parent / ".debtor-portal").exists()


def test_out_writes_where_asked(sample, tmp_path):
    out = tmp_path / "results" / "refreshed.xlsx"
    digest = sha(sample)
    result = write_workbook_changes(sample, sample_changes(sample), now=NOW, out=out)
    assert result.path == out and out.exists() and sha(sample) == digest
    with pytest.raises(ValueError, match="in place"):
        write_workbook_changes(sample, sample_changes(sample), now=NOW, out=sample)


def test_in_place_keeps_a_byte_identical_backup_and_changes_only_the_managed_cells(sample):
    original = sample.read_bytes()
    changes = Changes(cells=sample_changes(sample).cells)
    sheet, managed = managed_coordinates(sample, changes.cells["invoices"])
    before = snapshot(sample)

    result = write_workbook_changes(sample, changes, now=NOW, in_place=True)

    assert result.path == sample
    assert result.backup == sample.parent / ".debtor-portal" / "backups" / "Invoices.backup-20260305-143015.xlsx"
    assert result.backup.read_bytes() == original
    assert sha(result.backup) == hashlib.sha256(original).hexdigest()
    after = snapshot(sample)
    assert after["order"] == before["order"]
    different = {
        (title, c)
        for title in before["sheets"]
        for c in before["sheets"][title]["cells"].keys() | after["sheets"][title]["cells"].keys()
        if before["sheets"][title]["cells"].get(c) != after["sheets"][title]["cells"].get(c)
    }
    assert different and {c for _, c in different} <= managed and {t for t, _ in different} == {sheet}
    assert result.cells == len(different)
    assert [p.name for p in sample.parent.iterdir() if p.name.startswith(".debtor-portal-writing")] == []


def test_in_place_without_a_difference_leaves_the_file_alone(sample):
    found = locate_tables(read_grids(sample))["invoices"]
    row, values = next(found.rows())
    digest = sha(sample)
    unchanged = {key: values[key] for key in ("status", "stage") if key in values}
    result = write_workbook_changes(sample, Changes(cells={"invoices": {row + 1: unchanged}}), now=NOW, in_place=True)
    assert result == Applied(str(sample), None, 0, {}, (), path=sample)
    assert sha(sample) == digest and not (sample.parent / ".debtor-portal").exists()


def test_a_crash_while_replacing_leaves_the_source_as_it_was_and_no_temporary_file(sample, monkeypatch):
    digest = sha(sample)
    before = files(sample.parent)

    def crash(src, dst):
        raise OSError("simulated crash")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="simulated crash"):
        write_workbook_changes(sample, sample_changes(sample), now=NOW, in_place=True)
    assert sha(sample) == digest
    left = files(sample.parent) - before
    assert all(name.startswith(".debtor-portal") for name in left), left
    assert not [name for name in left if "writing" in name]
    backups = list((sample.parent / ".debtor-portal" / "backups").iterdir())
    assert len(backups) == 1 and sha(backups[0]) == digest


# ------------------------------------------------------------------------------------------
# Values
# ------------------------------------------------------------------------------------------


def test_text_that_looks_like_a_formula_is_stored_as_text(template):
    attacks = {"next_action": '=HYPERLINK("http://evil")', "status": "+1", "stage": "-2", "portal_link": "@SUM(A1)"}
    result = write_workbook_changes(template, Changes(cells={"invoices": {2: attacks}}), now=NOW)
    found = locate_tables(read_grids(result.path))["invoices"]
    ws = openpyxl.load_workbook(result.path, data_only=False)["Invoices"]
    for key, text in attacks.items():
        cell = ws.cell(row=2, column=found.columns[key] + 1)
        assert (cell.data_type, cell.value) == ("s", text), key
    with zipfile.ZipFile(result.path) as z:
        assert "<f>" not in sheet_xml(z, 4) and "evil" in sheet_xml(z, 4)


def test_values_of_every_type_and_clearing(template):
    values = {
        "paid": Decimal("12.30"),
        "days_overdue": 7,
        "next_action_date": date(2026, 4, 1),
        "status": "open",
        "stage": True,
    }
    first = write_workbook_changes(template, Changes(cells={"invoices": {2: values}}), now=NOW)
    assert first.cells == 5
    second = write_workbook_changes(
        first.path, Changes(cells={"invoices": {2: {**values, "status": None}}}), now=NOW, in_place=True
    )
    assert second.cells == 1  # only the cleared status differs
    found = locate_tables(read_grids(first.path))["invoices"]
    ws = openpyxl.load_workbook(first.path)["Invoices"]
    cell = {k: ws.cell(row=2, column=found.columns[k] + 1) for k in values}
    assert cell["paid"].value == pytest.approx(12.3) and cell["paid"].number_format == "#,##0.00"
    assert cell["next_action_date"].value == datetime(2026, 4, 1)
    assert cell["stage"].value == "yes" and cell["status"].value is None


# ------------------------------------------------------------------------------------------
# A business's own flat sheet
# ------------------------------------------------------------------------------------------

FLAT_HEADERS = ["Nom du client", "Numéro de facture", "Date", "Échéance", "Montant dû", "Prochaine action"]


def flat_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Feuil1"
    ws["A1"] = "Factures impayées au 01/03/2026"
    ws.merge_cells("A1:F1")
    for col, header in enumerate(FLAT_HEADERS, start=1):
        ws.cell(row=3, column=col, value=header).font = openpyxl.styles.Font(bold=True)
    rows = [
        ("Boulangerie Dupont", "F-101", date(2026, 1, 10), 1210, "Appeler"),
        ("Garage Marchal", "F-102", date(2026, 1, 20), 350.5, "Relance 1"),
        ("Fleurs de Wallonie", "F-103", date(2026, 2, 1), 99.99, "Attendre"),
    ]
    for r, (name, number, issued, amount, action) in enumerate(rows, start=4):
        ws.cell(row=r, column=1, value=name)
        ws.cell(row=r, column=2, value=number)
        ws.cell(row=r, column=3, value=issued).number_format = "DD/MM/YYYY"
        ws.cell(row=r, column=4, value=f"=C{r}+30").number_format = "DD/MM/YYYY"
        ws.cell(row=r, column=5, value=amount).number_format = "#,##0.00 €"
        ws.cell(row=r, column=6, value=action)
    ws["A4"].hyperlink = "https://example.com/dupont"
    ws["B5"].comment = Comment("Client difficile", "Marie")
    ws.column_dimensions["A"].width = 28
    ws.freeze_panes = "A4"
    notes = book.create_sheet("Notes")
    notes["A1"] = "Ne pas relancer avant le 15"
    book.save(path)
    # Excel saves each formula with its last result; openpyxl cannot, so put them in by hand.
    serials = {4: 46062, 5: 46072, 6: 46084}  # 09/02, 19/02 and 03/03/2026
    return patch_xlsx(
        path,
        path,
        replace={
            "xl/worksheets/sheet1.xml": lambda s: re.sub(
                r'(<c r="D(\d)"[^>]*><f>C\d\+30</f>)<v\s*/>',
                lambda m: f"{m.group(1)}<v>{serials[int(m.group(2))]}</v>",
                s,
            )
        },
    )


def test_flat_sheet_gets_missing_managed_columns_and_keeps_everything_else(tmp_path):
    source = flat_workbook(tmp_path / "Impayés.xlsx")
    assert openpyxl.load_workbook(source, data_only=True)["Feuil1"]["D4"].value == datetime(2026, 2, 9)
    before = snapshot(source)
    changes = Changes(
        cells={
            "invoices": {
                4: {
                    "next_action": "Envoyer le rappel 1",
                    "status": "overdue",
                    "balance": Decimal("1210.00"),
                    "days_overdue": 24,
                    "stage": "reminder_1",
                },
                5: {"next_action": "Relance 1", "status": "open"},  # the action is unchanged
                6: {"next_action": None, "status": "paid"},
            }
        }
    )

    result = write_workbook_changes(source, changes, now=NOW)

    ws = openpyxl.load_workbook(result.path)["Feuil1"]
    assert [c.value for c in ws[3]] == FLAT_HEADERS + ["Balance", "Status", "Days overdue", "Stage"]
    assert [ws[f"F{r}"].value for r in (4, 5, 6)] == ["Envoyer le rappel 1", "Relance 1", None]
    assert [ws[f"H{r}"].value for r in (4, 5, 6)] == ["overdue", "open", "paid"]
    assert ws["G4"].value == 1210 and ws["G4"].number_format == "#,##0.00"
    assert ws["G3"].font.b  # the new headers look like their neighbours
    assert result.columns_added == ("Feuil1!Balance", "Feuil1!Status", "Feuil1!Days overdue", "Feuil1!Stage")
    assert result.cells == 5 + 1 + 2
    after = snapshot(result.path)
    for title in ("Feuil1", "Notes"):
        old, new = before["sheets"][title], after["sheets"][title]
        for coordinate in old["cells"]:
            if title == "Feuil1" and coordinate in ("F4", "F6"):
                continue
            assert new["cells"][coordinate] == old["cells"][coordinate], coordinate
        assert new["merged"] == old["merged"] and new["freeze"] == old["freeze"]
        assert {k: v for k, v in new["widths"].items() if k in old["widths"]} == old["widths"]
    # the formulas, and the results Excel last computed for them, are still there
    assert ws["D4"].value == "=C4+30"
    values = openpyxl.load_workbook(result.path, data_only=True)["Feuil1"]
    assert [values[f"D{r}"].value for r in (4, 5, 6)] == [
        datetime(2026, 2, 9),
        datetime(2026, 2, 19),
        datetime(2026, 3, 3),
    ]
    found = locate_tables(read_grids(result.path))["invoices"]
    assert {"balance", "status", "days_overdue", "stage", "next_action"} <= found.columns.keys()


def test_a_missing_managed_column_extends_the_excel_table(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Invoices"
    ws.append(["Invoice number", "Customer ID", "Issue date", "Amount incl. VAT"])
    ws.append(["F1", "C1", date(2026, 1, 1), 100])
    ws.append(["F2", "C2", date(2026, 1, 2), 200])
    table = ExcelTable(displayName="MyInvoices", ref="A1:D3")
    table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(table)
    ws["G1"] = "my own notes, two columns to the right"
    source = tmp_path / "own.xlsx"
    book.save(source)

    result = write_workbook_changes(
        source, Changes(cells={"invoices": {2: {"status": "open"}, 3: {"stage": "x"}}}), now=NOW
    )

    assert_tables_consistent(result.path)
    ws = openpyxl.load_workbook(result.path)["Invoices"]
    table = ws.tables["MyInvoices"]
    assert table.ref == "A1:F3" and table.autoFilter.ref == "A1:F3"
    assert [(c.id, c.name) for c in table.tableColumns] == [
        (1, "Invoice number"),
        (2, "Customer ID"),
        (3, "Issue date"),
        (4, "Amount incl. VAT"),
        (5, "Status"),
        (6, "Stage"),
    ]
    assert [c.value for c in ws[1]][:7] == [
        "Invoice number",
        "Customer ID",
        "Issue date",
        "Amount incl. VAT",
        "Status",
        "Stage",
        "my own notes, two columns to the right",
    ]
    assert (ws["E2"].value, ws["F3"].value) == ("open", "x")
    with zipfile.ZipFile(result.path) as z:
        xml = z.read("xl/tables/table1.xml").decode()
    assert '<tableColumn id="6" name="Stage"' in xml and 'ref="A1:F3"' in xml


def test_no_column_is_added_over_the_users_data(tmp_path):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Invoices"
    ws.append(["Invoice number", "Customer ID", "Issue date", "Amount incl. VAT", None])
    ws.append(["F1", "C1", date(2026, 1, 1), 100, "a note without a header"])
    ws.add_table(ExcelTable(displayName="T", ref="A1:D2"))
    source = tmp_path / "own.xlsx"
    book.save(source)
    with pytest.raises(UnsafeToWrite, match="not empty"):
        write_workbook_changes(source, Changes(cells={"invoices": {2: {"status": "open"}}}), now=NOW)
    del book["Invoices"].tables["T"]
    book.save(source)  # the same sheet without an Excel Table: the column goes further right
    result = write_workbook_changes(source, Changes(cells={"invoices": {2: {"status": "open"}}}), now=NOW)
    ws = openpyxl.load_workbook(result.path)["Invoices"]
    assert (ws["E2"].value, ws["F1"].value, ws["F2"].value) == ("a note without a header", "Status", "open")


def test_only_managed_columns_are_written(template):
    with pytest.raises(ValueError, match="managed"):
        write_workbook_changes(template, Changes(cells={"invoices": {2: {"amount": Decimal("1")}}}), now=NOW)


# ------------------------------------------------------------------------------------------
# Appending rows
# ------------------------------------------------------------------------------------------


def test_appending_to_the_log_extends_its_table_and_reminders_get_a_sheet(sample):
    ref = openpyxl.load_workbook(sample)["Log"].tables["Log"].ref
    last = int(ref.split(":")[1][1:])
    changes = sample_changes(sample)
    log_rows = changes.append["log"] * 2
    result = write_workbook_changes(
        sample, Changes(append={"log": log_rows, "reminders": changes.append["reminders"]}), now=NOW
    )
    assert result.rows_added == {"log": 2, "reminders": 2} and result.cells == 0
    assert_tables_consistent(result.path)
    book = openpyxl.load_workbook(result.path)
    assert book["Log"].tables["Log"].ref == f"A1:H{last + 2}"
    assert book["Log"][f"E{last + 2}"].value == "reminder_1"
    assert book["Log"][f"A{last + 1}"].number_format == "DD/MM/YYYY"
    reminders = book["Reminders"]
    assert book.sheetnames[-1] == "Reminders"
    assert [c.value for c in reminders[1]] == [c.header("en") for c in REMINDERS_COLUMNS]
    assert reminders.tables["Reminders"].ref == "A1:J3"
    assert [c.name for c in reminders.tables["Reminders"].tableColumns] == [c.header("en") for c in REMINDERS_COLUMNS]
    assert reminders["H2"].value == "Bonjour,\n\nSauf erreur…" and reminders["D3"].value is None
    assert reminders.freeze_panes == "A2"

    again = write_workbook_changes(
        result.path, Changes(append={"reminders": changes.append["reminders"][:1]}), now=NOW, in_place=True
    )
    book = openpyxl.load_workbook(again.path)
    assert book.sheetnames.count("Reminders") == 1 and book["Reminders"].tables["Reminders"].ref == "A1:J4"
    assert book["Reminders"]["E4"].value == "F2026-001"


def test_the_reminders_sheet_is_never_taken_for_another_table(tmp_path):
    source = flat_workbook(tmp_path / "flat.xlsx")
    changes = sample_changes(source)
    result = write_workbook_changes(source, Changes(append={"reminders": changes.append["reminders"]}), now=NOW)
    located = locate_tables(read_grids(result.path))
    assert located["invoices"].grid.name == "Feuil1"
    assert all(found.grid.name != "Reminders" for found in located.values())
    for lang in schema.LANGUAGES:  # fewer than three headers in common with any data table, in every language
        for table in schema.DATA_TABLES:
            common = {c.key for c in REMINDERS_COLUMNS if table.match_header(c.header(lang))}
            assert len(common) < 3, (lang, table.key, common)


def test_a_log_row_for_a_workbook_without_log_sheet_creates_one(tmp_path):
    source = flat_workbook(tmp_path / "flat.xlsx")
    row = sample_changes(source).append["log"][0]
    result = write_workbook_changes(source, Changes(append={"log": [row]}), now=NOW)
    located = locate_tables(read_grids(result.path))
    assert located["log"].grid.name == "Log" and located["invoices"].grid.name == "Feuil1"
    assert_tables_consistent(result.path)


# ------------------------------------------------------------------------------------------
# What openpyxl would lose: verified, then refused
# ------------------------------------------------------------------------------------------


def base_workbook(path: Path) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Invoices"
    ws.append(["Invoice number", "Customer ID", "Issue date", "Amount incl. VAT", "Status"])
    for i in range(1, 4):
        ws.append([f"F{i}", f"C{i}", date(2026, 1, i), 100 * i, "open"])
    book.save(path)
    return path


def with_chart(path: Path) -> Path:
    book = openpyxl.load_workbook(path)
    ws = book["Invoices"]
    chart = BarChart()
    chart.add_data(Reference(ws, min_col=4, min_row=1, max_row=4), titles_from_data=True)
    ws.add_chart(chart, "H2")
    book.save(path)
    # As Excel 2013+ saves a chart: with its style and colour parts and an extension.
    return patch_xlsx(
        path,
        path,
        add={
            "xl/charts/style1.xml": '<cs:chartStyle xmlns:cs="http://schemas.microsoft.com/office/drawing/2012/'
            'chartStyle" id="201"/>',
            "xl/charts/colors1.xml": '<cs:colorStyle xmlns:cs="http://schemas.microsoft.com/office/drawing/2012/'
            'chartStyle" meth="cycle" id="10"/>',
        },
        overrides={
            "/xl/charts/style1.xml": "application/vnd.ms-office.chartstyle+xml",
            "/xl/charts/colors1.xml": "application/vnd.ms-office.chartcolorstyle+xml",
        },
        rels={
            "xl/charts/_rels/chart1.xml.rels": [
                ("rId1", "http://schemas.microsoft.com/office/2011/relationships/chartStyle", "style1.xml"),
                ("rId2", "http://schemas.microsoft.com/office/2011/relationships/chartColorStyle", "colors1.xml"),
            ]
        },
    )


def with_pivot(path: Path) -> Path:
    cache = (
        f'<pivotCacheDefinition xmlns="{MAIN}" xmlns:r="{R}" r:id="rId1" refreshOnLoad="1" recordCount="3">'
        '<cacheSource type="worksheet"><worksheetSource ref="A1:D4" sheet="Invoices"/></cacheSource>'
        '<cacheFields count="2"><cacheField name="Customer ID" numFmtId="0"><sharedItems/></cacheField>'
        '<cacheField name="Amount incl. VAT" numFmtId="0"><sharedItems containsSemiMixedTypes="0" '
        'containsString="0" containsNumber="1" containsInteger="1" minValue="100" maxValue="300"/>'
        '</cacheField></cacheFields><extLst><ext uri="{725AE2AE-9491-48be-B2B4-4EB974FC3084}" '
        f'xmlns:x14="{X14}"><x14:pivotCacheDefinition pivotCacheId="7"/></ext></extLst></pivotCacheDefinition>'
    )
    records = f'<pivotCacheRecords xmlns="{MAIN}" count="0"/>'
    pivot = (
        f'<pivotTableDefinition xmlns="{MAIN}" name="PivotTable1" cacheId="1" dataCaption="Values" '
        'updatedVersion="6" createdVersion="6"><location ref="H1:H2" firstHeaderRow="1" firstDataRow="1" '
        'firstDataCol="0"/><pivotFields count="2"><pivotField showAll="0"/><pivotField dataField="1" '
        'showAll="0"/></pivotFields><dataFields count="1"><dataField name="Sum of amount" fld="1" '
        'baseField="0" baseItem="0"/></dataFields><extLst><ext uri="{962EF5D1-5CA2-4c93-8EF4-DBF5C05439D2}" '
        f'xmlns:x14="{X14}"><x14:pivotTableDefinition hideValuesRow="1"/></ext></extLst></pivotTableDefinition>'
    )
    sml = "application/vnd.openxmlformats-officedocument.spreadsheetml."
    return patch_xlsx(
        path,
        path.with_name("pivot.xlsx"),
        add={
            "xl/pivotCache/pivotCacheDefinition1.xml": cache,
            "xl/pivotCache/pivotCacheRecords1.xml": records,
            "xl/pivotTables/pivotTable1.xml": pivot,
        },
        overrides={
            "/xl/pivotCache/pivotCacheDefinition1.xml": sml + "pivotCacheDefinition+xml",
            "/xl/pivotCache/pivotCacheRecords1.xml": sml + "pivotCacheRecords+xml",
            "/xl/pivotTables/pivotTable1.xml": sml + "pivotTable+xml",
        },
        rels={
            "xl/pivotCache/_rels/pivotCacheDefinition1.xml.rels": [
                ("rId1", R + "/pivotCacheRecords", "pivotCacheRecords1.xml")
            ],
            "xl/pivotTables/_rels/pivotTable1.xml.rels": [
                ("rId1", R + "/pivotCacheDefinition", "../pivotCache/pivotCacheDefinition1.xml")
            ],
            "xl/worksheets/_rels/sheet1.xml.rels": [("rId1", R + "/pivotTable", "../pivotTables/pivotTable1.xml")],
            "xl/_rels/workbook.xml.rels": [
                ("rId90", R + "/pivotCacheDefinition", "pivotCache/pivotCacheDefinition1.xml")
            ],
        },
        replace={
            "xl/workbook.xml": lambda s: s.replace(
                "</workbook>", '<pivotCaches><pivotCache cacheId="1" r:id="rId90"/></pivotCaches></workbook>'
            )
        },
    )


def with_slicer(path: Path) -> Path:
    slicer = (
        '<slicers xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main">'
        '<slicer name="Customer ID" cache="Slicer_Customer_ID" caption="Customer ID" rowHeight="241300"/>'
        "</slicers>"
    )
    cache = (
        '<slicerCacheDefinition xmlns="http://schemas.microsoft.com/office/spreadsheetml/2009/9/main" '
        'name="Slicer_Customer_ID" sourceName="Customer ID"/>'
    )
    ext = (
        '<extLst><ext uri="{3A4CF648-6AED-40f4-86FF-DC5316D8AED3}" xmlns:x14="' + X14 + '">'
        '<x15:slicerList xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main">'
        '<x14:slicer r:id="rId7" xmlns:r="' + R + '"/></x15:slicerList></ext></extLst>'
    )
    return patch_xlsx(
        path,
        path.with_name("slicer.xlsx"),
        add={"xl/slicers/slicer1.xml": slicer, "xl/slicerCaches/slicerCache1.xml": cache},
        overrides={
            "/xl/slicers/slicer1.xml": "application/vnd.ms-excel.slicer+xml",
            "/xl/slicerCaches/slicerCache1.xml": "application/vnd.ms-excel.slicerCache+xml",
        },
        rels={
            "xl/worksheets/_rels/sheet1.xml.rels": [
                ("rId7", "http://schemas.microsoft.com/office/2007/relationships/slicer", "../slicers/slicer1.xml")
            ],
            "xl/_rels/workbook.xml.rels": [
                (
                    "rId91",
                    "http://schemas.microsoft.com/office/2007/relationships/slicerCache",
                    "slicerCaches/slicerCache1.xml",
                )
            ],
        },
        replace={"xl/worksheets/sheet1.xml": lambda s: s.replace("</worksheet>", ext + "</worksheet>")},
    )


def with_external_link(path: Path, extra: str = "") -> Path:
    link = (
        f'<externalLink xmlns="{MAIN}" xmlns:r="{R}"><externalBook r:id="rId1">{extra}<sheetNames>'
        '<sheetName val="Prices"/></sheetNames><sheetDataSet><sheetData sheetId="0"><row r="1"><cell r="A1">'
        "<v>12.5</v></cell></row></sheetData></sheetDataSet></externalBook></externalLink>"
    )
    name = "cloud-link.xlsx" if extra else "link.xlsx"
    return patch_xlsx(
        path,
        path.with_name(name),
        add={"xl/externalLinks/externalLink1.xml": link},
        overrides={
            "/xl/externalLinks/externalLink1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
        },
        rels={
            "xl/externalLinks/_rels/externalLink1.xml.rels": [
                ("rId1", R + "/externalLinkPath", "file:///C:/Prices.xlsx")
            ],
            "xl/_rels/workbook.xml.rels": [("rId99", R + "/externalLink", "externalLinks/externalLink1.xml")],
        },
        replace={
            "xl/workbook.xml": lambda s: s.replace(
                "<definedNames",
                '<externalReferences><externalReference r:id="rId99"/></externalReferences><definedNames',
            ),
            "xl/worksheets/sheet1.xml": lambda s: re.sub(
                r'(<row r="2".*?)</row>', r'\1<c r="G2"><f>[1]Prices!A1</f><v>12.5</v></c></row>', s, count=1
            ),
        },
    )


CLOUD = (
    '<xxl21:alternateUrls xmlns:xxl21="http://schemas.microsoft.com/office/spreadsheetml/2021/extlinks2021" '
    'driveId="b!abc" itemId="01XYZ"><xxl21:absoluteUrl r:id="rId2"/></xxl21:alternateUrls>'
)


def with_macros(path: Path) -> Path:
    return patch_xlsx(
        path,
        path.with_name("macros.xlsm"),
        add={"xl/vbaProject.bin": b"\xd0\xcf\x11\xe0 vba"},
        defaults={"bin": "application/vnd.ms-office.vbaProject"},
        rels={
            "xl/_rels/workbook.xml.rels": [
                ("rId98", "http://schemas.microsoft.com/office/2006/relationships/vbaProject", "vbaProject.bin")
            ]
        },
        main_type="application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )


def with_macros_named_xlsx(path: Path) -> Path:
    macros = with_macros(path)
    return Path(shutil.copy(macros, path.with_name("macros-renamed.xlsx")))


def with_picture(path: Path) -> Path:
    book = openpyxl.load_workbook(path)
    book["Invoices"].add_image(Image(io.BytesIO(png_bytes())), "H2")
    book.save(path)
    return path


def with_shape(path: Path) -> Path:
    shape = (
        "<twoCellAnchor><from><col>8</col><colOff>0</colOff><row>1</row><rowOff>0</rowOff></from><to><col>11"
        '</col><colOff>0</colOff><row>5</row><rowOff>0</rowOff></to><sp macro="" textlink=""><nvSpPr>'
        '<cNvPr id="5" name="TextBox 4"/><cNvSpPr txBox="1"/></nvSpPr><spPr><a:prstGeom prst="rect">'
        "<a:avLst/></a:prstGeom></spPr><txBody><a:bodyPr/><a:lstStyle/><a:p><a:r><a:t>Call Jan first!</a:t>"
        "</a:r></a:p></txBody></sp><clientData/></twoCellAnchor>"
    )
    return patch_xlsx(
        with_picture(path),
        path.with_name("shape.xlsx"),
        replace={"xl/drawings/drawing1.xml": lambda s: s.replace("</wsDr>", shape + "</wsDr>")},
    )


def with_linked_picture(path: Path) -> Path:
    return patch_xlsx(
        with_picture(path),
        path.with_name("linked-picture.xlsx"),
        rels={"xl/drawings/_rels/drawing1.xml.rels": [("rId9", R + "/hyperlink", "https://example.com/")]},
        replace={
            "xl/drawings/drawing1.xml": lambda s: s.replace(
                'descr="Picture" />', 'descr="Picture"><a:hlinkClick r:id="rId9"/></cNvPr>'
            )
        },
    )


def with_sparklines(path: Path) -> Path:
    ext = (
        '<extLst><ext uri="{05C60535-1F16-4fd2-B633-F4F36F0B64E0}" xmlns:x14="' + X14 + '"><x14:sparklineGroups '
        'xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:sparklineGroup><x14:sparklines>'
        "<x14:sparkline><xm:f>Invoices!D2:D4</xm:f><xm:sqref>F2</xm:sqref></x14:sparkline></x14:sparklines>"
        "</x14:sparklineGroup></x14:sparklineGroups></ext></extLst>"
    )
    return patch_xlsx(
        path,
        path.with_name("sparklines.xlsx"),
        replace={"xl/worksheets/sheet1.xml": lambda s: s.replace("</worksheet>", ext + "</worksheet>")},
    )


def with_data_bars(path: Path) -> Path:
    rule = (
        '<conditionalFormatting sqref="D2:D4"><cfRule type="dataBar" priority="1"><dataBar><cfvo type="min"/>'
        '<cfvo type="max"/><color rgb="FF638EC6"/></dataBar><extLst><ext uri="{B025F937-C7B1-47D3-B67F-'
        'A62EFF666E3E}" xmlns:x14="' + X14 + '"><x14:id>{00000000-0000-0000-0000-000000000001}</x14:id></ext>'
        "</extLst></cfRule></conditionalFormatting>"
    )
    ext = (
        '<extLst><ext uri="{78C0D931-6437-407d-A8EE-F0AAD7539E65}" xmlns:x14="' + X14 + '">'
        '<x14:conditionalFormattings><x14:conditionalFormatting xmlns:xm="http://schemas.microsoft.com/office/'
        'excel/2006/main"><x14:cfRule type="dataBar" id="{00000000-0000-0000-0000-000000000001}"><x14:dataBar '
        'gradient="0" negativeBarColorSameAsPositive="1"/></x14:cfRule><xm:sqref>D2:D4</xm:sqref>'
        "</x14:conditionalFormatting></x14:conditionalFormattings></ext></extLst>"
    )
    return patch_xlsx(
        path,
        path.with_name("data-bars.xlsx"),
        replace={
            "xl/worksheets/sheet1.xml": lambda s: s.replace("<pageMargins", rule + "<pageMargins").replace(
                "</worksheet>", ext + "</worksheet>"
            )
        },
    )


def with_list_from_another_sheet(path: Path) -> Path:
    ext = (
        '<extLst><ext uri="{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}" xmlns:x14="' + X14 + '"><x14:dataValidations '
        'count="1" xmlns:xm="http://schemas.microsoft.com/office/excel/2006/main"><x14:dataValidation '
        'type="list" allowBlank="1"><x14:formula1><xm:f>Lists!$A$1:$A$3</xm:f></x14:formula1><xm:sqref>E2:E100'
        "</xm:sqref></x14:dataValidation></x14:dataValidations></ext></extLst>"
    )
    return patch_xlsx(
        path,
        path.with_name("validation.xlsx"),
        replace={"xl/worksheets/sheet1.xml": lambda s: s.replace("</worksheet>", ext + "</worksheet>")},
    )


def with_threaded_comment(path: Path) -> Path:
    thread = (
        '<ThreadedComments xmlns="http://schemas.microsoft.com/office/spreadsheetml/2018/threadedcomments">'
        '<threadedComment ref="A2" dT="2026-03-01T10:00:00.00" personId="{00000000-0000-0000-0000-00000000000'
        '1}" id="{00000000-0000-0000-0000-000000000002}"><text>Is this paid?</text></threadedComment>'
        "</ThreadedComments>"
    )
    return patch_xlsx(
        path,
        path.with_name("threaded.xlsx"),
        add={"xl/threadedComments/threadedComment1.xml": thread},
        overrides={"/xl/threadedComments/threadedComment1.xml": "application/vnd.ms-excel.threadedcomments+xml"},
        rels={
            "xl/worksheets/_rels/sheet1.xml.rels": [
                (
                    "rId5",
                    "http://schemas.microsoft.com/office/2017/10/relationships/threadedComment",
                    "../threadedComments/threadedComment1.xml",
                )
            ]
        },
    )


def with_dde_link(path: Path) -> Path:
    link = f'<externalLink xmlns="{MAIN}"><ddeLink ddeService="Excel" ddeTopic="C:\\Prices.xls"/></externalLink>'
    return patch_xlsx(
        path,
        path.with_name("dde.xlsx"),
        add={"xl/externalLinks/externalLink1.xml": link},
        overrides={
            "/xl/externalLinks/externalLink1.xml": "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml"
        },
        rels={"xl/_rels/workbook.xml.rels": [("rId99", R + "/externalLink", "externalLinks/externalLink1.xml")]},
        replace={
            "xl/workbook.xml": lambda s: s.replace(
                "<definedNames",
                '<externalReferences><externalReference r:id="rId99"/></externalReferences><definedNames',
            )
        },
    )


LOSSES = [
    # builder, what losses() says, how a plain openpyxl round trip shows the loss
    (with_chart, "a chart", lambda z: "xl/charts/style1.xml" not in z.namelist()),
    (with_pivot, "a pivot table", lambda z: "hideValuesRow" not in z.read("xl/pivotTables/pivotTable1.xml").decode()),
    (with_slicer, "a slicer", lambda z: "xl/slicers/slicer1.xml" not in z.namelist()),
    (
        lambda p: with_external_link(p, CLOUD),
        "a link to another workbook",
        lambda z: "alternateUrls" not in z.read("xl/externalLinks/externalLink1.xml").decode(),
    ),
    (with_dde_link, "a link to another workbook", lambda z: False),  # openpyxl cannot even open it
    (with_macros_named_xlsx, "macros (VBA)", lambda z: "xl/vbaProject.bin" not in z.namelist()),
    (with_shape, "a shape or text box", lambda z: "Call Jan" not in z.read("xl/drawings/drawing1.xml").decode()),
    (
        with_linked_picture,
        "a picture with a hyperlink",
        lambda z: "hyperlink" not in z.read("xl/drawings/_rels/drawing1.xml.rels").decode(),
    ),
    (with_sparklines, "sparklines", lambda z: "sparkline" not in sheet_xml(z)),
    (with_data_bars, "conditional formatting from Excel 2010", lambda z: "x14:" not in sheet_xml(z)),
    (
        with_list_from_another_sheet,
        "data validation lists that refer to other sheets",
        lambda z: "Lists!" not in sheet_xml(z),
    ),
    (with_threaded_comment, "threaded comments", lambda z: not any("threaded" in n for n in z.namelist())),
]


@pytest.mark.parametrize("build, item, lost", LOSSES, ids=[case[1].split(" (")[0] for case in LOSSES])
def test_what_openpyxl_would_lose_is_refused(tmp_path, build, item, lost):
    path = build(base_workbook(tmp_path / "Invoices.xlsx"))
    written = openpyxl_round_trip(path, tmp_path)
    assert written is None or lost(written), "openpyxl no longer loses this: revisit losses()"
    found = losses(path)
    assert any(entry.startswith(item) for entry in found), found
    before = files(tmp_path)
    digest = sha(path)
    with pytest.raises(UnsafeToWrite) as refused:
        write_workbook_changes(path, Changes(cells={"invoices": {2: {"status": "overdue"}}}), now=NOW, in_place=True)
    message = str(refused.value)
    assert path.name in message and item in message and "Nothing was written" in message
    assert "ribbon" in message
    assert files(tmp_path) == before and sha(path) == digest


PARTS = [
    # a part as Excel saves it, and what losses() calls it; openpyxl never writes a part it does not know
    ("xl/timelines/timeline1.xml", "application/vnd.ms-excel.timeline+xml", "a timeline"),
    ("xl/model/item.data", "application/vnd.openxmlformats-officedocument.model+data", "a data model (Power Pivot)"),
    (
        "xl/connections.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.connections+xml",
        "data connections",
    ),
    (
        "xl/queryTables/queryTable1.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.queryTable+xml",
        "data connections",
    ),
    ("xl/activeX/activeX1.xml", "application/vnd.ms-office.activeX+xml", "ActiveX controls"),
    ("xl/ctrlProps/ctrlProp1.xml", "application/vnd.ms-excel.controlproperties+xml", "form controls"),
    ("xl/embeddings/oleObject1.bin", "application/vnd.openxmlformats-officedocument.oleObject", "embedded objects"),
    (
        "xl/metadata.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetMetadata+xml",
        "dynamic array formulas",
    ),
    ("xl/richData/rdrichvalue.xml", "application/vnd.ms-excel.rdrichvalue+xml", "pictures in cells"),
    ("customXml/item1.xml", "application/xml", "custom XML data"),
    ("xl/macrosheets/sheet1.xml", "application/vnd.ms-excel.macrosheet+xml", "Excel 4.0 macro sheets"),
    ("xl/somethingNew/part1.xml", "application/vnd.example.new+xml", "other content the writer does not know"),
]


@pytest.mark.parametrize("part, content_type, item", PARTS, ids=[p[0] for p in PARTS])
def test_parts_openpyxl_does_not_know_are_refused(tmp_path, part, content_type, item):
    path = patch_xlsx(
        base_workbook(tmp_path / "Invoices.xlsx"),
        tmp_path / "with-part.xlsx",
        add={part: "<x/>"},
        overrides={"/" + part: content_type},
    )
    written = openpyxl_round_trip(path, tmp_path)
    assert part not in written.namelist()
    assert any(entry.startswith(item) for entry in losses(path)), losses(path)


def test_form_controls_in_a_vml_drawing_are_refused_but_comments_are_not(tmp_path):
    path = base_workbook(tmp_path / "Invoices.xlsx")
    book = openpyxl.load_workbook(path)
    book["Invoices"]["A2"].comment = Comment("Paid in cash", "Marie")
    book.save(path)
    assert losses(path) == []
    checkbox = path.with_name("checkbox.xlsx")
    patch_xlsx(
        path,
        checkbox,
        replace={
            "xl/drawings/commentsDrawing1.vml": lambda s: s.replace(
                "</xml>",
                '<v:shape id="_x0000_s2049" type="#_x0000_t201"><x:ClientData ObjectType="Checkbox">'
                "<x:Checked>1</x:Checked></x:ClientData></v:shape></xml>",
            )
        },
    )
    assert "Checkbox" not in openpyxl_round_trip(checkbox, tmp_path).read("xl/drawings/commentsDrawing1.vml").decode()
    assert losses(checkbox) == ["form controls (buttons, check boxes, lists)"]


def test_the_message_names_everything_with_counts(tmp_path):
    path = with_shape(with_chart(base_workbook(tmp_path / "Invoices.xlsx")))
    assert losses(path) == ["a chart", "a shape or text box"]
    with pytest.raises(
        UnsafeToWrite,
        match=r"^shape\.xlsx contains a chart and a shape or text box, which the "
        r"writer cannot keep\. Nothing was written\. Use the same button on the Excel ribbon",
    ):
        write_workbook_changes(path, Changes(), now=NOW)
    two = with_chart(with_chart(base_workbook(tmp_path / "two.xlsx")))
    assert losses(two) == ["2 charts"]
    with pytest.raises(UnsafeToWrite, match=r"two\.xlsx contains 2 charts, which the writer cannot keep"):
        write_workbook_changes(two, Changes(), now=NOW)


def test_a_macro_enabled_workbook_is_refused(tmp_path):
    path = with_macros(base_workbook(tmp_path / "Invoices.xlsx"))
    assert losses(path) == ["macros (VBA)"]
    with pytest.raises(UnsafeToWrite, match="macro-enabled"):
        write_workbook_changes(path, Changes(), now=NOW)


@pytest.mark.parametrize("build", [lambda p: p, init_command.init], ids=["plain", "template"])
def test_comments_tables_validations_pictures_and_plain_links_are_allowed(tmp_path, build):
    path = tmp_path / "Invoices.xlsx"
    if build is init_command.init:
        build(path, with_sample=True)
        book = openpyxl.load_workbook(path)
        assert any(c.comment for ws in book.worksheets for row in ws.iter_rows(max_row=1) for c in row)
    else:
        base_workbook(path)
        book = openpyxl.load_workbook(path)
        book["Invoices"]["A1"].comment = Comment("a note", "me")
        book.save(path)
        path = with_external_link(with_picture(path))
    assert losses(path) == []
    result = write_workbook_changes(path, Changes(cells={"invoices": {2: {"status": "overdue"}}}), now=NOW)
    with zipfile.ZipFile(result.path) as z:
        names = z.namelist()
    if build is not init_command.init:
        assert any(n.startswith("xl/media/") for n in names)
        assert "xl/externalLinks/externalLink1.xml" in names
        written = openpyxl.load_workbook(result.path)["Invoices"]
        assert written["A1"].comment.text == "a note" and written["G2"].value == "=[1]Prices!A1"
        assert openpyxl.load_workbook(result.path, data_only=True)["Invoices"]["G2"].value == 12.5
    assert losses(result.path) == []


def test_a_workbook_open_in_libreoffice_or_read_only_is_refused(template):
    lock = template.with_name(f".~lock.{template.name}#")
    lock.write_text("user")
    with pytest.raises(UnsafeToWrite, match="close it in LibreOffice first"):
        write_workbook_changes(template, Changes(cells={"invoices": {2: {"status": "x"}}}), now=NOW)
    lock.unlink()
    template.chmod(0o444)
    try:
        with pytest.raises(UnsafeToWrite, match="read-only"):
            write_workbook_changes(template, Changes(cells={"invoices": {2: {"status": "x"}}}), now=NOW, in_place=True)
    finally:
        template.chmod(0o644)


def test_in_place_through_a_symbolic_link_writes_the_file_itself(template, tmp_path):
    link = tmp_path / "link.xlsx"
    link.symlink_to(template)
    result = write_workbook_changes(link, Changes(cells={"invoices": {2: {"status": "x"}}}), now=NOW, in_place=True)
    assert link.is_symlink() and result.path == template.resolve()
    assert openpyxl.load_workbook(template)["Invoices"].cell(row=2, column=21).value == "x"


def test_text_with_several_formats_in_one_cell_keeps_them(tmp_path):
    from openpyxl.cell.rich_text import CellRichText, TextBlock
    from openpyxl.cell.text import InlineFont

    path = base_workbook(tmp_path / "Invoices.xlsx")
    book = openpyxl.load_workbook(path)
    book["Invoices"]["F2"] = CellRichText(["Paid ", TextBlock(InlineFont(b=True), "late")])
    book.save(path)
    result = write_workbook_changes(path, Changes(cells={"invoices": {3: {"status": "overdue"}}}), now=NOW)
    value = openpyxl.load_workbook(result.path, rich_text=True)["Invoices"]["F2"].value
    assert isinstance(value, CellRichText) and value[1].font.b and str(value) == "Paid late"


def test_a_workbook_open_in_excel_is_refused(sample):
    lock = sample.with_name("~$" + sample.name)
    lock.write_bytes(b"owner")
    digest = sha(sample)
    with pytest.raises(UnsafeToWrite, match="close it in Excel first, or use the same button on the Excel ribbon"):
        write_workbook_changes(sample, sample_changes(sample), now=NOW, in_place=True)
    with pytest.raises(UnsafeToWrite, match="close it in Excel first"):
        write_workbook_changes(sample, sample_changes(sample), now=NOW)
    assert sha(sample) == digest and not (sample.parent / ".debtor-portal").exists()
    lock.unlink()
    assert write_workbook_changes(sample, sample_changes(sample), now=NOW, in_place=True).backup


def test_a_file_that_is_no_workbook_gets_the_readers_message(tmp_path):
    from portal.workbook.xlsx.grids import UnreadableWorkbook

    path = tmp_path / "Invoices.xlsx"
    path.write_text("name;amount\n")
    with pytest.raises(UnreadableWorkbook):
        write_workbook_changes(path, Changes(), now=NOW)


def test_the_new_file_is_read_back_before_it_replaces_the_workbook(tmp_path, monkeypatch):
    source = flat_workbook(tmp_path / "Impayés.xlsx")
    digest = sha(source)
    # As if openpyxl lost something: here the formulas' results (D4:D6) that the writer puts back.
    monkeypatch.setattr(write, "_put_back", lambda src, written, out: shutil.copy(written, out))
    with pytest.raises(UnsafeToWrite, match=r"cell D4 on sheet 'Feuil1' would change from datetime"):
        write_workbook_changes(source, Changes(cells={"invoices": {4: {"status": "overdue"}}}), now=NOW, in_place=True)
    assert sha(source) == digest
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".debtor-portal-writing")]


def test_workbook_settings_and_document_properties_survive(tmp_path):
    from openpyxl.packaging.custom import StringProperty
    from openpyxl.workbook.defined_name import DefinedName

    path = base_workbook(tmp_path / "Invoices.xlsx")
    book = openpyxl.load_workbook(path)
    ws = book["Invoices"]
    book.defined_names["Rate"] = DefinedName("Rate", attr_text="Invoices!$D$2")
    ws.print_area = "A1:E4"
    ws.print_title_rows = "1:1"
    ws.protection.sheet = True
    ws.sheet_properties.tabColor = "FF0000"
    ws.row_dimensions[3].hidden = True
    hidden = book.create_sheet("Hidden")
    hidden.sheet_state = "hidden"
    hidden["A1"] = "secret"
    book.custom_doc_props.append(StringProperty(name="MSIP_Label_General", value="General"))
    book.save(path)
    patch_xlsx(
        path,
        path,
        replace={
            "docProps/app.xml": lambda s: s.replace(
                "<Application>",
                "<Manager>Marie</Manager><Company>Atelier &amp; Fils</Company>"
                "<HyperlinkBase>\\\\server\\share\\</HyperlinkBase><Application>",
            )
        },
    )

    result = write_workbook_changes(
        path,
        Changes(cells={"invoices": {2: {"status": "overdue"}}}, append={"reminders": [{"date": date(2026, 3, 5)}]}),
        now=NOW,
    )

    book = openpyxl.load_workbook(result.path)
    ws = book["Invoices"]
    assert book.defined_names["Rate"].attr_text == "Invoices!$D$2"
    assert (ws.print_area, ws.print_title_rows) == ("'Invoices'!$A$1:$E$4", "$1:$1")
    assert ws.protection.sheet and ws.sheet_properties.tabColor.rgb == "00FF0000" and ws.row_dimensions[3].hidden
    assert book["Hidden"].sheet_state == "hidden" and book["Hidden"]["A1"].value == "secret"
    assert [p.name for p in book.custom_doc_props] == ["MSIP_Label_General"]
    with zipfile.ZipFile(result.path) as z:
        app = z.read("docProps/app.xml").decode()
    assert "<Manager>Marie</Manager><Company>Atelier &amp; Fils</Company><HyperlinkBase>\\\\server" in app
    assert app.index("<HyperlinkBase>") < app.index("<Application>")

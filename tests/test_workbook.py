"""The template and sample workbooks, and reading real .xlsx files into a Ledger."""

from __future__ import annotations

import hashlib
import re
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from portal.app import check, init, load
from portal.workbook import sample, schema
from portal.workbook.file import FileWorkbook
from portal.workbook.read import read_ledger
from portal.workbook.xlsx.grids import read_grids

from .conftest import SAMPLE, TEMPLATE


def cell_contents(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path)
    return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()] for ws in book.worksheets}


@pytest.mark.parametrize("committed, with_sample", [(TEMPLATE, False), (SAMPLE, True)], ids=["template", "sample"])
def test_committed_workbooks_equal_a_fresh_build(tmp_path, committed, with_sample):
    fresh = init.init(tmp_path / "fresh.xlsx", with_sample=with_sample).path
    assert cell_contents(fresh) == cell_contents(committed)


def test_template_has_real_tables_formats_validation_and_marked_managed_columns():
    book = openpyxl.load_workbook(TEMPLATE)
    assert book.sheetnames[0] == "How to use"
    for table in schema.TABLES:
        ws = book[table.sheet_name()]
        assert ws.freeze_panes == "A2"
        assert len(ws.tables) == 1, table.key
        excel_table = next(iter(ws.tables.values()))
        assert excel_table.ref.startswith("A1:")
        headers = [c.value for c in ws[1]]
        assert headers == [c.header("en") for c in table.columns]
    invoices = book["Invoices"]
    by_header = {c.value: c for c in invoices[1]}
    for column in schema.INVOICES.columns:
        header = by_header[column.header("en")]
        assert (header.fill.fgColor.rgb == "00D9D9D9") == column.managed, column.key
    due = by_header["Due date"].column_letter
    assert invoices[f"{due}2"].number_format == "DD/MM/YYYY"
    amount = by_header["Amount incl. VAT"].column_letter
    assert invoices[f"{amount}2"].number_format == "#,##0.00"
    lists = {dv.formula1 for dv in book["Customers"].data_validations.dataValidation}
    assert {'"fr,nl,en,de"', '"B2B,B2C"', '"gentle,standard,strict"', '"yes,no"'} <= lists
    settings = book["Settings"]
    assert settings["A2"].value == "Company name" and settings["C2"].value


def test_template_in_french_reads_back(tmp_path):
    path = init.init(tmp_path / "modele.xlsx", lang="fr").path
    book = openpyxl.load_workbook(path)
    assert "Factures" in book.sheetnames and book["Factures"]["A1"].value == "N° facture"
    reading = read_ledger(read_grids(path))
    assert set(reading.tables) == {"customers", "invoices", "payments", "plans", "log", "scenarios"}
    assert [p.code for p in reading.problems] == ["missing_setting", "missing_setting"]  # name and IBAN
    assert [str(p) for p in reading.problems] == [
        "ERROR: sheet 'Paramètres', row 2, column 'Nom de l'entreprise' (B): The setting 'Nom de l'entreprise' is "
        "empty. Fill in cell B2, next to 'Nom de l'entreprise', or pass --creditor name=VALUE.",
        "ERROR: sheet 'Paramètres', row 5, column 'IBAN' (B): The setting 'IBAN' is empty. Fill in cell B5, next to "
        "'IBAN', or pass --creditor iban=VALUE.",
    ]


def test_the_sample_reads_as_the_expected_ledger():
    loaded = load.load(FileWorkbook(SAMPLE))
    assert loaded.problems == ()
    ledger = loaded.ledger
    assert len(ledger.customers) == 40 and len(ledger.invoices) == 151
    assert {c.language for c in ledger.customers} == {"fr", "nl", "en", "de"}
    assert {c.kind for c in ledger.customers} == {"B2B", "B2C"}
    creditor = ledger.creditor
    assert (creditor.name, creditor.iban, creditor.country) == ("Atelier Lumière SRL", "BE71096123456769", "BE")
    assert creditor.as_of == sample.AS_OF and creditor.flat_fee is True
    big = ledger.invoice("2026-0001")
    assert big.amount == Decimal("48000.00") and isinstance(big.amount, Decimal)
    assert big.issue_date == date(2026, 9, 2) and big.due_date == date(2026, 10, 2)
    assert big.where.sheet == "Invoices" and big.where.row == 2
    assert ledger.invoice("2026-0002").amount == Decimal("12.50")
    assert ledger.invoice("2026-0151").is_credit_note and ledger.invoice("2026-0151").amount == Decimal("-150.00")
    assert ledger.invoice("2026-0149").currency == "GBP"
    discounted = ledger.invoice("2026-0148")
    assert discounted.discount_pct == Decimal("2") and discounted.discount_date == date(2026, 11, 23)
    assert sum(i.disputed for i in ledger.invoices) == 2 and sum(i.written_off for i in ledger.invoices) == 1
    assert [i.amount for i in ledger.installments] == [Decimal("12000.00")] * 4
    assert all(isinstance(p.amount, Decimal) for p in ledger.payments)
    amounts = [i.amount for i in ledger.invoices if not i.is_credit_note]
    assert min(amounts) == Decimal("12.50") and max(amounts) == Decimal("48000.00")


def test_reading_leaves_the_file_untouched(sample_copy):
    before = hashlib.sha256(sample_copy.read_bytes()).hexdigest()
    mtime = sample_copy.stat().st_mtime_ns
    check.check(FileWorkbook(sample_copy))
    assert hashlib.sha256(sample_copy.read_bytes()).hexdigest() == before
    assert sample_copy.stat().st_mtime_ns == mtime


def _with_cached_formula(path: Path, cell: str, formula: str, cached: str) -> None:
    """Give a formula cell the cached value Excel would have saved (openpyxl writes none)."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = "xl/worksheets/sheet1.xml"
    xml, count = re.subn(
        rf'<c r="{cell}"><f>{re.escape(formula)}</f><v\s*/>',
        f'<c r="{cell}"><f>{formula}</f><v>{cached}</v>',
        parts[sheet].decode(),
    )
    assert count == 1
    parts[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


@pytest.fixture
def flat_french_sheet(tmp_path: Path) -> Path:
    """A business's own sheet: one flat table, French headers, no Customers table."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Impayés 2026"
    ws["A1"] = "Suivi des factures impayées"  # a title above the table
    ws.append([])
    ws.append(
        [
            "Nom du client",
            "Numéro de facture",
            "Date",
            "Échéance",
            "Montant dû",
            "Dernier contact",
            "Prochaine action",
            "Commentaire",
        ]
    )
    ws.append(
        [
            "Boulangerie Dupont",
            "F-2026-101",
            date(2026, 9, 1),
            "01/10/2026",
            "1.234,56",
            "2026-10-15",
            "Relancer",
            "client fidèle",
        ]
    )
    ws.append(["Garage Marchal", 102, 46266, 46296, "1,234.56", None, None, None])  # serials, number as id
    ws.append([None] * 8)  # blank row in the middle
    ws.append(["Boulangerie Dupont", "F-2026-103", "15/09/2026", None, "1234,56 €", None, None, None])
    ws.append(["Fleurs de Wallonie", "F-2026-104", date(2026, 10, 5), date(2026, 11, 4), None, None, None, None])
    ws["E8"] = "=2*50.25"
    ws.row_dimensions[7].hidden = True
    path = tmp_path / "impayes.xlsx"
    book.save(path)
    _with_cached_formula(path, "E8", "2*50.25", "100.5")
    return path


def test_a_flat_french_sheet_reads_with_derived_customers(flat_french_sheet):
    before = flat_french_sheet.read_bytes()
    loaded = load.load(FileWorkbook(flat_french_sheet), {"name": "Mon Atelier SRL", "iban": "BE71 0961 2345 6769"})
    assert [str(p) for p in loaded.errors] == []
    ledger = loaded.ledger
    assert [i.number for i in ledger.invoices] == ["F-2026-101", "102", "F-2026-103", "F-2026-104"]
    first, serial, hidden, formula = ledger.invoices
    assert (first.customer_id, first.issue_date, first.due_date, first.amount) == (
        "Boulangerie Dupont",
        date(2026, 9, 1),
        date(2026, 10, 1),
        Decimal("1234.56"),
    )
    assert first.last_reminder == date(2026, 10, 15)
    assert (serial.issue_date, serial.due_date, serial.amount) == (
        date(2026, 9, 1),
        date(2026, 10, 1),
        Decimal("1234.56"),
    )
    assert hidden.amount == Decimal("1234.56") and hidden.due_date == date(2026, 10, 15)  # 30 days' terms
    assert formula.amount == Decimal("100.50") and formula.where.row == 8
    assert [c.id for c in ledger.customers] == ["Boulangerie Dupont", "Garage Marchal", "Fleurs de Wallonie"]
    assert ledger.creditor.name == "Mon Atelier SRL"
    assert flat_french_sheet.read_bytes() == before


def test_a_flat_sheet_without_creditor_says_how_to_give_one(flat_french_sheet):
    result = check.check(FileWorkbook(flat_french_sheet))
    messages = [str(p) for p in result.problems]
    assert result.exit_code == 1
    assert any("'IBAN' is missing (no Settings sheet found)" in m and "--creditor iban=VALUE" in m for m in messages), (
        messages
    )
    assert any("labelled one of: Bedrijfsnaam, Company name, Firmenname, Nom de l'entreprise " in m for m in messages)
    assert any("labelled one of: IBAN with" in m for m in messages), messages


def test_column_letters_are_excels():
    from openpyxl.utils import get_column_letter

    from portal.workbook.grid import column_letter

    assert all(column_letter(n) == get_column_letter(n) for n in range(1, 16385))  # A to XFD, Excel's last

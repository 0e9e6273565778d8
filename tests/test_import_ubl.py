"""Peppol e-invoices into the workbook: new customers and invoices, known numbers, the seller's IBAN, PDFs."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from portal.app import errors
from portal.app.import_ubl import import_ubl
from portal.app.load import load
from portal.imports import ubl
from portal.imports.language import guess_language
from portal.imports.records import Party, UnreadableFile
from portal.workbook.file import FileWorkbook

from .einvoices import MINIMAL_PDF, Buyer, einvoice

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, 30)
EUPEN = Buyer("Eupener Glaswerk GmbH", "BE0403170701", "info@glaswerk.example", "Bergstraße 3", "4700", "Eupen")
GENT = Buyer("Bloemen Vandaele BV", "BE0202239951", "info@vandaele.example", "Veldstraat 10", "9000", "Gent")
GARAGE = Buyer("Garage Marchal", "BE0670.895.550", "", "Grote Markt 112", "6000", "Charleroi")  # C003 in the sample


def _run(workbook: Path, *paths: Path, **options):
    return import_ubl(FileWorkbook(workbook, now=NOW, in_place=True), list(paths), today=TODAY, **options)


def _write(folder: Path, name: str, data: bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def test_an_invoice_and_a_credit_note_are_read_with_their_fields():
    invoice = ubl.read(
        einvoice("INV-9001", EUPEN, "1210.00", payment_id="+++090/9337/55493+++", pdf=MINIMAL_PDF), "a.xml"
    )
    assert (invoice.number, invoice.credit_note, invoice.type_code) == ("INV-9001", False, "380")
    assert (invoice.issue_date, invoice.due_date, invoice.currency) == (date(2026, 11, 10), date(2026, 12, 10), "EUR")
    assert invoice.payable == Decimal("1210.00") and invoice.seller_iban == "BE71096123456769"
    assert invoice.buyer.name == "Eupener Glaswerk GmbH" and invoice.buyer.enterprise_number == "BE0403170701"
    assert invoice.buyer.email == "info@glaswerk.example" and invoice.buyer.address == "Bergstraße 3, 4700 Eupen"
    assert invoice.pdf == MINIMAL_PDF and invoice.pdf_filename == "INV-9001.pdf"
    assert invoice.order_reference == "PO-77" and invoice.description == "Conseil en éclairage"
    note = ubl.read(einvoice("CN-12", GENT, "100.00", credit_note=True, preceding="INV-9001"), "b.xml")
    assert note.credit_note and note.type_code == "381" and note.due_date == date(2026, 12, 10)
    assert note.preceding_invoice == "INV-9001"


@pytest.mark.parametrize(
    "party, default, language",
    [
        (Party(postcode="4700", country="BE"), "fr", "de"),
        (Party(postcode="9000", country="BE"), "fr", "nl"),
        (Party(postcode="5000", country="BE"), "nl", "fr"),
        (Party(postcode="1000", street="Rue Neuve 1", country="BE"), "nl", "fr"),
        (Party(postcode="1000", street="Nieuwstraat 1", country="BE"), "fr", "nl"),
        (Party(postcode="1050", country="BE"), "nl", "nl"),
        (Party(postcode="75001", country="FR"), "nl", "fr"),
        (Party(postcode="1011", country="NL"), "fr", "nl"),
        (Party(postcode="10115", country="DE"), "fr", "de"),
        (Party(postcode="SW1A", country="GB"), "fr", "en"),
    ],
)
def test_the_language_is_guessed_from_country_and_address(party, default, language):
    assert guess_language(party, default) == language


def test_new_invoices_and_customers_are_added_with_their_pdf(sample_copy, tmp_path):
    inbox = tmp_path / "inbox"
    _write(inbox, "1.xml", einvoice("INV-9001", EUPEN, "1210.00", payment_id="090933755493", pdf=MINIMAL_PDF))
    _write(inbox, "2.xml", einvoice("INV-9002", GENT, "400.00"))
    _write(inbox, "3.xml", einvoice("CN-9003", GENT, "50.00", credit_note=True, preceding="INV-9002"))
    _write(inbox, "4.xml", einvoice("INV-9004", GARAGE, "99.00", payment_id="+++ 123/4567/89002 +++"))
    done = _run(sample_copy, inbox)
    assert done.added == ("INV-9001", "INV-9002", "CN-9003", "INV-9004")
    assert done.customers_added == ("C041", "C042")  # the sample's customers are C001…C040
    assert (sample_copy.parent / "invoices" / "INV-9001.pdf").read_bytes() == MINIMAL_PDF
    ledger = load(FileWorkbook(sample_copy)).ledger
    glaswerk = ledger.customer("C041")
    assert (glaswerk.name, glaswerk.language, glaswerk.email, glaswerk.kind) == (
        "Eupener Glaswerk GmbH",
        "de",
        "info@glaswerk.example",
        "B2B",
    )
    assert ledger.customer("C042").language == "nl"
    first = ledger.invoice("INV-9001")
    assert (first.customer_id, first.amount, first.due_date, first.pdf) == (
        "C041",
        Decimal("1210.00"),
        date(2026, 12, 10),
        "invoices/INV-9001.pdf",
    )
    assert first.reference == "+++090/9337/55493+++"
    note = ledger.invoice("CN-9003")
    assert note.kind == "credit note" and note.amount == Decimal("-50.00") and note.customer_id == "C042"
    garage = ledger.invoice("INV-9004")
    assert garage.customer_id == "C003" and garage.reference == "+++123/4567/89002+++"  # matched by VAT number
    assert "Read 4 e-invoice(s): 4 added, 2 new customer(s), 0 skipped." in done.lines()[0]


def test_a_buyer_without_a_vat_or_enterprise_number_is_added_as_a_consumer(sample_copy, tmp_path):
    """No claim that only a business owes may reach someone the e-invoice gives no business number for."""
    inbox = _write(tmp_path / "inbox", "1.xml", einvoice("INV-9005", Buyer("Marc Peeters", city="Gent"), "80.00"))
    done = _run(sample_copy, inbox)
    assert load(FileWorkbook(sample_copy)).ledger.customer("C041").kind == "B2C"
    assert any("C041 (Marc Peeters) was added as a consumer (B2C)" in w for w in done.warnings), done.warnings


def test_known_numbers_are_skipped_and_a_changed_amount_is_named(sample_copy, tmp_path):
    first = _write(tmp_path / "a", "x.xml", einvoice("INV-9001", EUPEN, "1210.00"))
    _run(sample_copy, first)
    again = _write(tmp_path / "b", "x.xml", einvoice("INV-9001", EUPEN, "1210.00"))
    changed = _write(tmp_path / "b", "y.xml", einvoice("2026-0006", GARAGE, "999.99"))
    done = _run(sample_copy, again, changed)
    assert done.added == () and done.written is None
    assert done.skipped[0] == "x.xml: invoice INV-9001: already in the workbook"
    assert (
        "y.xml: invoice 2026-0006: the e-invoice says invoice of 999.99 EUR, the workbook has invoice of 515.90"
        in (done.warnings[0])
    )
    assert load(FileWorkbook(sample_copy)).ledger.invoice("2026-0006").amount == Decimal("515.90")


def test_an_invoice_for_another_account_is_an_error_and_nothing_is_written(sample_copy, tmp_path):
    good = _write(tmp_path / "in", "good.xml", einvoice("INV-9001", EUPEN, "10.00", pdf=MINIMAL_PDF))
    other = _write(tmp_path / "in", "other.xml", einvoice("INV-9002", GENT, "10.00", iban="BE48001123456727"))
    before = sample_copy.read_bytes()
    with pytest.raises(errors.ImportFailed) as raised:
        _run(sample_copy, good, other)
    failed = errors.failure(raised.value)
    assert failed.exit_code == errors.EXIT_PROBLEMS
    assert "other.xml: invoice INV-9002 asks for payment to BE48001123456727" in failed.message
    assert sample_copy.read_bytes() == before and not (sample_copy.parent / "invoices").exists()


def test_an_unreadable_file_stops_the_import(sample_copy, tmp_path):
    _write(tmp_path / "in", "good.xml", einvoice("INV-9001", EUPEN, "10.00"))
    _write(tmp_path / "in", "broken.xml", einvoice("INV-9002", GENT, "10.00")[:700])
    before = sample_copy.read_bytes()
    with pytest.raises(errors.ImportFailed) as raised:
        _run(sample_copy, tmp_path / "in")
    message = errors.failure(raised.value).message
    assert "broken.xml, line" in message and "not well-formed XML" in message and "good.xml" not in message
    assert sample_copy.read_bytes() == before


def test_an_amount_with_more_than_cents_stops_the_import_rather_than_be_rounded(sample_copy, tmp_path):
    _write(tmp_path / "in", "odd.xml", einvoice("INV-9003", GENT, "100.005"))
    before = sample_copy.read_bytes()
    with pytest.raises(errors.ImportFailed) as raised:
        _run(sample_copy, tmp_path / "in")
    assert "odd.xml" in (message := errors.failure(raised.value).message)
    assert "100.005 has more than two decimals" in message
    assert sample_copy.read_bytes() == before


def test_a_file_that_is_not_an_einvoice_is_named(tmp_path):
    with pytest.raises(UnreadableFile, match="not a UBL invoice or credit note"):
        ubl.read(b"<?xml version='1.0'?><Order xmlns='urn:x'/>", "order.xml")


def test_a_file_for_the_other_import_or_an_empty_one_is_named_for_what_it_is(tmp_path):
    from dataclasses import replace

    from portal.app.import_bank import read_statement
    from portal.app.import_ubl import read_einvoice

    from .bankfiles import Entry, coda

    statement = _write(tmp_path, "statement.cod", coda([Entry("10.00", TODAY)]))
    invoice = _write(tmp_path, "invoice.xml", einvoice("INV-9004", GENT, "10.00"))
    empty = _write(tmp_path, "empty.xml", b"")
    with pytest.raises(UnreadableFile, match="is a bank statement, not an e-invoice: import it with import-bank"):
        read_einvoice(statement)
    with pytest.raises(UnreadableFile, match="is an e-invoice, not a bank statement: import it with import-ubl"):
        read_statement(invoice)
    for read in (read_einvoice, read_statement):
        with pytest.raises(UnreadableFile, match="it is empty"):
            read(empty)
    bom = _write(tmp_path, "bom.cod", b"\xef\xbb\xbf" + statement.read_bytes())
    same = [[replace(e, file="statement.cod") for e in s.entries] for s in read_statement(bom)]
    assert same == [list(s.entries) for s in read_statement(statement)]


def test_the_embedded_pdf_is_published_with_the_invoice_page(sample_copy, tmp_path):
    from portal.app import build

    inbox = _write(tmp_path / "inbox", "1.xml", einvoice("INV-9001", EUPEN, "1210.00", pdf=MINIMAL_PDF))
    _run(sample_copy, inbox)
    out = tmp_path / "site_out"
    built = build.build(FileWorkbook(sample_copy), today=TODAY, out_dir=out, secret_file=tmp_path / "secret")
    page = out / built.site.invoice_pages["INV-9001"].path
    assert (page / "invoice.pdf").read_bytes() == MINIMAL_PDF
    assert 'href="invoice.pdf"' in (page / "index.html").read_text("utf-8")


def test_a_flat_invoice_list_gets_the_buyer_name_and_no_customers_sheet(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "Invoices"
    book.active.append(["Invoice number", "Customer name", "Issue date", "Amount"])
    book.active.append(["A1", "Client", date(2026, 1, 1), 100])
    path = tmp_path / "flat.xlsx"
    book.save(path)
    creditor = {"name": "Me", "iban": "BE71096123456769"}
    done = _run(path, _write(tmp_path / "in", "1.xml", einvoice("INV-9001", GENT, "400.00")), creditor=creditor)
    assert done.added == ("INV-9001",) and done.customers_added == ()
    assert openpyxl.load_workbook(path).sheetnames == ["Invoices"]
    ledger = load(FileWorkbook(path), creditor).ledger
    assert ledger.invoice("INV-9001").customer_id == "Bloemen Vandaele BV"


def test_progress_is_reported_per_file(sample_copy, tmp_path):
    inbox = tmp_path / "inbox"
    _write(inbox, "1.xml", einvoice("INV-9001", EUPEN, "10.00"))
    _write(inbox, "2.xml", einvoice("INV-9002", GENT, "20.00"))
    calls = []
    _run(sample_copy, inbox, progress=lambda done, total, message: calls.append((done, total, message)))
    assert [c[2] for c in calls[:2]] == ["Reading 1.xml", "Reading 2.xml"]
    assert calls[-1] == (4, 4, "Done") and [c[0] for c in calls] == sorted(c[0] for c in calls)

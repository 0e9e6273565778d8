"""`debtor-portal check`: one broken workbook per class of error, each located exactly."""

from __future__ import annotations

import json
import re
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from msoffcrypto.format.ooxml import OOXMLFile

from portal.app import check
from portal.front import cli
from portal.workbook.file import FileWorkbook

from .conftest import TEMPLATE, column_letter, edit_workbook


def problems_of(path: Path) -> list:
    return list(check.check(FileWorkbook(path)).problems)


def only_error(path: Path):
    found = [p for p in problems_of(path) if p.severity == "error"]
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def copy_row(path: Path, sheet: str, source: int, target: int) -> None:
    book = openpyxl.load_workbook(path)
    ws = book[sheet]
    for cell in ws[source]:
        ws.cell(row=target, column=cell.column, value=cell.value)
    book.save(path)


def test_the_sample_is_clean(sample_copy, capsys):
    assert cli.main(["check", str(sample_copy)]) == 0
    assert "no errors, 0 warning(s) — 40 customers, 151 invoices" in capsys.readouterr().out


def test_invalid_iban_in_settings(sample_copy):
    edit_workbook(sample_copy, "Settings", {"B5": "BE71 0961 2345 6768"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column, problem.where.letter) == (
        "invalid_iban",
        "Settings",
        5,
        "IBAN",
        "B",
    )
    assert problem.value == "BE71096123456768"
    assert "BE71096123456768" in problem.message and "bank statement" in problem.fix


def test_invalid_bic_in_settings(sample_copy):
    edit_workbook(sample_copy, "Settings", {"B6": "GKCC"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column) == (
        "invalid_bic",
        "Settings",
        6,
        "BIC",
    )


def test_invalid_enterprise_number(sample_copy):
    edit_workbook(sample_copy, "Settings", {"B4": "0403.170.702"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column) == ("invalid_vat", 4, "Enterprise / VAT number")
    assert "0403.170.701" in problem.message  # shows the expected form


def test_invalid_customer_vat(sample_copy):
    letter = column_letter(sample_copy, "Customers", "VAT number")
    edit_workbook(sample_copy, "Customers", {f"{letter}3": "BE0123456789"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column) == (
        "invalid_vat",
        "Customers",
        3,
        "VAT number",
    )
    assert problem.value == "BE0123456789"


def test_duplicate_invoice_number(sample_copy):
    copy_row(sample_copy, "Invoices", 4, 153)
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column, problem.where.letter) == (
        "duplicate_invoice",
        "Invoices",
        153,
        "Invoice number",
        "A",
    )
    assert "first on sheet 'Invoices', row 4" in problem.message


def test_invoice_for_unknown_customer(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Customer ID")
    edit_workbook(sample_copy, "Invoices", {f"{letter}7": "C999"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column, problem.value) == (
        "unknown_customer",
        7,
        "Customer ID",
        "C999",
    )
    assert problem.message == "Customer 'C999' is not on the Customers sheet"


def test_due_date_before_issue_date(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Due date")
    edit_workbook(sample_copy, "Invoices", {f"{letter}5": date(2020, 1, 1)})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column) == ("due_before_issue", 5, "Due date")
    assert problem.message.startswith("The due date 01/01/2020 is before the issue date")


def test_missing_amount(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Amount incl. VAT")
    edit_workbook(sample_copy, "Invoices", {f"{letter}8": None})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column, problem.where.letter) == (
        "missing_value",
        8,
        "Amount incl. VAT",
        letter,
    )
    assert problem.message == "'Amount incl. VAT' is empty"


def test_negative_amount_must_be_an_explicit_credit_note(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Amount incl. VAT")
    edit_workbook(sample_copy, "Invoices", {f"{letter}8": -100})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.value) == ("negative_amount", 8, "-100.00")
    assert "credit note" in problem.fix


@pytest.mark.parametrize("typed, said", [("about 300", "is not an amount"), ("1.234,567", "has 3 decimals")])
def test_text_where_an_amount_belongs(sample_copy, typed, said):
    letter = column_letter(sample_copy, "Invoices", "Amount incl. VAT")
    edit_workbook(sample_copy, "Invoices", {f"{letter}9": typed})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.value) == ("bad_money", 9, typed)
    assert said in problem.message and "1.234,56" in problem.message


def test_unknown_language(sample_copy):
    letter = column_letter(sample_copy, "Customers", "Language")
    edit_workbook(sample_copy, "Customers", {f"{letter}4": "Klingon"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column, problem.value) == (
        "unknown_language",
        "Customers",
        4,
        "Language",
        "Klingon",
    )
    assert "fr, nl, en, de" in problem.message


def test_unknown_scenario(sample_copy):
    letter = column_letter(sample_copy, "Customers", "Scenario")
    edit_workbook(sample_copy, "Customers", {f"{letter}6": "brutal"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column, problem.value) == (
        "unknown_scenario",
        6,
        "Scenario",
        "brutal",
    )
    assert "gentle, standard, strict" in problem.fix


def test_missing_required_column_lists_the_aliases(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Issue date")
    edit_workbook(sample_copy, "Invoices", {f"{letter}1": "Colour"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row) == ("missing_column", "Invoices", 1)
    assert problem.message == "The table on sheet 'Invoices' has no 'Issue date' column"
    assert "Date de facture" in problem.fix and "Factuurdatum" in problem.fix


def test_missing_invoices_table(tmp_path):
    path = tmp_path / "no-invoices.xlsx"
    book = openpyxl.load_workbook(TEMPLATE)
    del book["Invoices"]
    book.save(path)
    codes = {p.code: p for p in problems_of(path)}
    assert "missing_table" in codes
    assert "Factures" in codes["missing_table"].fix and "Facturen" in codes["missing_table"].fix


def test_warnings_are_separate_from_errors(sample_copy, capsys):
    letter = column_letter(sample_copy, "Invoices", "Due date")
    edit_workbook(sample_copy, "Invoices", {f"{letter}3": date(2027, 6, 1)})  # B2B terms far over 60 days
    assert cli.main(["check", str(sample_copy), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is True and report["errors"] == []
    assert [w["code"] for w in report["warnings"]] == ["long_terms"]
    assert report["warnings"][0]["where"] == {"sheet": "Invoices", "row": 3, "column": "Due date", "letter": letter}


def test_json_lists_errors_with_their_place(sample_copy, capsys):
    copy_row(sample_copy, "Invoices", 4, 160)
    assert cli.main(["check", str(sample_copy), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["errors"][0]["code"] == "duplicate_invoice"
    assert report["errors"][0]["where"]["row"] == 160


@pytest.mark.parametrize(
    "make, words",
    [
        (lambda p: p.write_text("number;amount\n1;12,50\n"), "not an Excel .xlsx workbook"),
        (lambda p: p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), "old-format .xls"),
        (lambda p: OOXMLFile(TEMPLATE.open("rb")).encrypt("secret", p.open("wb")), "password-protected"),
        (lambda p: None, "no such file"),
    ],
    ids=["csv", "xls", "encrypted", "missing"],
)
def test_unreadable_files_exit_2_with_a_reason(tmp_path, capsys, make, words):
    path = tmp_path / "book.xlsx"
    make(path)
    assert cli.main(["check", str(path)]) == 2
    assert words in capsys.readouterr().err


def with_entities(source: Path, path: Path) -> Path:
    """The workbook with a "billion laughs" DTD in front of workbook.xml's root."""
    with zipfile.ZipFile(source) as z, zipfile.ZipFile(path, "w") as out:
        for item in z.infolist():
            data = z.read(item.filename)
            if item.filename == "xl/workbook.xml":
                dtd = b'<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
                declaration = re.match(rb"<\?xml[^>]*\?>", data)
                at = declaration.end() if declaration else 0
                data = data[:at] + dtd + data[at:]
            out.writestr(item, data)
    return path


@pytest.mark.parametrize("command", ["check", "build", "refresh", "remind"])
def test_a_workbook_declaring_xml_entities_is_refused_in_one_line(sample_copy, tmp_path, capsys, command):
    path = with_entities(sample_copy, tmp_path / "entities.xlsx")
    before = path.read_bytes()
    assert cli.main([command, str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "xl/workbook.xml declares XML entities" in err
    assert path.read_bytes() == before and not (tmp_path / "site_out").exists()


def test_creditor_options_stand_in_for_a_settings_sheet(tmp_path, capsys):
    book = openpyxl.Workbook()
    book.active.append(["Invoice number", "Customer name", "Issue date", "Amount"])
    book.active.append(["A1", "Client", date(2026, 1, 1), 100])
    path = tmp_path / "flat.xlsx"
    book.save(path)
    assert cli.main(["check", str(path), "--creditor", "name=Me", "--creditor", "iban=BE71096123456769"]) == 0
    assert cli.main(["check", str(path), "--creditor", "name=Me", "--creditor", "iban=BE00 1234"]) == 1
    assert "--creditor option" in capsys.readouterr().out


def test_a_payment_that_settles_nothing_is_reported_where_it_is(sample_copy, capsys):
    ws = openpyxl.load_workbook(sample_copy)["Payments"]
    row = ws.max_row + 1
    letters = {h: column_letter(sample_copy, "Payments", h) for h in ("Date", "Amount", "Reference")}
    edit_workbook(
        sample_copy,
        "Payments",
        {
            f"{letters['Date']}{row}": date(2026, 11, 2),
            f"{letters['Amount']}{row}": 75,
            f"{letters['Reference']}{row}": "+++090/9337/55493+++",
        },
    )
    found = [p for p in problems_of(sample_copy) if p.code == "unmatched_payment"]
    assert len(found) == 1 and found[0].severity == "warning"
    assert (found[0].where.sheet, found[0].where.row, found[0].where.column) == ("Payments", row, "Reference")
    assert "settles no invoice" in found[0].message and "belongs to no invoice" in found[0].message
    assert cli.main(["check", str(sample_copy)]) == 0  # a warning, not an error
    assert "1 warning(s)" in capsys.readouterr().out


BROKEN_TEMPLATES = {
    "reminder": ("reminders/fr/formal_notice.md", "\n{% if %}\n", "formal_notice.md, line "),
    "page": ("site/invoice.html", "{{ state.nothing_here.at_all }}\n", "invoice.html, line "),
    "words": ("messages.yml", "\nbroken: [fr: x\n", "messages.yml, line "),
}


@pytest.mark.parametrize("kind", BROKEN_TEMPLATES)
@pytest.mark.parametrize("command", ["build", "remind"])
def test_a_broken_user_template_is_named_in_one_line(sample_copy, tmp_path, capsys, monkeypatch, kind, command):
    monkeypatch.setenv("DEBTOR_PORTAL_SECRET", "s" * 40)
    name, added, named = BROKEN_TEMPLATES[kind]
    user = sample_copy.parent / "templates" / name
    user.parent.mkdir(parents=True, exist_ok=True)
    builtin = Path(__file__).resolve().parents[1] / "templates" / name
    source = builtin.read_text(encoding="utf-8")
    if "{% block main" in source:  # inside the page's main block
        at = source.index("\n", source.index("{% block main")) + 1
        source = source[:at] + added + source[at:]
    else:
        source += added
    user.write_text(source, encoding="utf-8")
    before = (
        sorted(p.name for p in sample_copy.parent.iterdir() if p.name != ".debtor-portal"),
        sample_copy.read_bytes(),
    )
    code = cli.main([command, str(sample_copy)])
    err = capsys.readouterr().err
    if command == "remind" and kind == "page":
        assert code == 0  # reminders do not use the page templates
        return
    assert code == 1 and "Traceback" not in err
    assert err.count("\n") == 1 and named in err and str(user.parent) in err
    after = sorted(p.name for p in sample_copy.parent.iterdir() if p.name != ".debtor-portal")  # a cache may stay
    assert (after, sample_copy.read_bytes()) == before


def test_a_discount_must_be_a_percentage_off(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Discount %")
    edit_workbook(sample_copy, "Invoices", {f"{letter}4": 200})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.where.column, problem.value) == (
        "invalid_discount",
        4,
        "Discount %",
        "200",
    )


def test_a_currency_is_a_three_letter_code_and_the_euro_sign_means_euros(sample_copy):
    letter = column_letter(sample_copy, "Invoices", "Currency")
    edit_workbook(sample_copy, "Invoices", {f"{letter}4": "€", f"{letter}5": "euro"})
    assert [p for p in problems_of(sample_copy) if p.severity == "error"] == []
    edit_workbook(sample_copy, "Invoices", {f"{letter}6": "dollars"})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.row, problem.value) == ("invalid_currency", 6, "DOLLARS")


def test_an_interest_rate_above_a_hundred_percent_is_a_typing_error(sample_copy):
    edit_workbook(sample_copy, "Settings", {"B16": 1000})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.value) == (
        "implausible_rate",
        "Settings",
        16,
        "1000",
    )


def setting_cell(key: str) -> str:
    from portal.workbook import schema

    return f"B{2 + [s.key for s in schema.SETTINGS].index(key)}"


def test_a_contact_address_that_is_not_one_is_a_warning_where_it_is(sample_copy):
    edit_workbook(sample_copy, "Settings", {setting_cell("email"): "facturation"})
    found = [p for p in problems_of(sample_copy) if p.code == "invalid_email"]
    assert [(p.severity, p.where.sheet, f"B{p.where.row}") for p in found] == [
        ("warning", "Settings", setting_cell("email"))
    ]


@pytest.mark.parametrize(
    "key, typed, code",
    [
        ("portal_base_url", "pay.atelier-lumiere.example", "invalid_url"),
        ("logo", "logo.png", "invalid_logo"),
    ],
)
def test_settings_that_would_break_every_page_are_errors_where_they_are(sample_copy, key, typed, code):
    edit_workbook(sample_copy, "Settings", {setting_cell(key): typed})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, f"B{problem.where.row}") == (code, "Settings", setting_cell(key))
    assert typed in problem.message


def test_a_customer_address_that_is_not_one_is_a_warning_where_it_is(sample_copy):
    letter = column_letter(sample_copy, "Customers", "E-mail")
    edit_workbook(sample_copy, "Customers", {f"{letter}2": "boulangerie at example.be"})
    found = [p for p in problems_of(sample_copy) if p.code == "invalid_email"]
    assert [(p.severity, p.where.sheet, p.where.row, p.where.column) for p in found] == [
        ("warning", "Customers", 2, "E-mail")
    ]


def test_a_deleted_payments_sheet_is_said(sample_copy):
    book = openpyxl.load_workbook(sample_copy)
    del book["Payments"]
    book.save(sample_copy)
    found = [p for p in problems_of(sample_copy) if p.code == "missing_payments"]
    assert len(found) == 1 and found[0].severity == "warning" and "counts as unpaid" in found[0].message


def test_a_site_language_not_offered_is_an_error_where_it_is(sample_copy):
    edit_workbook(sample_copy, "Settings", {setting_cell("site_languages"): "fr, nl, es"})
    problem = only_error(sample_copy)
    assert (problem.where.sheet, f"B{problem.where.row}") == ("Settings", setting_cell("site_languages"))
    assert "'es' is not one of: fr, nl, en, de" in problem.message


def test_installments_asking_more_than_their_invoice_are_an_error(sample_copy):
    edit_workbook(sample_copy, "Plans", {"E5": 90000})
    problem = only_error(sample_copy)
    assert (problem.code, problem.where.sheet, problem.where.row, problem.where.column) == (
        "plan_above_invoice",
        "Plans",
        5,
        "Amount",
    )
    assert "add up to 126000.00, more than its amount" in problem.message

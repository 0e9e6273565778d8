"""The handover ZIP for one sample customer, opened with zipfile and its files read back (CSV, text, PDF)."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from portal.domain import dunning
from portal.domain.stages import Channel
from portal.front.cli import main
from tests.conftest import edit_workbook

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is missing: run 'make system-deps'"
)


def _row(path, sheet: str, match) -> int:
    ws = openpyxl.load_workbook(path)[sheet]
    return next(i for i, r in enumerate(ws.iter_rows(values_only=True), start=1) if match(r))


@pytest.fixture
def pack(sample_copy, tmp_path):
    """C028 (Brussels Tech Hub SA, B2B): 2026-0021's formal notice went by registered post and its PDF is
    beside the workbook; 2026-0141 was disputed on the phone; 2026-0061's notice went by e-mail."""
    notice = _row(sample_copy, "Log", lambda r: r[2] == "2026-0021" and r[4] == "formal_notice")
    dispute = _row(sample_copy, "Log", lambda r: r[2] == "2026-0141" and r[4] == "nudge")
    edit_workbook(
        sample_copy,
        "Log",
        {
            f"D{notice}": "Recommandé",
            f"D{dispute}": "phone",
            f"E{dispute}": "dispute",
            f"F{dispute}": "Quantity disputed",
        },
    )
    invoice = _row(sample_copy, "Invoices", lambda r: r[0] == "2026-0021")
    edit_workbook(sample_copy, "Invoices", {f"O{invoice}": "invoices/2026-0021.pdf"})
    (sample_copy.parent / "invoices").mkdir()
    (sample_copy.parent / "invoices" / "2026-0021.pdf").write_bytes(b"%PDF-1.4 the invoice as issued\n%%EOF\n")
    out = tmp_path / "C028.zip"
    assert (
        main(["handover", str(sample_copy), "C028", "--out", str(out), "--secret-file", str(tmp_path / "secret")]) == 0
    )
    return zipfile.ZipFile(out)


def _csv(z: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = z.read(name).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


@pytest.mark.slow
def test_the_listing_and_every_file(pack, tmp_path):
    assert pack.namelist() == [
        "README.txt",
        "contact.txt",
        "checklist.txt",
        "invoices.csv",
        "history.csv",
        "claim.csv",
        "invoices/2026-0021.pdf",
        "letters/formal_notice-2026-0021.pdf",
        "letters/formal_notice-2026-0061.pdf",
        "letters/formal_notice-2026-0141.pdf",
    ]
    assert pack.read("invoices/2026-0021.pdf") == b"%PDF-1.4 the invoice as issued\n%%EOF\n"

    invoices = _csv(pack, "invoices.csv")
    assert invoices[0][:6] == ["Invoice", "Issue date", "Due date", "Amount", "Paid", "Balance"]
    assert [(r[0], r[2], r[5]) for r in invoices[1:]] == [
        ("2026-0021", "2026-09-07", "4364.36"),
        ("2026-0061", "2026-06-17", "120.91"),
        ("2026-0141", "2026-08-03", "1217.63"),
    ]

    history = _csv(pack, "history.csv")
    assert history[0] == ["Date", "Invoice", "Action", "Channel", "Note"]
    assert len(history) == 1 + 12
    assert ["2026-10-07", "2026-0021", "Formal notice", "registered post", ""] in history
    assert ["2026-07-31", "2026-0141", "dispute", "phone", "Quantity disputed"] in history
    assert ["2026-07-17", "2026-0061", "Formal notice", "e-mail", ""] in history

    # 2026-0021: 4,364.36 due 07/09/2026, the sample's contractual rate of 10 % from 08/09 to 16/11 (70 days):
    # 4364.36 x 10 % x 70 / 365 = 83.699... -> 83.70; plus 40.00; total 4,488.06.
    claim = [r for r in _csv(pack, "claim.csv")[1:] if r[0] == "2026-0021"]
    assert claim == [
        ["2026-0021", "Principal", "2026-09-07", "", "", "", "4364.36", "Loi du 2 août 2002, art. 5 et 6"],
        ["2026-0021", "Interest", "2026-09-08", "2026-11-16", "70", "10", "83.70", "Loi du 2 août 2002, art. 5 et 6"],
        ["2026-0021", "Fixed compensation", "", "", "", "", "40.00", "Loi du 2 août 2002, art. 5 et 6"],
        ["2026-0021", "Total", "", "", "", "", "4488.06", ""],
    ]

    checklist = pack.read("checklist.txt").decode("utf-8")
    first, second, third = checklist.split("\n\n")[1:4]
    assert first.startswith("2026-0021") and first.count("[YES]") == 6 and first.endswith("Every condition is met.")
    assert "Formal notice sent by registered post — Sent on 07/10/2026 by registered post" in first
    assert "[NO]           Formal notice sent by registered post — Sent on 17/07/2026 by e-mail" in second
    assert "[CHECK]" in second and "at most €12.09" in second
    assert "[NO]           Debt not disputed" in third

    contact = pack.read("contact.txt").decode("utf-8")
    assert "Brussels Tech Hub SA (C028)" in contact and "BE0745825278" in contact and "+32 7 901 73 60" in contact
    readme = pack.read("README.txt").decode("utf-8")
    assert readme.startswith("Debtor Portal — collection file of Brussels Tech Hub SA (C028) on 16/11/2026")
    assert "checklist.txt" in readme and "letters/formal_notice-2026-0061.pdf" in readme

    letter = tmp_path / "notice.pdf"
    letter.write_bytes(pack.read("letters/formal_notice-2026-0021.pdf"))
    text = subprocess.run(["pdftotext", "-layout", str(letter), "-"], check=True, capture_output=True, text=True).stdout
    assert "REGISTERED" in text and "Brussels Tech Hub SA" in text and "7 October 2026" in text
    assert "+++002/0260/02119+++" in text and "22 October 2026" in text  # 15 days after 7 October


def test_an_unknown_customer_or_one_who_owes_nothing_is_refused(sample_copy, tmp_path, capsys):
    assert main(["handover", str(sample_copy), "C999", "--out", str(tmp_path / "x.zip")]) == 1
    assert "No customer 'C999'" in capsys.readouterr().err
    assert not (tmp_path / "x.zip").exists()


def test_the_formal_notice_in_the_pack_is_the_letter_as_recorded(tmp_path):
    """The pack's formal notice states the deadline its Log record keeps, not one worked out again."""
    from dataclasses import replace

    from portal.app import load
    from portal.render import i18n, letters, reminders, templating
    from portal.workbook.file import FileWorkbook

    book = tmp_path / "sample.xlsx"
    shutil.copy(Path(__file__).resolve().parents[1] / "workbook" / "sample.xlsx", book)
    ledger = load.load(FileWorkbook(book)).ledger
    entry = next(e for e in ledger.log if e.invoice == "2026-0021" and e.action == "formal_notice")
    assessment = dunning.assess(ledger, entry.date)
    record = reminders.letter_record(assessment, assessment.invoice("2026-0021"), "formal_notice")
    kept = replace(record, pay_by=date(2026, 10, 30))  # a deadline no computation today would give
    log = tuple(replace(e, letter=kept.to_json()) if e is entry else e for e in ledger.log)
    f = i18n.formatter("en", "BE", i18n.load_messages(templating.environment()))
    letter = letters.recorded_letter(
        replace(ledger, log=log),
        "2026-0021",
        "formal_notice",
        entry.date,
        Channel.REGISTERED,
        f,
        "",
        reminders.ReminderTemplates(),
    )
    assert f.day(date(2026, 10, 30)) in letter.reminder.text

"""Letters on paper, read back with poppler (pdftotext -bbox, pdftoppm) and a real QR decoder (zxing-cpp)."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import zxingcpp
from PIL import Image

from portal.app import remind
from portal.front.cli import main
from portal.workbook import sample
from portal.workbook.file import FileWorkbook
from portal.workbook.template import write_workbook

pytestmark = pytest.mark.skipif(
    not shutil.which("pdftotext"), reason="poppler-utils is missing: run 'make system-deps'"
)

AS_OF = sample.AS_OF
MM = 72 / 25.4
WINDOW = (110 * MM, 55 * MM, 195 * MM, 88 * MM)  # x0, y0 (from the top), x1, y1
NS = "{http://www.w3.org/1999/xhtml}"


def words(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    """Each page's words with their boxes in points, from the top-left corner (pdftotext -bbox)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    root = ET.fromstring(out)
    return [
        [(w.text or "", *(float(w.get(k)) for k in ("xMin", "yMin", "xMax", "yMax"))) for w in page.iter(f"{NS}word")]
        for page in root.iter(f"{NS}page")
    ]


def text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def in_window(word) -> bool:
    _, x0, y0, x1, y1 = word
    slack = 0.5  # poppler rounds the boxes
    return WINDOW[0] - slack <= x0 and x1 <= WINDOW[2] and WINDOW[1] - slack <= y0 and y1 <= WINDOW[3]


def qr_codes(pdf: Path, tmp: Path) -> list[tuple[str, float]]:
    """(payload, side in mm) of every QR code on the pages, rendered at 300 dpi."""
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(pdf), str(tmp / "page")], check=True)
    found = []
    for png in sorted(tmp.glob("page*.png")):
        for code in zxingcpp.read_barcodes(Image.open(png), formats=zxingcpp.BarcodeFormat.QRCode):
            p = code.position
            side = max(abs(p.top_right.x - p.top_left.x), abs(p.bottom_left.y - p.top_left.y))
            found.append((code.text, side / 300 * 25.4))
    return found


@pytest.fixture(scope="module")
def reminded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("letters")
    book = folder / "sample.xlsx"
    shutil.copy(sample.__file__.replace("portal/workbook/sample.py", "workbook/sample.xlsx"), book)
    done = remind.remind(FileWorkbook(book, now=datetime(2026, 11, 16, 9)), today=AS_OF, outbox=folder / "outbox")
    return done


@pytest.mark.slow
def test_every_formal_notice_gets_a_letter_for_registered_post(reminded, tmp_path):
    notices = [p for p in reminded.prepared if p.stage == "formal_notice"]
    assert notices and all(p.letter is not None and p.letter.exists() for p in notices)
    assert all(p.letter is None for p in reminded.prepared if p.stage != "formal_notice" and p.to)
    notice = next(p for p in notices if p.invoice == "2026-0127")  # C010 Menuiserie Collard, French, a business
    pdf = notice.letter
    pages = words(pdf)
    window = " ".join(w[0] for w in pages[0] if in_window(w))
    assert window == "RECOMMANDÉ Menuiserie Collard SRL Avenue Louise 142 6700 Arlon"
    assert not any(in_window(w) for w in pages[0] if w[0] in ("Atelier", "Mise"))
    body = text(pdf)
    assert "Atelier Lumière SRL" in body and "N° BCE 0403.170.701" in body and "BE0403" not in body
    reference = next(re.finditer(r"\+\+\+\d{3}/\d{4}/\d{5}\+\+\+", body)).group(0)
    digits = re.sub(r"\D", "", reference)
    assert digits == "002026012728"
    # Statement of claim: principal, interest per period with its rate, fixed compensation, total.
    assert re.search(r"Principal impayé\s+538,21\s*€", body)
    assert re.search(r"Intérêts de retard du 27/09/2026 au 16/11/2026 \(51 jours à 10 % l'an\)\s+7,52\s*€", body)
    assert re.search(r"Indemnité forfaitaire pour frais de recouvrement\s+40,00\s*€", body)
    assert re.search(r"Total réclamé\s+585,73\s*€", body)
    [(payload, side)] = qr_codes(pdf, tmp_path)
    assert payload.split("\n") == [  # from the formal notice on, the code asks for the total claimed
        "BCD",
        "002",
        "1",
        "SCT",
        "GKCCBEBB",
        "Atelier Lumière SRL",
        "BE71096123456769",
        "EUR585.73",
        "",
        digits,
    ]
    assert side >= 30


def _book(path: Path) -> Path:
    customer = {
        "id": "P1",
        "name": "Jean Dupuis",
        "language": "fr",
        "kind": "B2B",
        "email": "",
        "address": "Rue Haute 12, 1000 Bruxelles",
    }
    invoice = {
        "number": "P-1",
        "customer_id": "P1",
        "issue_date": AS_OF - timedelta(days=40),
        "due_date": AS_OF - timedelta(days=10),
        "amount": Decimal("1234.56"),
    }
    return write_workbook(path, settings=sample.SETTINGS, rows={"customers": [customer], "invoices": [invoice]})


def test_a_customer_without_an_e_mail_address_gets_a_letter_to_post(tmp_path):
    book = _book(tmp_path / "p.xlsx")
    done = remind.remind(FileWorkbook(book, now=datetime(2026, 11, 16, 9)), today=AS_OF, outbox=tmp_path / "outbox")
    [prepared] = done.prepared
    assert prepared.stage == "reminder_1" and prepared.to == "" and prepared.letter is not None
    pages = words(prepared.letter)
    assert [w[0] for w in pages[0] if in_window(w)] == ["Jean", "Dupuis", "Rue", "Haute", "12", "1000", "Bruxelles"]
    body = text(prepared.letter)
    assert "RECOMMANDÉ" not in body and "Rappel" in body
    assert re.search(r"1\s?234,56\s*€", body) and "+++" in body
    [(payload, side)] = qr_codes(prepared.letter, tmp_path)
    assert payload.split("\n")[7] == "EUR1234.56" and side >= 30
    assert re.sub(r"\D", "", re.search(r"\+\+\+[\d/]+\+\+\+", body).group(0)) == payload.split("\n")[9]
    assert date(2026, 11, 16).strftime("%d") in body


def test_with_letters_every_reminder_gets_one(tmp_path, capsys):
    book = _book(tmp_path / "m.xlsx")
    wb = openpyxl.load_workbook(book)
    ws = wb["Customers"]
    column = next(c.column for c in ws[1] if c.value == "E-mail")
    ws.cell(row=2, column=column, value="jean@example.be")
    wb.save(book)
    # The same workbook in another folder: its send journal there has prepared nothing yet.
    other = tmp_path / "other" / "m.xlsx"
    other.parent.mkdir()
    shutil.copy(book, other)
    outbox = tmp_path / "outbox"
    assert (
        main(["remind", str(book), "--as-of", "16/11/2026", "--outbox", str(outbox), "--out", str(tmp_path / "o.xlsx")])
        == 0
    )
    assert not (outbox / "letters").exists()
    assert (
        main(
            [
                "remind",
                str(other),
                "--as-of",
                "16/11/2026",
                "--outbox",
                str(outbox),
                "--out",
                str(other.parent / "p.xlsx"),
                "--letters",
            ]
        )
        == 0
    )
    [pdf] = (outbox / "letters").glob("*.pdf")
    assert pdf.name == "2026-11-16-P-1-reminder_1.pdf" and "letter to post:" in capsys.readouterr().out
    assert "Jean Dupuis" in text(pdf)


def test_a_french_creditors_statement_of_claim_names_penalties_as_the_letter_does():
    """C. com. L441-10 II speaks of pénalités de retard: the letter's statement says so too, line by line."""
    from portal.domain import law
    from portal.render import i18n, templating
    from portal.render.letters import claim_rows

    claim = law.claim(
        country="FR",
        debtor_kind="B2B",
        principal=Decimal("1000.00"),
        due_date=date(2026, 1, 10),
        as_of=date(2026, 2, 9),
    )
    f = i18n.formatter("fr", "FR", i18n.load_messages(templating.environment(None)))
    labels = [label for label, _ in claim_rows(claim, f)]
    assert any(label.startswith("Pénalités de retard du 11/01/2026 au 09/02/2026") for label in labels), labels

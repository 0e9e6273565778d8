"""Letters on paper: a reminder or formal notice as an A4 PDF for post and registered post.

Drawn with ReportLab's base-14 Helvetica (WinAnsi: every letter of French, Dutch, English and German, and
the euro sign), so nothing depends on the fonts of the machine. The page holds:

- the creditor's identity, top left, and the date;
- the debtor's name and address in the address zone of a right-window envelope: 85 x 33 mm, 110 mm from the
  left edge and 55 mm from the top of the page, the zone French mail houses use for Belgian and French DL and
  C5/6 window envelopes (edics.fr, "Rédiger vos adresses : les bonnes pratiques"); fold marks at 99 and 198 mm
  for a letter folded in three; "registered" above the address for registered post;
- the letter (the recorded text of the stage; see `Letter`), then the statement of claim (principal,
  interest per period and rate, fixed compensation, total) when the stage claims one;
- the payment: the EPC QR code, 32 mm wide without its quiet zone, with the IBAN, the amount and the
  structured communication beside it.
"""

from __future__ import annotations

import html
import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import ClassVar

import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, KeepTogether, PageTemplate, Paragraph, Spacer, Table
from reportlab.platypus.doctemplate import NextPageTemplate

from ..codes import payment
from ..domain import dunning
from ..domain import letters as records
from ..domain.law import Claim
from ..domain.ledger import Creditor, Ledger
from ..domain.stages import CLAIM_STAGES, Channel, stage_key
from .i18n import Formatter
from .reminders import Reminder, ReminderTemplates, enterprise_number, reminder_context

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
WINDOW = (110 * mm, 55 * mm, 85 * mm, 33 * mm)  # left, top, width, height: from the page's top-left corner
FOLDS = (99 * mm, 198 * mm)
BODY_TOP = 100 * mm
QR_SIDE = 32 * mm

_SPACES = str.maketrans({"\u202f": "\u00a0", "\u2009": " ", "\u2007": " ", "\u200b": ""})
REGISTERED = {"fr": "RECOMMANDÉ", "nl": "AANGETEKEND", "en": "REGISTERED", "de": "EINSCHREIBEN"}


@dataclass(frozen=True)
class Letter:
    """A letter as it went out: its stage, channel and date, and the text as recorded.

    `reminder` is the stage's template rendered from the letter's record in the Log (see `recorded_letter`)."""

    stage: str
    channel: Channel
    sent: date
    reminder: Reminder
    state: dunning.InvoiceState
    installment: dunning.InstallmentState | None = None  # a letter about one late installment of a plan


def recorded_letter(
    ledger: Ledger,
    number: str,
    stage: str,
    sent: date,
    channel: Channel,
    f: Formatter,
    link: str,
    templates: ReminderTemplates,
) -> Letter:
    """The letter of `stage` about invoice `number` as it read when sent on `sent`: its dates, deadline and
    amounts from the record the Log keeps with it; a letter logged by hand, without a record, as the invoice
    stood that day."""
    assessment = dunning.assess(ledger, sent)
    state = assessment.invoice(number)
    logged = [
        entry
        for entry in ledger.log_of(number)
        if stage_key(entry.action) == stage and entry.date <= sent and entry.letter
    ]
    record = records.read(max(logged, key=lambda e: e.date).letter) if logged else None
    if record is not None and record.stage != stage:
        record = None
    context = reminder_context(assessment, state, stage, f, link, letter=record)
    return Letter(stage, channel, sent, templates.render(stage, f.lang, context), state)


def pdf_text(text: str) -> str:
    """Text the base-14 fonts can show: Babel's narrow spaces become ordinary (non-breaking) ones."""
    return text.translate(_SPACES)


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName="Helvetica", fontSize=10, leading=13.5, spaceAfter=6)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8.5, leading=11, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName="Helvetica-Bold", fontSize=11.5, spaceAfter=8),
        "bullet": ParagraphStyle("bullet", parent=base, leftIndent=12, bulletIndent=2, spaceAfter=2),
        "address": ParagraphStyle("address", parent=base, fontSize=10.5, leading=13, spaceAfter=0),
        "right": ParagraphStyle("right", parent=base, alignment=2, spaceAfter=0),
    }


class _Blocks(HTMLParser):
    """The reminder's HTML (from its Markdown) as paragraphs and list items in ReportLab's markup."""

    INLINE: ClassVar[dict[str, str]] = {"strong": "b", "b": "b", "em": "i", "i": "i"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []  # (kind, markup)
        self.kind = ""
        self.parts: list[str] = []

    def _flush(self) -> None:
        text = re.sub(r"\s+", " ", "".join(self.parts)).strip()
        if text:
            self.blocks.append((self.kind or "p", text))
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in ("p", "li", "h1", "h2", "h3", "h4", "tr"):
            self._flush()
            self.kind = "li" if tag == "li" else ("h" if tag.startswith("h") else "p")
        elif tag in self.INLINE:
            self.parts.append(f"<{self.INLINE[tag]}>")
        elif tag == "br":
            self.parts.append("<br/>")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_endtag(self, tag):
        if tag in ("p", "li", "h1", "h2", "h3", "h4", "tr", "ul", "ol", "table"):
            self._flush()
            self.kind = ""
        elif tag in self.INLINE:
            self.parts.append(f"</{self.INLINE[tag]}>")

    def handle_data(self, data):
        self.parts.append(html.escape(pdf_text(data), quote=False))


def letter_blocks(reminder: Reminder) -> list[tuple[str, str]]:
    parser = _Blocks()
    parser.feed(reminder.html)
    parser.close()
    parser._flush()
    return parser.blocks


class QrCode(Flowable):
    """An EPC QR code drawn as vector modules: `side` wide without its 4-module quiet zone."""

    def __init__(self, code: segno.QRCode, side: float = QR_SIDE):
        super().__init__()
        self.matrix = [list(row) for row in code.matrix]
        self.module = side / len(self.matrix)
        self.width = self.height = side + 8 * self.module

    def draw(self) -> None:
        c, n, m = self.canv, len(self.matrix), self.module
        c.setFillColorRGB(1, 1, 1)
        c.rect(0, 0, self.width, self.height, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        for y, row in enumerate(self.matrix):
            x = 0
            while x < n:
                if row[x]:
                    start = x
                    while x < n and row[x]:
                        x += 1
                    c.rect((4 + start) * m, self.height - (4 + y + 1) * m, (x - start) * m, m, stroke=0, fill=1)
                else:
                    x += 1


def claim_rows(claim: Claim, f: Formatter) -> list[tuple[str, str]]:
    """The statement of claim: principal, one line per interest period and rate, the fixed compensation, total."""
    rows = [(f.t("claim_principal"), f.money(claim.principal))]
    for s in claim.interest_detail.segments if claim.interest_detail else ():
        label = f.t(
            "claim_interest_line_fr" if claim.basis.startswith("fr") else "claim_interest_line",
            start=f.short_day(s.start),
            end=f.short_day(s.end),
            days=s.days,
            rate=f.percent(s.rate),
        )
        rows.append((label, f.money(Decimal(s.amount).quantize(Decimal("0.01")))))
    if claim.flat_fee:
        rows.append((f.t("claim_flat_fee"), f.money(claim.flat_fee)))
    rows.append((f.t("claim_total"), f.money(claim.total)))
    return [(pdf_text(a), pdf_text(b)) for a, b in rows]


def letter_amount(letter: Letter) -> tuple[Decimal, str]:
    """What the QR code asks for, and with which reference, as the page does: the total claimed from the formal
    notice on, else the balance (of the installment, for a letter about one)."""
    if letter.installment is not None:
        return max(letter.installment.balance, Decimal(0)), letter.installment.reference
    claim = letter.state.claim
    if letter.stage in CLAIM_STAGES and claim is not None:
        return claim.total, letter.state.reference
    return max(letter.state.balance, Decimal(0)), letter.state.reference


def write_letter(folder: Path, name: str, creditor: Creditor, letter: Letter, f: Formatter) -> Path:
    """The letter's PDF in `folder`, named from `name` (made safe for any file system)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120] + ".pdf")
    path.write_bytes(letter_pdf(creditor, letter, f))
    return path


def _address_lines(name: str, address: str) -> list[str]:
    lines = [name] + [part.strip() for part in re.split(r"[\n,]", address) if part.strip()]
    return [pdf_text(line) for line in lines]


def _enterprise(creditor: Creditor, f: Formatter) -> str:
    """ "N° BCE 0403.170.701" (or SIREN for a French creditor), labelled in the letter's language."""
    label, number = enterprise_number(creditor)
    return f"{f.t(label)} {number}" if label else ""


def _creditor_lines(creditor: Creditor, f: Formatter) -> list[str]:
    lines = [creditor.address]
    if creditor.enterprise_number:
        lines.append(_enterprise(creditor, f))
    lines.append(" · ".join(x for x in (creditor.email, creditor.phone) if x))
    return [pdf_text(x) for x in lines if x]


def letter_pdf(creditor: Creditor, letter: Letter, f: Formatter) -> bytes:
    """One letter as an A4 PDF (see the module notes), in the language of `f`."""
    state = letter.state
    customer = state.customer
    styles = _styles()
    out = io.BytesIO()
    iban_text = payment.format_iban(creditor.iban)

    def first_page(canvas: Canvas, doc) -> None:
        canvas.saveState()
        top = PAGE_H - 15 * mm
        canvas.setFont("Helvetica-Bold", 12)
        canvas.drawString(MARGIN, top, pdf_text(creditor.name))
        canvas.setFont("Helvetica", 8.5)
        for n, line in enumerate(_creditor_lines(creditor, f), start=1):
            canvas.drawString(MARGIN, top - n * 11, line)
        left, window_top, _, height = WINDOW
        y = PAGE_H - window_top - 11
        bottom = PAGE_H - window_top - height
        if letter.channel == Channel.REGISTERED:
            canvas.setFont("Helvetica-Bold", 9)
            canvas.drawString(left, y, REGISTERED.get(f.lang, REGISTERED["en"]))
            y -= 13
        canvas.setFont("Helvetica", 10.5)
        for line in _address_lines(
            customer.name if customer else state.invoice.customer_id, customer.address if customer else ""
        ):
            if y < bottom:
                break
            canvas.drawString(left, y, line)
            y -= 13
        canvas.setLineWidth(0.3)
        for fold in FOLDS:
            canvas.line(5 * mm, PAGE_H - fold, 9 * mm, PAGE_H - fold)
        canvas.setFont("Helvetica", 10)
        canvas.drawRightString(PAGE_W - MARGIN, PAGE_H - 95 * mm, pdf_text(f.day(letter.sent)))
        _footer(canvas, doc)
        canvas.restoreState()

    def later_page(canvas: Canvas, doc) -> None:
        canvas.saveState()
        _footer(canvas, doc)
        canvas.restoreState()

    def _footer(canvas: Canvas, doc) -> None:
        canvas.setFont("Helvetica", 7.5)
        text = " · ".join(x for x in (creditor.name, _enterprise(creditor, f), iban_text) if x)
        canvas.drawString(MARGIN, 10 * mm, pdf_text(text))
        canvas.drawRightString(PAGE_W - MARGIN, 10 * mm, str(doc.page))

    doc = BaseDocTemplate(
        out,
        pagesize=A4,
        title=pdf_text(letter.reminder.subject),
        author=pdf_text(creditor.name),
        subject=pdf_text(letter.reminder.subject),
        creator="Debtor Portal",
        invariant=1,
    )
    width = PAGE_W - 2 * MARGIN
    doc.addPageTemplates(
        [
            PageTemplate("first", [Frame(MARGIN, 18 * mm, width, PAGE_H - BODY_TOP - 18 * mm, id="f")], first_page),
            PageTemplate("later", [Frame(MARGIN, 18 * mm, width, PAGE_H - 38 * mm, id="l")], later_page),
        ]
    )
    story: list[Flowable] = [
        NextPageTemplate("later"),
        Paragraph(html.escape(pdf_text(letter.reminder.subject)), styles["head"]),
    ]
    for kind, markup in letter_blocks(letter.reminder):
        if kind == "li":
            story.append(Paragraph(markup, styles["bullet"], bulletText="•"))
        elif kind == "h":
            story.append(Paragraph(f"<b>{markup}</b>", styles["body"]))
        else:
            story.append(Paragraph(markup, styles["body"]))
    if (
        letter.stage in CLAIM_STAGES
        and letter.installment is None
        and state.claim is not None
        and (state.claim.interest or state.claim.flat_fee)
    ):
        rows = claim_rows(state.claim, f)
        table = Table(
            [[Paragraph(html.escape(a), styles["body"]), Paragraph(html.escape(b), styles["right"])] for a, b in rows],
            colWidths=[width - 40 * mm, 40 * mm],
        )
        table.setStyle(
            [
                ("LINEABOVE", (0, -1), (-1, -1), 0.8, (0, 0, 0)),
                ("FONTNAME", (0, -1), (-1, -1), "Helvetica-Bold"),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
        title = Paragraph(f"<b>{html.escape(pdf_text(f.t('claim_title')))}</b>", styles["body"])
        basis = Paragraph(
            html.escape(pdf_text(f.t("claim_basis", basis=f.t("legal_basis_" + state.claim.basis)))), styles["small"]
        )
        story.append(KeepTogether([Spacer(1, 4), title, table, basis]))
    amount, reference = letter_amount(letter)
    if state.invoice.currency == "EUR" and amount > 0:
        reference = payment.validate_reference(reference)
        payload = payment.epc_payload(creditor.name, creditor.iban, amount, bic=creditor.bic, reference=reference)
        details = [
            (f.t("beneficiary"), creditor.name),
            (f.t("iban"), iban_text),
            (f.t("amount_to_pay"), f.money(amount)),
            (
                f.t("reference_rf" if reference.startswith("RF") else "reference_ogm"),
                payment.format_reference(reference),
            ),
        ]
        if creditor.bic:
            details.insert(2, (f.t("bic"), creditor.bic))
        lines = "<br/>".join(f"{html.escape(pdf_text(k))}: <b>{html.escape(pdf_text(v))}</b>" for k, v in details)
        text = Paragraph(
            f"<b>{html.escape(pdf_text(f.t('pay_title')))}</b><br/>{lines}<br/>{html.escape(pdf_text(f.t('scan')))}",
            styles["body"],
        )
        qr = QrCode(payment.qr_code(payload))
        block = Table([[qr, text]], colWidths=[qr.width + 4 * mm, width - qr.width - 4 * mm])
        block.setStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("LEFTPADDING", (0, 0), (0, 0), 0)])
        story.append(KeepTogether([Spacer(1, 8), block]))
    doc.build(story)
    return out.getvalue()

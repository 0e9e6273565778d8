"""`handover`: one customer's file for a collection agency, lawyer or bailiff, as a ZIP.

In the ZIP (texts in the workbook's language; CSV files UTF-8 with a BOM, ";"-separated, ISO dates and
amounts with a decimal point, so that Excel and the agent's software both read them):

    README.txt             who, what is claimed, what the file holds
    contact.txt            the debtor's and the creditor's contact data
    checklist.txt          the conditions of the procedure for uncontested money debts, per invoice, marked
    invoices.csv           the open invoices
    history.csv            every Log row about the customer: reminders, calls, promises, with dates and channels
    claim.csv              principal, interest per period and rate, fixed compensation, per invoice and in total
    invoices/<file>.pdf    the invoices' PDF files, where the workbook names them
    letters/formal_notice-<invoice>.pdf   the formal notice as sent (see `letters.recorded_letter`)
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from ..domain import dunning
from ..domain.handover import InvoiceFile, channel_of, claimed, invoice_files
from ..domain.stages import Channel, Stage
from ..render import i18n, letters, reminders, site, tokens
from ..render.workbook_text import PREFIX, describe, stage_label, status_label
from ..workbook.port import WorkbookPort
from .actions import workbook_formatter
from .errors import Refused
from .load import assessed
from .report import SITE_FOLDER

ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class HandoverOutcome:
    assessment: dunning.Assessment
    customer_id: str
    files: tuple[InvoiceFile, ...]
    path: Path
    names: tuple[str, ...]  # the ZIP's entries
    warnings: tuple[str, ...]


def _t(f: i18n.Formatter, key: str, **params: object) -> str:
    return f.t(PREFIX + key, **params)


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else (v.isoformat() if isinstance(v, date) else str(v)) for v in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _contact(assessment: dunning.Assessment, customer, f: i18n.Formatter) -> str:
    creditor = assessment.ledger.creditor
    lines = [f"{_t(f, 'ho_debtor')}: {customer.name} ({customer.id})"]
    for key, value in (
        ("ho_address", customer.address),
        ("ho_vat", customer.vat),
        ("ho_email", customer.email),
        ("col_phone", customer.phone),
        ("ho_language", customer.language),
        ("ho_kind", customer.kind),
    ):
        lines.append(f"  {_t(f, key)}: {value or '-'}")
    lines += ["", f"{_t(f, 'ho_creditor')}: {creditor.name}"]
    for key, value in (
        ("ho_address", creditor.address),
        ("ho_vat", creditor.enterprise_number),
        ("ho_email", creditor.email),
        ("col_phone", creditor.phone),
    ):
        lines.append(f"  {_t(f, key)}: {value or '-'}")
    lines.append(f"  IBAN: {creditor.iban}" + (f"  BIC: {creditor.bic}" if creditor.bic else ""))
    return "\n".join(lines) + "\n"


def _checklist(files: tuple[InvoiceFile, ...], f: i18n.Formatter) -> str:
    lines = [_t(f, "ho_checklist"), _t(f, "ho_checklist_note"), ""]
    for file in files:
        invoice = file.state.invoice
        lines.append(f"{invoice.number} ({f.money(file.state.balance, invoice.currency)})")
        for c in file.conditions:
            why = f" — {describe((c.why,), f)}" if c.why else ""
            lines.append(f"  {_t(f, 'ho_mark_' + c.mark):14} {_t(f, 'ho_cond_' + c.key)}{why}")
        lines.append("  " + _t(f, "ho_eligible" if file.eligible else "ho_not_eligible"))
        lines.append("")
    return "\n".join(lines)


def _claim_rows(files: tuple[InvoiceFile, ...], f: i18n.Formatter) -> list[list[object]]:
    rows: list[list[object]] = []
    for file in files:
        state = file.state
        number = state.invoice.number
        claim = state.claim
        basis = claim.legal_reference if claim else ""
        rows.append([number, _t(f, "ho_principal"), state.invoice.due_date, "", "", "", state.balance, basis])
        if claim is not None and claim.interest_detail is not None:
            for s in claim.interest_detail.segments:
                amount = Decimal(s.amount).quantize(Decimal("0.01"))
                rows.append([number, _t(f, "ho_interest"), s.start, s.end, s.days, s.rate, amount, basis])
        if claim is not None and claim.flat_fee:
            rows.append([number, _t(f, "ho_fee"), "", "", "", "", claim.flat_fee, basis])
        total = claim.total if claim is not None else state.balance
        rows.append([number, _t(f, "ho_total"), "", "", "", "", total, ""])
    principal, interest, fee, total = claimed(files)
    rows += [
        ["", _t(f, "ho_principal"), "", "", "", "", principal, ""],
        ["", _t(f, "ho_interest"), "", "", "", "", interest, ""],
        ["", _t(f, "ho_fee"), "", "", "", "", fee, ""],
        ["", _t(f, "ho_total"), "", "", "", "", total, ""],
    ]
    return rows


def _readme(assessment: dunning.Assessment, customer, files, names: list[str], f: i18n.Formatter) -> str:
    principal, interest, fee, total = claimed(files)
    lines = [
        _t(f, "ho_title", name=customer.name, id=customer.id, date=f.short_day(assessment.as_of)),
        "",
        f"{_t(f, 'ho_claim')}:",
        f"  {_t(f, 'ho_principal')}: {f.money(principal)}",
        f"  {_t(f, 'ho_interest')}: {f.money(interest)}",
        f"  {_t(f, 'ho_fee')}: {f.money(fee)}",
        f"  {_t(f, 'ho_total')}: {f.money(total)}",
        "",
        f"{_t(f, 'ho_files')}:",
    ]
    described = {
        "contact.txt": "ho_file_contact",
        "checklist.txt": "ho_file_checklist",
        "invoices.csv": "ho_file_invoices",
        "history.csv": "ho_file_history",
        "claim.csv": "ho_file_claim",
    }
    for name in names:
        key = described.get(name) or ("ho_file_pdf" if name.startswith("invoices/") else "ho_file_notice")
        lines.append(f"  {name}: {_t(f, key)}")
    return "\n".join(lines) + "\n"


def _invoice_pdf(folder: Path, file: InvoiceFile) -> tuple[str, bytes] | None:
    """The invoice's own PDF, when the workbook names one inside its folder."""
    name = file.state.invoice.pdf.strip()
    if not name:
        return None
    base = folder.resolve()
    source = (base / name).resolve()
    if not source.is_relative_to(base) or not source.is_file():
        return None
    return f"invoices/{source.name}", source.read_bytes()


def handover(
    workbook: WorkbookPort,
    customer_id: str,
    *,
    today: date,
    out: Path | None = None,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
) -> HandoverOutcome:
    """Write the customer's collection file as a ZIP (default: beside the workbook, never in the site)."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    ledger = assessment.ledger
    customer = ledger.customer(customer_id)
    if customer is None:
        known = ", ".join(c.id for c in ledger.customers[:12])
        raise Refused(f"No customer '{customer_id}' in {workbook.name} (customer IDs: {known}…).")
    files = invoice_files(assessment, customer_id)
    if not files:
        raise Refused(
            f"{customer.name} ({customer_id}) owes nothing as of {assessment.as_of:%d/%m/%Y}: no file to hand over."
        )
    path = Path(out) if out is not None else workbook.folder / f"handover-{customer_id}-{assessment.as_of:%Y-%m-%d}.zip"
    site_dir = (workbook.folder / SITE_FOLDER).resolve()
    if site_dir == path.resolve().parent or site_dir in path.resolve().parents:
        raise Refused(f"{path} is inside {site_dir}, which is published: write the handover file elsewhere.")
    f = workbook_formatter(workbook, loaded.reading.language, ledger.creditor.country)
    entries: dict[str, bytes] = {}
    warnings: list[str] = []
    entries["contact.txt"] = _contact(assessment, customer, f).encode("utf-8")
    entries["checklist.txt"] = _checklist(files, f).encode("utf-8")
    entries["invoices.csv"] = _csv(
        [
            _t(f, k)
            for k in (
                "ov_invoice",
                "ho_col_issue",
                "ho_col_due",
                "col_amount",
                "ho_col_paid",
                "ov_balance",
                "ho_col_reference",
                "ho_col_status",
                "ho_col_days_overdue",
                "ho_col_description",
            )
        ],
        [
            [
                s.invoice.number,
                s.invoice.issue_date,
                s.invoice.due_date,
                s.invoice.amount,
                s.paid,
                s.balance,
                s.reference,
                status_label(s.status, f),
                max(s.days_overdue, 0),
                s.invoice.description,
            ]
            for s in (file.state for file in files)
        ],
    )
    history = sorted(
        (e for e in ledger.log if e.customer_id.strip() == customer_id and e.date <= assessment.as_of),
        key=lambda e: (e.date, e.invoice),
    )
    entries["history.csv"] = _csv(
        [_t(f, k) for k in ("col_date", "ov_invoice", "ho_col_action", "col_channel", "col_note")],
        [[e.date, e.invoice, stage_label(e.action, f), _channel_label(e.channel, f), e.note] for e in history],
    )
    entries["claim.csv"] = _csv(
        [
            _t(f, k)
            for k in (
                "ov_invoice",
                "ho_col_item",
                "ho_col_from",
                "ho_col_to",
                "ho_col_days",
                "ho_col_rate",
                "col_amount",
                "ho_col_basis",
            )
        ],
        _claim_rows(files, f),
    )
    for file in files:
        found = _invoice_pdf(workbook.folder, file)
        if found:
            entries[found[0]] = found[1]
        elif file.state.invoice.pdf.strip():
            warnings.append(
                f"{file.state.invoice.number}: the PDF '{file.state.invoice.pdf}' was not found beside the workbook."
            )
    templates = reminders.ReminderTemplates(workbook.folder)
    messages = f.messages
    key = tokens.workbook_secret(workbook.folder, secret_file)
    for file in files:
        if file.notice is None:
            continue
        state = file.state
        lang = customer.language or ledger.creditor.default_language
        reader = i18n.formatter(lang, ledger.creditor.country, messages)
        link = site.absolute_url(ledger.creditor, site.page_link(key, ledger.creditor, "i", state.invoice.number))
        channel = channel_of(file.notice.channel) or Channel.EMAIL
        letter = letters.recorded_letter(
            ledger, state.invoice.number, Stage.FORMAL_NOTICE, file.notice.date, channel, reader, link, templates
        )
        entries[f"letters/formal_notice-{state.invoice.number}.pdf"] = letters.letter_pdf(
            ledger.creditor, letter, reader
        )
    names = list(entries)
    entries = {"README.txt": _readme(assessment, customer, files, names, f).encode("utf-8"), **entries}
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(zipfile.ZipInfo(name, ZIP_TIME), data, zipfile.ZIP_DEFLATED)
    return HandoverOutcome(assessment, customer_id, files, path, tuple(entries), tuple(warnings))


def _channel_label(text: str, f: i18n.Formatter) -> str:
    channel = channel_of(text)
    return _t(f, "channel_" + channel) if channel else text

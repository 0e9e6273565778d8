"""`import-ubl`: Peppol BIS Billing 3.0 e-invoices and credit notes into the Invoices (and Customers) tables."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat

from ..codes.payment import ogm, rf
from ..domain.ledger import Ledger
from ..domain.progress import Progress
from ..imports import camt053, coda, ubl
from ..imports.language import guess_language
from ..imports.match import references_in_text
from ..imports.records import MAX_EINVOICE_BYTES, EInvoice, UnreadableFile
from ..workbook.port import Applied, Changes, WorkbookPort
from ..workbook.schema import normalize
from .errors import ImportFailed
from .load import checked

PDF_FOLDER = "invoices"


@dataclass(frozen=True)
class UblImport:
    files: tuple[str, ...]
    added: tuple[str, ...]  # invoice numbers added
    customers_added: tuple[str, ...]  # customer ids added
    skipped: tuple[str, ...]  # "<file>: invoice <n>: why"
    warnings: tuple[str, ...]
    pdfs: tuple[Path, ...]
    written: Applied | None

    def lines(self) -> list[str]:
        lines = [
            f"Read {len(self.files)} e-invoice(s): {len(self.added)} added, {len(self.customers_added)} new "
            f"customer(s), {len(self.skipped)} skipped."
        ]
        lines += [f"  SKIPPED: {s}" for s in self.skipped]
        lines += [f"  WARNING: {w}" for w in self.warnings]
        lines.append(
            f"{len(self.added)} invoice row(s) written to {self.written.target}"
            if self.written
            else "Nothing new to write."
        )
        return lines


def ubl_files(paths: list[Path]) -> list[Path]:
    """The files named, and the .xml files in the folders named (sorted, subfolders included)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            inside = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".xml")
            if not inside:
                raise ImportFailed(f"The folder {path} holds no .xml file: nothing was imported.", unreadable=False)
            found += inside
        else:
            found.append(path)
    return found


def read_einvoice(path: Path) -> EInvoice:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(path.name, f"it cannot be opened ({exc.strerror}).") from None
    if size > MAX_EINVOICE_BYTES:
        raise UnreadableFile(
            path.name,
            f"it is {size / 1024 / 1024:.0f} MB, more than the {MAX_EINVOICE_BYTES // 1024 // 1024} MB "
            "an e-invoice can reasonably be.",
        )
    data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile(path.name, "it is empty: export the e-invoice again.")
    if camt053.is_camt(data) or coda.is_coda(data.removeprefix(b"\xef\xbb\xbf")):
        raise UnreadableFile(
            path.name,
            "it is a bank statement, not an e-invoice: import it with import-bank (Import bank statement on the "
            "ribbon).",
        )
    return ubl.read(data, path.name)


def _compact_iban(iban: str) -> str:
    return iban.replace(" ", "").upper()


def _vat_key(number: str) -> str:
    """Belgian numbers by their 10 digits (BE0403.170.701, 0403170701 and 403170701 are one); others compacted."""
    if not number:
        return ""
    try:
        return be_vat.compact(number) if be_vat.is_valid(number) else eu_vat.compact(number)
    except Exception:
        return normalize(number)


def _reference(invoice: EInvoice, warnings: list[str]) -> str:
    """BT-83 as the workbook writes it: +++…+++ or RF…; empty (made from the number) when it is neither."""
    raw = invoice.payment_reference
    if not raw:
        return ""
    for candidate in (raw, *references_in_text(raw)):
        if ogm.is_valid(candidate) and ogm.compact(candidate).isdigit():
            return ogm.format(candidate)
        if rf.is_valid(candidate):
            return rf.format(candidate)
    warnings.append(
        f"{invoice.file}: invoice {invoice.number}: the payment reference '{raw}' is not a structured communication "
        "nor an RF reference; the workbook makes one from the invoice number."
    )
    return ""


class _Ids:
    """New customer ids in the workbook's own pattern (C041 after C040), else C001, C002…"""

    def __init__(self, ids: list[str]):
        self.taken = set(ids)
        patterns: dict[tuple[str, int], int] = {}
        for customer_id in ids:
            m = re.fullmatch(r"(.*?)(\d+)", customer_id)
            if m:
                key = (m.group(1), len(m.group(2)))
                patterns[key] = max(patterns.get(key, 0), int(m.group(2)))
        if patterns:
            (self.prefix, self.width), self.last = max(patterns.items(), key=lambda kv: kv[1])
        else:
            self.prefix, self.width, self.last = "C", 3, 0

    def new(self) -> str:
        while True:
            self.last += 1
            candidate = f"{self.prefix}{self.last:0{self.width}d}"
            if candidate not in self.taken:
                self.taken.add(candidate)
                return candidate


def _safe_name(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", number).strip("._") or "invoice"


def _pdf_path(folder: Path, number: str, content: bytes, planned: set[Path]) -> Path:
    base = _safe_name(number)
    for n in range(1, 1000):
        path = folder / PDF_FOLDER / (f"{base}.pdf" if n == 1 else f"{base}-{n}.pdf")
        if path in planned:
            continue
        if not path.exists() or path.read_bytes() == content:
            return path
    raise ImportFailed(f"Too many PDF files named {base}*.pdf in {folder / PDF_FOLDER}.", unreadable=False)


def _signed(invoice: EInvoice) -> tuple[str, Decimal]:
    if invoice.credit_note or invoice.payable < 0:
        return "credit note", abs(invoice.payable)
    return "invoice", invoice.payable


def import_ubl(
    workbook: WorkbookPort,
    paths: list[Path],
    *,
    today: date,
    creditor: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> UblImport:
    """Add the e-invoices the workbook lacks; nothing is written when a file is unreadable or for another account."""
    report = progress or (lambda done, total, message: None)
    files = ubl_files(paths)
    total = len(files) + 2
    read: list[EInvoice] = []
    problems: list[str] = []
    for k, path in enumerate(files):
        report(k, total, f"Reading {path.name}")
        try:
            read.append(read_einvoice(path))
        except UnreadableFile as exc:
            problems.append(str(exc))
    if problems:
        raise ImportFailed(
            f"{len(problems)} e-invoice file(s) could not be read: nothing was written. Correct or remove them and "
            "import again.",
            tuple(problems),
        )
    report(len(files), total, f"Comparing with {workbook.name}")
    loaded, ledger = checked(workbook, creditor)
    own_iban = _compact_iban(ledger.creditor.iban)
    wrong_account = [
        f"{i.file}: {'credit note' if i.credit_note else 'invoice'} {i.number} asks for payment to {i.seller_iban}, "
        f"not to the IBAN in the Settings ({ledger.creditor.iban})"
        for i in read
        if i.seller_iban and _compact_iban(i.seller_iban) != own_iban
    ]
    if wrong_account:
        raise ImportFailed(
            "E-invoices for another bank account: nothing was written. If they are yours, correct the IBAN in the "
            "Settings (or in your invoicing software); otherwise remove them from the import.",
            tuple(wrong_account),
            unreadable=False,
        )
    flat = "customers" not in loaded.reading.tables
    invoice_columns = loaded.reading.tables["invoices"].columns
    plan = _plan(read, ledger, flat, invoice_columns, workbook.folder)
    written = None
    if plan.invoices:
        report(len(files) + 1, total, f"Writing {len(plan.invoices)} invoice(s)")
        created = []
        try:
            for path, content in plan.pdfs.items():
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(content)
                    created.append(path)
            append = {"invoices": plan.invoices}
            if plan.customers:
                append["customers"] = plan.customers
            written = workbook.apply(Changes(append=append))
        except BaseException:
            for path in created:
                path.unlink(missing_ok=True)
            raise
    report(total, total, "Done")
    return UblImport(
        tuple(p.name for p in files),
        tuple(str(r["number"]) for r in plan.invoices),
        tuple(str(c["id"]) for c in plan.customers),
        tuple(plan.skipped),
        tuple(plan.warnings),
        tuple(plan.pdfs),
        written,
    )


@dataclass
class _Plan:
    invoices: list[dict[str, object]]
    customers: list[dict[str, object]]
    pdfs: dict[Path, bytes]
    skipped: list[str]
    warnings: list[str]


def _plan(read: list[EInvoice], ledger: Ledger, flat: bool, invoice_columns: dict[str, int], folder: Path) -> _Plan:
    plan = _Plan([], [], {}, [], [])
    known = {i.number: i for i in ledger.invoices}
    by_vat = {_vat_key(c.vat): c.id for c in ledger.customers if _vat_key(c.vat)}
    by_name = {normalize(c.name): c.id for c in ledger.customers}
    ids = _Ids([c.id for c in ledger.customers])
    seen: set[str] = set()
    for invoice in read:
        label = f"{invoice.file}: {'credit note' if invoice.credit_note else 'invoice'} {invoice.number}"
        kind, amount = _signed(invoice)
        if invoice.number in seen:
            plan.skipped.append(f"{label}: the same number as an e-invoice read before in this import")
            continue
        seen.add(invoice.number)
        if invoice.number in known:
            old = known[invoice.number]
            if abs(old.amount) == amount and old.kind == kind:
                plan.skipped.append(f"{label}: already in the workbook")
            else:
                where = f" ({old.where})" if old.where else ""
                plan.skipped.append(f"{label}: already in the workbook{where}")
                plan.warnings.append(
                    f"{label}: the e-invoice says {kind} of {amount} {invoice.currency}, the workbook has "
                    f"{old.kind} of {abs(old.amount)} {old.currency}{where}. The import never overwrites what you "
                    "typed: correct the row if the e-invoice is right."
                )
            continue
        buyer = invoice.buyer
        name = buyer.name or "(no name)"
        customer_id = by_vat.get(_vat_key(buyer.enterprise_number)) or by_name.get(normalize(name))
        if flat:
            customer_id = customer_id or name
        elif customer_id is None:
            customer_id = ids.new()
            by_vat[_vat_key(buyer.enterprise_number)] = customer_id
            by_name[normalize(name)] = customer_id
            plan.customers.append(
                {
                    "id": customer_id,
                    "name": name,
                    "language": guess_language(buyer, ledger.creditor.default_language),
                    "email": buyer.email,
                    "phone": buyer.phone,
                    "address": buyer.address,
                    "vat": buyer.enterprise_number,
                    "kind": "B2B" if buyer.enterprise_number else "B2C",
                }
            )
            if not buyer.enterprise_number:  # the consumer's rules are the stricter ones: no claim a business's allow
                plan.warnings.append(
                    f"{label}: customer {customer_id} ({name}) was added as a consumer (B2C), as the e-invoice gives "
                    "no VAT or enterprise number: set its Kind to B2B on the Customers sheet if it is a business."
                )
        row: dict[str, object] = {
            "number": invoice.number,
            "kind": kind,
            "customer_id": customer_id,
            "issue_date": invoice.issue_date,
            "due_date": invoice.due_date,
            "amount": amount,
            "currency": invoice.currency,
            "description": invoice.description[:200],
            "order_ref": invoice.order_reference,
            "reference": _reference(invoice, plan.warnings),
        }
        if flat and "customer_name" in invoice_columns:
            row["customer_name"] = name
            if "customer_id" not in invoice_columns:
                del row["customer_id"]
        if invoice.pdf:
            path = _pdf_path(folder, invoice.number, invoice.pdf, set(plan.pdfs))
            plan.pdfs[path] = invoice.pdf
            row["pdf"] = path.relative_to(folder).as_posix()
        plan.invoices.append(row)
    return plan

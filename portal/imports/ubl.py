"""Peppol BIS Billing 3.0 (UBL 2.1) invoices and credit notes: the fields a receivables row needs.

Paths from OpenPEPPOL/peppol-bis-invoice-3 (structure/syntax/ubl-invoice.xml, ubl-creditnote.xml).
A credit note has no document-level DueDate: its due date is PaymentMeans/PaymentDueDate.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from .records import EInvoice, Party, UnreadableFile, money
from .xml import parse, text

_INVOICE_NS = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
_CREDIT_NOTE_NS = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
_CREDIT_TRANSFER = {"30", "58", "31", "42", "1", "ZZZ"}


def is_einvoice(data: bytes) -> bool:
    head = data[:4096]
    return _INVOICE_NS.encode() in head or _CREDIT_NOTE_NS.encode() in head


def read(data: bytes, file: str) -> EInvoice:
    root, namespace = parse(data, file)
    if (root.tag, namespace) not in (("Invoice", _INVOICE_NS), ("CreditNote", _CREDIT_NOTE_NS)):
        raise UnreadableFile(
            file,
            "it is not a UBL invoice or credit note (Peppol BIS Billing 3.0). Export the e-invoice as UBL XML.",
        )
    credit_note = root.tag == "CreditNote"
    number = text(root, "ID")
    if not number:
        raise UnreadableFile(file, "the e-invoice has no number (cbc:ID).")
    where = f"{'credit note' if credit_note else 'invoice'} {number}"
    issue = _date(text(root, "IssueDate"), file, where, "issue date", required=True)
    assert issue is not None
    means = _payment_means(root)
    due = _date(text(root, "DueDate"), file, where, "due date") or _date(
        text(means, "PaymentDueDate") if means is not None else "", file, where, "due date"
    )
    payable_element = root.find("LegalMonetaryTotal/PayableAmount")
    if payable_element is None:
        raise UnreadableFile(file, "it has no amount due (LegalMonetaryTotal/PayableAmount).", where)
    try:
        payable = Decimal(text(payable_element))
    except InvalidOperation:
        raise UnreadableFile(file, f"the amount due '{text(payable_element)}' is not a number.", where) from None
    if not payable.is_finite():
        raise UnreadableFile(file, f"the amount due '{text(payable_element)}' is not a number.", where)
    currency = (text(root, "DocumentCurrencyCode") or payable_element.get("currencyID", "")).upper()
    pdf, pdf_name = _pdf(root, file, where)
    return EInvoice(
        file=file,
        number=number,
        credit_note=credit_note,
        type_code=text(root, "CreditNoteTypeCode" if credit_note else "InvoiceTypeCode"),
        issue_date=issue,
        due_date=due,
        currency=currency,
        payable=money(payable, file, where),
        payment_reference=text(means, "PaymentID") if means is not None else "",
        seller_iban=(text(means, "PayeeFinancialAccount/ID") if means is not None else "").replace(" ", "").upper(),
        seller_name=_party(root.find("AccountingSupplierParty/Party")).name,
        buyer=_party(root.find("AccountingCustomerParty/Party")),
        order_reference=text(root, "OrderReference/ID") or text(root, "BuyerReference"),
        description=_description(root, credit_note),
        preceding_invoice=text(root, "BillingReference/InvoiceDocumentReference/ID"),
        pdf=pdf,
        pdf_filename=pdf_name,
    )


def _date(raw: str, file: str, where: str, what: str, *, required: bool = False) -> date | None:
    if not raw:
        if required:
            raise UnreadableFile(file, f"it has no {what}.", where)
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UnreadableFile(file, f"the {what} '{raw}' is not a date (YYYY-MM-DD).", where) from None


def _payment_means(root: ET.Element) -> ET.Element | None:
    """The first credit-transfer PaymentMeans (codes 30, 58…), else the first of any kind."""
    means = root.findall("PaymentMeans")
    for element in means:
        if text(element, "PaymentMeansCode") in _CREDIT_TRANSFER and element.find("PayeeFinancialAccount") is not None:
            return element
    return means[0] if means else None


def _party(party: ET.Element | None) -> Party:
    if party is None:
        return Party()
    vat = ""
    for scheme in party.findall("PartyTaxScheme"):
        if text(scheme, "TaxScheme/ID").upper() == "VAT":
            vat = text(scheme, "CompanyID")
            break
    street = " ".join(
        t for t in (text(party, "PostalAddress/StreetName"), text(party, "PostalAddress/AdditionalStreetName")) if t
    )
    return Party(
        name=text(party, "PartyLegalEntity/RegistrationName") or text(party, "PartyName/Name"),
        enterprise_number=vat or text(party, "PartyLegalEntity/CompanyID"),
        email=text(party, "Contact/ElectronicMail"),
        phone=text(party, "Contact/Telephone"),
        street=street,
        postcode=text(party, "PostalAddress/PostalZone"),
        city=text(party, "PostalAddress/CityName"),
        country=text(party, "PostalAddress/Country/IdentificationCode").upper(),
    )


def _description(root: ET.Element, credit_note: bool) -> str:
    line = root.find("CreditNoteLine" if credit_note else "InvoiceLine")
    name = text(line, "Item/Name") if line is not None else ""
    return name or text(root, "Note")


def _pdf(root: ET.Element, file: str, where: str) -> tuple[bytes | None, str]:
    """The first embedded PDF (the invoice as printed, by Peppol practice)."""
    for reference in root.findall("AdditionalDocumentReference"):
        blob = reference.find("Attachment/EmbeddedDocumentBinaryObject")
        if blob is None or blob.get("mimeCode", "").lower() != "application/pdf":
            continue
        try:
            content = base64.b64decode("".join((blob.text or "").split()), validate=True)
        except (binascii.Error, ValueError):
            raise UnreadableFile(file, "its embedded PDF is not valid base64.", where) from None
        if not content.startswith(b"%PDF"):
            raise UnreadableFile(file, "its embedded 'PDF' is not a PDF file.", where)
        return content, blob.get("filename", "")
    return None, ""

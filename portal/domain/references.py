"""The payment references a debtor is asked to use: per invoice, per installment, per customer."""

from __future__ import annotations

from ..codes import payment
from .ledger import Invoice, Ledger


def kind(ledger: Ledger) -> str:
    """The creditor's kind of reference: "ogm" (Belgian structured communication) or "rf" (ISO 11649)."""
    return ledger.creditor.reference_kind if ledger.creditor.reference_kind in ("ogm", "rf") else "ogm"


def invoice_reference(ledger: Ledger, invoice: Invoice) -> str:
    """The typed reference in compact form when valid, otherwise one made from the invoice number."""
    if invoice.reference.strip():
        try:
            return payment.validate_reference(invoice.reference)
        except payment.InvalidReference:
            pass  # reported by `check`; the debtor gets a valid one
    return payment.reference_for(kind(ledger), invoice.number)


def installment_reference(ledger: Ledger, invoice_number: str, number: int) -> str:
    return payment.reference_for(kind(ledger), f"{invoice_number}/{number}", hashed=True)


def customer_reference(ledger: Ledger, customer_id: str) -> str:
    return payment.reference_for(kind(ledger), "C:" + customer_id, hashed=True)


def compact(reference: str) -> str | None:
    """A valid reference in compact form, or None (empty or invalid)."""
    if not reference.strip():
        return None
    try:
        return payment.validate_reference(reference)
    except payment.InvalidReference:
        return None

"""Payments to invoices: which invoice (or customer) each payment settles, and what stays unmatched.

A payment dated on or before `as_of` goes, in date order:

1. to the invoice its `invoice` cell names;
2. else to the invoice (or installment) whose reference it carries;
3. else, when it carries a customer's reference, over that customer's open items;
4. else, when the payer's IBAN paid one customer's invoices before (a payment matched by 1 or 2),
   to that customer's open invoice of exactly that amount, or over their open items;
5. anything else is unmatched, with the reason.

A payment an import only suggested (its Confirmed cell is "no") counts for nothing until confirmed.

"Over a customer's open items" means the invoices a general payment may settle (EUR, not a credit
note, not disputed, not written off), oldest due first; a surplus stays on the newest as a credit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..codes import payment as codes
from .ledger import Installment, Invoice, Ledger, Payment
from .money import ZERO
from .references import compact, customer_reference, installment_reference, invoice_reference


@dataclass(frozen=True)
class Unmatched:
    payment: Payment
    reason: str  # why it settles nothing, and what would make it match


@dataclass
class Allocation:
    by_invoice: dict[str, list[tuple[date, Decimal]]] = field(default_factory=lambda: defaultdict(list))
    unmatched: list[Unmatched] = field(default_factory=list)

    def paid(self, number: str) -> Decimal:
        return sum((amount for _, amount in self.by_invoice.get(number, [])), ZERO)


def plans(ledger: Ledger) -> dict[str, list[Installment]]:
    """Each invoice's installments, in order."""
    found: dict[str, list[Installment]] = defaultdict(list)
    for installment in ledger.installments:
        if installment.invoice:
            found[installment.invoice].append(installment)
    return {number: sorted(items, key=lambda i: i.number) for number, items in found.items()}


def _iban(text: str) -> str:
    return codes.compact_iban(text) if text.strip() else ""


@dataclass(frozen=True)
class _Targets:
    numbers: frozenset[str]
    by_reference: dict[str, str]  # compact reference -> invoice number
    customer_by_reference: dict[str, str]  # compact customer reference -> customer id
    customer_of: dict[str, str]  # invoice number -> customer id

    def direct(self, paid: Payment) -> str | None:
        """The invoice a payment names, by its invoice cell or its reference."""
        named = paid.invoice.strip()
        if named in self.numbers:
            return named
        reference = compact(paid.reference)
        return self.by_reference.get(reference) if reference else None


def _targets(ledger: Ledger, references: dict[str, str]) -> _Targets:
    by_reference = {}
    for number, items in plans(ledger).items():
        for installment in items:
            by_reference[installment_reference(ledger, number, installment.number)] = number
    by_reference.update({ref: number for number, ref in references.items()})
    return _Targets(
        frozenset(i.number for i in ledger.invoices),
        by_reference,
        {customer_reference(ledger, c.id): c.id for c in ledger.customers},
        {i.number: i.customer_id for i in ledger.invoices},
    )


def _known_payers(payments: list[Payment], targets: _Targets) -> dict[str, str | None]:
    """IBAN -> the customer whose invoices it paid (None when it paid several customers')."""
    payers: dict[str, str | None] = {}
    for paid in payments:
        iban, number = _iban(paid.counterparty_iban), targets.direct(paid)
        if not iban or number is None:
            continue
        customer = targets.customer_of[number]
        payers[iban] = customer if payers.get(iban, customer) == customer else None
    return payers


def _open_items(ledger: Ledger, customer_id: str, allocation: Allocation) -> list[Invoice]:
    """The customer's invoices a general payment may settle, oldest due first."""
    candidates = [
        i
        for i in ledger.invoices
        if i.customer_id == customer_id
        and not i.is_credit_note
        and not i.written_off
        and not i.disputed
        and i.currency == "EUR"
        and i.amount - allocation.paid(i.number) > 0
    ]
    return sorted(candidates, key=lambda i: i.due_date)  # stable: ledger order on equal dates


def _spread(ledger: Ledger, customer_id: str, paid: Payment, allocation: Allocation, *, by_amount: bool) -> bool:
    """Settle the customer's open items with a payment; `by_amount`: an item of exactly its amount first."""
    invoices = _open_items(ledger, customer_id, allocation)
    if not invoices or paid.amount <= 0:
        return False
    exact = [i for i in invoices if i.amount - allocation.paid(i.number) == paid.amount] if by_amount else []
    if len(exact) == 1:
        allocation.by_invoice[exact[0].number].append((paid.date, paid.amount))
        return True
    remaining = paid.amount
    for invoice in invoices:
        share = min(remaining, invoice.amount - allocation.paid(invoice.number))
        allocation.by_invoice[invoice.number].append((paid.date, share))
        remaining -= share
    if remaining > 0:
        allocation.by_invoice[invoices[-1].number].append((paid.date, remaining))
    return True


def _unmatched_reason(paid: Payment, payer: str | None, known: bool) -> str:
    if paid.invoice.strip():
        return f"it names invoice '{paid.invoice.strip()}', which is not in the Invoices table"
    if paid.reference.strip() and compact(paid.reference) is None:
        return f"its reference '{paid.reference.strip()}' is not a valid structured communication or RF reference"
    if paid.reference.strip():
        return f"its reference '{paid.reference.strip()}' belongs to no invoice, installment or customer"
    if known and payer is None:
        return "its payer's IBAN paid invoices of several customers"
    if known:
        return "its payer has nothing open to settle"
    return "it names no invoice, carries no reference and comes from an IBAN not seen before"


def allocate(ledger: Ledger, as_of: date, references: dict[str, str] | None = None) -> Allocation:
    """Every payment dated on or before `as_of`, in date order, to its invoice(s) (see the module notes).

    `references` maps invoice numbers to their compact references (made from the ledger when omitted).
    """
    if references is None:
        references = {i.number: invoice_reference(ledger, i) for i in ledger.invoices}
    targets = _targets(ledger, references)
    payments = sorted((p for p in ledger.payments if p.date <= as_of and not p.suggested), key=lambda p: p.date)
    payers = _known_payers(payments, targets)
    allocation = Allocation()
    for paid in payments:
        number = targets.direct(paid)
        if number is not None:
            allocation.by_invoice[number].append((paid.date, paid.amount))
            continue
        customer = targets.customer_by_reference.get(compact(paid.reference) or "")
        iban, by_payer = _iban(paid.counterparty_iban), False
        if customer is None and not paid.reference.strip() and not paid.invoice.strip():
            customer, by_payer = payers.get(iban), True
        if customer is None or not _spread(ledger, customer, paid, allocation, by_amount=by_payer):
            allocation.unmatched.append(Unmatched(paid, _unmatched_reason(paid, customer, iban in payers)))
    return allocation

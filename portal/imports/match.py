"""Bank entries matched to the workbook's invoices: which become payments, which are suggestions, which are left.

Only booked incoming credit transfers count. In order, each is matched exactly by: the Belgian
structured communication (the structured field, or found with valid check digits in the free text),
an RF creditor reference, then invoice numbers named in the free text. Failing those, a payment whose
amount equals an open invoice of a customer the payer is known for (its IBAN or name seen on that
customer's earlier payments, or the customer's own name) is suggested, for the user to confirm. A
reversal cancels the credit it takes back: in the same import, or by a negative payment when that
credit was imported before. Nothing here writes; `payment_rows` says what to append.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ..codes.payment import ogm, rf
from ..domain import dunning, references
from ..domain.ledger import Ledger, Payment
from ..workbook.schema import normalize
from .records import BankEntry

ZERO = Decimal("0")
REFERENCE_TEXT_LIMIT = 140
# Twelve digits, grouped as the payer typed them: 090/9337/55493, 0909 3375 5493, 090-9337-55493 or none.
_OGM_IN_TEXT = re.compile(r"(?<!\d)(?<!\d[ ./-])\d(?:\s*[./-]?\s*\d){11}(?!\s*[./-]?\s*\d)")
_RF_IN_TEXT = re.compile(r"RF\d\d(?: ?[0-9A-Z]){1,21}")
_LEGAL_FORMS = re.compile(
    r"\b(srl|sprl|sa|nv|bv|bvba|cvba|scrl|sc|asbl|vzw|vof|snc|scs|comm ?v|sas|sarl|eurl|gmbh|ag|ltd|llc|inc|bvba)\b\.?"
)


class Outcome(StrEnum):
    MATCHED = "matched"
    SUGGESTED = "suggested"
    UNMATCHED = "unmatched"
    SKIPPED = "skipped"
    REVERSED = "reversed"


@dataclass(frozen=True)
class Share:
    """Part of an entry's amount, for one invoice ("" when it is for a customer's open items)."""

    invoice: str
    amount: Decimal
    reference: str = ""


@dataclass(frozen=True)
class Decision:
    entry: BankEntry
    outcome: Outcome
    reason: str
    shares: tuple[Share, ...] = ()

    duplicate: bool = False  # skipped as one already in this import or typed by hand: the summary lists it

    @property
    def where(self) -> str:
        return f"{self.entry.file}, {self.entry.where}"


def entry_key(entry: BankEntry) -> str:
    """What makes an entry the same one again: the bank's reference, else date, amount and payer."""
    if entry.entry_reference:
        return "ref:" + entry.entry_reference
    return _loose_key(entry.booking_date, _signed(entry), entry.counterparty_iban, entry.counterparty_name)


def _signed(entry: BankEntry) -> Decimal:
    return entry.amount if entry.credit else -entry.amount


def _loose_key(day: date, amount: Decimal, iban: str, name: str) -> str:
    who = iban.replace(" ", "").upper() or normalize(name)
    return f"{day.isoformat()}|{amount.normalize()}|{who}"


def payment_keys(payments: Iterable[Payment]) -> dict[str, Payment]:
    """What the Payments rows already hold, as `entry_key` names entries; a payment split over invoices is in
    several rows of one day and payer, so their sum stands for it too."""
    keys: dict[str, Payment] = {}
    split: dict[tuple[date, str, str], list[Payment]] = {}
    for p in payments:
        if p.bank_ref:
            keys.setdefault("ref:" + p.bank_ref, p)
        keys.setdefault(_loose_key(p.date, p.amount, p.counterparty_iban, p.counterparty), p)
        split.setdefault((p.date, p.counterparty_iban, p.counterparty), []).append(p)
    for (day, iban, name), rows in split.items():
        if len(rows) > 1:
            keys.setdefault(_loose_key(day, sum((p.amount for p in rows), Decimal(0)), iban, name), rows[0])
    return keys


def _party_name(name: str) -> str:
    return normalize(_LEGAL_FORMS.sub(" ", name.lower()))


def _payer_keys(iban: str, name: str) -> list[str]:
    """How a payer is known: by IBAN, and by name without its legal form."""
    return [key for key in (iban.replace(" ", "").upper(), _party_name(name)) if key]


def _row_text(p: Payment) -> str:
    return f" (Payments, row {p.where.row})" if p.where is not None and p.where.row else ""


class _Book:
    """What matching needs to know about the workbook, worked out once."""

    def __init__(self, ledger: Ledger, as_of: date):
        self.ledger = ledger
        self.assessment = dunning.assess(ledger, as_of)
        self.to_invoice: dict[str, str] = {}
        for invoice in ledger.invoices:
            self.to_invoice[references.invoice_reference(ledger, invoice)] = invoice.number
        for item in ledger.installments:
            if item.invoice:
                self.to_invoice[references.installment_reference(ledger, item.invoice, item.number)] = item.invoice
        self.to_customer = {references.customer_reference(ledger, c.id): c.id for c in ledger.customers}
        self.numbers = sorted(
            (i.number for i in ledger.invoices if not i.is_credit_note and len(i.number.strip()) >= 3),
            key=len,
            reverse=True,
        )
        self.payers: dict[str, set[str]] = {}
        for p in ledger.payments:
            if p.suggested:
                continue
            customer = self._customer_of(p)
            if customer:
                for key in _payer_keys(p.counterparty_iban, p.counterparty):
                    self.payers.setdefault(key, set()).add(customer)
        for c in ledger.customers:
            if _party_name(c.name):
                self.payers.setdefault(_party_name(c.name), set()).add(c.id)

    def learn(self, decision: Decision) -> None:
        """A payer matched in this import is known for its later entries, as one matched in an earlier import."""
        customers = {self.assessment.invoice(s.invoice).invoice.customer_id for s in decision.shares if s.invoice}
        if customers:
            for key in _payer_keys(decision.entry.counterparty_iban, decision.entry.counterparty_name):
                self.payers.setdefault(key, set()).update(customers)

    def _customer_of(self, p: Payment) -> str:
        number = p.invoice.strip() or self.to_invoice.get(_compact(p.reference) or "", "")
        invoice = self.ledger.invoice(number) if number else None
        if invoice is not None:
            return invoice.customer_id
        return self.to_customer.get(_compact(p.reference) or "", "")

    def balance(self, number: str) -> Decimal:
        return self.assessment.invoice(number).balance

    def open_invoices(self, customer_id: str) -> list[str]:
        states = [
            s
            for s in self.assessment.invoices
            if s.invoice.customer_id == customer_id
            and not s.invoice.is_credit_note
            and s.balance > 0
            and s.invoice.currency == "EUR"
        ]
        return [s.invoice.number for s in sorted(states, key=lambda s: s.invoice.due_date)]


def _compact(reference: str) -> str | None:
    for kind in (rf, ogm):
        if kind.is_valid(reference):
            return kind.validate(reference)
    return None


def decide(entries: list[BankEntry], ledger: Ledger, as_of: date) -> list[Decision]:
    """One decision per entry, in the entries' order."""
    book = _Book(ledger, as_of)
    existing = payment_keys(ledger.payments)
    decisions: dict[int, Decision] = {}
    seen: dict[str, BankEntry] = {}
    credits: list[int] = []
    reversals: list[int] = []
    for index, entry in enumerate(entries):
        key = entry_key(entry)
        skip = ""
        if not entry.booked:
            skip = "not booked yet (pending): import the statement again once the bank has booked it"
        elif key in seen:
            skip = f"the same entry as {seen[key].file}, {seen[key].where}"
        elif key in existing:
            skip = "already imported" + _row_text(existing[key])
        elif entry.credit and entry.reversal:
            skip = "the reversal of an outgoing payment"
        elif not entry.credit and not entry.reversal:
            skip = "an outgoing payment"
        seen.setdefault(key, entry)
        if skip:
            decisions[index] = Decision(entry, Outcome.SKIPPED, skip, duplicate=skip.startswith("the same entry"))
        elif entry.credit:
            credits.append(index)
        else:
            reversals.append(index)
    for index in reversals:
        decisions[index] = _reverse(index, entries, credits, decisions, ledger)
    typed = {(p.date, p.amount, p.invoice.strip()): p for p in ledger.payments if not p.bank_ref and p.invoice.strip()}
    for index in credits:
        if index not in decisions:
            decision = _match(entries[index], book)
            if decision.outcome is Outcome.MATCHED:
                book.learn(decision)
                decision = _typed_before(decision, typed)
            decisions[index] = decision
    return [decisions[i] for i in range(len(entries))]


def _typed_before(decision: Decision, typed: dict[tuple[date, Decimal, str], Payment]) -> Decision:
    """A payment typed by hand before its statement came (the same day, amount and invoice) is not written twice."""
    entry = decision.entry
    if len(decision.shares) != 1 or not decision.shares[0].invoice:
        return decision
    for day in dict.fromkeys(d for d in (entry.booking_date, entry.value_date) if d is not None):
        row = typed.get((day, entry.amount, decision.shares[0].invoice))
        if row is not None:
            why = "already typed by hand" + _row_text(row) + ": the same day, amount and invoice"
            return Decision(entry, Outcome.SKIPPED, why, duplicate=True)
    return decision


def _same_payer(a: BankEntry, iban: str, name: str, reference: str) -> bool:
    if a.counterparty_iban and iban:
        return a.counterparty_iban == iban.replace(" ", "").upper()
    if reference and a.structured_reference:
        return _compact(a.structured_reference) == _compact(reference)
    return bool(name) and _party_name(a.counterparty_name) == _party_name(name)


def _reverse(
    index: int, entries: list[BankEntry], credits: list[int], decisions: dict[int, Decision], ledger: Ledger
) -> Decision:
    reversal = entries[index]
    for k in reversed([c for c in credits if c not in decisions]):
        original = entries[k]
        if (
            original.amount == reversal.amount
            and original.booking_date <= reversal.booking_date
            and _same_payer(
                original, reversal.counterparty_iban, reversal.counterparty_name, reversal.structured_reference
            )
        ):
            decisions[k] = Decision(original, Outcome.REVERSED, f"taken back by the bank ({reversal.where})")
            return Decision(reversal, Outcome.REVERSED, f"takes back {original.where}")
    taken_back = {(p.bank_ref, p.invoice) for p in ledger.payments if p.amount < 0}
    candidates = [
        p
        for p in sorted(ledger.payments, key=lambda p: p.date, reverse=True)
        if p.amount > 0
        and p.date <= reversal.booking_date
        and not p.suggested
        and (p.bank_ref, p.invoice) not in taken_back
        and _paid_by(p, reversal)
    ]
    for p in candidates:
        if p.amount == reversal.amount:
            return Decision(
                reversal,
                Outcome.REVERSED,
                f"takes back the payment of {p.date:%d/%m/%Y}{_row_text(p)}",
                (Share(p.invoice, -reversal.amount, p.reference),),
            )
    split: dict[tuple[str, date], list[Payment]] = {}  # a payment split over invoices: rows of one entry
    for p in candidates:
        split.setdefault((p.bank_ref, p.date), []).append(p)
    for (_, day), rows in split.items():
        if len(rows) > 1 and sum((p.amount for p in rows), Decimal(0)) == reversal.amount:
            return Decision(
                reversal,
                Outcome.REVERSED,
                f"takes back the payment of {day:%d/%m/%Y} split over invoices {', '.join(p.invoice for p in rows)}",
                tuple(Share(p.invoice, -p.amount, p.reference) for p in rows),
            )
    return Decision(
        reversal,
        Outcome.UNMATCHED,
        "the bank took back a payment that is not in the Payments table: check it in your bank's statement",
    )


def _paid_by(p: Payment, reversal: BankEntry) -> bool:
    """Whether a Payments row came from the payer a reversal names (by IBAN, else by name)."""
    if reversal.counterparty_iban:
        return p.counterparty_iban.replace(" ", "").upper() == reversal.counterparty_iban
    return _party_name(p.counterparty) == _party_name(reversal.counterparty_name)


def references_in_text(text: str) -> list[str]:
    found = []
    for m in _OGM_IN_TEXT.finditer(text):
        digits = re.sub(r"\D", "", m.group())
        if ogm.is_valid(digits):
            found.append(ogm.validate(digits))
    upper = text.upper()
    for m in _RF_IN_TEXT.finditer(upper):
        candidate = m.group().replace(" ", "")
        while len(candidate) >= 5:
            if rf.is_valid(candidate):
                found.append(rf.validate(candidate))
                break
            candidate = candidate[:-1]
    return found


def _printed(reference: str) -> str:
    return rf.format(reference) if reference.startswith("RF") else ogm.format(reference)


def _match(entry: BankEntry, book: _Book) -> Decision:
    notes = []
    candidates: list[tuple[str, str]] = []
    if entry.structured_reference:
        compact = _compact(entry.structured_reference)
        if compact is None:
            notes.append(f"the structured reference '{entry.structured_reference}' is not valid")
        else:
            candidates.append((compact, "structured reference"))
    candidates += [(ref, "reference in the message") for ref in references_in_text(entry.free_text)]
    known = [(reference, book.to_invoice[reference]) for reference, _ in candidates if reference in book.to_invoice]
    invoices = sorted({number for _, number in known}, key=lambda n: (book.assessment.invoice(n).invoice.due_date, n))
    if len(invoices) > 1:  # several invoices' communications: split, oldest first
        printed = ", ".join(_printed(reference) for reference, _ in known)
        return Decision(
            entry,
            Outcome.MATCHED,
            f"references {printed}: invoices {', '.join(invoices)}",
            _split(entry, invoices, book),
        )
    for reference, how in candidates:
        if reference in book.to_invoice:
            number = book.to_invoice[reference]
            return Decision(
                entry,
                Outcome.MATCHED,
                f"{how} {_printed(reference)}: invoice {number}",
                (Share(number, entry.amount, _printed(reference)),),
            )
        if reference in book.to_customer:
            customer = book.to_customer[reference]
            return Decision(
                entry,
                Outcome.MATCHED,
                f"{how} {_printed(reference)}: customer {customer}'s open invoices",
                (Share("", entry.amount, _printed(reference)),),
            )
        notes.append(f"the {how} {_printed(reference)} belongs to no invoice in the workbook")
    named = _invoices_named(entry.free_text, book)
    if named:
        return Decision(
            entry, Outcome.MATCHED, "invoice number in the message: " + ", ".join(named), _split(entry, named, book)
        )
    return _suggest(entry, book, notes)


_INVOICE_WORD = r"(?:fact\w*|invoice|inv|rechnung|rg|nr|no|n°|num\w*|#)\W{0,3}"


def _invoices_named(text: str, book: _Book) -> list[str]:
    """Invoice numbers written in the message; a short all-digit number only after a word like "facture"."""
    found: list[str] = []
    rest = text
    for number in book.numbers:
        lead = _INVOICE_WORD if number.isdigit() and len(number) < 6 else ""
        pattern = re.compile(r"(?<![0-9A-Za-z])" + lead + re.escape(number) + r"(?![0-9A-Za-z])", re.IGNORECASE)
        if pattern.search(rest):
            found.append(number)
            rest = pattern.sub(" ", rest)
    invoices = {i.number: i for i in book.ledger.invoices}
    return sorted(found, key=lambda n: (invoices[n].due_date, n))


def _split(entry: BankEntry, numbers: list[str], book: _Book) -> tuple[Share, ...]:
    """One share per invoice named, each up to its balance, oldest first; any surplus on the last one."""
    if len(numbers) == 1:
        return (Share(numbers[0], entry.amount),)
    shares, remaining = [], entry.amount
    for k, number in enumerate(numbers):
        last = k == len(numbers) - 1
        part = remaining if last else min(remaining, max(book.balance(number), ZERO))
        if part > 0:
            shares.append(Share(number, part))
            remaining -= part
    return tuple(shares)


def _suggest(entry: BankEntry, book: _Book, notes: list[str]) -> Decision:
    known: set[str] = set()
    for key in _payer_keys(entry.counterparty_iban, entry.counterparty_name):
        known |= book.payers.get(key, set())
    for customer in sorted(known):
        exact = [n for n in book.open_invoices(customer) if book.balance(n) == entry.amount]
        if exact:
            return Decision(
                entry,
                Outcome.SUGGESTED,
                f"amount and payer match invoice {exact[0]} of customer {customer}: set Confirmed to yes on the "
                "Payments row if it is right",
                (Share(exact[0], entry.amount),),
            )
    if len(known) == 1 and not notes:
        customer = next(iter(known))
        if book.open_invoices(customer):
            reference = references.customer_reference(book.ledger, customer)
            return Decision(
                entry,
                Outcome.SUGGESTED,
                f"the payer is known for customer {customer}, whose open invoices have no balance of {entry.amount}: "
                "once Confirmed is set to yes, it settles their oldest open invoices (the row carries the customer's "
                "reference)",
                (Share("", entry.amount, _printed(reference)),),
            )
    if known:
        notes.append(
            f"the payer is known for customer {', '.join(sorted(known))}, but no open invoice of theirs has a balance "
            f"of {entry.amount}"
        )
    else:
        same_amount = [
            s.invoice.number
            for s in book.assessment.invoices
            if s.balance == entry.amount and not s.invoice.is_credit_note
        ]
        if len(same_amount) == 1:
            notes.append(
                f"the amount equals the balance of invoice {same_amount[0]}, but the payer is not known for its customer"
            )
        if not notes:
            notes.append("it carries no known reference or invoice number, and the payer is not known")
    return Decision(
        entry, Outcome.UNMATCHED, "; ".join(notes) + ": type the invoice number on a Payments row to record it"
    )


def payment_rows(decision: Decision) -> list[dict[str, object]]:
    """The Payments rows to append for a decision (none when it is skipped or left unmatched)."""
    entry = decision.entry
    if decision.outcome not in (Outcome.MATCHED, Outcome.SUGGESTED, Outcome.REVERSED) or not decision.shares:
        return []
    message = entry.free_text[:REFERENCE_TEXT_LIMIT]
    rows = []
    for share in decision.shares:
        rows.append(
            {
                "date": entry.booking_date,
                "amount": share.amount,
                "reference": share.reference or message,
                "counterparty": entry.counterparty_name,
                "counterparty_iban": entry.counterparty_iban,
                "invoice": share.invoice,
                "source": entry.file,
                "bank_ref": entry.entry_reference,
                "suggested": "no" if decision.outcome is Outcome.SUGGESTED else "",
            }
        )
    return rows

"""What the readers give: one record per bank entry or e-invoice, whatever the file's format."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ..domain.problems import Unreadable

MAX_STATEMENT_BYTES = 20 * 1024 * 1024  # a year of a busy SME's daily statements is a few MB
MAX_EINVOICE_BYTES = 30 * 1024 * 1024  # an e-invoice carrying its PDF and attachments


def money(amount: Decimal, file: str, where: str) -> Decimal:
    """The amount in cents (statements write 515.9, 515.900 or 515.90); one with more, which no euro payment or
    invoice has, makes the file unreadable rather than be rounded without a word."""
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise UnreadableFile(
            file, f"the amount {amount} has more than two decimals: ask its sender for a corrected file.", where
        )
    return cents


class UnreadableFile(Unreadable):
    """A file that cannot be read as what it claims to be; `file` names it, `where` the place in it."""

    def __init__(self, file: str, problem: str, where: str = ""):
        self.file = file
        self.where = where
        self.problem = problem
        super().__init__(f"{file}{', ' + where if where else ''}: {problem}")


@dataclass(frozen=True)
class BankEntry:
    """One movement on the account, as the bank reported it. `amount` is positive; `credit` says its way."""

    file: str
    where: str  # "entry 3", "line 12": how messages name it in its file
    booking_date: date
    value_date: date | None
    amount: Decimal
    currency: str
    credit: bool
    booked: bool = True
    reversal: bool = False  # a storno: it cancels an earlier entry of the opposite way
    entry_reference: str = ""  # the bank's own reference, unique for the account
    structured_reference: str = ""  # as the bank gave it (OGM digits or an RF reference)
    reference_issuer: str = ""  # BBA (Belgian structured communication), ISO (RF), or empty when not said
    free_text: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""


@dataclass(frozen=True)
class Statement:
    file: str
    format: str  # "camt.053.001.02", "CODA 2", …
    account_iban: str
    currency: str
    entries: tuple[BankEntry, ...]


@dataclass(frozen=True)
class Party:
    name: str = ""
    enterprise_number: str = ""  # VAT number or legal registration, as written
    email: str = ""
    phone: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""

    @property
    def address(self) -> str:
        town = " ".join(p for p in (self.postcode, self.city) if p)
        return ", ".join(p for p in (self.street, town) if p) + (
            f" ({self.country})" if self.country and self.country != "BE" and (self.street or town) else ""
        )


@dataclass(frozen=True)
class EInvoice:
    file: str
    number: str
    credit_note: bool
    type_code: str
    issue_date: date
    due_date: date | None
    currency: str
    payable: Decimal  # what the buyer owes (for a credit note: what is owed back), as written
    payment_reference: str = ""  # BT-83 as written
    seller_iban: str = ""
    seller_name: str = ""
    buyer: Party = field(default_factory=Party)
    order_reference: str = ""
    description: str = ""
    preceding_invoice: str = ""
    pdf: bytes | None = None
    pdf_filename: str = ""

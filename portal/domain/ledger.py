"""The receivables as plain data: what the workbook says, once read and converted."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TypeVar


@dataclass(frozen=True)
class Where:
    """A place in the workbook, for messages: sheet, 1-based row, column header and letter."""

    sheet: str
    row: int | None = None
    column: str | None = None
    letter: str | None = None

    def __str__(self) -> str:
        parts = [f"sheet '{self.sheet}'"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'" + (f" ({self.letter})" if self.letter else ""))
        return ", ".join(parts)


MIN_GAP_DAYS = 7  # between two stages of the ladder
THANK_YOU_DAYS = 30  # no thank-you for a payment older than this


# The Settings row of `Creditor.later_legal_rate` in an English workbook: the law's messages send users to it.
LATER_RATE_LABEL = "Legal rate, newer periods (%)"


@dataclass(frozen=True)
class Creditor:
    name: str
    iban: str
    bic: str = ""
    address: str = ""
    enterprise_number: str = ""
    email: str = ""
    phone: str = ""
    country: str = "BE"
    default_language: str = "fr"
    site_languages: tuple[str, ...] = ("fr", "nl", "en", "de")
    portal_base_url: str = ""
    payment_terms_days: int = 30
    reference_kind: str = "ogm"
    interest_rule: str = "legal"
    interest_rate: Decimal | None = None
    later_legal_rate: Decimal | None = None  # the statutory rate published for periods the law tables end before
    flat_fee: bool = True
    b2c_terms_allow_damages: bool = False
    b2c_interest_rate: Decimal | None = None  # as the general terms provide; None = the legal ceiling
    b2c_fixed_compensation: Decimal | None = None  # as the general terms provide; None = the cap of art. XIX.4
    waive_extras: bool = False
    min_gap_days: int = MIN_GAP_DAYS
    thank_you_days: int = THANK_YOU_DAYS
    collection_agent: str = ""
    default_scenario: str = "standard"
    publish_target: str = ""
    retention_days: int = 30
    encrypt_pages: bool = False
    logo: str = ""  # an image file in the workbook's folder, shown on every page
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_user: str = ""
    smtp_from: str = ""
    as_of: date | None = None


@dataclass(frozen=True)
class Customer:
    id: str
    name: str
    language: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    vat: str = ""
    kind: str = "B2B"
    scenario: str = ""
    on_hold: bool = False
    hold_reason: str = ""
    where: Where | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Invoice:
    number: str
    customer_id: str
    issue_date: date
    due_date: date
    amount: Decimal  # incl. VAT; negative for a credit note
    currency: str = "EUR"
    kind: str = "invoice"
    description: str = ""
    order_ref: str = ""
    reference: str = ""  # as typed; empty when it is to be generated
    discount_pct: Decimal | None = None
    discount_date: date | None = None
    pdf: str = ""
    on_hold: bool = False
    disputed: bool = False
    written_off: bool = False
    last_reminder: date | None = None  # as the sheet had it (a flat sheet's "last contact")
    where: Where | None = field(default=None, compare=False)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit note"


@dataclass(frozen=True)
class Payment:
    date: date
    amount: Decimal
    reference: str = ""
    counterparty: str = ""
    counterparty_iban: str = ""
    invoice: str = ""
    source: str = ""
    bank_ref: str = ""
    suggested: bool = False  # a match suggested by an import and not confirmed yet: it does not count
    where: Where | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Installment:
    number: int
    due_date: date
    amount: Decimal
    invoice: str = ""
    customer_id: str = ""
    where: Where | None = field(default=None, compare=False)


@dataclass(frozen=True)
class LogEntry:
    date: date
    action: str
    customer_id: str = ""
    invoice: str = ""
    channel: str = ""
    note: str = ""
    sent_on: datetime.date | None = None
    letter: str = ""  # the letter record (JSON) when Debtor Portal prepared it
    where: Where | None = field(default=None, compare=False)

    @property
    def sent(self) -> datetime.date | None:
        """The day it went out: the Sent date, or, for an entry typed by hand, its date; None while a draft."""
        if self.sent_on is not None:
            return self.sent_on
        return None if self.letter else self.date


@dataclass(frozen=True)
class ScenarioStep:
    scenario: str
    stage: str
    offset_days: int
    template: str = ""
    channel: str = "email"
    where: Where | None = field(default=None, compare=False)


T = TypeVar("T")


def first_by(items: Iterable[T], key: Callable[[T], str]) -> dict[str, T]:
    """The items by key, the first one winning when a key repeats (as a lookup by scanning would find it)."""
    found: dict[str, T] = {}
    for item in items:
        found.setdefault(key(item), item)
    return found


@dataclass(frozen=True)
class Ledger:
    creditor: Creditor
    customers: tuple[Customer, ...] = ()
    invoices: tuple[Invoice, ...] = ()
    payments: tuple[Payment, ...] = ()
    installments: tuple[Installment, ...] = ()
    log: tuple[LogEntry, ...] = ()
    scenarios: tuple[ScenarioStep, ...] = ()

    def customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id)

    def invoice(self, number: str) -> Invoice | None:
        return self._invoices.get(number)

    def log_of(self, number: str) -> tuple[LogEntry, ...]:
        """The Log rows about one invoice, in the sheet's order."""
        return self._log.get(number, ())

    def ladder(self, scenario: str) -> tuple[ScenarioStep, ...]:
        """A scenario's steps by their offset (none for a scenario the Scenarios sheet does not hold)."""
        return self._ladders.get(scenario, ())

    @cached_property
    def _customers(self) -> dict[str, Customer]:
        return first_by(self.customers, lambda c: c.id)

    @cached_property
    def _invoices(self) -> dict[str, Invoice]:
        return first_by(self.invoices, lambda i: i.number)

    @cached_property
    def _ladders(self) -> dict[str, tuple[ScenarioStep, ...]]:
        found: dict[str, list[ScenarioStep]] = {}
        for step in self.scenarios:
            found.setdefault(step.scenario, []).append(step)
        return {name: tuple(sorted(steps, key=lambda s: s.offset_days)) for name, steps in found.items()}

    @cached_property
    def _log(self) -> dict[str, tuple[LogEntry, ...]]:
        found: dict[str, list[LogEntry]] = {}
        for entry in self.log:
            found.setdefault(entry.invoice.strip(), []).append(entry)
        return {number: tuple(entries) for number, entries in found.items()}

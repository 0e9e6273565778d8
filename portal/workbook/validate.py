"""Checks across a whole Ledger: identifiers, duplicates, links between tables, dates."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from stdnum.be import vat as be_vat
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError
from stdnum.fr import siren, siret

from ..codes.payment import PaymentCodeError, validate_beneficiary_name, validate_bic, validate_iban, validate_reference
from ..domain import law
from ..domain.allocation import allocate
from ..domain.ledger import Ledger, Where
from ..domain.problems import ERROR, WARNING, Problem
from . import cells, schema
from .read import FoundTable, Reading

MOST_PLAUSIBLE_RATE = Decimal(100)  # a yearly rate above it claims more than the debt every year


def validate_vat(number: str, country: str = "BE") -> str:
    """The compact VAT or enterprise number; ValueError says what is wrong with it."""
    compact = number.replace(" ", "").replace(".", "").replace("-", "").upper()
    try:
        if compact[:2].isalpha():
            return eu_vat.validate(compact)
        if country == "FR":
            return siret.validate(compact) if len(compact) == 14 else siren.validate(compact)
        return be_vat.validate(compact)
    except ValidationError as exc:
        example = "123 456 789 (SIREN) or FR40303265045" if country == "FR" else "0403.170.701 or BE0403170701"
        raise ValueError(f"not a valid VAT or enterprise number ({exc}); expected e.g. {example}") from None


def _problem(
    code: str, where: Where | None, message: str, fix: str, value: object = "", severity: str = ERROR
) -> Problem:
    return Problem(severity, code, where or Where("?"), message, fix, str(value))


@dataclass(frozen=True)
class Locator:
    """Points a record's row at one of its columns, named as the sheet names it."""

    tables: dict[str, FoundTable]

    def at(self, where: Where | None, table: schema.Table, column_key: str) -> Where | None:
        if where is None:
            return None
        found = self.tables.get(table.key)
        if found is None or column_key not in found.columns or where.row is None:
            return Where(where.sheet, where.row, table.column(column_key).headers["en"])
        return found.where(where.row - 1, column_key)


def check_creditor(ledger: Ledger, places: dict[str, Where]) -> list[Problem]:
    c = ledger.creditor
    problems = []
    checks: list[tuple[str, str, Callable[[str], str], str]] = [
        ("iban", c.iban, validate_iban, "Copy the IBAN from a bank statement: BE + 14 digits in Belgium."),
        ("bic", c.bic, validate_bic, "Use the 8 or 11 characters of your bank's BIC, or leave it empty."),
    ]
    for key, value, check, fix in checks:
        if value:
            try:
                check(value)
            except PaymentCodeError as exc:
                problems.append(_problem(f"invalid_{key}", places.get(key), str(exc), fix, value))
    try:
        validate_beneficiary_name(c.name)
    except PaymentCodeError as exc:
        problems.append(
            _problem(
                "invalid_name",
                places.get("name"),
                f"The company name cannot go into a payment QR code: {exc}",
                "Banking apps show it as the beneficiary: write it on one line, at most 70 characters.",
                c.name[:80],
            )
        )
    for key, address in (("email", c.email), ("smtp_from", c.smtp_from)):
        if address and not cells.is_email_address(address):
            problems.append(
                _problem(
                    "invalid_email",
                    places.get(key),
                    f"'{address}' is not an e-mail address: the pages' answer links would not work, nor sending",
                    "Type one address, such as invoices@example.be.",
                    address,
                    severity=WARNING,
                )
            )
    if c.portal_base_url and not c.portal_base_url.startswith(("https://", "http://")):
        problems.append(
            _problem(
                "invalid_url",
                places.get("portal_base_url"),
                f"'{c.portal_base_url}' is not a web address: the links in reminders would not open",
                f"Begin it with https://, such as https://{c.portal_base_url.lstrip('/')}.",
                c.portal_base_url,
            )
        )
    rates = (("interest_rate", c.interest_rate), ("b2c_interest_rate", c.b2c_interest_rate))
    for key, rate in (*rates, ("later_legal_rate", c.later_legal_rate)):
        if rate is not None and not 0 <= rate <= MOST_PLAUSIBLE_RATE:
            problems.append(
                _problem(
                    "implausible_rate",
                    places.get(key),
                    f"An interest rate of {rate} % a year would claim more than the debt itself every year",
                    "Type the yearly rate in percent, such as 8 for 8 %, as your terms state it.",
                    rate,
                )
            )
    if c.enterprise_number:
        try:
            validate_vat(c.enterprise_number, c.country)
        except ValueError as exc:
            problems.append(
                _problem(
                    "invalid_vat",
                    places.get("enterprise_number"),
                    f"Enterprise number {exc}",
                    "Copy it from the Crossroads Bank for Enterprises (KBO/BCE) or your invoices.",
                    c.enterprise_number,
                )
            )
    elif c.country == "BE":
        consumers = any(customer.kind.upper() == "B2C" for customer in ledger.customers)
        problems.append(
            _problem(
                "missing_enterprise_number",
                places.get("enterprise_number"),
                "No enterprise number: Belgian reminders to consumers must state it"
                + (", and without it no interest or compensation may be claimed from them" if consumers else ""),
                "Fill in the enterprise number setting (KBO/BCE, e.g. 0403.170.701).",
                severity=ERROR if consumers else WARNING,
            )
        )
    return problems


def check_customers(ledger: Ledger, scenarios: set[str], locate: Locator) -> list[Problem]:
    problems = []
    counts = Counter(c.id for c in ledger.customers)
    first_row: dict[str, Where | None] = {}
    for customer in ledger.customers:
        where = customer.where
        if counts[customer.id] > 1 and customer.id in first_row:
            problems.append(
                _problem(
                    "duplicate_customer",
                    locate.at(where, schema.CUSTOMERS, "id"),
                    f"Customer ID '{customer.id}' is used twice (first on {first_row[customer.id]})",
                    "Give every customer its own ID.",
                    customer.id,
                )
            )
        first_row.setdefault(customer.id, where)
        if customer.vat:
            try:
                validate_vat(customer.vat, ledger.creditor.country)
            except ValueError as exc:
                problems.append(
                    _problem(
                        "invalid_vat",
                        locate.at(where, schema.CUSTOMERS, "vat"),
                        f"VAT number {exc}",
                        "Correct it, or clear the cell if the customer has none.",
                        customer.vat,
                    )
                )
        if customer.email and not cells.is_email_address(customer.email):
            problems.append(
                _problem(
                    "invalid_email",
                    locate.at(where, schema.CUSTOMERS, "email"),
                    f"'{customer.email}' is not an e-mail address: reminders to this customer would have no recipient",
                    "Type one address, such as accounts@example.be, or clear the cell to send letters by post.",
                    customer.email,
                    severity=WARNING,
                )
            )
        if customer.scenario and customer.scenario not in scenarios:
            problems.append(
                _problem(
                    "unknown_scenario",
                    locate.at(where, schema.CUSTOMERS, "scenario"),
                    f"Scenario '{customer.scenario}' is not defined",
                    f"Use one of: {', '.join(sorted(scenarios))}, or add it to the Scenarios sheet.",
                    customer.scenario,
                )
            )
    return problems


def check_invoices(ledger: Ledger, locate: Locator) -> list[Problem]:
    problems = []
    customers = {c.id: c for c in ledger.customers}
    first_row: dict[str, Where | None] = {}
    creditor = ledger.creditor
    for invoice in ledger.invoices:
        where = invoice.where
        if invoice.number in first_row:
            problems.append(
                _problem(
                    "duplicate_invoice",
                    locate.at(where, schema.INVOICES, "number"),
                    f"Invoice number '{invoice.number}' appears twice (first on {first_row[invoice.number]})",
                    "Each invoice needs its own number: correct it or delete the copy.",
                    invoice.number,
                )
            )
        first_row.setdefault(invoice.number, where)
        customer = customers.get(invoice.customer_id)
        if customer is None:
            problems.append(
                _problem(
                    "unknown_customer",
                    locate.at(where, schema.INVOICES, "customer_id"),
                    f"Customer '{invoice.customer_id}' is not on the Customers sheet",
                    "Add the customer to the Customers sheet or correct the ID.",
                    invoice.customer_id,
                )
            )
        if invoice.due_date < invoice.issue_date:
            problems.append(
                _problem(
                    "due_before_issue",
                    locate.at(where, schema.INVOICES, "due_date"),
                    f"The due date {invoice.due_date:%d/%m/%Y} is before the issue date {invoice.issue_date:%d/%m/%Y}",
                    "Correct one of the two dates.",
                    invoice.due_date.isoformat(),
                )
            )
        if invoice.amount < 0 and not invoice.is_credit_note:
            problems.append(
                _problem(
                    "negative_amount",
                    locate.at(where, schema.INVOICES, "amount"),
                    "The amount is negative",
                    "If this is a credit note, set its Type to 'credit note'; otherwise enter the "
                    "amount without a minus sign.",
                    invoice.amount,
                )
            )
        elif invoice.amount == 0:
            problems.append(
                _problem(
                    "zero_amount",
                    locate.at(where, schema.INVOICES, "amount"),
                    "The amount is zero",
                    "Enter the invoice total including VAT, or delete the row.",
                    "0",
                )
            )
        if invoice.discount_pct is not None and not 0 < invoice.discount_pct < 100:
            problems.append(
                _problem(
                    "invalid_discount",
                    locate.at(where, schema.INVOICES, "discount_pct"),
                    f"A discount of {invoice.discount_pct} % is not a discount for early payment",
                    "Type the percentage off the invoice, such as 2 for 2 %, or clear the cell.",
                    invoice.discount_pct,
                )
            )
        if not re.fullmatch("[A-Z]{3}", invoice.currency):
            problems.append(
                _problem(
                    "invalid_currency",
                    locate.at(where, schema.INVOICES, "currency"),
                    f"'{invoice.currency}' is not a currency code",
                    "Type the three-letter code, such as EUR, or clear the cell for euros.",
                    invoice.currency,
                )
            )
        if invoice.reference:
            try:
                validate_reference(invoice.reference)
            except PaymentCodeError as exc:
                problems.append(
                    _problem(
                        "invalid_reference",
                        locate.at(where, schema.INVOICES, "reference"),
                        str(exc),
                        "Correct it, or clear the cell to have one made from the invoice number.",
                        invoice.reference,
                    )
                )
        if (
            customer is not None
            and not invoice.is_credit_note
            and (message := law.term_warning(creditor.country, customer.kind, invoice.issue_date, invoice.due_date))
        ):
            problems.append(
                _problem(
                    "long_terms",
                    locate.at(where, schema.INVOICES, "due_date"),
                    message,
                    "Check the agreed terms; the law caps them.",
                    invoice.due_date.isoformat(),
                    severity=WARNING,
                )
            )
    return problems


def check_links(ledger: Ledger, locate: Locator, unreadable: frozenset[str]) -> list[Problem]:
    """Payments, plans and log entries that name an invoice that does not exist.

    Invoices on rows that could not be read are reported there, not again here."""
    numbers = {i.number for i in ledger.invoices} | unreadable
    numbers |= {f"{i.invoice}/{i.number}" for i in ledger.installments}  # a Log row about one installment
    problems = []
    rows = [(p.invoice, p.where, schema.PAYMENTS) for p in ledger.payments]
    rows += [(i.invoice, i.where, schema.PLANS) for i in ledger.installments]
    rows += [(entry.invoice, entry.where, schema.LOG) for entry in ledger.log]
    for number, where, table in rows:
        if number and number not in numbers:
            problems.append(
                _problem(
                    "unknown_invoice",
                    locate.at(where, table, "invoice"),
                    f"Invoice '{number}' is not on the Invoices sheet",
                    "Correct the invoice number or clear the cell.",
                    number,
                )
            )
    return problems


def check_plans(ledger: Ledger, locate: Locator) -> list[Problem]:
    """Plans asking more than their invoice (less is a down payment paid first)."""
    amounts = {i.number: i.amount for i in ledger.invoices}
    planned: dict[str, list] = {}
    for installment in ledger.installments:
        planned.setdefault(installment.invoice, []).append(installment)
    return [
        _problem(
            "plan_above_invoice",
            locate.at(items[-1].where, schema.PLANS, "amount"),
            f"The installments of invoice '{number}' add up to {total}, more than its amount of {amounts[number]}",
            "Correct the installments so that they add up to the invoice's amount at most.",
            total,
        )
        for number, items in planned.items()
        if number in amounts and (total := sum(i.amount for i in items)) > amounts[number]
    ]


def check_payments(ledger: Ledger, locate: Locator) -> list[Problem]:
    """Payments that settle no invoice (those naming an unknown invoice are reported by `check_links`)."""
    allocation = allocate(ledger, date.max)
    return [
        _problem(
            "unmatched_payment",
            locate.at(u.payment.where, schema.PAYMENTS, "reference" if u.payment.reference.strip() else "amount"),
            f"The payment of {u.payment.amount} on {u.payment.date.isoformat()} settles no invoice: {u.reason}",
            "Fill in its Invoice column with the invoice number it pays, or correct its reference.",
            u.payment.reference,
            severity=WARNING,
        )
        for u in allocation.unmatched
        if not u.payment.invoice.strip()
    ] + [
        _problem(
            "suggested_payment",
            locate.at(p.where, schema.PAYMENTS, "suggested"),
            f"The payment of {p.amount} on {p.date.isoformat()} is a suggested match"
            + (f" for invoice '{p.invoice}'" if p.invoice.strip() else "")
            + ": it counts for nothing until confirmed",
            "Set its Confirmed cell to yes if the match is right; otherwise correct the Invoice cell, or delete the row.",
            "no",
            severity=WARNING,
        )
        for p in ledger.payments
        if p.suggested
    ]


def check(reading: Reading, places: dict[str, Where]) -> list[Problem]:
    """Every problem across the ledger's tables (the reading must have given a ledger)."""
    ledger = reading.ledger
    assert ledger is not None
    locate = Locator(reading.tables)
    scenarios = {s.scenario for s in ledger.scenarios}
    problems = check_creditor(ledger, places)
    if ledger.creditor.default_scenario not in scenarios:
        problems.append(
            _problem(
                "unknown_scenario",
                places.get("default_scenario"),
                f"Default scenario '{ledger.creditor.default_scenario}' is not defined",
                f"Use one of: {', '.join(sorted(scenarios))}.",
                ledger.creditor.default_scenario,
            )
        )
    return (
        problems
        + check_customers(ledger, scenarios, locate)
        + check_invoices(ledger, locate)
        + check_links(ledger, locate, reading.unreadable_invoices)
        + check_plans(ledger, locate)
        + check_payments(ledger, locate)
    )

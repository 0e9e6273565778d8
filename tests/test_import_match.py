"""Matching rules on a small ledger made in code (the workbook-level tests are in test_import_bank.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.codes.payment import ogm
from portal.domain.ledger import Creditor, Customer, Invoice, Ledger
from portal.domain.references import invoice_reference
from portal.imports.match import Outcome, decide
from portal.imports.records import BankEntry

AS_OF = date(2026, 11, 16)
LEDGER = Ledger(
    creditor=Creditor(name="Atelier", iban="BE71096123456769"),
    customers=(Customer("C1", "Alpha SRL"), Customer("C2", "Beta BV")),
    invoices=(
        Invoice("153", "C1", date(2026, 10, 1), date(2026, 10, 31), Decimal("153.00")),
        Invoice(
            "F-2026-77", "C2", date(2026, 10, 1), date(2026, 10, 31), Decimal("99.00"), reference="RF18539007547034"
        ),
        Invoice(
            "F-2026-78", "C2", date(2026, 10, 2), date(2026, 11, 1), Decimal("50.00"), reference="+++090/9337/55493+++"
        ),
    ),
)


def _entry(text: str = "", amount: str = "10.00", structured: str = "", name: str = "Someone") -> BankEntry:
    return BankEntry(
        file="s.xml",
        where="entry 1",
        booking_date=date(2026, 11, 2),
        value_date=None,
        amount=Decimal(amount),
        currency="EUR",
        credit=True,
        structured_reference=structured,
        free_text=text,
        counterparty_name=name,
    )


@pytest.mark.parametrize(
    "entry, invoice",
    [
        (_entry("Facture 153 merci"), "153"),
        (_entry("factuur nr. 153"), "153"),
        (_entry("RF18 5390 0754 7034 thanks"), "F-2026-77"),
        (_entry(structured="RF18539007547034"), "F-2026-77"),
        (_entry("***090/9337/55493***"), "F-2026-78"),
        (_entry("ref 090933755493"), "F-2026-78"),
        (_entry("0909 3375 5493"), "F-2026-78"),  # grouped as banking apps show it
        (_entry("090-9337-55493"), "F-2026-78"),
        (_entry("communication 090 9337 55493"), "F-2026-78"),
        (_entry("for f-2026-78"), "F-2026-78"),
    ],
)
def test_exact_matches(entry, invoice):
    decision = decide([entry], LEDGER, AS_OF)[0]
    assert decision.outcome is Outcome.MATCHED, decision.reason
    assert [s.invoice for s in decision.shares] == [invoice]


@pytest.mark.parametrize(
    "entry, reason",
    [
        (_entry("153,00 EUR"), "no known reference"),
        (_entry("+++090/9337/55494+++"), "no known reference"),  # a check digit wrong: not a reference
        (_entry(structured="123456789012"), "'123456789012' is not valid"),
        (_entry(structured="000000000097"), "+++000/0000/00097+++ belongs to no invoice"),
        (_entry(amount="99.00"), "equals the balance of invoice F-2026-77, but the payer is not known"),
    ],
)
def test_left_unmatched_with_the_reason(entry, reason):
    decision = decide([entry], LEDGER, AS_OF)[0]
    assert decision.outcome is Outcome.UNMATCHED and reason in decision.reason, decision.reason


def test_the_customers_own_name_with_the_amount_gives_a_suggestion():
    decision = decide([_entry(amount="153.00", name="ALPHA sprl")], LEDGER, AS_OF)[0]
    assert decision.outcome is Outcome.SUGGESTED and decision.shares[0].invoice == "153"


def test_a_payment_giving_two_communications_is_split_over_their_invoices():
    first = ogm.format(invoice_reference(LEDGER, LEDGER.invoices[0]))
    decision = decide([_entry(f"{first} {'+++090/9337/55493+++'}", amount="203.00")], LEDGER, AS_OF)[0]
    assert decision.outcome is Outcome.MATCHED, decision.reason
    assert [(s.invoice, s.amount) for s in decision.shares] == [
        ("153", Decimal("153.00")),
        ("F-2026-78", Decimal("50.00")),
    ]


def test_a_payer_matched_earlier_in_the_same_import_is_known_for_its_later_entries():
    from dataclasses import replace

    iban = "BE68539007547034"
    first = replace(_entry("+++090/9337/55493+++", amount="50.00", name="B. Vandaele"), counterparty_iban=iban)
    second = replace(_entry(amount="99.00", name="B. Vandaele"), counterparty_iban=iban, where="entry 2")
    alone = decide([second], LEDGER, AS_OF)[0]
    assert alone.outcome is Outcome.UNMATCHED and "payer is not known" in alone.reason
    matched, suggested = decide([first, second], LEDGER, AS_OF)
    assert matched.outcome is Outcome.MATCHED
    assert suggested.outcome is Outcome.SUGGESTED and suggested.shares[0].invoice == "F-2026-77", suggested.reason

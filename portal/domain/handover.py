"""What a collection agency, lawyer or bailiff needs about one customer, and whether the Belgian procedure
for uncontested money debts (Judicial Code, art. 1394/20 ff., Law of 19 October 2015, in force since
2 July 2016) is open for each of their invoices.

The conditions, as the secondary sources read them (check with the lawyer who starts the procedure):
creditor and debtor are enterprises registered in the Crossroads Bank for Enterprises, the contract was made
in the debtor's business; the debt is a sum of money, certain and due, and not disputed; interest and penalty
clauses are limited to 10 % of the principal. A formal notice by registered post before the handover is
what the bailiff's summons builds on. Each condition is marked from the workbook: met, not met (with
why), or to check by hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from .actions import notes
from .dunning import Assessment, InvoiceState
from .ledger import LogEntry
from .money import CENT, ZERO
from .reasons import Phrase, phrase
from .stages import Channel, Stage, Status, stage_key

ACCESSORIES_CAP = Decimal("0.10")
_CHANNELS = {
    Channel.REGISTERED: {
        "registered",
        "registered_post",
        "registered_mail",
        "recommande",
        "recommandé",
        "lettre_recommandee",
        "lettre_recommandée",
        "aangetekend",
        "aangetekende_brief",
        "einschreiben",
    },
    Channel.POST: {"post", "letter", "courrier", "lettre", "brief", "mail_post"},
    Channel.EMAIL: {"email", "e_mail", "mail", "courriel"},
    Channel.PHONE: {"phone", "telephone", "téléphone", "telefoon", "telefon", "call"},
}


class Mark(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    CHECK = "check"


@dataclass(frozen=True)
class Condition:
    key: str  # business_debtor, creditor_registered, not_disputed, registered_notice, certain_due, accessories
    mark: Mark
    why: Phrase | None = None


@dataclass(frozen=True)
class InvoiceFile:
    state: InvoiceState
    history: tuple[LogEntry, ...]  # the Log rows about it, oldest first
    notice: LogEntry | None  # the latest formal notice the Log records
    conditions: tuple[Condition, ...]

    @property
    def eligible(self) -> bool:
        return all(c.mark == Mark.MET for c in self.conditions)


def channel_of(text: str) -> Channel | None:
    """The channel a Log row names, in any of the four languages ("Recommandé", "aangetekend", "E-Mail")."""
    key = stage_key(text)
    return next((channel for channel, words in _CHANNELS.items() if key in words), None)


def _conditions(assessment: Assessment, state: InvoiceState, notice: LogEntry | None, disputed: bool):
    creditor, customer = assessment.ledger.creditor, state.customer
    found = []
    if customer is None or customer.kind != "B2B":
        found.append(Condition("business_debtor", Mark.NOT_MET, phrase("ho_consumer")))
    elif not customer.vat.strip():
        found.append(Condition("business_debtor", Mark.CHECK, phrase("ho_no_vat")))
    else:
        found.append(Condition("business_debtor", Mark.MET, phrase("ho_number", number=customer.vat)))
    if creditor.enterprise_number.strip():
        found.append(Condition("creditor_registered", Mark.MET, phrase("ho_number", number=creditor.enterprise_number)))
    else:
        found.append(Condition("creditor_registered", Mark.NOT_MET, phrase("ho_no_creditor_number")))
    found.append(
        Condition("not_disputed", Mark.NOT_MET, phrase("ho_disputed"))
        if disputed
        else Condition("not_disputed", Mark.MET)
    )
    if notice is None:
        found.append(Condition("registered_notice", Mark.NOT_MET, phrase("ho_no_notice")))
    else:
        channel = channel_of(notice.channel)
        sent = phrase("ho_sent", date=notice.date, channel=str(channel or notice.channel or "?"))
        mark = Mark.MET if channel == Channel.REGISTERED else Mark.NOT_MET
        found.append(Condition("registered_notice", mark, sent))
    if state.balance <= 0:
        found.append(Condition("certain_due", Mark.NOT_MET, phrase("ho_nothing_owed")))
    elif state.days_overdue <= 0:
        found.append(Condition("certain_due", Mark.NOT_MET, phrase("ho_not_due", date=state.invoice.due_date)))
    elif state.status in (Status.IN_PLAN, Status.ON_HOLD):
        found.append(Condition("certain_due", Mark.NOT_MET, phrase("ho_status", status=str(state.status))))
    elif state.invoice.currency != "EUR":
        found.append(Condition("certain_due", Mark.CHECK, phrase("ho_currency", currency=state.invoice.currency)))
    else:
        found.append(Condition("certain_due", Mark.MET, phrase("ho_overdue", date=state.invoice.due_date)))
    claim = state.claim
    if claim is not None and claim.principal > 0:
        extras = claim.interest + claim.flat_fee
        cap = (claim.principal * ACCESSORIES_CAP).quantize(CENT, ROUND_HALF_UP)
        mark = Mark.MET if extras <= cap else Mark.CHECK
        found.append(Condition("accessories", mark, phrase("ho_cap", extras=extras, cap=cap)))
    return tuple(found)


def invoice_files(assessment: Assessment, customer_id: str) -> tuple[InvoiceFile, ...]:
    """The customer's open invoices (owed to the creditor), each with its history and the checklist."""
    found = notes(assessment.ledger, assessment.as_of)
    files = []
    for state in assessment.invoices:
        if state.invoice.customer_id != customer_id or state.balance <= 0:
            continue
        if state.status in (Status.WRITTEN_OFF, Status.CREDIT, Status.PAID):
            continue
        number = state.invoice.number
        history = tuple(
            sorted(
                (
                    e
                    for e in assessment.ledger.log
                    if e.date <= assessment.as_of and e.invoice.strip().split("/")[0] == number
                ),
                key=lambda e: e.date,
            )
        )
        notice = max(
            (e for e in history if stage_key(e.action) == Stage.FORMAL_NOTICE), key=lambda e: e.date, default=None
        )
        disputed = state.status == Status.DISPUTED or any(
            n.kind == "dispute" and n.entry.date >= state.invoice.issue_date
            for n in found.get(number, []) + found.get(f"customer:{customer_id}", [])
        )
        files.append(InvoiceFile(state, history, notice, _conditions(assessment, state, notice, disputed)))
    return tuple(files)


def claimed(files: tuple[InvoiceFile, ...]) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(principal, interest, fixed compensation, total) over the files' euro invoices."""
    principal = interest = fee = ZERO
    for file in files:
        state = file.state
        if state.invoice.currency != "EUR":
            continue
        principal += state.balance
        if state.claim is not None:
            interest += state.claim.interest
            fee += state.claim.flat_fee
    return principal, interest, fee, principal + interest + fee

"""The week ahead for credit control: what to send, whom to call, what to post by registered mail,
what waits on the debtor; per customer, the customers with the most at risk first.

`week(assessment)` is a pure function of the assessment. Conventions:

- The week is `as_of` and the six days after it; a stage whose day falls in it is to do this week.
- A formal notice goes by registered post; a stage for a customer without an e-mail address goes by post;
  other stages by the channel of the customer's ladder.
- Promises to pay and disputes come from the Log (`notes`): an action such as "promise", "promesse",
  "belofte" or "Zahlungszusage", the promised date being the first date in its note (dd/mm/yyyy or
  yyyy-mm-dd; a week after the entry when none). A Log row without an invoice is about every open
  invoice of its customer. While a promise is pending, nothing is sent about the invoice.
- Whom to call: a broken promise, or an invoice still unpaid after the second reminder or the formal notice
  (once handed over, the agent calls).
- The amount at risk of a customer is the balance of their overdue euro invoices (disputed ones included;
  of a payment plan, its late installments only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from .dunning import Assessment, InvoiceState
from .ledger import Customer, Ledger, LogEntry
from .money import ZERO
from .reasons import Phrase, Reason, phrase
from .stages import Channel, Stage, Status, stage_key

WEEK_DAYS = 7
PROMISE_WAIT_DAYS = 7
PROMISES = frozenset(
    {
        "promise",
        "promise_to_pay",
        "promesse",
        "promesse_de_paiement",
        "belofte",
        "betalingsbelofte",
        "zahlungszusage",
        "zahlungsversprechen",
    }
)
DISPUTES = frozenset({"dispute", "contestation", "litige", "betwisting", "geschil", "einspruch", "reklamation"})
CALL_AFTER = (Stage.REMINDER_2, Stage.FORMAL_NOTICE)
_QUIET = (Status.WRITTEN_OFF, Status.CREDIT, Status.PAID, Status.ON_HOLD)
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})\b")


class ToDo(StrEnum):
    REGISTERED = "registered"
    HANDOVER = "handover"
    CALL = "call"
    SEND = "send"
    POST = "post"
    WAIT = "wait"


ORDER: tuple[ToDo, ...] = tuple(ToDo)
STAGE_ORDER: dict[str, int] = {str(stage): n for n, stage in enumerate(Stage)}


@dataclass(frozen=True)
class Note:
    """A promise to pay or a dispute the Log records."""

    kind: str  # "promise" or "dispute"
    entry: LogEntry
    until: date | None = None  # the promised date


@dataclass(frozen=True)
class Action:
    todo: ToDo
    stage: str  # the ladder stage to send, or ""
    channel: Channel | None
    invoices: tuple[str, ...]
    amount: Decimal  # the euro balance it is about
    day: date | None
    reason: Reason = ()


@dataclass(frozen=True)
class CustomerWeek:
    customer: Customer
    at_risk: Decimal
    actions: tuple[Action, ...]


def promised_date(entry: LogEntry) -> date:
    """The first date written in the note, else a week after the entry."""
    for pattern, order in ((_ISO, (0, 1, 2)), (_DMY, (2, 1, 0))):
        for match in pattern.finditer(entry.note):
            parts = [int(match.group(i + 1)) for i in order]
            if parts[0] < 100:
                parts[0] += 2000
            try:
                return date(parts[0], parts[1], parts[2])
            except ValueError:
                continue
    return entry.date + timedelta(days=PROMISE_WAIT_DAYS)


def notes(ledger: Ledger, as_of: date) -> dict[str, list[Note]]:
    """Promises and disputes of the Log up to `as_of`, by invoice number ("" keys a customer's
    own rows as "customer:<id>"), oldest first."""
    found: dict[str, list[Note]] = {}
    for entry in sorted(ledger.log, key=lambda e: e.date):
        if entry.date > as_of:
            continue
        key = stage_key(entry.action)
        if key in PROMISES:
            note = Note("promise", entry, promised_date(entry))
        elif key in DISPUTES:
            note = Note("dispute", entry)
        else:
            continue
        invoice = entry.invoice.strip().split("/")[0]
        found.setdefault(invoice or f"customer:{entry.customer_id.strip()}", []).append(note)
    return found


def _latest(state: InvoiceState, found: dict[str, list[Note]], kind: str) -> Note | None:
    candidates = [
        n
        for n in found.get(state.invoice.number, []) + found.get(f"customer:{state.invoice.customer_id}", [])
        if n.kind == kind and n.entry.date >= state.invoice.issue_date
    ]
    return max(candidates, key=lambda n: n.entry.date, default=None)


def _channel(assessment: Assessment, state: InvoiceState, stage: str) -> tuple[ToDo, Channel | None]:
    if stage == Stage.FORMAL_NOTICE:
        return ToDo.REGISTERED, Channel.REGISTERED
    if stage == Stage.HANDOVER:
        return ToDo.HANDOVER, None
    if state.customer is None or not state.customer.email.strip():
        return ToDo.POST, Channel.POST
    step = next((s for s in assessment.ledger.ladder(state.scenario) if stage_key(s.stage) == stage), None)
    channel = step.channel if step is not None and step.channel in tuple(Channel) else Channel.EMAIL
    if channel in (Channel.POST, Channel.REGISTERED):
        return (ToDo.REGISTERED if channel == Channel.REGISTERED else ToDo.POST), Channel(channel)
    return ToDo.SEND, Channel(channel)


def _euro(state: InvoiceState, amount: Decimal) -> Decimal:
    return amount if state.invoice.currency == "EUR" else ZERO


def _invoice_actions(
    assessment: Assessment, state: InvoiceState, found: dict[str, list[Note]], end: date
) -> tuple[list[Action], Phrase | None]:
    """One invoice's sends and waits this week, and why to call about it (None: no call)."""
    as_of = assessment.as_of
    number, balance = state.invoice.number, max(state.balance, ZERO)
    if state.status in (Status.WRITTEN_OFF, Status.ON_HOLD):
        return [], None
    if state.status in (Status.PAID, Status.CREDIT):
        day = state.next_action_date
        if state.next_action != Stage.THANK_YOU or day is None or day > end:
            return [], None
        todo, channel = _channel(assessment, state, Stage.THANK_YOU)
        return [Action(todo, Stage.THANK_YOU, channel, (number,), _euro(state, state.paid), day)], None
    promise = _latest(state, found, "promise")
    dispute = _latest(state, found, "dispute")
    actions: list[Action] = []
    if state.status == Status.DISPUTED or dispute is not None:
        why = (
            phrase("dispute_noted", date=dispute.entry.date, note=dispute.entry.note or "-")
            if dispute
            else phrase("disputed")
        )
        return [Action(ToDo.WAIT, "", None, (number,), _euro(state, balance), None, (why,))], None
    if promise is not None and promise.until is not None and promise.until >= as_of and state.balance > 0:
        why = phrase("promise", date=promise.until, noted=promise.entry.date)
        return [Action(ToDo.WAIT, "", None, (number,), _euro(state, balance), promise.until, (why,))], None
    if state.status == Status.IN_PLAN:
        upcoming = next((i for i in state.installments if i.balance > 0), None)
        for i in state.installments:
            if i.next_action and i.next_action_date and i.next_action_date <= end:
                todo, channel = _channel(assessment, state, i.next_action)
                key = f"{number}/{i.installment.number}"
                actions.append(
                    Action(todo, i.next_action, channel, (key,), _euro(state, i.balance), i.next_action_date, i.reason)
                )
        if upcoming is not None and not any(i.late for i in state.installments):
            why = phrase(
                "plan_on_schedule",
                number=upcoming.installment.number,
                amount=upcoming.balance,
                date=upcoming.installment.due_date,
            )
            actions.append(
                Action(ToDo.WAIT, "", None, (number,), _euro(state, balance), upcoming.installment.due_date, (why,))
            )
        return actions, None
    if state.next_action and state.next_action_date is not None and state.next_action_date <= end:
        todo, channel = _channel(assessment, state, state.next_action)
        actions.append(
            Action(todo, state.next_action, channel, (number,), _euro(state, balance), state.next_action_date)
        )
    call: Phrase | None = None
    if state.balance > 0 and state.days_overdue > 0:
        if promise is not None and promise.until is not None and promise.until < as_of:
            call = phrase("promise_broken", date=promise.until, noted=promise.entry.date)
        elif state.stage in CALL_AFTER:
            call = phrase("stage_sent", stage=state.stage, date=state.last_reminder)
    return actions, call


def _merge(actions: list[Action]) -> list[Action]:
    """One action per thing to do, stage and channel, over the invoices it concerns (waits stay apart)."""
    merged: dict[tuple, Action] = {}
    for a in actions:
        key = (a.todo, a.stage, a.channel) if a.todo != ToDo.WAIT else (a.todo, a.invoices)
        if key in merged:
            m = merged[key]
            days = [d for d in (m.day, a.day) if d is not None]
            merged[key] = Action(
                m.todo,
                m.stage,
                m.channel,
                m.invoices + a.invoices,
                m.amount + a.amount,
                min(days, default=None),
                m.reason + a.reason,
            )
        else:
            merged[key] = a
    return sorted(
        merged.values(), key=lambda a: (ORDER.index(a.todo), STAGE_ORDER.get(a.stage, len(STAGE_ORDER)), a.invoices)
    )


def _at_risk(state: InvoiceState) -> Decimal:
    """The overdue euro balance; of a payment plan, the balance of its late installments."""
    if state.invoice.currency != "EUR" or state.balance <= 0 or state.status in _QUIET:
        return ZERO
    if state.status == Status.IN_PLAN:
        return sum((i.balance for i in state.installments if i.late), ZERO)
    return state.balance if state.days_overdue > 0 else ZERO


def week(assessment: Assessment, days: int = WEEK_DAYS) -> tuple[CustomerWeek, ...]:
    """The week's actions per customer, the largest amount at risk first (see the module notes)."""
    end = assessment.as_of + timedelta(days=days - 1)
    found = notes(assessment.ledger, assessment.as_of)
    by_customer: dict[str, list[InvoiceState]] = {}
    for state in assessment.invoices:
        by_customer.setdefault(state.invoice.customer_id, []).append(state)
    weeks = []
    for customer in assessment.ledger.customers:
        states = by_customer.get(customer.id, [])
        actions: list[Action] = []
        calls: list[tuple[InvoiceState, Phrase]] = []
        for state in states:
            more, call = _invoice_actions(assessment, state, found, end)
            actions += more
            if call is not None:
                calls.append((state, call))
        if calls:
            actions.append(
                Action(
                    ToDo.CALL,
                    "",
                    Channel.PHONE,
                    tuple(s.invoice.number for s, _ in calls),
                    sum((_euro(s, s.balance) for s, _ in calls), ZERO),
                    assessment.as_of,
                    (*(phrase("about_invoice", number=s.invoice.number, why=why) for s, why in calls),),
                )
            )
        if not actions:
            continue
        at_risk = sum((_at_risk(s) for s in states), ZERO)
        weeks.append(CustomerWeek(customer, at_risk, tuple(_merge(actions))))
    return tuple(sorted(weeks, key=lambda w: (-w.at_risk, -sum(a.amount for a in w.actions), w.customer.id)))

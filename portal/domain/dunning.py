"""What each invoice needs on a given day: payments allocated, status, reminder stage, next action and claim.

`assess(ledger, as_of)` is a pure function of the Ledger and the date. Conventions:

- Payments dated after `as_of` and Log entries dated after `as_of` are ignored.
- Payments are allocated to invoices by `allocation.allocate` (invoice cell, reference, payer's IBAN).
- A plan covers the last part of its invoice: payments first settle the part of the amount the plan does
  not cover (a down payment), then fill the installments in order.
- Log entries about one installment name it in the Log's invoice column as "<invoice>/<n>", e.g. "2026-0001/2".
- A stage is never sent before the deadline the previous one gave (see `pay_by`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import holidays

from . import law
from .allocation import Allocation, Unmatched, allocate, plans
from .ledger import Customer, Installment, Invoice, Ledger, LogEntry, ScenarioStep
from .money import ZERO, cents
from .reasons import Phrase, Reason, phrase
from .references import customer_reference, installment_reference, invoice_reference
from .stages import Stage, Status, stage_key

DUE_SOON_DAYS = 7
REMINDER_2_BUSINESS_DAYS = 5
FORMAL_NOTICE_DAYS = 15
ONE_DAY = timedelta(days=1)


# --- stages and deadlines -----------------------------------------------------------


@lru_cache(maxsize=64)
def _public_holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=range(year, year + 2))


def business_days_after(start: date, count: int, country: str) -> date:
    """The `count`-th working day after `start` (Monday to Friday, not a public holiday of `country`)."""
    public = _public_holidays(country, start.year)
    day, counted = start, 0
    while counted < count:
        day += ONE_DAY
        if day.weekday() < 5 and day not in public:
            counted += 1
    return day


def pay_by(stage: str, as_of: date, country: str) -> date | None:
    """The payment deadline a stage sent on `as_of` gives the debtor; None when the stage gives none.

    - reminder_2: 5 business days (the product brief: "asking payment within 5 business days").
    - formal_notice: 15 calendar days, the usual term of a Belgian mise en demeure / ingebrekestelling.
      When that day is a Saturday, Sunday or public holiday the term runs to the next working day, as for
      judicial terms (Code judiciaire, art. 53).
    """
    stage = stage_key(stage)
    if stage == "reminder_2":
        return business_days_after(as_of, REMINDER_2_BUSINESS_DAYS, country)
    if stage == "formal_notice":
        last = as_of + timedelta(days=FORMAL_NOTICE_DAYS)
        return business_days_after(last - ONE_DAY, 1, country)
    return None


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallmentState:
    installment: Installment
    reference: str
    paid: Decimal
    balance: Decimal
    days_overdue: int
    late: bool
    stage: str
    next_action: str
    next_action_date: date | None
    reason: Reason = ()
    action_due: bool = False


@dataclass(frozen=True)
class InvoiceState:
    invoice: Invoice
    customer: Customer | None
    reference: str
    status: Status
    paid: Decimal
    balance: Decimal
    paid_on: date | None
    days_overdue: int
    scenario: str
    stage: str
    last_reminder: date | None
    next_action: str
    next_action_date: date | None
    action_due: bool
    reason: Reason
    claim: law.Claim | None
    discount: Decimal | None
    installments: tuple[InstallmentState, ...]

    @property
    def is_open(self) -> bool:
        """Still on the statement: something owed either way (a credit note or overpayment counts)."""
        return self.balance != 0 and self.status != Status.WRITTEN_OFF


@dataclass(frozen=True)
class CustomerState:
    customer: Customer
    reference: str
    invoices: tuple[InvoiceState, ...]
    total: Decimal
    other_currencies: tuple[tuple[str, Decimal], ...] = ()  # (currency, total) of open non-EUR items


@dataclass(frozen=True)
class Assessment:
    as_of: date
    ledger: Ledger
    invoices: tuple[InvoiceState, ...]
    customers: tuple[CustomerState, ...]
    unmatched_payments: tuple[Unmatched, ...] = ()

    def invoice(self, number: str) -> InvoiceState:
        for state in self.invoices:
            if state.invoice.number == number:
                return state
        raise KeyError(f"no invoice {number!r}")

    def customer(self, customer_id: str) -> CustomerState:
        for state in self.customers:
            if state.customer.id == customer_id:
                return state
        raise KeyError(f"no customer {customer_id!r}")

    def due_actions(self) -> list[InvoiceState]:
        return [s for s in self.invoices if s.action_due and s.next_action]

    def due_installment_actions(self) -> list[tuple[InvoiceState, InstallmentState]]:
        """Late installments whose next stage is due, with their invoice."""
        return [(s, i) for s in self.invoices for i in s.installments if i.action_due and i.next_action]


# --- payments ---------------------------------------------------------------------


def _paid_on(amount: Decimal, payments: list[tuple[date, Decimal]]) -> date | None:
    """The day the running total last reached the amount, if it is still reached."""
    if amount <= 0:
        return None
    total, reached = ZERO, None
    for day, paid in sorted(payments, key=lambda p: p[0]):
        before, total = total, total + paid
        if before < amount <= total:
            reached = day
    return reached if total >= amount else None


# --- the Log and the ladder -------------------------------------------------------


@dataclass(frozen=True)
class _History:
    """What the Log says was sent about one invoice or installment, on or before as_of."""

    stage: str = ""  # highest ladder stage sent
    stage_date: date | None = None
    last: date | None = None  # latest date any ladder stage was sent
    first_reminder: LogEntry | None = None
    thanked: bool = False


def ladder(ledger: Ledger, scenario: str) -> tuple[ScenarioStep, ...]:
    steps = [s for s in ledger.scenarios if s.scenario == scenario]
    return tuple(sorted(steps, key=lambda s: s.offset_days))


def _history(entries: list[LogEntry], steps: tuple[ScenarioStep, ...]) -> _History:
    order = [stage_key(s.stage) for s in steps]
    sent = [(e, stage_key(e.action)) for e in sorted(entries, key=lambda e: e.date)]
    stages = [(e, key) for e, key in sent if key in order]
    top = max(stages, key=lambda s: (order.index(s[1]), s[0].date), default=None)
    return _History(
        stage=top[1] if top else "",
        stage_date=top[0].date if top else None,
        last=max((e.date for e, _ in stages), default=None),
        first_reminder=next((e for e, key in sent if key == Stage.REMINDER_1), None),
        thanked=any(key == Stage.THANK_YOU for _, key in sent),
    )


def next_step(
    steps: tuple[ScenarioStep, ...], history: _History, last: date | None, due_date: date, as_of: date, country: str
) -> tuple[str, date] | None:
    """The first stage after the last one sent, and the day it is due; None after the last stage.

    A pre-due stage (negative offset) is dropped once the due date has come. The day is never before the
    day after the last reminder, nor before the deadline the previous stage gave has passed.
    """
    order = [stage_key(s.stage) for s in steps]
    start = order.index(history.stage) + 1 if history.stage else 0
    for step in steps[start:]:
        if step.offset_days < 0 and as_of >= due_date:
            continue
        earliest = [due_date + timedelta(days=step.offset_days)]
        if last is not None:
            earliest.append(last + ONE_DAY)
        if history.stage and (deadline := pay_by(history.stage, history.stage_date, country)):
            earliest.append(deadline + ONE_DAY)
        return stage_key(step.stage), max(earliest)
    return None


def _scenario(ledger: Ledger, customer: Customer | None) -> str:
    wanted = (customer.scenario if customer else "") or ledger.creditor.default_scenario
    return wanted if ladder(ledger, wanted) else ledger.creditor.default_scenario


def _is_reminder(steps: tuple[ScenarioStep, ...], stage: str) -> bool:
    """A stage sent after the due date (a nudge before it is not a reminder)."""
    return any(stage_key(s.stage) == stage and s.offset_days > 0 for s in steps)


# --- one invoice --------------------------------------------------------------------


def status_of(
    invoice: Invoice, customer: Customer | None, paid: Decimal, balance: Decimal, has_plan: bool, as_of: date
) -> Status:
    """The status, by precedence (first rule that holds)."""
    to_due = (invoice.due_date - as_of).days
    rules = (
        (Status.WRITTEN_OFF, invoice.written_off),
        (Status.CREDIT, balance < 0 or (invoice.is_credit_note and balance != 0)),
        (Status.PAID, balance == 0),
        (Status.DISPUTED, invoice.disputed),
        (Status.ON_HOLD, invoice.on_hold or (customer is not None and customer.on_hold)),
        (Status.IN_PLAN, has_plan),
        (Status.PARTLY_PAID, paid > 0 and balance > 0),
        (Status.OVERDUE, to_due < 0),
        (Status.DUE_SOON, to_due <= DUE_SOON_DAYS),
    )
    return next((status for status, holds in rules if holds), Status.NOT_DUE)


def _lateness(days_overdue: int) -> Phrase:
    if days_overdue > 0:
        return phrase("days_overdue", days=days_overdue)
    if days_overdue == 0:
        return phrase("due_today")
    return phrase("due_in_days", days=-days_overdue)


def _sent(history: _History) -> Phrase:
    if not history.stage:
        return phrase("nothing_sent")
    return phrase("stage_sent", stage=history.stage, date=history.stage_date)


def _ladder_action(
    steps, history: _History, last: date | None, due_date: date, as_of: date, country: str
) -> tuple[str, date | None, Reason]:
    """(next action, its date, reason) for something on the ladder."""
    if not steps:
        return "", None, (phrase("no_ladder"),)
    step = next_step(steps, history, last, due_date, as_of, country)
    days = (as_of - due_date).days
    if step is None:
        return "", None, (phrase("ladder_done", sent=_sent(history)) if history.stage else phrase("no_stage_left"),)
    stage, day = step
    when = phrase("stage_due") if day <= as_of else phrase("stage_on", date=day)
    return stage, day, (phrase("next_stage", stage=stage, when=when, lateness=_lateness(days)), _sent(history))


def _installment_states(
    ledger: Ledger,
    invoice: Invoice,
    plan: list[Installment],
    paid: Decimal,
    reminded: bool,
    steps,
    log: dict[str, list[LogEntry]],
    as_of: date,
) -> tuple[InstallmentState, ...]:
    """Installments filled in order; a late one gets its own ladder when `reminded`."""
    remaining = max(paid - max(invoice.amount - sum(i.amount for i in plan), ZERO), ZERO)
    states = []
    for installment in plan:
        share = min(remaining, installment.amount)
        remaining -= share
        balance = installment.amount - share
        late = balance > 0 and installment.due_date < as_of
        action, day, reason, stage = "", None, (), ""
        if late and reminded:
            history = _history(log.get(f"{invoice.number}/{installment.number}", []), steps)
            stage = history.stage
            action, day, reason = _ladder_action(
                steps, history, history.last, installment.due_date, as_of, ledger.creditor.country
            )
        states.append(
            InstallmentState(
                installment,
                installment_reference(ledger, invoice.number, installment.number),
                share,
                balance,
                (as_of - installment.due_date).days,
                late,
                stage,
                action,
                day,
                reason,
                action_due=day is not None and day <= as_of,
            )
        )
    return tuple(states)


def _plan_reason(installments: tuple[InstallmentState, ...]) -> Reason:
    late = [i for i in installments if i.late]
    if late:
        return tuple(
            part
            for i in late
            for part in (
                phrase("installment_late", number=i.installment.number, lateness=_lateness(i.days_overdue)),
                *i.reason,
            )
        )
    upcoming = next((i for i in installments if i.balance > 0), None)
    if upcoming is None:
        return (phrase("plan_paid"),)
    return (
        phrase(
            "plan_on_schedule",
            number=upcoming.installment.number,
            amount=upcoming.balance,
            date=upcoming.installment.due_date,
        ),
    )


def _quiet_reason(status: Status, invoice: Invoice, customer: Customer | None, balance: Decimal) -> Reason:
    if status == Status.CREDIT:
        return (phrase("credit_note_owed" if invoice.is_credit_note else "overpaid", amount=-balance),)
    if status == Status.ON_HOLD:
        if invoice.on_hold:
            return (phrase("on_hold_invoice"),)
        if customer is not None and customer.hold_reason:
            return (phrase("on_hold_customer_because", why=customer.hold_reason),)
        return (phrase("on_hold_customer"),)
    return (phrase("written_off") if status == Status.WRITTEN_OFF else phrase("disputed"),)


def _paid_action(steps, history: _History, paid_on: date | None, balance: Decimal) -> tuple[str, date | None, Reason]:
    """A thank-you when the invoice was paid after a reminder and none was sent yet."""
    reason: Reason = (phrase("paid_on", date=paid_on) if paid_on else phrase("paid"),)
    if balance < 0:
        reason += (phrase("overpaid", amount=-balance),)
    if paid_on and history.stage and _is_reminder(steps, history.stage) and not history.thanked:
        return Stage.THANK_YOU, paid_on, (*reason, phrase("send_thank_you", stage=history.stage))
    return "", None, reason


def _claim(
    ledger: Ledger,
    invoice: Invoice,
    customer: Customer | None,
    status: str,
    balance: Decimal,
    history: _History,
    as_of: date,
) -> tuple[law.Claim | None, Reason]:
    """(law.claim for an overdue unpaid EUR invoice or None, a note when it could not be computed)."""
    if status not in (Status.OVERDUE, Status.PARTLY_PAID, Status.ON_HOLD) or balance <= 0 or as_of <= invoice.due_date:
        return None, ()
    if invoice.currency != "EUR":
        return None, (phrase("no_interest_currency", currency=invoice.currency),)
    if customer is None:
        return None, (phrase("no_interest_customer"),)
    creditor = ledger.creditor
    first = history.first_reminder
    try:
        return law.claim(
            country=creditor.country,
            debtor_kind=customer.kind,
            principal=balance,
            due_date=invoice.due_date,
            as_of=as_of,
            first_reminder=first.date if first else None,
            first_reminder_channel=(first.channel or "email") if first else "email",
            terms_allow_b2c_damages=creditor.b2c_terms_allow_damages,
            interest_rule=creditor.interest_rule,
            contractual_rate=creditor.interest_rate,
            flat_fee=creditor.flat_fee,
        ), ()
    except (ValueError, TypeError) as exc:
        return None, (phrase("no_interest", why=str(exc)),)


def discount_amount(invoice: Invoice, paid: Decimal, balance: Decimal, as_of: date) -> Decimal | None:
    """What settles the invoice if paid by its discount date, while nothing has been paid yet."""
    if (
        invoice.discount_pct is None
        or invoice.discount_date is None
        or as_of > invoice.discount_date
        or paid != 0
        or balance <= 0
    ):
        return None
    return cents(balance * (1 - invoice.discount_pct / 100))


def _invoice_state(
    ledger: Ledger,
    invoice: Invoice,
    reference: str,
    allocation: Allocation,
    plan: list[Installment],
    log: dict[str, list[LogEntry]],
    as_of: date,
) -> InvoiceState:
    customer = ledger.customer(invoice.customer_id)
    payments = allocation.by_invoice.get(invoice.number, [])
    paid = sum((amount for _, amount in payments), ZERO)
    balance = invoice.amount - paid
    paid_on = _paid_on(invoice.amount, payments)
    scenario = _scenario(ledger, customer)
    steps = ladder(ledger, scenario)
    history = _history(log.get(invoice.number, []), steps)
    last = history.last or (invoice.last_reminder if invoice.last_reminder and invoice.last_reminder <= as_of else None)
    status = status_of(invoice, customer, paid, balance, bool(plan), as_of)
    installments = _installment_states(ledger, invoice, plan, paid, status == Status.IN_PLAN, steps, log, as_of)

    if status == Status.PAID or (status == Status.CREDIT and not invoice.is_credit_note and paid_on):
        action, day, reason = _paid_action(steps, history, paid_on, balance)
    elif status == Status.IN_PLAN:
        action, day, reason = "", None, _plan_reason(installments)
    elif status in (Status.WRITTEN_OFF, Status.CREDIT, Status.DISPUTED, Status.ON_HOLD):
        action, day, reason = "", None, _quiet_reason(status, invoice, customer, balance)
    else:
        action, day, reason = _ladder_action(steps, history, last, invoice.due_date, as_of, ledger.creditor.country)
    claim, note = _claim(ledger, invoice, customer, status, balance, history, as_of)
    return InvoiceState(
        invoice=invoice,
        customer=customer,
        reference=reference,
        status=status,
        paid=paid,
        balance=balance,
        paid_on=paid_on,
        days_overdue=(as_of - invoice.due_date).days,
        scenario=scenario,
        stage=history.stage,
        last_reminder=last,
        next_action=action,
        next_action_date=day,
        action_due=day is not None and day <= as_of,
        reason=reason + note,
        claim=claim,
        discount=discount_amount(invoice, paid, balance, as_of),
        installments=installments,
    )


# --- customers and the whole ledger ---------------------------------------------------


def _customer_state(ledger: Ledger, customer: Customer, invoices: tuple[InvoiceState, ...]) -> CustomerState:
    items = sorted(
        (s for s in invoices if s.invoice.customer_id == customer.id and s.is_open), key=lambda s: s.invoice.due_date
    )
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for state in items:
        totals[state.invoice.currency] += state.balance
    others = tuple(sorted((c, t) for c, t in totals.items() if c != "EUR"))
    return CustomerState(customer, customer_reference(ledger, customer.id), tuple(items), totals["EUR"], others)


def _log_by_invoice(ledger: Ledger, as_of: date) -> dict[str, list[LogEntry]]:
    log: dict[str, list[LogEntry]] = defaultdict(list)
    for entry in ledger.log:
        if entry.date <= as_of and entry.invoice.strip():
            log[entry.invoice.strip()].append(entry)
    return log


def assess(ledger: Ledger, as_of: date) -> Assessment:
    """Every invoice and customer of the ledger as of `as_of` (see the module notes for the conventions)."""
    references = {i.number: invoice_reference(ledger, i) for i in ledger.invoices}
    allocation = allocate(ledger, as_of, references)
    installments = plans(ledger)
    log = _log_by_invoice(ledger, as_of)
    invoices = tuple(
        _invoice_state(ledger, i, references[i.number], allocation, installments.get(i.number, []), log, as_of)
        for i in ledger.invoices
    )
    by_customer: dict[str, list[InvoiceState]] = defaultdict(list)
    for state in invoices:
        by_customer[state.invoice.customer_id].append(state)
    customers = tuple(_customer_state(ledger, c, tuple(by_customer[c.id])) for c in ledger.customers)
    return Assessment(as_of, ledger, invoices, customers, tuple(allocation.unmatched))

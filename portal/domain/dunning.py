"""What each invoice needs on a given day: payments allocated, status, reminder stage, next action and claim.

`assess(ledger, as_of)` is a pure function of the Ledger and the date. Conventions:

- Payments dated after `as_of` and Log entries dated after `as_of` are ignored.
- Payments are allocated to invoices by `allocation.allocate` (invoice cell, reference, payer's IBAN).
- A plan covers the last part of its invoice: payments first settle the part of the amount the plan does
  not cover (a down payment), then fill the installments in order.
- Log entries about one installment name it in the Log's invoice column as "<invoice>/<n>", e.g. "2026-0001/2".
- Only what went out counts (`LogEntry.sent`): a draft prepared but not sent holds the ladder until it is
  sent or deleted, and starts no legal period.
- A stage is never sent before the deadline the previous letter gave (as its record states it, and for a
  consumer never before the 14 days of Book XIX have run out), nor sooner than the minimum gap after it.
- From the first claim (formal notice) on, payments settle the fixed compensation and the interest first,
  then the principal (Civil Code imputation), unless the creditor waives the extras.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache

import holidays

from . import law
from . import letters as records
from .allocation import Allocation, Unmatched, allocate, plans
from .ledger import (
    MIN_GAP_DAYS,
    Creditor,
    Customer,
    Installment,
    Invoice,
    Ledger,
    LogEntry,
    ScenarioStep,
    first_by,
)
from .money import ZERO, cents
from .reasons import Phrase, Reason, phrase
from .references import customer_reference, installment_reference, invoice_reference
from .stages import CLAIM_STAGES, Stage, Status, stage_key

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


def _term(start: date, days: int, country: str) -> date:
    """`days` calendar days after `start`; a term ending on a weekend or public holiday runs to the next
    working day, as for judicial terms (Code judiciaire, art. 53)."""
    return business_days_after(start + timedelta(days=days - 1), 1, country)


def pay_by(
    stage: str,
    as_of: date,
    country: str,
    *,
    consumer: bool = False,
    channel: str = "email",
    gap: int = MIN_GAP_DAYS,
) -> date | None:
    """The payment deadline a stage sent on `as_of` gives the debtor; None when the stage gives none.

    - reminder_1: for a consumer, the last day of the 14-day period of Book XIX (law.b2c_grace_end, which
      depends on the channel); otherwise `gap` calendar days (the minimum gap between stages).
    - reminder_2: 5 business days (the product brief: "asking payment within 5 business days").
    - formal_notice: 15 calendar days, the usual term of a Belgian mise en demeure / ingebrekestelling.
    A term ending on a Saturday, Sunday or public holiday runs to the next working day.
    """
    stage = stage_key(stage)
    if stage == "reminder_1":
        if consumer:
            return law.b2c_grace_end(as_of, channel if channel in (*law.PAPER_CHANNELS, "email") else "email")
        return _term(as_of, gap, country)
    if stage == "reminder_2":
        return business_days_after(as_of, REMINDER_2_BUSINESS_DAYS, country)
    if stage == "formal_notice":
        return _term(as_of, FORMAL_NOTICE_DAYS, country)
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
    invoices: tuple[InvoiceState, ...]  # open items the statement asks for
    total: Decimal
    other_currencies: tuple[tuple[str, Decimal], ...] = ()  # (currency, total) of open non-EUR items
    held: tuple[InvoiceState, ...] = ()  # disputed or on hold: listed apart, outside the total


@dataclass(frozen=True)
class Assessment:
    as_of: date
    ledger: Ledger
    invoices: tuple[InvoiceState, ...]
    customers: tuple[CustomerState, ...]
    unmatched_payments: tuple[Unmatched, ...] = ()

    def invoice(self, number: str) -> InvoiceState:
        try:
            return self._invoices[number]
        except KeyError:
            raise KeyError(f"no invoice {number!r}") from None

    def customer(self, customer_id: str) -> CustomerState:
        try:
            return self._customers[customer_id]
        except KeyError:
            raise KeyError(f"no customer {customer_id!r}") from None

    @cached_property
    def _invoices(self) -> dict[str, InvoiceState]:
        return first_by(self.invoices, lambda s: s.invoice.number)

    @cached_property
    def _customers(self) -> dict[str, CustomerState]:
        return first_by(self.customers, lambda s: s.customer.id)

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
    """What the Log says went out about one invoice or installment, on or before as_of."""

    stage: str = ""  # highest ladder stage sent
    stage_date: date | None = None  # the day it went out
    stage_entry: LogEntry | None = None
    last: date | None = None  # latest day any ladder stage went out
    first_reminder: LogEntry | None = None
    claimed: LogEntry | None = None  # the first claim stage that went out
    pending: LogEntry | None = None  # a later stage prepared and not sent yet
    thanked: bool = False


def _history(entries: list[LogEntry], steps: tuple[ScenarioStep, ...], as_of: date | None = None) -> _History:
    order = [stage_key(s.stage) for s in steps]
    keyed = [(e, stage_key(e.action)) for e in entries]
    went = sorted(
        ((e, key) for e, key in keyed if e.sent is not None and (as_of is None or e.sent <= as_of)),
        key=lambda s: s[0].sent or date.min,
    )
    stages = [(e, key) for e, key in went if key in order]
    top = max(stages, key=lambda s: (order.index(s[1]), s[0].sent or date.min), default=None)
    done = order.index(top[1]) if top else -1
    drafts = [(e, key) for e, key in keyed if e.sent is None and key in order and order.index(key) > done]
    return _History(
        stage=top[1] if top else "",
        stage_date=top[0].sent if top else None,
        stage_entry=top[0] if top else None,
        last=max((e.sent for e, _ in stages if e.sent is not None), default=None),
        first_reminder=next((e for e, key in went if key == Stage.REMINDER_1), None),
        claimed=next((e for e, key in went if key in CLAIM_STAGES), None),
        pending=min(drafts, key=lambda d: order.index(d[1]))[0] if drafts else None,
        thanked=any(key == Stage.THANK_YOU for _, key in keyed),
    )


def deadline(entry: LogEntry, creditor: Creditor, consumer: bool) -> date | None:
    """The deadline a letter that went out gave: what its record states, and never before the legal period
    that its sending started (a consumer's 14 days run from the day it was sent, by its channel)."""
    sent = entry.sent or entry.date
    stage = stage_key(entry.action)
    record = records.read(entry.letter)
    channel = entry.channel or "email"
    legal = pay_by(stage, sent, creditor.country, consumer=consumer, channel=channel, gap=creditor.min_gap_days)
    stated = record.pay_by if record else None
    known = [d for d in (stated, legal) if d is not None]
    return max(known) if known else None


def next_step(
    steps: tuple[ScenarioStep, ...],
    history: _History,
    last: date | None,
    due_date: date,
    as_of: date,
    country: str,
    *,
    creditor: Creditor | None = None,
    consumer: bool = False,
) -> tuple[str, date] | None:
    """The first stage after the last one sent, and the day it is due; None after the last stage.

    A pre-due stage (negative offset) is dropped once the due date has come. The day is never sooner than the
    minimum gap after the last reminder, nor before the deadline the previous letter gave has passed.
    """
    creditor = creditor or Creditor(name="", iban="", country=country)
    order = [stage_key(s.stage) for s in steps]
    start = order.index(history.stage) + 1 if history.stage else 0
    before_due = start > 0 and steps[start - 1].offset_days < 0  # a nudge asks nothing new: no gap after it
    gap = 1 if before_due else max(creditor.min_gap_days, 1)
    for step in steps[start:]:
        if step.offset_days < 0 and as_of >= due_date:
            continue
        earliest = [due_date + timedelta(days=step.offset_days)]
        if last is not None:
            earliest.append(last + timedelta(days=gap))
        if history.stage_entry is not None and (given := deadline(history.stage_entry, creditor, consumer)):
            earliest.append(given + ONE_DAY)
        return stage_key(step.stage), max(earliest)
    return None


def _scenario(ledger: Ledger, customer: Customer | None) -> str:
    wanted = (customer.scenario if customer else "") or ledger.creditor.default_scenario
    return wanted if ledger.ladder(wanted) else ledger.creditor.default_scenario


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
    steps,
    history: _History,
    last: date | None,
    due_date: date,
    as_of: date,
    creditor: Creditor,
    consumer: bool,
) -> tuple[str, date | None, Reason]:
    """(next action, its date, reason) for something on the ladder."""
    if not steps:
        return "", None, (phrase("no_ladder"),)
    if history.pending is not None:
        draft = history.pending
        return "", None, (phrase("stage_prepared", stage=stage_key(draft.action), date=draft.date),)
    step = next_step(steps, history, last, due_date, as_of, creditor.country, creditor=creditor, consumer=consumer)
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
        action, day, stage = "", None, ""
        reason: Reason = ()
        if late and reminded:
            history = _history(_logged(ledger, f"{invoice.number}/{installment.number}", as_of), steps, as_of)
            stage = history.stage
            customer = ledger.customer(invoice.customer_id)
            action, day, reason = _ladder_action(
                steps, history, history.last, installment.due_date, as_of, ledger.creditor, _consumer(customer)
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


def _paid_action(
    steps, history: _History, paid_on: date | None, balance: Decimal, as_of: date, cut_off: int
) -> tuple[str, date | None, Reason]:
    """A thank-you (a neutral confirmation after a claim) when the invoice was paid after a reminder, none
    was sent yet and the payment is not older than the cut-off."""
    reason: Reason = (phrase("paid_on", date=paid_on) if paid_on else phrase("paid"),)
    if balance < 0:
        reason += (phrase("overpaid", amount=-balance),)
    if (
        paid_on
        and history.stage
        and _is_reminder(steps, history.stage)
        and not history.thanked
        and (as_of - paid_on).days <= cut_off
    ):
        return Stage.THANK_YOU, paid_on, (*reason, phrase("send_thank_you", stage=history.stage))
    return "", None, reason


def _consumer(customer: Customer | None) -> bool:
    return customer is not None and customer.kind.upper() == "B2C"


def _announced(ledger: Ledger, history: _History) -> tuple[Decimal | None, Decimal | None, bool]:
    """(rate, fixed compensation, whether the rate was announced as the statutory one) a consumer was told in the
    first reminder: its record, else the settings."""
    creditor = ledger.creditor
    record = records.read(history.first_reminder.letter) if history.first_reminder else None
    if record is not None and record.notice is not None:
        return record.notice.rate, record.notice.fee, record.notice.legal_rate
    return creditor.b2c_interest_rate, creditor.b2c_fixed_compensation, False


def claim_for(
    ledger: Ledger, customer: Customer, history: _History, principal: Decimal, due_date: date, as_of: date
) -> law.Claim:
    """law.claim with what the workbook and the Log say (raises law.RateMissing outside the rate tables)."""
    creditor = ledger.creditor
    first = history.first_reminder
    rate, fee, statutory = _announced(ledger, history)
    return law.claim(
        country=creditor.country,
        debtor_kind=customer.kind,
        principal=principal,
        due_date=due_date,
        as_of=as_of,
        first_reminder=(first.sent or first.date) if first else None,
        first_reminder_channel=(first.channel or "email") if first else "email",
        terms_allow_b2c_damages=creditor.b2c_terms_allow_damages,
        interest_rule=creditor.interest_rule,
        contractual_rate=creditor.interest_rate,
        flat_fee=creditor.flat_fee,
        b2c_rate=rate,
        b2c_rate_is_statutory=statutory,
        b2c_fee=fee,
        enterprise_number=bool(creditor.enterprise_number.strip()),
        later_rate=creditor.later_legal_rate,
    )


@dataclass(frozen=True)
class _Imputed:
    principal_paid: Decimal
    claim: law.Claim


def _impute(
    ledger: Ledger,
    invoice: Invoice,
    customer: Customer,
    history: _History,
    payments: list[tuple[date, Decimal]],
    as_of: date,
) -> _Imputed | None:
    """Payments after the first claim settle the fixed compensation, then the interest, then the principal
    (Civil Code imputation); interest keeps running on what is left of the principal. None when nothing
    beyond the principal was claimed."""
    notice_day = history.claimed.sent if history.claimed else None
    if notice_day is None or ledger.creditor.waive_extras or invoice.currency != "EUR":
        return None
    before = sum((a for d, a in payments if d <= notice_day), ZERO)
    principal = invoice.amount - before
    if principal <= 0:
        return None
    try:
        base = claim_for(ledger, customer, history, principal, invoice.due_date, notice_day)
    except (ValueError, TypeError):
        return None
    if not (base.interest or base.flat_fee):
        return None
    later = sorted((d, a) for d, a in payments if d > notice_day and a != 0)
    if not later:
        return None
    # interest is kept unrounded, as law.interest sums it, and rounded once where it is paid or shown
    raw = sum((s.amount for s in base.interest_detail.segments), ZERO) if base.interest_detail else base.interest
    fee, last, principal_paid = base.flat_fee, notice_day, before

    def accrued(until: date, rates: tuple[law.RatePeriod, ...] | Decimal) -> Decimal:
        return sum((s.amount for s in law.interest(principal, last + ONE_DAY, until, rates).segments), ZERO)

    for day, amount in later:
        if base.rates is not None and principal > 0 and day > last:
            raw += accrued(day, base.rates)
        last = max(last, day)
        for_fee = min(amount, fee)
        fee -= for_fee
        for_interest = min(amount - for_fee, cents(raw))
        raw -= for_interest
        rest = amount - for_fee - for_interest
        principal -= rest
        principal_paid += rest
    if base.rates is not None and principal > 0 and as_of > last:
        raw += accrued(as_of, base.rates)
    interest_due = cents(raw)
    owed = max(principal, ZERO)
    now = law.Claim(
        principal=owed,
        interest=interest_due,
        interest_detail=None,
        flat_fee=fee,
        total=cents(owed + interest_due + fee),
        basis=base.basis,
        legal_reference=base.legal_reference,
        from_day=base.from_day,
        warnings=base.warnings,
        explanations=(("imputed", {"paid": principal_paid}),),
        rates=base.rates,
    )
    return _Imputed(principal_paid, now)


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
    if ledger.creditor.waive_extras:
        return None, ()
    if invoice.currency != "EUR":
        return None, (phrase("no_interest_currency", currency=invoice.currency),)
    if customer is None:
        return None, (phrase("no_interest_customer"),)
    try:
        return claim_for(ledger, customer, history, balance, invoice.due_date, as_of), ()
    except law.RateMissing as exc:
        return None, (phrase("no_rate", why=str(exc)),)
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
    as_of: date,
) -> InvoiceState:
    customer = ledger.customer(invoice.customer_id)
    payments = allocation.by_invoice.get(invoice.number, [])
    scenario = _scenario(ledger, customer)
    steps = ledger.ladder(scenario)
    history = _history(_logged(ledger, invoice.number, as_of), steps, as_of)
    imputed = _impute(ledger, invoice, customer, history, payments, as_of) if customer else None
    paid = sum((amount for _, amount in payments), ZERO)
    if imputed is not None:
        paid = imputed.principal_paid
    balance = invoice.amount - paid
    if imputed is None:
        paid_on = _paid_on(invoice.amount, payments)
    else:
        paid_on = max(d for d, _ in payments) if balance <= 0 else None
    last = history.last or (invoice.last_reminder if invoice.last_reminder and invoice.last_reminder <= as_of else None)
    status = status_of(invoice, customer, paid, balance, bool(plan), as_of)
    installments = _installment_states(ledger, invoice, plan, paid, status == Status.IN_PLAN, steps, as_of)

    if status == Status.PAID or (status == Status.CREDIT and not invoice.is_credit_note and paid_on):
        action, day, reason = _paid_action(steps, history, paid_on, balance, as_of, ledger.creditor.thank_you_days)
    elif status == Status.IN_PLAN:
        action, day, reason = "", None, _plan_reason(installments)
    elif status in (Status.WRITTEN_OFF, Status.CREDIT, Status.DISPUTED, Status.ON_HOLD):
        action, day, reason = "", None, _quiet_reason(status, invoice, customer, balance)
    else:
        action, day, reason = _ladder_action(
            steps, history, last, invoice.due_date, as_of, ledger.creditor, _consumer(customer)
        )
    claim: law.Claim | None
    note: Reason
    if imputed is not None and balance > 0 and status not in (Status.DISPUTED, Status.WRITTEN_OFF):
        claim, note = imputed.claim, ()
    else:
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
    open_items = sorted(
        (s for s in invoices if s.invoice.customer_id == customer.id and s.is_open), key=lambda s: s.invoice.due_date
    )
    held = tuple(s for s in open_items if s.status in (Status.DISPUTED, Status.ON_HOLD))
    items = tuple(s for s in open_items if s not in held)
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for state in items:
        totals[state.invoice.currency] += state.balance
    others = tuple(sorted((c, t) for c, t in totals.items() if c != "EUR"))
    return CustomerState(customer, customer_reference(ledger, customer.id), items, totals["EUR"], others, held)


def _logged(ledger: Ledger, number: str, as_of: date) -> list[LogEntry]:
    """The Log rows about an invoice (or "invoice/installment") dated up to `as_of`."""
    return [entry for entry in ledger.log_of(number) if entry.date <= as_of]


def assess(ledger: Ledger, as_of: date) -> Assessment:
    """Every invoice and customer of the ledger as of `as_of` (see the module notes for the conventions)."""
    references = {i.number: invoice_reference(ledger, i) for i in ledger.invoices}
    allocation = allocate(ledger, as_of, references)
    installments = plans(ledger)
    invoices = tuple(
        _invoice_state(ledger, i, references[i.number], allocation, installments.get(i.number, []), as_of)
        for i in ledger.invoices
    )
    by_customer: dict[str, list[InvoiceState]] = defaultdict(list)
    for state in invoices:
        by_customer[state.invoice.customer_id].append(state)
    customers = tuple(_customer_state(ledger, c, tuple(by_customer[c.id])) for c in ledger.customers)
    return Assessment(as_of, ledger, invoices, customers, tuple(allocation.unmatched))

"""The creditor's overview, never published: what is owed, how old it is, how fast customers pay,
what is expected to come in, and what the reminders brought.

`overview(assessment)` is a pure function of the assessment. Conventions (euro invoices only; written-off
invoices are left out of every figure and listed apart; credit notes count in the totals, not in the ages):

- Outstanding: the sum of the open balances. Overdue: the positive balances past their due date.
- Ageing: positive balances by days past the due date: not due (0 or less), 1–30, 31–60, 61–90, over 90;
  a payment plan's installments each by its own due date (so counted in Overdue only when late).
- DSO, count-back: the receivables on a day are matched against the sales (invoice amounts by issue date)
  of the month up to that day, then of each whole calendar month before it, until they are used up; the DSO
  is the number of days of sales that takes. The trend gives it at the end of each of the last 12 months.
  The receivables on a past day are each invoice's amount less the payments dated up to that day.
- Payer behaviour over the 12 months up to `as_of`: each invoice paid in full in that time counts with its
  days late (payment day less due date, negative when early), weighted by its amount. Always late: at
  least two such invoices, every one paid after its due date. A reminder is any ladder stage the Log has
  after the due date and before the payment; "faster after a reminder": at least half of the reminded
  invoices paid within 7 days of their last reminder.
- Expected receipts: the balance of each open invoice (not disputed, not on hold) on its due date plus its
  customer's average days late (not before `as_of`); a plan's installments on their due dates. By week
  (Monday to Sunday), for `WEEKS` weeks from the week of `as_of`, then the rest as "later".
- Reminder results: for each stage the Log records over the 12 months, the balance on the day it was sent
  and what was paid on that invoice within 7 days after.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from .allocation import allocate
from .dunning import Assessment, InvoiceState
from .ledger import Customer, Invoice
from .money import ZERO
from .stages import LADDER, Status, stage_key

BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")
WEEKS = 8
WINDOW_DAYS = 365
REMINDER_EFFECT_DAYS = 7
TREND_MONTHS = 12
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class Payer:
    customer: Customer
    invoices: int  # paid in full over the 12 months
    amount: Decimal
    average_days_late: Decimal  # weighted by amount, to a tenth of a day
    late: int  # of those, paid after the due date
    always_late: bool
    reminded: int  # paid after a reminder
    paid_within_7: int  # of those, within 7 days of the last reminder
    faster_after_reminder: bool


@dataclass(frozen=True)
class StageResult:
    stage: str
    sent: int
    reminded: Decimal  # the balances on the days they were sent
    paid_within_7: Decimal

    @property
    def share(self) -> Decimal:
        return (self.paid_within_7 / self.reminded * 100).quantize(TENTH, ROUND_HALF_UP) if self.reminded else ZERO


@dataclass(frozen=True)
class Overview:
    as_of: date
    outstanding: Decimal
    overdue: Decimal
    ageing: tuple[tuple[str, Decimal, int], ...]  # (bucket, amount, invoices)
    dso: Decimal | None
    dso_trend: tuple[tuple[date, Decimal | None], ...]  # (month end, DSO), oldest first
    expected: tuple[tuple[date, Decimal], ...]  # (Monday, amount)
    expected_later: Decimal
    payers: tuple[Payer, ...]
    reminders: tuple[StageResult, ...]
    written_off: tuple[InvoiceState, ...]


def _counted(state: InvoiceState) -> bool:
    return state.invoice.currency == "EUR" and state.status != Status.WRITTEN_OFF


def bucket(days_overdue: int) -> str:
    if days_overdue <= 0:
        return "not_due"
    if days_overdue <= 30:
        return "1_30"
    if days_overdue <= 60:
        return "31_60"
    if days_overdue <= 90:
        return "61_90"
    return "over_90"


def parts(state: InvoiceState) -> list[tuple[int, Decimal]]:
    """(days past due, balance) of what is owed on an invoice: of a plan, each installment still owed."""
    if state.balance <= 0 or state.invoice.is_credit_note:
        return []
    if state.status == Status.IN_PLAN:
        return [(i.days_overdue, i.balance) for i in state.installments if i.balance > 0]
    return [(state.days_overdue, state.balance)]


def _ageing(states: list[InvoiceState]) -> tuple[tuple[str, Decimal, int], ...]:
    amounts: dict[str, Decimal] = defaultdict(lambda: ZERO)
    counts: dict[str, int] = defaultdict(int)
    for s in states:
        for days, balance in parts(s):
            amounts[bucket(days)] += balance
            counts[bucket(days)] += 1
    return tuple((b, amounts[b], counts[b]) for b in BUCKETS)


def month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def count_back_dso(receivables: Decimal, invoices: list[Invoice], day: date) -> Decimal | None:
    """Days of sales, counted back from `day` month by month (see the module notes); None before the first
    sale, or when all the sales since do not cover the receivables."""
    earliest = min((i.issue_date for i in invoices), default=day)
    if earliest > day:
        return None
    if receivables <= 0:
        return ZERO
    days, left = Decimal(0), receivables
    start, end = day.replace(day=1), day
    while end >= earliest:
        length = (end - start).days + 1
        sales = sum((i.amount for i in invoices if start <= i.issue_date <= end), ZERO)
        if sales > 0 and left <= sales:
            return (days + left / sales * length).quantize(TENTH, ROUND_HALF_UP)
        days += length
        left -= max(sales, ZERO)
        end = start - timedelta(days=1)
        start = end.replace(day=1)
    return None


def _receivables(invoices: list[Invoice], paid: dict[str, list[tuple[date, Decimal]]], day: date) -> Decimal:
    return sum(
        (
            i.amount - sum((a for d, a in paid.get(i.number, []) if d <= day), ZERO)
            for i in invoices
            if i.issue_date <= day
        ),
        ZERO,
    )


def _months_back(as_of: date, count: int) -> list[date]:
    ends, day = [], as_of.replace(day=1) - timedelta(days=1)
    for _ in range(count):
        ends.append(day)
        day = day.replace(day=1) - timedelta(days=1)
    return sorted(ends)


def _reminders_before(log: list, due: date, paid_on: date) -> list[date]:
    ladder = set(LADDER)
    return sorted(e.date for e in log if stage_key(e.action) in ladder and due < e.date <= paid_on)


def _payers(assessment: Assessment, states: list[InvoiceState], log_by_invoice: dict) -> tuple[Payer, ...]:
    since = assessment.as_of - timedelta(days=WINDOW_DAYS)
    found = []
    for customer in assessment.ledger.customers:
        paid = [
            (s, s.paid_on)
            for s in states
            if s.invoice.customer_id == customer.id
            and not s.invoice.is_credit_note
            and s.invoice.amount > 0
            and s.paid_on is not None
            and since < s.paid_on <= assessment.as_of
        ]
        if not paid:
            continue
        amount = sum((s.invoice.amount for s, _ in paid), ZERO)
        weighted = sum((s.invoice.amount * (day - s.invoice.due_date).days for s, day in paid), ZERO)
        late = sum(1 for s, day in paid if day > s.invoice.due_date)
        reminded = within = 0
        for s, day in paid:
            before = _reminders_before(log_by_invoice.get(s.invoice.number, []), s.invoice.due_date, day)
            if before:
                reminded += 1
                within += int((day - before[-1]).days <= REMINDER_EFFECT_DAYS)
        found.append(
            Payer(
                customer,
                len(paid),
                amount,
                (weighted / amount).quantize(TENTH, ROUND_HALF_UP),
                late,
                len(paid) >= 2 and late == len(paid),
                reminded,
                within,
                reminded > 0 and 2 * within >= reminded,
            )
        )
    return tuple(sorted(found, key=lambda p: (-p.average_days_late, p.customer.id)))


def _expected(
    assessment: Assessment, states: list[InvoiceState], payers: tuple[Payer, ...]
) -> tuple[tuple[tuple[date, Decimal], ...], Decimal]:
    as_of = assessment.as_of
    delay = {p.customer.id: p.average_days_late for p in payers}
    monday = as_of - timedelta(days=as_of.weekday())
    weeks = [monday + timedelta(weeks=n) for n in range(WEEKS)]
    amounts: dict[date, Decimal] = defaultdict(lambda: ZERO)
    later = ZERO
    items: list[tuple[date, Decimal]] = []
    for s in states:
        if s.balance <= 0 or s.invoice.is_credit_note or s.status in (Status.DISPUTED, Status.ON_HOLD):
            continue
        if s.status == Status.IN_PLAN:
            items += [(max(i.installment.due_date, as_of), i.balance) for i in s.installments if i.balance > 0]
            continue
        late = delay.get(s.invoice.customer_id, ZERO)
        day = s.invoice.due_date + timedelta(days=int(late.to_integral_value(ROUND_HALF_UP)))
        items.append((max(day, as_of), s.balance))
    for day, amount in items:
        week = day - timedelta(days=day.weekday())
        if week in weeks:
            amounts[week] += amount
        else:
            later += amount
    return tuple((w, amounts[w]) for w in weeks), later


def _reminder_results(
    assessment: Assessment, invoices: dict[str, Invoice], paid: dict[str, list[tuple[date, Decimal]]]
) -> tuple[StageResult, ...]:
    since = assessment.as_of - timedelta(days=WINDOW_DAYS)
    sent: dict[str, int] = defaultdict(int)
    reminded: dict[str, Decimal] = defaultdict(lambda: ZERO)
    within: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for entry in assessment.ledger.log:
        stage, number = stage_key(entry.action), entry.invoice.strip()
        if stage not in set(LADDER) or number not in invoices or not since < entry.date <= assessment.as_of:
            continue
        payments = paid.get(number, [])
        balance = invoices[number].amount - sum((a for d, a in payments if d <= entry.date), ZERO)
        if balance <= 0:
            continue
        end = min(entry.date + timedelta(days=REMINDER_EFFECT_DAYS), assessment.as_of)
        sent[stage] += 1
        reminded[stage] += balance
        within[stage] += min(sum((a for d, a in payments if entry.date < d <= end), ZERO), balance)
    return tuple(StageResult(s, sent[s], reminded[s], within[s]) for s in LADDER if sent[s])


def overview(assessment: Assessment) -> Overview:
    """Every figure of the overview as of the assessment's date (see the module notes)."""
    as_of, ledger = assessment.as_of, assessment.ledger
    states = [s for s in assessment.invoices if _counted(s)]
    invoices = [s.invoice for s in states]
    allocation = allocate(ledger, as_of, {s.invoice.number: s.reference for s in assessment.invoices})
    paid = {n: sorted(p) for n, p in allocation.by_invoice.items()}
    log_by_invoice: dict[str, list] = defaultdict(list)
    for entry in ledger.log:
        if entry.date <= as_of:
            log_by_invoice[entry.invoice.strip()].append(entry)
    payers = _payers(assessment, states, log_by_invoice)
    expected, later = _expected(assessment, states, payers)
    outstanding = sum((s.balance for s in states if s.is_open), ZERO)
    trend = tuple(
        (day, count_back_dso(_receivables(invoices, paid, day), invoices, day))
        for day in _months_back(as_of, TREND_MONTHS)
    )
    return Overview(
        as_of=as_of,
        outstanding=outstanding,
        overdue=sum((balance for s in states for days, balance in parts(s) if days > 0), ZERO),
        ageing=_ageing(states),
        dso=count_back_dso(_receivables(invoices, paid, as_of), invoices, as_of),
        dso_trend=trend,
        expected=expected,
        expected_later=later,
        payers=payers,
        reminders=_reminder_results(assessment, {i.number: i for i in invoices}, paid),
        written_off=tuple(s for s in assessment.invoices if s.status == Status.WRITTEN_OFF),
    )

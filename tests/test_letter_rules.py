"""Letters that hold up, day by day: each rule with a business (B2B) and a consumer (B2C) debtor.

Ledgers are built in code; each letter due on a day is logged with its record, as `remind` logs it, and
counts as sent only when its Sent date is filled in.
"""

import contextlib
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.domain import letters
from portal.domain.dunning import assess, pay_by
from portal.domain.law import RateMissing, b2c_grace_end
from portal.domain.ledger import Creditor, Customer, Invoice, Ledger, LogEntry, Payment
from portal.domain.scenarios import BUILTIN_STEPS
from portal.domain.stages import Status
from portal.render import i18n, reminders, templating

CREDITOR = Creditor(
    name="Atelier Test SRL",
    iban="BE71096123456769",
    enterprise_number="BE0403170701",
    email="compta@atelier-test.be",
    b2c_terms_allow_damages=True,
)
NUMBER = "2026-0001"
KINDS = ("B2B", "B2C")
MESSAGES = i18n.load_messages(templating.environment())


def book(kind: str, due: date, *, amount="1000.00", log=(), payments=(), creditor=CREDITOR) -> Ledger:
    return Ledger(
        creditor=creditor,
        customers=(Customer(id="C1", name="Client C1", kind=kind, language="fr", email="c1@example.be"),),
        invoices=(Invoice(NUMBER, "C1", due - timedelta(days=30), due, D(amount)),),
        payments=tuple(Payment(day, D(value), invoice=NUMBER) for day, value in payments),
        log=tuple(log),
        scenarios=BUILTIN_STEPS,
    )


def logged(ledger: Ledger, day: date, stage: str, *, sent: bool = True) -> LogEntry:
    """The Log row `remind` writes for the letter due on `day`: its record, and its Sent date once sent."""
    state = assess(ledger, day).invoice(NUMBER)
    record = reminders.letter_record(assess(ledger, day), state, stage)
    return LogEntry(
        date=day,
        action=stage,
        customer_id="C1",
        invoice=NUMBER,
        channel="email",
        sent_on=day if sent else None,
        letter=record.to_json(),
    )


def day_by_day(ledger: Ledger, first: date, last: date, *, send: bool = True) -> tuple[Ledger, list[LogEntry]]:
    day = first
    while day <= last:
        s = assess(ledger, day).invoice(NUMBER)
        if s.action_due and s.next_action:
            with contextlib.suppress(RateMissing):  # as `remind` does: the letter waits for the rate
                ledger = replace(ledger, log=(*ledger.log, logged(ledger, day, s.next_action, sent=send)))
        day += timedelta(days=1)
    return ledger, list(ledger.log)


# --- deadlines are kept -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_invoice_90_days_late_gets_each_stage_after_the_previous_deadline(kind):
    due = date(2026, 1, 5)
    start = due + timedelta(days=90)
    _, log = day_by_day(book(kind, due), start, start + timedelta(days=120))
    stages = [(e.date, e.action) for e in log]
    assert [s for _, s in stages] == ["reminder_1", "reminder_2", "formal_notice", "handover"]
    assert stages[0][0] == start
    for before, after in zip(log, log[1:]):
        record = letters.Letter.from_json(before.letter)
        assert (after.date - before.date).days >= 7  # the minimum gap
        if record.pay_by:
            assert after.date > record.pay_by  # never before the deadline the previous letter stated
    first = letters.Letter.from_json(log[0].letter)
    assert first.pay_by is not None  # reminder 1 states its own deadline
    if kind == "B2C":
        grace = b2c_grace_end(start, "email")
        assert first.pay_by == grace and log[1].date == grace + timedelta(days=1)
        assert first.notice is not None and first.notice.rate == D("10.5") and first.notice.fee == D("90.00")
        assert first.notice.legal_rate  # the legal maximum was announced: it follows each semester's rate
    else:
        assert first.pay_by == date(2026, 4, 13) and log[1].date == date(2026, 4, 14)  # 7 days, Easter Monday
        assert first.notice is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_draft_never_sent_holds_the_ladder_and_starts_no_period(kind):
    due = date(2026, 1, 5)
    ledger, log = day_by_day(book(kind, due), due + timedelta(days=1), due + timedelta(days=150), send=False)
    assert [e.action for e in log] == ["reminder_1"]  # prepared once, never again, nothing after it
    s = assess(ledger, due + timedelta(days=150)).invoice(NUMBER)
    assert (s.stage, s.next_action, s.action_due) == ("", "", False)
    assert s.reason[0].key == "stage_prepared"
    if kind == "B2C":
        assert s.claim.interest == 0 and s.claim.flat_fee == 0  # no first reminder went out: no consumer charges
    # once the user fills in the Sent date (sent by post a week later), the ladder goes on from that day
    posted = replace(log[0], sent_on=log[0].date + timedelta(days=7), channel="post")
    ledger = replace(ledger, log=(posted,))
    s = assess(ledger, posted.sent_on + timedelta(days=30)).invoice(NUMBER)
    assert s.stage == "reminder_1" and s.next_action == "reminder_2"
    if kind == "B2C":  # the 14 days start on the 3rd working day after posting
        assert s.next_action_date == b2c_grace_end(posted.sent_on, "post") + timedelta(days=1)


# --- rate periods -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_a_claim_across_a_rate_change_prints_one_line_per_period(kind):
    due = date(2025, 6, 10)  # 2025 H1 11.5 %, H2 10.5 %: the formal notice comes in July
    ledger, log = day_by_day(book(kind, due), due + timedelta(days=1), date(2025, 8, 31))
    notice = next(e for e in log if e.action == "formal_notice")
    record = letters.Letter.from_json(notice.letter)
    rates = [s.rate for s in record.claim.interest_detail.segments]
    assert notice.date > date(2025, 7, 1) and rates == [D("11.5"), D("10.5")]
    state = assess(ledger, notice.date).invoice(NUMBER)
    f = i18n.formatter("fr", "BE", MESSAGES)
    context = reminders.reminder_context(
        assess(ledger, notice.date), state, "formal_notice", f, "https://x", letter=record
    )
    text = reminders.render_reminder("formal_notice", "fr", context).text
    lines = [line for line in text.splitlines() if line.startswith("- Intérêts de retard du")]
    assert len(lines) == len(rates)
    assert all(f.percent(rate) in line for rate, line in zip(rates, lines))


def test_a_period_beyond_the_rate_table_refuses_the_formal_notice():
    due = date(2026, 6, 10)  # the formal notice would come in July 2026, past the last known semester
    ledger, log = day_by_day(book("B2B", due), due + timedelta(days=1), date(2026, 8, 31))
    assert [e.action for e in log] == ["reminder_1", "reminder_2"]
    assert "formal_notice" not in [e.action for e in log]
    s = assess(ledger, date(2026, 8, 31)).invoice(NUMBER)
    assert s.claim is None and any(p.key == "no_rate" and "2026 H2" in dict(p.params)["why"] for p in s.reason)
    with pytest.raises(ValueError, match="No interest rate known for 2026 H2"):
        reminders.letter_record(assess(ledger, date(2026, 8, 31)), s, "formal_notice")


# --- what was announced caps the claim ----------------------------------------------------------------------------


def test_a_consumer_is_claimed_what_the_first_reminder_announced_never_more():
    terms = replace(CREDITOR, b2c_interest_rate=D("6"), b2c_fixed_compensation=D("25.00"))
    due = date(2026, 1, 5)
    ledger, log = day_by_day(book("B2C", due, creditor=terms), due + timedelta(days=1), date(2026, 3, 20))
    first = letters.Letter.from_json(log[0].letter)
    assert (first.notice.rate, first.notice.fee) == (D("6"), D("25.00"))
    # the terms change afterwards: the claim still uses what the first reminder announced
    later = replace(ledger, creditor=replace(terms, b2c_interest_rate=D("10"), b2c_fixed_compensation=D("80.00")))
    claim = assess(later, date(2026, 3, 20)).invoice(NUMBER).claim
    assert {s.rate for s in claim.interest_detail.segments} == {D("6")} and claim.flat_fee == D("25.00")


def test_no_consumer_charges_without_the_enterprise_number():
    creditor = replace(CREDITOR, enterprise_number="")
    due = date(2026, 1, 5)
    ledger, log = day_by_day(book("B2C", due, creditor=creditor), due + timedelta(days=1), date(2026, 3, 20))
    assert letters.Letter.from_json(log[0].letter).notice == letters.Notice(
        b2c_grace_end(log[0].date, "email"), None, None
    )
    claim = assess(ledger, date(2026, 3, 20)).invoice(NUMBER).claim
    assert (claim.interest, claim.flat_fee) == (D("0.00"), D("0.00"))


# --- payments after a claim -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_paying_the_principal_only_after_a_formal_notice_is_partly_paid(kind):
    due = date(2026, 1, 5)
    ledger, log = day_by_day(book(kind, due), due + timedelta(days=1), date(2026, 3, 31))
    notice = next(e for e in log if e.action == "formal_notice")
    claimed = letters.Letter.from_json(notice.letter).claim
    paid_on = notice.date + timedelta(days=3)
    ledger = replace(ledger, payments=(Payment(paid_on, D("1000.00"), invoice=NUMBER),))
    s = assess(ledger, paid_on + timedelta(days=1)).invoice(NUMBER)
    assert s.status == Status.PARTLY_PAID and s.next_action != "thank_you"
    # the payment settled the fixed compensation and the interest first: that much principal is left
    extras = claimed.flat_fee + claimed.interest
    assert extras > 0
    assert s.balance >= extras and s.balance - extras < D("1.00")  # plus three days' interest on the rest
    assert s.claim.principal == s.balance and s.claim.total == s.balance + s.claim.interest + s.claim.flat_fee
    assert s.claim.flat_fee == 0 and s.claim.interest < D("1.00")
    # paying what was left then is a full payment, confirmed neutrally
    rest = s.claim.total
    settled = replace(ledger, payments=(*ledger.payments, Payment(paid_on + timedelta(days=1), rest, invoice=NUMBER)))
    after = assess(settled, paid_on + timedelta(days=2)).invoice(NUMBER)
    assert after.status == Status.PAID and after.next_action == "thank_you"
    record = reminders.letter_record(assess(settled, paid_on + timedelta(days=2)), after, "thank_you")
    assert record.after_claim


def test_waiving_the_extras_lets_payments_settle_the_principal():
    creditor = replace(CREDITOR, waive_extras=True)
    due = date(2026, 1, 5)
    ledger, log = day_by_day(book("B2B", due, creditor=creditor), due + timedelta(days=1), date(2026, 3, 31))
    notice = next(e for e in log if e.action == "formal_notice")
    assert letters.Letter.from_json(notice.letter).claim is None
    ledger = replace(ledger, payments=(Payment(notice.date + timedelta(days=3), D("1000.00"), invoice=NUMBER),))
    s = assess(ledger, notice.date + timedelta(days=4)).invoice(NUMBER)
    assert s.status == Status.PAID and s.claim is None


@pytest.mark.parametrize("kind", KINDS)
def test_no_thank_you_beyond_the_cut_off(kind):
    due = date(2026, 1, 5)
    ledger, _ = day_by_day(book(kind, due), due + timedelta(days=1), due + timedelta(days=5))
    ledger = replace(ledger, payments=(Payment(due + timedelta(days=6), D("1000.00"), invoice=NUMBER),))
    assert assess(ledger, due + timedelta(days=36)).invoice(NUMBER).next_action == "thank_you"
    assert assess(ledger, due + timedelta(days=37)).invoice(NUMBER).next_action == ""


def test_pay_by_for_a_consumer_follows_the_channel():
    assert pay_by("reminder_1", date(2026, 3, 2), "BE", consumer=True) == date(2026, 3, 16)
    assert pay_by("reminder_1", date(2026, 3, 2), "BE", consumer=True, channel="post") == b2c_grace_end(
        date(2026, 3, 2), "post"
    )

"""Dunning: what each invoice needs on a given day. Ledgers are built in code; the sample is read from disk."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal as D
from pathlib import Path

import pytest

from portal.app import load
from portal.codes import payment
from portal.domain.dunning import assess, pay_by
from portal.domain.ledger import Creditor, Customer, Installment, Invoice, Ledger, LogEntry, Payment
from portal.domain.references import customer_reference, installment_reference
from portal.domain.scenarios import BUILTIN_STEPS
from portal.domain.stages import Status
from portal.render import i18n, templating
from portal.render.workbook_text import describe
from portal.workbook import sample
from portal.workbook.file import FileWorkbook

SAMPLE = Path(__file__).resolve().parent.parent / "workbook" / "sample.xlsx"
CREDITOR = Creditor(name="Atelier Test SRL", iban="BE71096123456769")
DUE = date(2026, 3, 2)  # a Monday
NUMBER = "2026-0001"
REF = payment.reference_for("ogm", NUMBER)  # what the invoice's page asks the debtor to quote


def days(n: int) -> date:
    return DUE + timedelta(days=n)


def customer(id="C1", **kw) -> Customer:
    return Customer(id=id, name=f"Client {id}", **kw)


def invoice(number=NUMBER, **kw) -> Invoice:
    fields = {"customer_id": "C1", "issue_date": days(-30), "due_date": DUE, "amount": D("1000.00"), **kw}
    return Invoice(number=number, **fields)


def paid(day: date, amount: str, invoice=NUMBER, reference="") -> Payment:
    return Payment(date=day, amount=D(amount), invoice=invoice, reference=reference)


def sent(day: date, action: str, invoice=NUMBER, channel="email") -> LogEntry:
    return LogEntry(date=day, action=action, customer_id="C1", invoice=invoice, channel=channel)


def ledger(*invoices: Invoice, customers=None, payments=(), log=(), installments=(), creditor=CREDITOR) -> Ledger:
    return Ledger(
        creditor=creditor,
        customers=tuple(customers or (customer(),)),
        invoices=invoices or (invoice(),),
        payments=tuple(payments),
        installments=tuple(installments),
        log=tuple(log),
        scenarios=BUILTIN_STEPS,
    )


ENGLISH = i18n.formatter("en", "BE", i18n.load_messages(templating.environment()))


def said(s) -> str:
    """The reason as Refresh writes it into an English workbook."""
    return describe(s.reason, ENGLISH)


def state(book: Ledger, as_of: date, number=NUMBER):
    return assess(book, as_of).invoice(number)


# --- the ladder, day by day ------------------------------------------------------------------------------------


def send_day_by_day(book: Ledger, first: date, last: date, silent_until: date | None = None) -> list[tuple[date, str]]:
    """Assess every day and send (log) whatever is due that day, except before `silent_until`."""
    log: list[LogEntry] = []
    day = first
    while day <= last:
        s = state(replace(book, log=tuple(log)), day)
        if s.action_due and s.next_action and (silent_until is None or day >= silent_until):
            log.append(sent(day, s.next_action))
        day += timedelta(days=1)
    return [(entry.date, entry.action) for entry in log]


def test_timeline_sends_each_stage_once_on_its_day():
    history = send_day_by_day(ledger(), days(-30), days(120))
    assert history == [
        (days(-3), "nudge"),
        (days(3), "reminder_1"),
        (days(14), "reminder_2"),
        (days(30), "formal_notice"),
        (days(60), "handover"),
    ]


def test_timeline_after_40_silent_days_catches_up_one_stage_at_a_time():
    history = send_day_by_day(ledger(), days(-30), days(120), silent_until=days(40))
    assert history == [
        (date(2026, 4, 11), "reminder_1"),  # due + 40: the missed nudge is dropped, reminder 1 comes first
        # reminder 1 gave 7 days: Saturday 18 April, so to Monday 20 April; reminder 2 the day after
        (date(2026, 4, 21), "reminder_2"),
        # reminder 2 asked payment within 5 business days (22-28 Apr)
        (date(2026, 4, 29), "formal_notice"),
        # the formal notice gave 15 days: 14 May is Ascension Day, so the term ends Friday 15 May
        (date(2026, 5, 16), "handover"),
    ]
    assert len({d for d, _ in history}) == len(history)


# --- statuses ------------------------------------------------------------------------------------------------------

STATUS_CASES = [
    # id, invoice fields, ledger extras, as_of, status
    ("not_due", {}, {}, days(-8), "not_due"),
    ("due_soon_7_days", {}, {}, days(-7), "due_soon"),
    ("due_soon_on_due_date", {}, {}, DUE, "due_soon"),
    ("overdue", {}, {}, days(1), "overdue"),
    ("payment_after_as_of_ignored", {}, {"payments": [paid(days(2), "1000.00")]}, days(1), "overdue"),
    ("partly_paid_late", {}, {"payments": [paid(days(-1), "400.00")]}, days(5), "partly_paid"),
    ("partly_paid_before_due", {}, {"payments": [paid(days(-20), "400.00")]}, days(-10), "partly_paid"),
    ("paid", {}, {"payments": [paid(days(1), "1000.00")]}, days(5), "paid"),
    ("overpaid_is_credit", {}, {"payments": [paid(days(1), "1200.00")]}, days(5), "credit"),
    ("credit_note", {"kind": "credit note", "amount": D("-150.00")}, {}, days(5), "credit"),
    (
        "written_off_wins",
        {"written_off": True, "disputed": True},
        {"payments": [paid(days(1), "100.00")]},
        days(5),
        "written_off",
    ),
    ("paid_beats_disputed", {"disputed": True}, {"payments": [paid(days(1), "1000.00")]}, days(5), "paid"),
    ("disputed_beats_on_hold", {"disputed": True, "on_hold": True}, {}, days(5), "disputed"),
    ("on_hold_invoice", {"on_hold": True}, {}, days(5), "on_hold"),
    ("on_hold_customer", {}, {"customers": [customer(on_hold=True)]}, days(5), "on_hold"),
    (
        "on_hold_beats_plan",
        {"on_hold": True},
        {"installments": [Installment(1, days(10), D("1000.00"), NUMBER)]},
        days(5),
        "on_hold",
    ),
    ("in_plan", {}, {"installments": [Installment(1, days(10), D("1000.00"), NUMBER)]}, days(5), "in_plan"),
    (
        "in_plan_with_late_installment",
        {},
        {"installments": [Installment(1, days(10), D("1000.00"), NUMBER)]},
        days(30),
        "in_plan",
    ),
    (
        "plan_beats_partly_paid",
        {},
        {"payments": [paid(days(1), "100.00")], "installments": [Installment(1, days(10), D("1000.00"), NUMBER)]},
        days(5),
        "in_plan",
    ),
]


@pytest.mark.parametrize(
    "fields, extras, as_of, status", [c[1:] for c in STATUS_CASES], ids=[c[0] for c in STATUS_CASES]
)
def test_status_precedence(fields, extras, as_of, status):
    s = state(ledger(invoice(**fields), **extras), as_of)
    assert s.status == status and status in set(Status)


def test_due_on_a_saturday_is_late_from_the_day_after():
    saturday = date(2026, 3, 7)
    book = ledger(invoice(due_date=saturday))
    assert (state(book, saturday).status, state(book, date(2026, 3, 9)).days_overdue) == ("due_soon", 2)
    assert state(book, date(2026, 3, 9)).status == "overdue"


# --- next action ------------------------------------------------------------------------------------------------

NEXT_CASES = [
    # id, ledger, as_of, next action, its date, action due, words of the reason
    ("nudge_ahead", ledger(), days(-20), "nudge", days(-3), False, "Friendly reminder on 27/02/2026: due in 20 d"),
    ("nudge_today", ledger(), days(-3), "nudge", days(-3), True, "Friendly reminder due: due in 3 d; nothing sent yet"),
    ("missed_nudge_dropped_on_due_date", ledger(), DUE, "reminder_1", days(3), False, "Reminder 1 on 05/03/2026"),
    (
        "reminder_1_after_nudge",
        ledger(log=[sent(days(-3), "nudge")]),
        days(1),
        "reminder_1",
        days(3),
        False,
        "Friendly reminder sent on 27/02/2026",
    ),
    (
        "never_skip_to_formal_notice",
        ledger(),
        days(40),
        "reminder_1",
        days(3),
        True,
        "Reminder 1 due: 40 d overdue; nothing sent yet",
    ),
    (
        "late_reminder_1_then_its_deadline",  # reminder 1 gave 7 days: to Monday 13 April, so the 14th
        ledger(log=[sent(days(35), "reminder_1")]),
        days(35),
        "reminder_2",
        days(43),
        False,
        "Reminder 1 sent on 06/04/2026",
    ),
    (
        "on_schedule",
        ledger(log=[sent(days(14), "reminder_2")]),
        days(20),
        "formal_notice",
        days(30),
        False,
        "Formal notice on 01/04/2026",
    ),
    (
        "log_actions_normalised",
        ledger(log=[sent(days(3), "Reminder 1"), sent(days(14), "reminder-2")]),
        days(20),
        "formal_notice",
        days(30),
        False,
        "Reminder 2 sent on 16/03/2026",
    ),
    (
        "log_of_other_invoice_or_future_ignored",
        ledger(log=[sent(days(3), "reminder_1", invoice="2026-0099"), sent(days(30), "reminder_1")]),
        days(10),
        "reminder_1",
        days(3),
        True,
        "nothing sent yet",
    ),
    (
        "sheet_last_reminder_spaces_next",
        ledger(invoice(last_reminder=days(9))),
        days(9),
        "reminder_1",
        days(16),  # the minimum gap of 7 days
        False,
        "Reminder 1 on 18/03/2026",
    ),
    (
        "after_handover_nothing",
        ledger(log=[sent(days(60), "handover")]),
        days(90),
        "",
        None,
        False,
        "Handover to collection sent on 01/05/2026: no further stage",
    ),
    (
        "paid_without_reminder",
        ledger(payments=[paid(days(-1), "1000.00")], log=[sent(days(-3), "nudge")]),
        days(5),
        "",
        None,
        False,
        "Paid on 01/03/2026",
    ),
    ("written_off", ledger(invoice(written_off=True)), days(40), "", None, False, "Written off"),
    (
        "credit_note",
        ledger(invoice(kind="credit note", amount=D("-150.00"))),
        days(40),
        "",
        None,
        False,
        "Credit note: €150.00 owed to the customer",
    ),
    ("overpaid", ledger(payments=[paid(days(1), "1200.00")]), days(4), "", None, False, "overpaid by €200.00"),
    ("disputed", ledger(invoice(disputed=True)), days(40), "", None, False, "Disputed"),
    (
        "on_hold_customer",
        ledger(customers=[customer(on_hold=True, hold_reason="Paying by phone")]),
        days(40),
        "",
        None,
        False,
        "On hold (customer: Paying by phone)",
    ),
    (
        "no_ladder_for_scenario",
        ledger(customers=[customer(scenario="nope")], creditor=replace(CREDITOR, default_scenario="nope")),
        days(40),
        "",
        None,
        False,
        "No reminder ladder",
    ),
]


@pytest.mark.parametrize(
    "book, as_of, action, day, due, reason", [c[1:] for c in NEXT_CASES], ids=[c[0] for c in NEXT_CASES]
)
def test_next_action(book, as_of, action, day, due, reason):
    s = state(book, as_of)
    assert (s.next_action, s.next_action_date, s.action_due) == (action, day, due)
    assert reason in said(s)
    assert (s in assess(book, as_of).due_actions()) == due


FRENCH = i18n.formatter("fr", "BE", i18n.load_messages(templating.environment()))


def test_a_stage_sent_or_prepared_reads_right_in_french_whatever_the_gender_of_its_name():
    notice = ledger(log=[sent(days(30), "formal_notice")])
    assert describe(state(notice, days(35)).reason, FRENCH).endswith("; Mise en demeure (envoi le 01/04/2026)")
    reminder = ledger(log=[sent(days(14), "reminder_2")])
    assert describe(state(reminder, days(50)).reason, FRENCH).endswith("; Rappel 2 (envoi le 16/03/2026)")
    draft = LogEntry(date=days(30), action="formal_notice", customer_id="C1", invoice=NUMBER, letter="{}")
    assert describe(state(ledger(log=[draft]), days(35)).reason, FRENCH).startswith(
        "Mise en demeure (préparation le 01/04/2026) en attente d'envoi : faites l'envoi"
    )


def test_stage_and_last_reminder_come_from_the_log():
    s = state(
        ledger(
            invoice(last_reminder=days(1)),
            log=[sent(days(14), "reminder_2"), sent(days(3), "reminder_1"), sent(days(16), "note: called them")],
        ),
        days(20),
    )
    assert (s.stage, s.last_reminder) == ("reminder_2", days(14))
    assert state(ledger(invoice(last_reminder=days(1))), days(20)).last_reminder == days(1)


def test_customer_scenario_chooses_the_ladder():
    s = state(ledger(customers=[customer(scenario="strict")]), days(2))  # strict: reminder 1 at due + 1
    assert (s.scenario, s.next_action, s.next_action_date) == ("strict", "reminder_1", days(1))
    assert state(ledger(), days(2)).scenario == "standard"


# --- payments -----------------------------------------------------------------------------------------------------


def test_partial_then_full_payment_thanks_only_after_a_reminder():
    reminded = [sent(days(3), "reminder_1")]
    partial = ledger(payments=[paid(days(5), "400.00")], log=reminded)
    s = state(partial, days(20))
    assert (s.status, s.paid, s.balance, s.paid_on, s.next_action) == (
        "partly_paid",
        D("400.00"),
        D("600.00"),
        None,
        "reminder_2",
    )
    full = replace(partial, payments=partial.payments + (paid(days(18), "600.00"),))
    s = state(full, days(20))
    assert (s.status, s.balance, s.paid_on) == ("paid", D("0.00"), days(18))
    assert (s.next_action, s.next_action_date, s.action_due) == ("thank_you", days(18), True)
    thanked = replace(full, log=full.log + (sent(days(20), "Thank you"),))
    assert state(thanked, days(21)).next_action == ""
    not_reminded = replace(full, log=(sent(days(-3), "nudge"),))
    assert state(not_reminded, days(20)).next_action == ""


def test_payment_after_a_reminder_stops_the_ladder():
    book = ledger(payments=[paid(days(5), "1000.00")], log=[sent(days(3), "reminder_1")])
    s = state(book, days(35))
    assert (s.status, s.next_action, s.next_action_date, s.claim) == ("paid", "thank_you", days(5), None)
    assert "after Reminder 1" in said(s)
    # 31 days after the payment, a thank-you would come too late: none
    assert (state(book, days(36)).status, state(book, days(36)).next_action) == ("paid", "")


@pytest.mark.parametrize("reference", [payment.ogm.format(REF), REF, "+++" + REF[:3] + "/" + REF[3:7] + "/" + REF[7:]])
def test_payment_by_invoice_reference_without_invoice_column(reference):
    s = state(ledger(payments=[paid(days(1), "1000.00", invoice="", reference=reference)]), days(5))
    assert (s.reference, s.status) == (REF, "paid")


def test_typed_reference_is_the_one_matched():
    rf = payment.rf.generate("ABC123")
    book = ledger(
        invoice(reference=payment.rf.format(rf)),
        payments=[
            paid(days(1), "1000.00", invoice="", reference=payment.rf.format(rf)),
            paid(days(1), "5.00", invoice="", reference=REF),
        ],
    )
    a = assess(book, days(5))
    assert (a.invoice(NUMBER).reference, a.invoice(NUMBER).status) == (rf, "paid")
    assert [u.payment.amount for u in a.unmatched_payments] == [D("5.00")]


def test_unmatched_payments_are_listed():
    book = ledger(
        payments=[
            paid(days(1), "10.00", invoice="", reference="+++090/9337/55494+++"),  # bad check digits
            paid(days(1), "20.00", invoice="", reference="thanks for the lovely work"),
            paid(days(1), "30.00", invoice="9999", reference=""),
        ]
    )
    a = assess(book, days(5))
    assert [u.payment.amount for u in a.unmatched_payments] == [D("10.00"), D("20.00"), D("30.00")]
    assert [u.reason for u in a.unmatched_payments] == [
        "its reference '+++090/9337/55494+++' is not a valid structured communication or RF reference",
        "its reference 'thanks for the lovely work' is not a valid structured communication or RF reference",
        "it names invoice '9999', which is not in the Invoices table",
    ]
    assert a.invoice(NUMBER).paid == 0


def by_payer(day: date, amount: str, iban: str, invoice: str = "") -> Payment:
    return Payment(day, D(amount), counterparty="Client SA", counterparty_iban=iban, invoice=invoice)


def test_a_known_payer_iban_settles_its_customers_invoices():
    iban = "BE68 5390 0754 7034"
    book = ledger(
        invoice("A", due_date=days(0), amount=D("300.00")),
        invoice("B", due_date=days(10), amount=D("250.00")),
        invoice("X", customer_id="C2", amount=D("200.00")),
        customers=[customer(), customer("C2")],
        payments=[
            by_payer(days(1), "100.00", "BE68539007547034", invoice="A"),  # teaches the IBAN
            by_payer(days(2), "250.00", iban),  # exactly B's amount: B, though A is older
            by_payer(days(3), "50.00", iban),  # no exact match: the oldest open item
            by_payer(days(3), "70.00", "BE71096123456769"),  # never seen: unmatched
        ],
    )
    a = assess(book, days(5))
    assert [(n, a.invoice(n).paid) for n in "ABX"] == [("A", D("150.00")), ("B", D("250.00")), ("X", 0)]
    assert [(u.payment.amount, u.reason) for u in a.unmatched_payments] == [
        (D("70.00"), "it names no invoice, carries no reference and comes from an IBAN not seen before")
    ]


def test_an_iban_that_paid_two_customers_matches_neither():
    iban = "BE68539007547034"
    book = ledger(
        invoice("A", amount=D("300.00")),
        invoice("X", customer_id="C2", amount=D("200.00")),
        customers=[customer(), customer("C2")],
        payments=[
            by_payer(days(1), "10.00", iban, "A"),
            by_payer(days(1), "10.00", iban, "X"),
            by_payer(days(2), "5.00", iban),
        ],
    )
    a = assess(book, days(5))
    assert [u.reason for u in a.unmatched_payments] == ["its payer's IBAN paid invoices of several customers"]


def test_customer_reference_spreads_oldest_due_first():
    book = ledger(
        invoice("A", due_date=days(20), amount=D("300.00")),
        invoice("B", due_date=days(0), amount=D("200.00")),
        invoice("C", due_date=days(10), amount=D("500.00")),
        invoice("D", due_date=days(-5), amount=D("999.00"), disputed=True),
        payments=[paid(days(1), "450.00", invoice="", reference=customer_reference(ledger(), "C1"))],
    )
    a = assess(book, days(1))
    assert [(n, a.invoice(n).paid) for n in "BCAD"] == [("B", D("200.00")), ("C", D("250.00")), ("A", 0), ("D", 0)]
    assert a.customer("C1").reference == customer_reference(book, "C1")


def test_customer_reference_surplus_stays_as_credit_and_nothing_open_is_unmatched():
    ref = customer_reference(ledger(), "C1")
    book = ledger(
        invoice("A", amount=D("100.00")),
        invoice("B", due_date=days(5), amount=D("100.00")),
        payments=[paid(days(1), "250.00", invoice="", reference=ref)],
    )
    a = assess(book, days(2))
    assert [(s.status, s.balance) for s in a.invoices] == [("paid", 0), ("credit", D("-50.00"))]
    later = replace(book, payments=book.payments + (paid(days(3), "10.00", invoice="", reference=ref),))
    assert [u.payment.amount for u in assess(later, days(4)).unmatched_payments] == [D("10.00")]


# --- payment plans ------------------------------------------------------------------------------------------------

PLAN = [
    Installment(1, days(10), D("1000.00"), NUMBER),
    Installment(2, days(40), D("1000.00"), NUMBER),
    Installment(3, days(70), D("1000.00"), NUMBER),
]


def plan_ledger(payments=(), log=()) -> Ledger:
    return ledger(invoice(amount=D("3000.00")), installments=PLAN, payments=payments, log=log)


def test_plan_with_a_late_installment_reminds_that_installment_only():
    book = plan_ledger(payments=[paid(days(9), "1000.00")])
    a = assess(book, days(45))
    s = a.invoice(NUMBER)
    assert (s.status, s.next_action, s.claim) == ("in_plan", "", None)
    assert "installment 2 5 d overdue" in said(s)
    first, second, third = s.installments
    assert (first.paid, first.late, first.next_action) == (D("1000.00"), False, "")
    assert (second.balance, second.late, second.days_overdue) == (D("1000.00"), True, 5)
    assert (second.next_action, second.next_action_date, second.action_due) == ("reminder_1", days(43), True)
    assert (third.late, third.next_action) == (False, "")
    assert s not in a.due_actions() and a.due_installment_actions() == [(s, second)]

    reminded = replace(book, log=(sent(days(43), "reminder_1", invoice=f"{NUMBER}/2"),))
    second = state(reminded, days(45)).installments[1]
    assert (second.stage, second.next_action, second.next_action_date) == ("reminder_1", "reminder_2", days(54))
    assert state(reminded, days(45)).stage == ""  # the invoice itself was never reminded


def test_plan_on_schedule():
    s = state(plan_ledger(payments=[paid(days(9), "1000.00")]), days(20))
    assert (s.status, s.next_action, said(s)) == (
        "in_plan",
        "",
        "Payment plan on schedule: installment 2 (€1,000.00) due on 11/04/2026",
    )
    assert not any(i.late for i in s.installments)


def test_installment_reference_pays_the_invoice_in_order():
    ref = installment_reference(ledger(), NUMBER, 2)
    s = state(plan_ledger(payments=[paid(days(9), "1500.00", invoice="", reference=ref)]), days(20))
    assert s.installments[1].reference == ref
    assert [i.paid for i in s.installments] == [D("1000.00"), D("500.00"), D("0")]


def test_down_payment_outside_the_plan_is_settled_first():
    book = ledger(
        invoice(amount=D("1000.00")),
        payments=[paid(days(-1), "200.00"), paid(days(9), "400.00")],
        installments=[Installment(1, days(10), D("400.00"), NUMBER), Installment(2, days(40), D("400.00"), NUMBER)],
    )
    assert [(i.paid, i.balance) for i in state(book, days(20)).installments] == [(D("400.00"), 0), (0, D("400.00"))]


# --- deadlines ------------------------------------------------------------------------------------------------------

PAY_BY_CASES = [
    ("reminder_2", date(2026, 3, 2), "BE", date(2026, 3, 9)),  # Mon + 5 business days
    ("reminder_2", date(2026, 12, 24), "BE", date(2027, 1, 4)),  # skips 25 Dec, 1 Jan and two weekends
    ("reminder_2", date(2026, 7, 13), "BE", date(2026, 7, 20)),  # 21 July is after the 5th day
    ("reminder_2", date(2026, 7, 13), "FR", date(2026, 7, 21)),  # 14 juillet skipped
    ("Reminder 2", date(2026, 3, 2), "BE", date(2026, 3, 9)),
    ("formal_notice", date(2026, 3, 2), "BE", date(2026, 3, 17)),  # 15 calendar days
    ("formal_notice", date(2026, 4, 18), "BE", date(2026, 5, 4)),  # 3 May is a Sunday
    ("formal_notice", date(2026, 7, 6), "BE", date(2026, 7, 22)),  # 21 July, national day
    ("nudge", date(2026, 3, 2), "BE", None),
    ("reminder_1", date(2026, 3, 2), "BE", date(2026, 3, 9)),  # the minimum gap, 7 days
    ("reminder_1", date(2026, 3, 28), "BE", date(2026, 4, 7)),  # Sat 4 April, Easter Monday: Tuesday
    ("handover", date(2026, 3, 2), "BE", None),
]


@pytest.mark.parametrize("stage, sent_on, country, deadline", PAY_BY_CASES)
def test_pay_by(stage, sent_on, country, deadline):
    assert pay_by(stage, sent_on, country) == deadline


# --- claim and discount ---------------------------------------------------------------------------------------------


def test_claim_for_an_overdue_b2b_invoice_on_its_balance():
    s = state(ledger(payments=[paid(days(1), "400.00")]), days(31))
    assert (s.claim.basis, s.claim.principal, s.claim.flat_fee) == ("be_b2b", D("600.00"), D("40.00"))
    assert s.claim.interest > 0 and s.claim.from_day == days(1)


CLAIM_NONE_CASES = [
    ("not_yet_due", ledger(), DUE, ""),
    ("gbp", ledger(invoice(currency="GBP")), days(31), "no interest computed for GBP"),
    ("disputed", ledger(invoice(disputed=True)), days(31), ""),
    ("written_off", ledger(invoice(written_off=True)), days(31), ""),
    ("paid", ledger(payments=[paid(days(1), "1000.00")]), days(31), ""),
    ("credit_note", ledger(invoice(kind="credit note", amount=D("-150.00"))), days(31), ""),
    (
        "before_the_rate_table",
        ledger(invoice(issue_date=date(2021, 5, 1), due_date=date(2021, 6, 1))),
        date(2021, 8, 1),
        "no formal notice or claim: No interest rate known for 2021 H1",
    ),
    (
        "contractual_without_rate",
        ledger(creditor=replace(CREDITOR, interest_rule="contractual")),
        days(31),
        "no interest computed: contractual_rate must be a Decimal",
    ),
    (
        "b2c_reminded_by_phone",
        ledger(
            customers=[customer(kind="B2C")],
            creditor=replace(CREDITOR, b2c_terms_allow_damages=True, enterprise_number="0403.170.701"),
            log=[sent(days(3), "reminder_1", channel="phone")],
        ),
        days(40),
        "no interest computed: unknown reminder channel 'phone'",
    ),
]


@pytest.mark.parametrize("book, as_of, note", [c[1:] for c in CLAIM_NONE_CASES], ids=[c[0] for c in CLAIM_NONE_CASES])
def test_no_claim(book, as_of, note):
    s = state(book, as_of)
    assert s.claim is None
    assert note in said(s)


def test_b2c_claim_uses_the_first_reminder_from_the_log():
    book = ledger(
        customers=[customer(kind="B2C")],
        creditor=replace(CREDITOR, b2c_terms_allow_damages=True, enterprise_number="0403.170.701"),
        log=[sent(days(3), "reminder_1", channel="letter")],
    )
    s = state(book, days(40))
    assert s.claim.basis == "be_b2c" and s.claim.from_day > days(3) + timedelta(days=14)


DISCOUNT_CASES = [
    # id, amount, payments, as_of, discount (2 % until due - 20)
    ("before_its_date", "1000.00", [], days(-25), D("980.00")),
    ("on_its_date", "1000.00", [], days(-20), D("980.00")),
    ("after_its_date", "1000.00", [], days(-19), None),
    ("after_a_payment", "1000.00", [paid(days(-29), "100.00")], days(-25), None),
    ("rounded_half_up", "100.25", [], days(-25), D("98.25")),  # 98.245
]


@pytest.mark.parametrize(
    "amount, payments, as_of, discount", [c[1:] for c in DISCOUNT_CASES], ids=[c[0] for c in DISCOUNT_CASES]
)
def test_discount(amount, payments, as_of, discount):
    book = ledger(invoice(amount=D(amount), discount_pct=D("2"), discount_date=days(-20)), payments=payments)
    assert state(book, as_of).discount == discount


# --- customers --------------------------------------------------------------------------------------------------------


def test_customer_statement_lists_open_items_oldest_due_first():
    book = ledger(
        invoice("A", due_date=days(20), amount=D("300.00")),
        invoice("B", due_date=days(0), amount=D("200.00")),
        invoice("CN", due_date=days(5), amount=D("-50.00"), kind="credit note"),
        invoice("P", due_date=days(-10), amount=D("70.00")),
        invoice("W", due_date=days(-20), amount=D("80.00"), written_off=True),
        invoice("G", due_date=days(1), amount=D("40.00"), currency="GBP"),
        invoice("X", customer_id="C2", amount=D("1.00")),
        customers=[customer(), customer("C2"), customer("C3")],
        payments=[paid(days(-10), "70.00", invoice="P")],
    )
    a = assess(book, days(1))
    c1 = a.customer("C1")
    assert [s.invoice.number for s in c1.invoices] == ["B", "G", "CN", "A"]
    assert (c1.total, c1.other_currencies) == (D("450.00"), (("GBP", D("40.00")),))
    assert [c.customer.id for c in a.customers] == ["C1", "C2", "C3"]
    assert (a.customer("C3").invoices, a.customer("C3").total) == ((), 0)
    with pytest.raises(KeyError):
        a.customer("C9")


def test_assess_is_pure():
    book = ledger(payments=[paid(days(1), "400.00")], log=[sent(days(3), "reminder_1")])
    assert assess(book, days(20)) == assess(book, days(20))


# --- the sample workbook ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_assessment():
    book = load.load(FileWorkbook(SAMPLE)).ledger
    return assess(book, sample.AS_OF)


def test_sample_shows_every_status(sample_assessment):
    assert {s.status for s in sample_assessment.invoices} == set(Status)


@pytest.mark.parametrize("stage", ["nudge", "reminder_1", "reminder_2", "formal_notice", "handover"])
def test_sample_shows_every_stage(sample_assessment, stage):
    assert any(stage in (s.next_action, s.stage) for s in sample_assessment.invoices)


def test_sample_shows_a_thank_you(sample_assessment):
    assert any(s.next_action == "thank_you" for s in sample_assessment.invoices)


def test_sample_has_due_actions_and_consistent_states(sample_assessment):
    a = sample_assessment
    assert a.due_actions() and not a.unmatched_payments
    for s in a.invoices:
        assert s.balance == s.invoice.amount - s.paid
        assert s.action_due == (s.next_action_date is not None and s.next_action_date <= a.as_of)
        assert (s.next_action == "") == (s.next_action_date is None)
        assert s.reason
    assert a.invoice("2026-0149").claim is None  # the GBP invoice
    assert a.invoice("2026-0148").discount is not None


def test_a_consumer_is_claimed_the_statutory_rate_the_first_reminder_announced_though_it_rose_since():
    """The first reminder of 5 June 2023 announced 10.5 %; from 1 July 2023 the statutory rate was 12 %, which
    the consumer was never told: the claim holds to 10.5 % (Book XIX: what is claimed is what was announced)."""
    from portal.domain import letters

    notice = letters.Notice(grace_end=date(2023, 6, 19), rate=D("10.5"), fee=D("30.00"), legal_rate=True)
    record = letters.Letter("reminder_1", date(2023, 6, 5), date(2023, 6, 19), D("500.00"), D("0"), notice=notice)
    ledger = Ledger(
        creditor=Creditor(
            name="Atelier",
            iban="BE71096123456769",
            enterprise_number="0403.170.701",
            b2c_terms_allow_damages=True,
            interest_rule="legal",
        ),
        customers=(Customer("C1", "Lena Hoffmann", kind="B2C"),),
        invoices=(Invoice("1", "C1", date(2023, 5, 1), date(2023, 5, 31), D("500.00")),),
        log=(
            LogEntry(
                date(2023, 6, 5), "reminder_1", "C1", "1", "email", sent_on=date(2023, 6, 5), letter=record.to_json()
            ),
        ),
    )
    claim = assess(ledger, date(2023, 9, 4)).invoice("1").claim
    assert claim is not None and claim.interest_detail is not None
    assert {segment.rate for segment in claim.interest_detail.segments} == {D("10.5")}

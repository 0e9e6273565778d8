"""Bank statements into the Payments table: camt.053 (.001.02, .001.08) and CODA, each matching rule, idempotence."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from portal.app import errors
from portal.app.import_bank import import_bank
from portal.app.load import assessed
from portal.codes.payment import rf
from portal.domain.allocation import allocate
from portal.imports import camt053, coda
from portal.imports.match import Outcome
from portal.workbook.file import FileWorkbook

from .bankfiles import Entry
from .bankfiles import camt053 as write_camt
from .bankfiles import coda as write_coda
from .conftest import column_letter, edit_workbook

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, 30)
GARAGE = "BE48001123456727"
STRANGER = "BE15001765432130"
PAYER = "BE64001111111152"
RF_2026_0021 = rf.generate("2026-0021")  # the Structured reference typed on invoice 2026-0021 by `workbook`

# Invoices of the sample (portal/workbook/sample.py, seeded): 2026-0006 Garage Marchal SA 515.90;
# 2026-0014 Drukkerij Vermeulen 1140.25; 2026-0021 Brussels Tech Hub SA 4364.36; 2026-0024 Restaurant
# Le Vieux Liège 868.21; 2026-0004 Northwind Consulting 247.82; 2026-0009 Lotte Claes 998.78;
# 2026-0019 Sophie Leclercq 364.68.
ENTRIES = [
    Entry("515.90", date(2026, 11, 2), "BNK-0001", ogm="002026000604", name="Garage Marchal SA", iban=GARAGE),
    Entry(
        "500.00",
        date(2026, 11, 3),
        "BNK-0002",
        text="Paiement +++002/0260/01412+++ acompte",
        name="Drukkerij Vermeulen",
    ),
    Entry("4364.36", date(2026, 11, 3), "BNK-0003", rf=RF_2026_0021, name="Brussels Tech Hub SA"),
    Entry("868.21", date(2026, 11, 4), "BNK-0004", text="Facture 2026-0024 merci", name="Le Vieux Liege"),
    Entry("300.00", date(2026, 11, 5), "BNK-0005", ogm="002026000402", name="Northwind Consulting"),
    Entry("515.90", date(2026, 11, 2), "BNK-0001", ogm="002026000604", name="Garage Marchal SA", iban=GARAGE),
    Entry("998.78", date(2026, 11, 6), "BNK-0007", ogm="002026000907", name="Lotte Claes", iban=PAYER),
    Entry("998.78", date(2026, 11, 9), "BNK-0008", credit=False, reversal=True, name="Lotte Claes", iban=PAYER),
    Entry(
        "50.00", date(2026, 11, 9), "BNK-0009", credit=False, text="Office supplies", name="Papeterie", iban=STRANGER
    ),
    Entry("364.68", date(2026, 11, 10), "BNK-0010", text="invoice", name="Sophie Leclercq"),
    Entry("75.00", date(2026, 11, 10), "BNK-0011", text="cadeau", name="Someone Else", iban=STRANGER),
]
EXPECTED = {
    "BNK-0001": (Outcome.MATCHED, "2026-0006"),
    "BNK-0002": (Outcome.MATCHED, "2026-0014"),
    "BNK-0003": (Outcome.MATCHED, "2026-0021"),
    "BNK-0004": (Outcome.MATCHED, "2026-0024"),
    "BNK-0005": (Outcome.MATCHED, "2026-0004"),
    "BNK-0007": (Outcome.REVERSED, ""),
    "BNK-0008": (Outcome.REVERSED, ""),
    "BNK-0009": (Outcome.SKIPPED, ""),
    "BNK-0010": (Outcome.SUGGESTED, "2026-0019"),
    "BNK-0011": (Outcome.UNMATCHED, ""),
}
FORMATS = {
    "camt.053.001.02": ("statement.xml", lambda entries: write_camt(entries, "02")),
    "camt.053.001.08": ("statement.xml", lambda entries: write_camt(entries, "08")),
    "CODA": ("statement.cod", write_coda),
}


@pytest.fixture
def workbook(sample_copy: Path) -> Path:
    """The sample, with an RF reference typed on invoice 2026-0021 (row 22)."""
    letter = column_letter(sample_copy, "Invoices", "Structured reference")
    return edit_workbook(sample_copy, "Invoices", {f"{letter}22": rf.format(RF_2026_0021)})


def _statement(folder: Path, kind: str, entries: list[Entry] = ENTRIES) -> Path:
    name, write = FORMATS[kind]
    path = folder / name
    path.write_bytes(write(entries))
    return path


def _run(workbook: Path, *files: Path, in_place: bool = True, **options):
    return import_bank(FileWorkbook(workbook, now=NOW, in_place=in_place), list(files), today=TODAY, **options)


def test_the_three_formats_give_the_same_entries():
    read = {
        "camt.053.001.02": camt053.read(write_camt(ENTRIES, "02"), "s.xml"),
        "camt.053.001.08": camt053.read(write_camt(ENTRIES, "08"), "s.xml"),
        "CODA": coda.read(write_coda(ENTRIES), "s.cod"),
    }
    fields = [
        [
            (
                e.booking_date,
                e.amount,
                e.credit,
                e.reversal,
                e.entry_reference,
                e.structured_reference,
                e.free_text,
                e.counterparty_name,
                e.counterparty_iban,
            )
            for e in statements[0].entries
        ]
        for statements in read.values()
    ]
    assert fields[0] == fields[1] == fields[2]
    assert fields[0][0][1] == Decimal("515.90") and fields[0][1][6] == "Paiement +++002/0260/01412+++ acompte"
    assert [s[0].format for s in read.values()] == ["camt.053.001.02", "camt.053.001.08", "CODA 2"]
    assert {s[0].account_iban for s in read.values()} == {"BE71096123456769"}


@pytest.mark.parametrize("kind", FORMATS)
def test_each_entry_is_matched_by_its_rule_and_written(workbook, tmp_path, kind):
    done = _run(workbook, _statement(tmp_path, kind))
    by_ref = {}
    for d in done.decisions:
        by_ref.setdefault(d.entry.entry_reference, []).append(d)
    for ref, (outcome, invoice) in EXPECTED.items():
        decision = by_ref[ref][0]
        assert decision.outcome is outcome, (ref, decision.reason)
        assert [s.invoice for s in decision.shares] == (
            [invoice] if invoice else [] if outcome is not Outcome.MATCHED else [""]
        )
    duplicate = by_ref["BNK-0001"][1]
    assert duplicate.outcome is Outcome.SKIPPED and "the same entry as statement" in duplicate.reason
    assert "outgoing" in by_ref["BNK-0009"][0].reason
    assert "Sophie Leclercq" not in by_ref["BNK-0010"][0].reason and "C014" in by_ref["BNK-0010"][0].reason
    assert "payer is not known" in by_ref["BNK-0011"][0].reason or "no known reference" in by_ref["BNK-0011"][0].reason
    assert done.rows_added == 6  # five matched, one suggested
    summary = "\n".join(done.lines())
    assert "5 matched, 1 suggested, 1 unmatched, 2 skipped, 2 reversed" in summary
    unmatched = "line 33" if kind == "CODA" else "entry 11"  # CODA: header, old balance, then 3 records per entry
    assert f"UNMATCHED: {FORMATS[kind][0]}, {unmatched}: 10/11/2026 +75.00 EUR (Someone Else)" in summary
    duplicate_at = "line 18" if kind == "CODA" else "entry 6"
    assert f"SKIPPED: {FORMATS[kind][0]}, {duplicate_at}: 02/11/2026 +515.90 EUR" in summary
    assert "Office supplies" not in summary and "outgoing" not in summary  # a debit is no problem to report

    _, assessment = assessed(FileWorkbook(workbook), today=TODAY)
    status = {s.invoice.number: s for s in assessment.invoices}
    # 2026-0006 went to collection: its principal paid, interest and compensation are still owed (imputation)
    assert status["2026-0006"].status == "partly_paid" and 0 < status["2026-0006"].balance < Decimal("515.90")
    allocated = allocate(assessment.ledger, TODAY)  # before any imputation to interest and compensation
    assert status["2026-0014"].status == "partly_paid"
    assert status["2026-0014"].invoice.amount - allocated.paid("2026-0014") == Decimal("640.25")
    for number in ("2026-0021", "2026-0024"):  # their principal paid in full, after a formal notice or handover:
        state = status[number]  # the interest and compensation claimed are still owed
        assert allocated.paid(number) == state.invoice.amount and state.status == "partly_paid"
    over = status["2026-0004"]  # overpaid by 52.18, of which the claim after its handover takes a part first
    assert over.status == "credit" and allocated.paid("2026-0004") - over.invoice.amount == Decimal("52.18")
    assert Decimal("-52.18") < over.balance < 0
    assert status["2026-0009"].balance == Decimal("998.78")  # paid, then taken back by the bank
    assert status["2026-0019"].balance == Decimal("364.68")  # a suggestion counts once confirmed
    payments = [p for p in assessment.ledger.payments if p.bank_ref]
    written = {p.bank_ref: p for p in payments}
    assert (
        written["BNK-0001"].counterparty_iban == GARAGE
        and written["BNK-0001"].source == "statement" + FORMATS[kind][0][-4:]
    )
    assert written["BNK-0001"].reference == "+++002/0260/00604+++"
    assert written["BNK-0010"].suggested and not written["BNK-0001"].suggested


def test_a_confirmed_suggestion_counts(workbook, tmp_path):
    _run(workbook, _statement(tmp_path, "CODA"))
    letter = column_letter(workbook, "Payments", "Confirmed (suggested)")
    _, before = assessed(FileWorkbook(workbook), today=TODAY)
    row = next(p.where.row for p in before.ledger.payments if p.bank_ref == "BNK-0010")
    edit_workbook(workbook, "Payments", {f"{letter}{row}": "yes"})
    _, after = assessed(FileWorkbook(workbook), today=TODAY)
    state = after.invoice("2026-0019")  # its principal paid; past a claim, the extras claimed come first
    assert state.paid > before.invoice("2026-0019").paid or state.status == "paid"
    assert state.status == "paid" or (state.stage in ("formal_notice", "handover") and state.status == "partly_paid")


def test_importing_the_same_statement_again_adds_nothing(workbook, tmp_path):
    first = _run(workbook, _statement(tmp_path, "camt.053.001.02"))
    again = _run(workbook, _statement(tmp_path, "camt.053.001.08"))
    assert first.rows_added == 6
    assert again.written is None and again.rows_added == 0
    assert all(d.outcome in (Outcome.SKIPPED, Outcome.REVERSED, Outcome.UNMATCHED) for d in again.decisions), [
        d.reason for d in again.decisions
    ]
    assert sum("already imported (Payments, row" in d.reason for d in again.decisions) == 6


@pytest.mark.parametrize(
    "entry, rows",
    [
        (Entry("515.90", date(2026, 11, 2), ogm="002026000604", name="Garage Marchal SA", iban=GARAGE), 1),
        # split over two invoices when first imported: the rows of its day and payer add up to it
        (Entry("1000.00", date(2026, 11, 2), text="Factures 2026-0014 et 2026-0006", name="X", iban=PAYER), 2),
    ],
    ids=["one invoice", "split over two"],
)
def test_without_a_bank_reference_the_same_date_amount_and_payer_is_the_same_entry(workbook, tmp_path, entry, rows):
    assert _run(workbook, _statement(tmp_path, "camt.053.001.02", [entry])).rows_added == rows
    again = _run(workbook, _statement(tmp_path, "camt.053.001.08", [entry]))
    assert again.rows_added == 0 and again.decisions[0].outcome is Outcome.SKIPPED


def test_a_reversal_of_a_payment_imported_before_writes_a_negative_payment(workbook, tmp_path):
    paid = [Entry("998.78", date(2026, 11, 6), "BNK-0007", ogm="002026000907", name="Lotte Claes", iban=PAYER)]
    _run(workbook, _statement(tmp_path, "CODA", paid))
    _, between = assessed(FileWorkbook(workbook), today=TODAY)
    assert between.invoice("2026-0009").status == "paid"
    back = [Entry("998.78", date(2026, 11, 9), "BNK-0008", credit=False, reversal=True, name="Lotte Claes", iban=PAYER)]
    done = _run(workbook, _statement(tmp_path, "camt.053.001.08", back))
    assert (
        done.decisions[0].outcome is Outcome.REVERSED
        and "takes back the payment of 06/11/2026" in done.decisions[0].reason
    )
    _, after = assessed(FileWorkbook(workbook), today=TODAY)
    assert after.invoice("2026-0009").balance == Decimal("998.78")


def test_pending_entries_are_skipped_until_booked(workbook, tmp_path):
    entries = [Entry("515.90", date(2026, 11, 2), "BNK-P", ogm="002026000604", name="Garage Marchal SA", pending=True)]
    done = _run(workbook, _statement(tmp_path, "camt.053.001.02", entries))
    assert done.decisions[0].outcome is Outcome.SKIPPED and "not booked" in done.decisions[0].reason
    assert done.written is None


def test_one_payment_naming_two_invoices_is_split_oldest_first(workbook, tmp_path):
    entries = [Entry("1000.00", date(2026, 11, 2), "BNK-S", text="Factures 2026-0014 et 2026-0006", name="X")]
    done = _run(workbook, _statement(tmp_path, "CODA", entries))
    shares = [(s.invoice, s.amount) for s in done.decisions[0].shares]
    assert shares == [("2026-0006", Decimal("515.90")), ("2026-0014", Decimal("484.10"))]


def test_a_payer_known_from_earlier_payments_gets_a_suggestion(workbook, tmp_path):
    first = [Entry("515.90", date(2026, 11, 2), "BNK-A", ogm="002026000604", name="G. Marchal", iban=GARAGE)]
    _run(workbook, _statement(tmp_path, "CODA", first))
    # 2026-0066 is another invoice of Garage Marchal SA (C003)? pick one from the ledger instead of guessing
    _, assessment = assessed(FileWorkbook(workbook), today=TODAY)
    other = next(s for s in assessment.invoices if s.invoice.customer_id == "C003" and s.balance > 0)
    later = [
        Entry(str(other.balance), date(2026, 11, 12), "BNK-B", text="merci", name="Someone at the garage", iban=GARAGE)
    ]
    done = _run(workbook, _statement(tmp_path, "camt.053.001.02", later))
    assert done.decisions[0].outcome is Outcome.SUGGESTED
    assert done.decisions[0].shares[0].invoice == other.invoice.number


def test_a_structured_reference_of_no_invoice_is_unmatched_with_the_reason(workbook, tmp_path):
    entries = [Entry("10.00", date(2026, 11, 2), "BNK-U", ogm="090933755493", name="Nobody")]
    done = _run(workbook, _statement(tmp_path, "CODA", entries))
    assert done.decisions[0].outcome is Outcome.UNMATCHED
    assert "+++090/9337/55493+++ belongs to no invoice" in done.decisions[0].reason
    assert done.written is None


def test_progress_is_reported(workbook, tmp_path):
    calls = []
    _run(
        workbook,
        _statement(tmp_path, "CODA"),
        progress=lambda done, total, message: calls.append((done, total, message)),
    )
    assert calls[0][0] == 0 and calls[-1][0] == calls[-1][1] and any("Reading statement.cod" in c[2] for c in calls)


def test_a_known_payer_with_another_amount_is_suggested_for_the_customers_open_items(workbook, tmp_path):
    first = [Entry("515.90", date(2026, 11, 2), "BNK-A", ogm="002026000604", name="G. Marchal", iban=GARAGE)]
    _run(workbook, _statement(tmp_path, "CODA", first))
    later = [Entry("33.33", date(2026, 11, 12), "BNK-C", text="acompte", name="G. Marchal", iban=GARAGE)]
    done = _run(workbook, _statement(tmp_path, "camt.053.001.02", later))
    decision = done.decisions[0]
    assert decision.outcome is Outcome.SUGGESTED and "customer C003" in decision.reason
    assert decision.shares[0].invoice == ""
    _, pending = assessed(FileWorkbook(workbook), today=TODAY)
    numbers = [s.invoice.number for s in pending.invoices if s.invoice.customer_id == "C003"]
    before = allocate(pending.ledger, TODAY)
    letter = column_letter(workbook, "Payments", "Confirmed (suggested)")
    row = next(p.where.row for p in pending.ledger.payments if p.bank_ref == "BNK-C")
    edit_workbook(workbook, "Payments", {f"{letter}{row}": "oui"})
    _, confirmed = assessed(FileWorkbook(workbook), today=TODAY)
    after = allocate(confirmed.ledger, TODAY)
    paid_now = {n: after.paid(n) - before.paid(n) for n in numbers}
    assert sum(paid_now.values()) == Decimal("33.33")


def test_check_names_the_suggestions_waiting_for_confirmation(workbook, tmp_path):
    from portal.app import check

    _run(workbook, _statement(tmp_path, "CODA"))
    problems = [p for p in check.check(FileWorkbook(workbook)).problems if p.code == "suggested_payment"]
    assert len(problems) == 1
    assert "suggested match for invoice '2026-0019'" in str(problems[0]) and "Confirmed" in str(problems[0])


BATCH = """<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.08"><BkToCstmrDbtCdtNtfctn>
<GrpHdr><MsgId>N1</MsgId><CreDtTm>2026-11-12T06:00:00</CreDtTm></GrpHdr>
<Ntfctn><Id>N1</Id><Acct><Id><IBAN>BE71096123456769</IBAN></Id><Ccy>EUR</Ccy></Acct>
<Ntry><Amt Ccy="EUR">1656.09</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts>
<BookgDt><Dt>2026-11-12</Dt></BookgDt><AcctSvcrRef>BATCH-1</AcctSvcrRef><NtryDtls>
<TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">515.90</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Pty><Nm>Garage Marchal SA</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry><Issr>BBA</Issr></Tp>
<Ref>002026000604</Ref></CdtrRefInf></Strd></RmtInf></TxDtls>
<TxDtls><AmtDtls><TxAmt><Amt Ccy="EUR">1140.19</Amt></TxAmt></AmtDtls>
<RltdPties><Dbtr><Pty><Nm>Drukkerij Vermeulen</Nm></Pty></Dbtr></RltdPties>
<RmtInf><Ustrd>factuur 2026-0014</Ustrd></RmtInf></TxDtls>
</NtryDtls></Ntry></Ntfctn></BkToCstmrDbtCdtNtfctn></Document>
"""


def test_a_batched_camt054_entry_gives_one_payment_per_transaction(workbook, tmp_path):
    path = tmp_path / "notification.xml"
    path.write_text(BATCH)
    done = _run(workbook, path)
    assert [(d.outcome, d.shares[0].invoice, d.shares[0].amount) for d in done.decisions] == [
        (Outcome.MATCHED, "2026-0006", Decimal("515.90")),
        (Outcome.MATCHED, "2026-0014", Decimal("1140.19")),
    ]
    assert [d.entry.entry_reference for d in done.decisions] == ["BATCH-1/1", "BATCH-1/2"]
    assert _run(workbook, path).rows_added == 0


def test_returned_outgoing_payments_are_not_taken_for_customer_payments(workbook, tmp_path):
    returned = BATCH.replace(
        "<Ustrd>factuur 2026-0014</Ustrd>",
        "<Ustrd>factuur 2026-0014</Ustrd></RmtInf><RtrInf><Rsn><Cd>AC04</Cd></Rsn></RtrInf><RmtInf>",
    )
    path = tmp_path / "returned.xml"
    path.write_text(returned)
    done = _run(workbook, path)
    assert done.decisions[0].outcome is Outcome.MATCHED
    assert (
        done.decisions[1].outcome is Outcome.SKIPPED and "reversal of an outgoing payment" in done.decisions[1].reason
    )
    coda_entries = [
        Entry("80.00", date(2026, 11, 3), "BNK-R", text="factuur 2026-0014", name="Drukkerij", reversal=True)
    ]
    coda_done = _run(workbook, _statement(tmp_path, "CODA", coda_entries))
    assert coda_done.decisions[0].outcome is Outcome.SKIPPED


@pytest.mark.parametrize("kind", ["camt.053.001.02", "CODA"])
def test_an_amount_with_more_than_cents_stops_the_import_rather_than_be_rounded(workbook, tmp_path, kind):
    statement = _statement(tmp_path, kind, [Entry("61.175", date(2026, 11, 10), ref="BNK-0900", text="2026-0004")])
    before = workbook.read_bytes()
    with pytest.raises(errors.ImportFailed) as raised:
        _run(workbook, statement)
    message = errors.failure(raised.value).message
    assert statement.name in message and "61.175 has more than two decimals" in message
    assert workbook.read_bytes() == before


def test_a_statement_of_another_account_is_refused_and_nothing_written(workbook, tmp_path):
    from .bankfiles import camt053

    statement = tmp_path / "other.xml"
    statement.write_bytes(camt053([Entry("10.00", date(2026, 11, 10), ref="BNK-0901")], account="BE68539007547034"))
    before = workbook.read_bytes()
    with pytest.raises(errors.ImportFailed) as raised:
        _run(workbook, statement)
    message = errors.failure(raised.value).message
    assert "other.xml: the statement is for account BE68539007547034, not the IBAN in the Settings" in message
    assert workbook.read_bytes() == before


def test_a_payment_typed_by_hand_before_its_statement_is_not_written_twice(workbook, tmp_path):
    from portal.app.load import load

    typed = next(p for p in load(FileWorkbook(workbook)).ledger.payments if not p.bank_ref and p.invoice.strip())
    entry = Entry(str(typed.amount), typed.date, ref="BNK-0902", text=f"Facture {typed.invoice}")
    done = _run(workbook, _statement(tmp_path, "CODA", [entry]))
    assert [d.outcome for d in done.decisions] == [Outcome.SKIPPED]
    assert f"already typed by hand (Payments, row {typed.where.row})" in done.decisions[0].reason
    assert any("already typed by hand" in line for line in done.lines()) and done.rows_added == 0


def test_a_reversal_of_a_payment_split_over_two_invoices_takes_back_both_parts(workbook, tmp_path):
    _, before = assessed(FileWorkbook(workbook), today=TODAY)
    first, second = [  # open, with no claim made: their balance is all a payment settles
        s for s in before.invoices if s.balance > 0 and s.claim is None and not s.installments and s.stage == ""
    ][:2]
    total = first.balance + second.balance
    words = f"Factures {first.invoice.number} et {second.invoice.number}"
    paid = [Entry(str(total), date(2026, 11, 2), "BNK-S", text=words, name="X", iban=PAYER)]
    assert _run(workbook, _statement(tmp_path, "CODA", paid)).rows_added == 2
    back = [Entry(str(total), date(2026, 11, 5), "BNK-R", credit=False, reversal=True, name="X", iban=PAYER)]
    done = _run(workbook, _statement(tmp_path, "camt.053.001.08", back))
    assert done.decisions[0].outcome is Outcome.REVERSED, done.decisions[0].reason
    assert "split over invoices" in done.decisions[0].reason and done.rows_added == 2
    _, after = assessed(FileWorkbook(workbook), today=TODAY)
    for state in (first, second):
        assert after.invoice(state.invoice.number).balance == state.balance

"""The benchmark's synthetic workbooks: valid, and with the sample's mix at any size."""

from datetime import date

from bench import generate
from portal.app.load import assessed
from portal.domain.stages import Status
from portal.workbook.file import FileWorkbook


def test_a_synthetic_workbook_is_valid_and_has_the_samples_mix(tmp_path):
    path = generate.write(tmp_path / "synthetic.xlsx", invoices=600, customers=120)
    loaded, assessment = assessed(FileWorkbook(path), today=date(2026, 11, 29))
    assert loaded.errors == []
    ledger = loaded.ledger
    assert ledger is not None and len(ledger.customers) == 120
    assert {c.language for c in ledger.customers} == {"fr", "nl", "en", "de"}
    assert {c.kind for c in ledger.customers} == {"B2B", "B2C"}
    assert sum(not i.is_credit_note for i in ledger.invoices) == 600 and any(i.is_credit_note for i in ledger.invoices)
    assert {i.currency for i in ledger.invoices} == {"EUR", "GBP"}
    statuses = {s.status for s in assessment.invoices}
    assert set(Status) - {Status.CREDIT} <= statuses
    assert len({s.stage for s in assessment.invoices}) >= 4
    assert generate.synthetic_rows(600, 120) == generate.synthetic_rows(600, 120)

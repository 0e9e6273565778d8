"""Broken and hostile statements: a clear message naming the file and place, and nothing written."""

from __future__ import annotations

import time
from datetime import date, datetime
from pathlib import Path

import pytest

from portal.app import errors
from portal.app.import_bank import import_bank
from portal.front import cli
from portal.workbook.file import FileWorkbook

from .bankfiles import Entry
from .bankfiles import camt053 as write_camt
from .bankfiles import coda as write_coda

TODAY = date(2026, 11, 16)
GOOD = [Entry("515.90", date(2026, 11, 2), "BNK-0001", ogm="002026000604", name="Garage Marchal SA")]
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE Document [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
  <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
  <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<Amt Ccy="EUR">1.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2026-11-02</Dt></BookgDt>
<NtryDtls><TxDtls><RmtInf><Ustrd>&f;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>
"""
EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE Document [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"><BkToCstmrStmt><Stmt><Ntry>
<NtryDtls><TxDtls><RmtInf><Ustrd>&secret;</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry></Stmt></BkToCstmrStmt></Document>
"""


def _coda_with_a_short_record() -> bytes:
    lines = write_coda(GOOD).decode("cp1252").split("\r\n")
    lines[2] = lines[2][:-1]
    return "\r\n".join(lines).encode("cp1252")


def _coda_with_wrong_totals() -> bytes:
    lines = write_coda(GOOD).decode("cp1252").split("\r\n")
    lines[2] = lines[2][:32] + "000000000999000" + lines[2][47:]  # 0.999 instead of 515.90
    return "\r\n".join(lines).encode("cp1252")


def _huge(path: Path) -> None:
    """A 50 MB camt.053: a real header, then 50 MB of entries."""
    entry = write_camt(GOOD).split(b"<Ntry>")[1].split(b"</Ntry>")[0]
    block = (b"<Ntry>" + entry + b"</Ntry>\n") * 1000
    with path.open("wb") as out:
        out.write(write_camt([]).split(b"</Stmt>")[0])
        while out.tell() < 50 * 1024 * 1024:
            out.write(block)
        out.write(b"</Stmt></BkToCstmrStmt></Document>\n")


CASES = {
    "truncated XML": ("s.xml", lambda p: p.write_bytes(write_camt(GOOD)[:900]), "s.xml, line"),
    "entity bomb": ("bomb.xml", lambda p: p.write_bytes(BOMB), "declares a DTD or entities"),
    "external entity": ("xxe.xml", lambda p: p.write_bytes(EXTERNAL), "declares a DTD or entities"),
    "CODA record of the wrong length": (
        "s.cod",
        lambda p: p.write_bytes(_coda_with_a_short_record()),
        "s.cod, line 3: the record is 127 characters long; every CODA record has 128",
    ),
    "CODA totals that do not add up": (
        "s.cod",
        lambda p: p.write_bytes(_coda_with_wrong_totals()),
        "the trailer record does not match the statement",
    ),
    "camt.053 in another currency": (
        "usd.xml",
        lambda p: p.write_bytes(write_camt(GOOD, "08", currency="USD")),
        "usd.xml: the account is in USD; only EUR accounts are imported",
    ),
    "CODA in another currency": (
        "usd.cod",
        lambda p: p.write_bytes(write_coda(GOOD, currency="USD")),
        "usd.cod: the account is in USD",
    ),
    "a 50 MB statement": ("big.xml", _huge, "big.xml: it is 50 MB, more than the 20 MB"),
    "not a statement": ("notes.txt", lambda p: p.write_text("hello"), "neither a camt.053 statement (XML) nor a CODA"),
    "another XML document": (
        "pain.xml",
        lambda p: p.write_bytes(b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:pain.001.001.03'/>"),
        "it is not an ISO 20022 camt.053 bank statement",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_a_bad_file_gives_a_clear_message_and_nothing_is_written(sample_copy, tmp_path, case):
    name, make, expected = CASES[case]
    bad = tmp_path / "in" / name
    bad.parent.mkdir()
    make(bad)
    good = tmp_path / "in" / "good.xml"
    good.write_bytes(write_camt(GOOD))
    before = sample_copy.read_bytes()
    started = time.monotonic()
    with pytest.raises(errors.ImportFailed) as raised:
        import_bank(FileWorkbook(sample_copy, now=datetime(2026, 11, 16, 9, 0)), [good, bad], today=TODAY)
    assert time.monotonic() - started < 5
    failed = errors.failure(raised.value)
    assert failed.exit_code == errors.EXIT_UNREADABLE
    assert expected in failed.message, failed.message
    assert "nothing was written" in failed.message
    assert sample_copy.read_bytes() == before
    assert sorted(p.name for p in sample_copy.parent.iterdir()) == ["in", "sample.xlsx"]


def test_the_command_line_prints_the_message_and_no_traceback(sample_copy, tmp_path, capsys):
    bad = tmp_path / "bomb.xml"
    bad.write_bytes(BOMB)
    code = cli.main(["import-bank", str(sample_copy), str(bad), "--in-place"])
    captured = capsys.readouterr()
    assert code == errors.EXIT_UNREADABLE
    assert "bomb.xml: it declares a DTD or entities" in captured.err and "Traceback" not in captured.err


def test_the_command_line_imports_and_summarises(sample_copy, tmp_path, capsys):
    statement = tmp_path / "s.cod"
    statement.write_bytes(write_coda(GOOD))
    assert cli.main(["import-bank", str(sample_copy), str(statement), "--out", str(tmp_path / "out.xlsx")]) == 0
    out = capsys.readouterr().out
    assert "Read 1 entry from 1 file(s): 1 matched, 0 suggested, 0 unmatched, 0 skipped, 0 reversed." in out
    assert f"1 payment row(s) written to {tmp_path / 'out.xlsx'}" in out

"""The standards' and other projects' public example files read without error.

They are not copied into this repository (their licences do not all allow it): put them in a folder
and point DEBTOR_PORTAL_PUBLIC_SAMPLES at it; the tests are skipped otherwise. Where they come from:

- peppol/*.xml: github.com/OpenPEPPOL/peppol-bis-invoice-3, rules/examples/ (commit 78d7f7d, 2025-05-29):
  base-example.xml, base-creditnote-correction.xml, base-negative-inv-correction.xml, Allowance-example.xml,
  vat-category-E.xml
- camt/*.xml: github.com/OCA/bank-statement-import, account_statement_import_camt/test_files/ (commit 16f9266,
  2024-10-08): test-camt053, test-camt053-txdtls, test-camt054, saved with an .xml suffix
- coda/*.txt: github.com/odoo/odoo, addons/l10n_be_coda/test_coda_file/Ontvangen_CODA.2013-01-11-18.59.15.txt
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.app.import_bank import read_statement
from portal.imports import ubl

FOLDER = Path(os.environ.get("DEBTOR_PORTAL_PUBLIC_SAMPLES", "/nonexistent"))


def _samples(sub: str, pattern: str) -> list[Path]:
    return sorted((FOLDER / sub).glob(pattern)) if (FOLDER / sub).is_dir() else []


needs_samples = pytest.mark.skipif(not FOLDER.is_dir(), reason="DEBTOR_PORTAL_PUBLIC_SAMPLES is not set")


@needs_samples
@pytest.mark.parametrize("path", _samples("peppol", "*.xml"), ids=lambda p: p.name)
def test_peppol_examples_read(path):
    invoice = ubl.read(path.read_bytes(), path.name)
    assert invoice.number and invoice.issue_date and invoice.currency and invoice.buyer.name
    if path.name == "base-creditnote-correction.xml":
        assert invoice.credit_note and invoice.type_code == "381" and invoice.preceding_invoice == "Snippet1"
    if path.name == "base-negative-inv-correction.xml":
        assert not invoice.credit_note and invoice.payable < 0


@needs_samples
@pytest.mark.parametrize("path", _samples("camt", "*.xml") + _samples("coda", "*"), ids=lambda p: p.name)
def test_statement_examples_read(path):
    statements = read_statement(path)
    entries = [e for s in statements for e in s.entries]
    assert entries and all(e.amount > 0 and e.booking_date for e in entries)
    keys = [e.entry_reference for e in entries if e.entry_reference]
    if path.name != "Ontvangen_CODA.2013-01-11-18.59.15.txt":  # two of its movements carry one bank reference
        assert len(keys) == len(set(keys))

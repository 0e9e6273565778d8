"""Benchmarks (`make bench`): reading and building a large synthetic workbook. They report
timings and per-page costs; they are not run by `make test`."""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

from portal.app import build as build_command
from portal.workbook import sample
from portal.workbook.file import FileWorkbook
from portal.workbook.template import write_workbook
from portal.workbook.xlsx.grids import read_grids

INVOICES = 1000


def big_workbook(folder: Path, count: int = INVOICES) -> Path:
    rows = sample.sample_rows()
    base = rows["invoices"][:140]
    invoices = []
    for n in range(count):
        invoice = dict(base[n % len(base)], number=f"B-{n:06d}", reference="")
        invoice["issue_date"] = sample.AS_OF - timedelta(days=n % 200)
        invoice["due_date"] = invoice["issue_date"] + timedelta(days=30)
        invoice.pop("discount_pct", None), invoice.pop("discount_date", None)
        invoices.append(invoice)
    return write_workbook(
        folder / "big.xlsx", settings=sample.SETTINGS, rows={"customers": rows["customers"], "invoices": invoices}
    )


def test_bench_read_and_build(tmp_path, capsys):
    workbook = big_workbook(tmp_path)
    start = time.perf_counter()
    grids = read_grids(workbook)
    read = time.perf_counter() - start
    start = time.perf_counter()
    outcome = build_command.build(
        FileWorkbook(workbook), today=date(2026, 11, 16), out_dir=tmp_path / "site_out", secret_file=tmp_path / "secret"
    )
    build = time.perf_counter() - start
    pages = sum(1 for _ in (tmp_path / "site_out").rglob("*.html"))
    with capsys.disabled():
        print(
            f"\nread {sum(len(g.rows) for g in grids)} rows in {read:.2f} s; built {pages} pages "
            f"({len(outcome.site.invoice_pages)} invoices) in {build:.2f} s = {1000 * build / pages:.1f} ms/page"
        )
    assert pages > INVOICES

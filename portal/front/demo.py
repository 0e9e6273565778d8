"""`make demo`: build the sample workbook's portal and say where to look."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..app import commands
from ..workbook.file import FileWorkbook
from .cli import _print_build

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    workbook = ROOT / "workbook" / "sample.xlsx"
    out = ROOT / "site_out"
    if not workbook.exists():
        commands.init(workbook, with_sample=True)
        print(f"Created {workbook}")
    checked = commands.check(FileWorkbook(workbook))
    print(
        f"Checked {workbook.relative_to(ROOT)}: {len(checked.problems)} problem(s), "
        + ", ".join(f"{n} {k}" for k, n in checked.counts.items())
    )
    try:
        outcome = commands.build(FileWorkbook(workbook), today=date.today(), out_dir=out)
    except commands.Refused as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    _print_build(outcome)
    link = outcome.site.invoice_pages[
        next(
            s.invoice.number
            for s in outcome.assessment.invoices
            if s.invoice.number in outcome.site.invoice_pages and s.balance > 0
        )
    ]
    print(
        "\nPreview the portal:\n"
        f"  .venv/bin/debtor-portal serve {out.relative_to(ROOT)} --open\n"
        f"then open an invoice page, e.g. http://127.0.0.1:8000/{link.path}\n"
        f"(or open {out / link.path / 'index.html'} directly in a browser)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

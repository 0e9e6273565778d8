"""`make demo`: build the sample workbook's portal and say where to look."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

from ..app import build, check, errors, init
from ..workbook.file import FileWorkbook
from .cli import _print_build

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    workbook = ROOT / "workbook" / "sample.xlsx"
    out = ROOT / "site_out"
    if not workbook.exists():
        init.init(workbook, with_sample=True)
        print(f"Created {workbook}")
    checked = check.check(FileWorkbook(workbook))
    print(
        f"Checked {workbook.relative_to(ROOT)}: {len(checked.problems)} problem(s), "
        + ", ".join(f"{n} {k}" for k, n in checked.counts.items())
    )
    try:
        outcome = build.build(FileWorkbook(workbook), today=date.today(), out_dir=out)
    except Exception as exc:
        failed = errors.failure(exc)
        if failed is None:
            raise
        print(failed.message, file=sys.stderr)
        return failed.exit_code
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

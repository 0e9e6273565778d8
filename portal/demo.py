"""`make demo`: the sample workbook, checked (and, once built, its portal)."""

from __future__ import annotations

import sys
from pathlib import Path

from . import commands
from .cli import _print_check
from .workbook_file import FileWorkbook

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    workbook = ROOT / "workbook" / "sample.xlsx"
    if not workbook.exists():
        commands.init(workbook, with_sample=True)
        print(f"Created {workbook}")
    result = commands.check(FileWorkbook(workbook))
    _print_check(result)
    print(f"\nOpen {workbook.relative_to(Path.cwd()) if workbook.is_relative_to(Path.cwd()) else workbook} "
          "in Excel or LibreOffice to see the sample receivables.")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

"""The `debtor-portal` command line: the terminal's front door to `portal.commands`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import commands, schema
from .problems import errors, warnings
from .workbook_file import FileWorkbook, UnreadableWorkbook

EXIT_OK, EXIT_PROBLEMS, EXIT_UNREADABLE = 0, 1, 2


def _creditor_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, e.g. iban=BE71096123456769 (got {text!r})")
    return key.strip(), value.strip()


def _add_workbook(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", type=Path, help="the receivables workbook (.xlsx)")
    parser.add_argument("--creditor", action="append", type=_creditor_option, default=[], metavar="KEY=VALUE",
                        help="a creditor setting for a workbook without a Settings sheet, e.g. "
                             "--creditor name='My SRL' --creditor iban=BE71096123456769")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="debtor-portal", description="Receivables workbook checks, reminders and a "
                                "static payment portal.")
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create a new workbook from the template")
    init.add_argument("path", type=Path)
    init.add_argument("--sample", action="store_true", help="fill it with the sample data")
    init.add_argument("--lang", choices=schema.LANGUAGES, default="en", help="language of sheet and column names")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    check = sub.add_parser("check", help="list every problem in the workbook")
    _add_workbook(check)
    check.add_argument("--json", action="store_true", help="machine-readable output")
    return p


def _print_check(result: commands.CheckResult) -> None:
    found = errors(list(result.problems))
    noted = warnings(list(result.problems))
    for problem in found + noted:
        print(problem)
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    status = "no errors" if not found else f"{len(found)} error(s)"
    print(f"{result.workbook}: {status}, {len(noted)} warning(s)" + (f" — {summary}" if summary else ""))


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "init":
            result = commands.init(args.path, with_sample=args.sample, lang=args.lang, overwrite=args.force)
            print(f"Created {result.path}" + (" with the sample data" if result.sample else ""))
            return EXIT_OK
        if args.command == "check":
            checked = commands.check(FileWorkbook(args.workbook), dict(args.creditor))
            if args.json:
                print(json.dumps(checked.to_json(), indent=2, ensure_ascii=False))
            else:
                _print_check(checked)
            return checked.exit_code
    except UnreadableWorkbook as exc:
        if getattr(args, "json", False):
            print(json.dumps({"workbook": str(args.workbook), "ok": False, "unreadable": str(exc)}))
        else:
            print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except FileExistsError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

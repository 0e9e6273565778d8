"""The `debtor-portal` command line: the terminal's front door to the commands in `portal.app`.

Each command's module is loaded when that command runs, not before: starting Python is part of every run."""

from __future__ import annotations

import argparse
import json
import sys
import webbrowser
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from ..app import errors
from ..app.errors import EXIT_OK, EXIT_PROBLEMS
from ..domain import problems
from ..workbook import cells, schema
from ..workbook.file import FileWorkbook
from ..workbook.xlsx.grids import UnreadableWorkbook
from . import collector
from .addin import commands as addin_commands

if TYPE_CHECKING:
    from tqdm import tqdm

    from ..app import build, check, publish, remind

EXIT_INTERRUPTED = 130  # as a shell reports Ctrl-C


def _creditor_option(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, e.g. iban=BE71096123456769 (got {text!r})")
    return key.strip(), value.strip()


def _workers_option(text: str) -> int:
    try:
        workers = int(text)
    except ValueError:
        workers = 0
    if workers < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number of processes, e.g. 4 (got {text!r})")
    return workers


def _add_workbook(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("workbook", type=Path, help="the receivables workbook (.xlsx)")
    parser.add_argument(
        "--creditor",
        action="append",
        type=_creditor_option,
        default=[],
        metavar="KEY=VALUE",
        help="a creditor setting for a workbook without a Settings sheet, e.g. "
        "--creditor name='My SRL' --creditor iban=BE71096123456769",
    )


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="debtor-portal", description="Receivables workbook checks, reminders and a static payment portal."
    )
    sub = p.add_subparsers(dest="command", required=True)
    init = sub.add_parser("init", help="create a new workbook from the template")
    init.add_argument("path", type=Path)
    init.add_argument("--sample", action="store_true", help="fill it with the sample data")
    init.add_argument("--lang", choices=schema.LANGUAGES, default="en", help="language of sheet and column names")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    check = sub.add_parser("check", help="list every problem in the workbook")
    _add_workbook(check)
    check.add_argument("--json", action="store_true", help="machine-readable output")
    build = sub.add_parser("build", help="generate the portal's static site")
    _add_workbook(build)
    _add_as_of(build)
    build.add_argument("--out", type=Path, help="output folder (default: site_out next to the workbook)")
    build.add_argument("--secret-file", type=Path, help="the site secret (default: beside the workbook)")
    build.add_argument(
        "--workers",
        type=_workers_option,
        metavar="N",
        help="processes rendering pages (default: one per core when there are many; 1: none)",
    )
    publish = sub.add_parser("publish", help="mirror the built site to a folder, an rclone remote or a git branch")
    _add_workbook(publish)
    publish.add_argument("--site", type=Path, help="the built site (default: site_out next to the workbook)")
    publish.add_argument(
        "--to",
        default="",
        metavar="TARGET",
        help="a folder, rclone:REMOTE:PATH or git:URL#BRANCH (default: the 'Publish to' setting)",
    )
    publish.add_argument("--dry-run", action="store_true", help="only say what would be added, changed and removed")
    publish.add_argument("--secret-file", type=Path, help="the site secret (default: beside the workbook)")
    secret = sub.add_parser("secret", help="manage the site secret behind a workbook's private links")
    secret.add_argument("action", choices=["rotate", "where"])
    secret.add_argument("workbook", type=Path, nargs="?", help="the workbook (its secret is beside it)")
    secret.add_argument("--secret-file", type=Path, help="a secret file of your own instead of the workbook's")
    secret.add_argument(
        "--yes", action="store_true", help="rotate without asking (for scripts): every link already sent changes"
    )
    refresh = sub.add_parser(
        "refresh", help="write status, balance, stage, next action and portal link into the workbook's grey columns"
    )
    _add_workbook(refresh)
    _add_as_of(refresh)
    _add_write_options(refresh)
    remind = sub.add_parser("remind", help="today's reminders: e-mail drafts (or --send), Reminders and Log rows")
    _add_workbook(remind)
    _add_as_of(remind)
    _add_write_options(remind)
    remind.add_argument("--outbox", type=Path, help="folder for the .eml drafts (default: outbox next to the workbook)")
    remind.add_argument("--send", action="store_true", help="send them through the SMTP server of the Settings")
    bank = sub.add_parser(
        "import-bank", help="payments from bank statements (camt.053, CODA), matched to invoices, into Payments"
    )
    _add_workbook(bank)
    bank.add_argument("files", type=Path, nargs="+", metavar="FILE", help="camt.053/054 (.xml) or CODA statements")
    _add_as_of(bank)
    _add_write_options(bank, secret=False)
    einvoices = sub.add_parser("import-ubl", help="Peppol e-invoices and credit notes (UBL) into Invoices")
    _add_workbook(einvoices)
    einvoices.add_argument(
        "paths", type=Path, nargs="+", metavar="FILE_OR_FOLDER", help="UBL .xml files, or folders holding them"
    )
    _add_write_options(einvoices, secret=False)
    remind.add_argument(
        "--letters",
        action="store_true",
        help="a PDF letter for post with every reminder (always for formal notices and customers without e-mail)",
    )
    week = sub.add_parser("actions", help="this week's follow-up: what to send, whom to call, what waits")
    _add_workbook(week)
    _add_as_of(week)
    overview = sub.add_parser("report", help="the overview for you (never published): a local HTML page")
    _add_workbook(overview)
    _add_as_of(overview)
    overview.add_argument(
        "--out", type=Path, help="the HTML file (default: in .debtor-portal/reports next to the workbook)"
    )
    collect = sub.add_parser(
        "handover", help="one customer's file for a collection agency, lawyer or bailiff, as a ZIP"
    )
    _add_workbook(collect)
    collect.add_argument("customer", help="the customer's ID, as in the Customers sheet")
    _add_as_of(collect)
    collect.add_argument(
        "--out", type=Path, help="the ZIP file (default: handover-<ID>-<date>.zip next to the workbook)"
    )
    collect.add_argument("--secret-file", type=Path, help="the site secret (default: beside the workbook)")
    serve = sub.add_parser("serve", help="preview the built site on http://127.0.0.1")
    serve.add_argument("folder", type=Path, nargs="?", default=Path("site_out"))
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--open", action="store_true", help="open it in the browser")
    addin_commands.add_parser(sub)
    return p


def _add_write_options(parser: argparse.ArgumentParser, *, secret: bool = True) -> None:
    if secret:
        parser.add_argument("--secret-file", type=Path, help="the site secret (default: beside the workbook)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--in-place",
        action="store_true",
        help="change the workbook itself, after a timestamped backup in .debtor-portal/backups",
    )
    where.add_argument("--out", type=Path, help="write the updated workbook here (default: a dated copy beside it)")


def _date_option(text: str) -> date:
    try:
        return cells.to_date(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_as_of(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--as-of",
        type=_date_option,
        metavar="DATE",
        help="assess as of this date (default: the workbook's 'As of date', else today)",
    )


def _print_check(result: check.CheckResult) -> None:
    found = problems.errors(list(result.problems))
    noted = problems.warnings(list(result.problems))
    for problem in found + noted:
        print(problem)
    summary = ", ".join(f"{n} {k}" for k, n in result.counts.items())
    status = "no errors" if not found else f"{len(found)} error(s)"
    print(f"{result.workbook}: {status}, {len(noted)} warning(s)" + (f" — {summary}" if summary else ""))


class ProgressBar:
    """A terminal progress bar fed by a command's `progress(done, total, label)`; silent when not a terminal."""

    def __init__(self, stream: TextIO | None = None):
        self.stream = stream or sys.stderr
        self.bar: tqdm | None = None
        self.label = ""

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()

    def __call__(self, done: int, total: int, label: str) -> None:
        if self.bar is None:
            if not self.stream.isatty():  # a log, a pipe, a scheduled task: no bar, and no need to load tqdm
                return
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc=label, unit="", file=self.stream, leave=False, dynamic_ncols=True)
            self.label = label
        if label != self.label:
            self.label = label
            self.bar.set_description(label)
        self.bar.total = total
        self.bar.update(done - self.bar.n)


def _print_build(outcome: build.BuildOutcome) -> None:
    result = outcome.site
    for problem in outcome.warnings:
        print(problem)
    for warning in [*result.warnings, *result.notes, *outcome.law_warnings]:
        print(f"WARNING: {warning}")
    if result.secret_created:
        print(f"Created the site secret in {result.secret_created} (keep it private; it makes the links).")
    if outcome.secret_moved:
        print(
            f"Copied the site secret from {outcome.secret_moved} beside the workbook, so the links stay the same "
            "on every computer that opens it."
        )
    print(
        f"Built {len(result.invoice_pages)} invoice page(s) and {len(result.statement_pages)} statement(s) "
        f"as of {outcome.as_of:%d/%m/%Y} in {result.out_dir}"
    )


def _print_remind(done: remind.RemindOutcome) -> None:
    for warning in done.warnings:
        print(f"WARNING: {warning}")
    for p in done.prepared:
        print(f"  {p.invoice:18} {p.stage:14} {p.to or '(no address)':32} {p.draft}")
        if p.letter:
            print(f"  {'':18} {'':14} {'letter to post:':32} {p.letter}")
    if done.written is None:
        print("No reminder is due today.")
        return
    print(
        f"{len(done.prepared)} reminder(s) prepared, {done.sent} sent; Reminders and Log rows written to "
        f"{done.written.target}"
    )


def _print_publish(done: publish.PublishOutcome) -> None:
    plan = done.plan
    verb = "Would publish" if done.dry_run else "Published"
    for label, paths in (("add", plan.added), ("change", plan.changed), ("remove", plan.removed)):
        for path in paths:
            print(f"  {label:6} {path}")
    print(f"{verb} to {done.target}: {len(plan.added)} added, {len(plan.changed)} changed, {len(plan.removed)} removed")


def _confirm_rotation(secret_file: Path) -> bool:
    """Whether the person at the terminal types "yes" to replacing the secret in `secret_file`."""
    print(
        f"Rotating replaces the site secret in {secret_file}: every private link changes, and the links already "
        "sent to your customers stop working once you publish again."
    )
    try:
        answer = input('Type "yes" to rotate it: ')
    except EOFError:
        answer = ""
    return answer.strip().lower() == "yes"


def _secret(action: str, workbook: Path | None, path: Path | None, yes: bool) -> int:
    from ..app import secret

    if workbook is None and path is None:
        print(
            "ERROR: name the workbook whose secret you mean, e.g. 'debtor-portal secret where invoices.xlsx'.",
            file=sys.stderr,
        )
        return EXIT_PROBLEMS
    folder = Path(workbook).resolve().parent if workbook else Path.cwd()
    if action == "where":
        print(secret.where(folder, path))
        return EXIT_OK
    if not yes:
        if not (sys.stdin and sys.stdin.isatty()):
            print(
                "ERROR: rotating the site secret changes every private link already sent, and there is no terminal "
                "to confirm it: run the same command with --yes to rotate it anyway.",
                file=sys.stderr,
            )
            return EXIT_PROBLEMS
        if not _confirm_rotation(secret.where(folder, path)):
            print("The site secret was not rotated: the links stay as they are.")
            return EXIT_PROBLEMS
    rotated = secret.rotate(folder, path)
    print(
        f"New site secret in {rotated.secret.source}. Every private link changes: the links already sent (in "
        "reminders, e-mails and the workbook's portal link column) stop working once you publish again. Run "
        "refresh to write the new links into the workbook, then build and publish; the next reminders carry "
        "the new links."
    )
    return EXIT_OK


def _serve(folder: Path, port: int, open_browser: bool) -> int:
    from .serve import make_server

    try:
        server = make_server(folder, port)
    except (FileNotFoundError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    print(f"Serving {folder} at {url} (Ctrl+C to stop)")
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return EXIT_OK


_WRITING = ("refresh", "remind", "import-bank", "import-ubl")


def _workbook(args: argparse.Namespace) -> FileWorkbook:
    """The workbook named on the command line; writing commands get the clock and where to write."""
    return FileWorkbook(
        args.workbook,
        now=datetime.now(),
        in_place=getattr(args, "in_place", False),
        out=getattr(args, "out", None) if args.command in _WRITING else None,
    )


def run(args: argparse.Namespace) -> int:
    if args.command == "init":
        from ..app import init

        result = init.init(args.path, with_sample=args.sample, lang=args.lang, overwrite=args.force)
        print(f"Created {result.path}" + (" with the sample data" if result.sample else ""))
        return EXIT_OK
    if args.command == "secret":
        return _secret(args.action, args.workbook, args.secret_file, args.yes)
    if args.command == "serve":
        return _serve(args.folder, args.port, args.open)
    if args.command == "addin":
        return addin_commands.run(args)
    workbook = _workbook(args)
    creditor = dict(args.creditor)
    if args.command == "check":
        from ..app import check

        checked = check.check(workbook, creditor)
        if args.json:
            print(json.dumps(checked.to_json(), indent=2, ensure_ascii=False))
        else:
            _print_check(checked)
        return checked.exit_code
    if args.command == "build":
        from ..app import build

        out = args.out or workbook.folder / "site_out"
        try:
            with ProgressBar() as bar:
                outcome = build.build(
                    workbook,
                    today=date.today(),
                    out_dir=out,
                    as_of=args.as_of,
                    creditor=creditor,
                    secret_file=args.secret_file,
                    workers=args.workers,
                    progress=bar,
                )
        except KeyboardInterrupt:
            print(f"Interrupted: {out} is as it was before this build.", file=sys.stderr)
            return EXIT_INTERRUPTED
        _print_build(outcome)
        return EXIT_OK
    if args.command == "publish":
        from ..app import publish

        site_dir = args.site or workbook.folder / "site_out"
        try:
            with ProgressBar() as bar:
                done = publish.publish(
                    workbook,
                    site_dir=site_dir,
                    to=args.to,
                    dry_run=args.dry_run,
                    creditor=creditor,
                    secret_file=args.secret_file,
                    progress=bar,
                )
        except KeyboardInterrupt:
            print(
                "Interrupted: the target may hold part of the new site. Publish again to complete it.", file=sys.stderr
            )
            return EXIT_INTERRUPTED
        _print_publish(done)
        return EXIT_OK
    if args.command == "actions":
        from ..app import actions

        found = actions.actions_for(workbook, today=date.today(), as_of=args.as_of, creditor=creditor)
        print("\n".join(found.lines))
        return EXIT_OK
    if args.command == "report":
        from ..app import report

        overview = report.report(workbook, today=date.today(), out=args.out, as_of=args.as_of, creditor=creditor)
        print(f"Wrote the overview as of {overview.assessment.as_of:%d/%m/%Y} to {overview.path} (not published)")
        return EXIT_OK
    if args.command == "handover":
        from ..app import handover

        packed = handover.handover(
            workbook,
            args.customer,
            today=date.today(),
            out=args.out,
            as_of=args.as_of,
            creditor=creditor,
            secret_file=args.secret_file,
        )
        for warning in packed.warnings:
            print(f"WARNING: {warning}")
        ready = sum(1 for file in packed.files if file.eligible)
        print(
            f"Wrote {packed.path}: {len(packed.files)} open invoice(s), {len(packed.names)} file(s); "
            f"{ready} meet every condition of the procedure for uncontested debts (see checklist.txt)"
        )
        return EXIT_OK
    if args.command == "refresh":
        from ..app import load, refresh

        refreshed = refresh.refresh(
            workbook, today=date.today(), as_of=args.as_of, creditor=creditor, secret_file=args.secret_file
        )
        for warning in load.law_warnings(refreshed.assessment):
            print(f"WARNING: {warning}")
        written = refreshed.written
        print(
            f"Refreshed {len(refreshed.assessment.invoices)} invoice(s) as of {refreshed.assessment.as_of:%d/%m/%Y}: "
            f"{written.cells} cell(s) changed in {written.target}"
            + (f", sheet(s) {', '.join(written.sheets)} rewritten" if written.sheets else "")
            + (f" (backup: {written.backup})" if written.backup else "")
        )
        return EXIT_OK
    if args.command == "remind":
        from ..app import remind

        outbox = args.outbox or workbook.folder / "outbox"
        reminded = remind.remind(
            workbook,
            today=date.today(),
            outbox=outbox,
            as_of=args.as_of,
            send=args.send,
            creditor=creditor,
            secret_file=args.secret_file,
            letters=args.letters,
        )
        _print_remind(reminded)
        return EXIT_OK
    if args.command == "import-bank":
        from ..app import import_bank

        with ProgressBar() as bar:
            imported = import_bank.import_bank(
                workbook, args.files, today=date.today(), as_of=args.as_of, creditor=creditor, progress=bar
            )
        print("\n".join(imported.lines()))
        return EXIT_OK
    if args.command == "import-ubl":
        from ..app import import_ubl

        with ProgressBar() as bar:
            added = import_ubl.import_ubl(workbook, args.paths, today=date.today(), creditor=creditor, progress=bar)
        print("\n".join(added.lines()))
        return EXIT_OK
    raise AssertionError(f"unknown command {args.command}")


def main(argv: list[str] | None = None) -> int:
    with collector.for_a_command():
        return _main(parser().parse_args(argv))


def _main(args: argparse.Namespace) -> int:
    try:
        return run(args)
    except Exception as exc:
        failed = errors.failure(exc)
        if failed is None:
            raise
        if getattr(args, "json", False) and isinstance(exc, UnreadableWorkbook):
            print(json.dumps({"workbook": str(args.workbook), "ok": False, "unreadable": str(exc)}))
        else:
            print(failed.message, file=sys.stderr)
        return failed.exit_code


if __name__ == "__main__":
    sys.exit(main())

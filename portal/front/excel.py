"""The ribbon's buttons: each runs the same command as the CLI on the workbook the user is in.

The ribbon calls `RunPython "import portal.front.excel; portal.front.excel.<button>()"` (see
addin/Dispatch.bas); xlwings then gives the active workbook as `xw.Book.caller()`. Each handler
decides the date once (today), shows progress in Excel's status bar, ends with one message box,
and gives screen updating, calculation mode and the status bar back as they were, whatever happens.
On macOS RunPython returns at once and Python runs on, so each handler is self-contained.
On Windows every click starts Python afresh, and Excel waits: each handler loads only its own command.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import traceback
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..app import errors
from ..domain.problems import ERROR, Problem
from ..workbook.excel import ExcelWorkbook
from ..workbook.port import state_dir
from . import collector

TITLE = "Debtor Portal"
PROBLEMS_SHEET = "Problems"
PROBLEM_HEADERS = ["Severity", "Where", "Problem", "How to fix it", "Found"]
PREVIEW_FILE = "preview.url"


def _caller() -> Any:
    import xlwings as xw

    return xw.Book.caller()


@dataclass
class _Session:
    """What one click works with: the book, its port, the date and a way to report progress."""

    book: Any
    today: date

    def __post_init__(self) -> None:
        self.workbook = ExcelWorkbook(self.book)

    @property
    def app(self) -> Any:
        return self.book.app

    def status(self, text: str) -> None:
        self.app.status_bar = f"{TITLE}: {text}"

    def progress(self, done: int, total: int, text: str) -> None:
        self.status(f"{text} ({done}/{total})" if total else text)

    def say(self, message: str, mode: str = "info") -> None:
        self.app.alert(message, title=TITLE, mode=mode)


def _click(book: Any, today: date | None, work: Callable[[_Session], str | None]) -> str | None:
    """Run one button's work with Excel quiet; restore Excel's state and say how it went, on every path."""
    book = book if book is not None else _caller()
    session = _Session(book, today or date.today())
    app = book.app
    screen, calculation, status = app.screen_updating, app.calculation, app.status_bar
    message, mode = None, "info"
    try:
        app.screen_updating = False
        app.calculation = "manual"
        with collector.for_a_command():
            message = work(session)
    except Exception as exc:
        failed = errors.failure(exc)
        mode = "critical"
        if failed is not None:
            message = failed.message
        else:
            lines = traceback.format_exception_only(type(exc), exc)
            message = (
                "Debtor Portal stopped on an unexpected error; nothing more was done. Please report it with this "
                "text:\n\n" + "".join(lines).strip()
            )
    finally:
        app.calculation = calculation
        app.screen_updating = screen
        app.status_bar = status
    if message:
        session.say(message, mode)
    return message


# --------------------------------------------------------------------------------------------
# Workbook
# --------------------------------------------------------------------------------------------


def new_workbook(book: Any = None, today: date | None = None) -> str | None:
    """Create a workbook from the template with the sample data beside the current one, and open it."""

    def work(s: _Session) -> str:
        from ..app import init

        folder = s.workbook.folder
        path, n = folder / "Receivables.xlsx", 1
        while path.exists():
            n += 1
            path = folder / f"Receivables ({n}).xlsx"
        init.init(path, with_sample=True)
        s.app.books.open(str(path))
        return (
            f"Created {path.name} in {folder}, with sample data to try every button. Replace the sample rows with "
            "your own customers and invoices, and fill in the Settings sheet."
        )

    return _click(book, today, work)


def _where(problem: Problem, sheets: set[str]) -> tuple[str, str | None]:
    """How to name a problem's place, and the address of a link to its cell (None when it is not in a sheet)."""
    where = problem.where
    if where.sheet.lower() not in sheets:
        return str(where), None
    return str(where), f"#'{where.sheet}'!{where.letter or 'A'}{where.row or 1}"


def _write_problems(book: Any, problems: tuple[Problem, ...]) -> None:
    """The Problems sheet, made anew: one row each, with a link to the cell; removed when there is nothing to say."""
    sheets = book.sheets
    existing = next((s for s in sheets if str(s.name).lower() == PROBLEMS_SHEET.lower()), None)
    if existing is not None:
        existing.delete()
    if not problems:
        return
    names = {str(s.name).lower() for s in sheets}
    sheet = book.sheets.add(PROBLEMS_SHEET, after=book.sheets[len(book.sheets) - 1])
    rows: list[list[object]] = [list(PROBLEM_HEADERS)]
    links = []
    for index, problem in enumerate(problems, start=2):
        text, link = _where(problem, names)
        rows.append([problem.severity, text, problem.message, problem.fix, problem.value or None])
        if link:
            links.append((index, link, text))
    sheet.range((1, 1)).value = rows
    for row, address, text in links:
        sheet.range((row, 2)).add_hyperlink(address, text, "Go to the cell")
    sheet.activate()


def check(book: Any = None, today: date | None = None) -> str | None:
    """List every problem on a Problems sheet with a link to each cell; remove the sheet when all is well."""

    def work(s: _Session) -> str:
        from ..app import check as check_command

        s.status("checking the workbook")
        result = check_command.check(s.workbook)
        _write_problems(s.book, result.problems)
        found = [p for p in result.problems if p.severity == ERROR]
        noted = len(result.problems) - len(found)
        counts = ", ".join(f"{n} {k}" for k, n in result.counts.items())
        if not result.problems:
            return f"No problems found. {counts}".strip()
        return (
            f"{len(found)} error(s) and {noted} warning(s), listed on the '{PROBLEMS_SHEET}' sheet with a link to "
            "each cell. Correct them and click Check again." + (f"\n{counts}" if counts else "")
        )

    return _click(book, today, work)


def refresh(book: Any = None, today: date | None = None) -> str | None:
    """Write the managed columns of every invoice, and the Actions and Overview sheets, into the open workbook, live."""

    def work(s: _Session) -> str:
        from ..app import load
        from ..app import refresh as refresh_command

        s.status("refreshing the invoices")
        done = refresh_command.refresh(s.workbook, today=s.today)
        warnings = load.law_warnings(done.assessment)
        return (
            f"Refreshed {len(done.assessment.invoices)} invoice(s) as of {done.assessment.as_of:%d/%m/%Y}: "
            f"{done.written.cells} cell(s) changed"
            + (f"; sheet(s) {', '.join(done.written.sheets)} rewritten." if done.written.sheets else ".")
            + ("".join(f"\n- {w}" for w in warnings) if warnings else "")
            + ("\nSave the workbook to keep them." if done.written.cells or done.written.sheets else "")
        )

    return _click(book, today, work)


# --------------------------------------------------------------------------------------------
# Debtors
# --------------------------------------------------------------------------------------------


def remind(book: Any = None, today: date | None = None) -> str | None:
    """Today's reminders as e-mail drafts in the outbox folder, with a Reminders and a Log row each."""

    def work(s: _Session) -> str:
        from ..app import remind as remind_command

        s.status("preparing today's reminders")
        folder = s.workbook.folder
        done = remind_command.remind(s.workbook, today=s.today, outbox=folder / "outbox")
        lines = [f"- {w}" for w in done.warnings]
        if not done.prepared:
            return "\n".join(["No reminder is due today.", *lines])
        return "\n".join(
            [
                f"{len(done.prepared)} reminder(s) prepared as e-mail drafts in {folder / 'outbox'}; a row each was "
                "added to the Reminders and Log sheets. Open a draft to check it and send it.",
                *lines,
            ]
        )

    return _click(book, today, work)


BANK_FOLDER = "Bank statements"
EINVOICE_FOLDER = "E-invoices"
MESSAGE_CHARACTERS = 900  # Excel's message box shows about 1,024 characters


def _inbox(folder: Path, what: str) -> list[Path] | str:
    """The files in `folder` (created when missing), or what to tell the user when there are none."""
    folder.mkdir(parents=True, exist_ok=True)
    files = sorted(
        p for p in folder.iterdir() if p.is_file() and not p.name.startswith((".", "~$")) and p.name != "desktop.ini"
    )
    if files:
        return files
    return (
        f"There is nothing to import in {folder}. Save {what} in that folder (it is beside the workbook) and click "
        "again: every file in it is imported, and a file imported before adds nothing the second time."
    )


def _summary(s: _Session, name: str, lines: list[str], then: str | None) -> str:
    """An import's summary in one message box: when it is too long for one, its first and last lines and as many
    as fit between, and all of it in a text file in the state folder beside the workbook."""
    ending = [then] if then else []
    text = "\n".join([*lines, *ending])
    if len(text) <= MESSAGE_CHARACTERS:
        return text
    folder = state_dir(s.workbook.folder) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{s.today:%Y-%m-%d}.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    first, middle, last = lines[0], lines[1:-1], lines[-1]
    more = f"... {{}} more line(s): all of them are in {path}"
    budget = MESSAGE_CHARACTERS - len("\n".join([first, more.format(len(middle)), last, *ending]))
    shown: list[str] = []
    for line in middle:
        budget -= len(line) + 1
        if budget < 0:
            break
        shown.append(line)
    return "\n".join([first, *shown, more.format(len(middle) - len(shown)), last, *ending])


def import_bank(book: Any = None, today: date | None = None) -> str | None:
    """Add the payments of the bank statements (camt.053/054, CODA) in the 'Bank statements' folder beside the workbook."""

    def work(s: _Session) -> str:
        from ..app import import_bank as import_bank_command

        files = _inbox(s.workbook.folder / BANK_FOLDER, "the statements exported from your bank (camt.053 or CODA)")
        if isinstance(files, str):
            return files
        done = import_bank_command.import_bank(s.workbook, files, today=s.today, progress=s.progress)
        then = "Click Refresh to update the invoices, then save the workbook." if done.rows_added else None
        return _summary(s, "bank", done.lines(), then)

    return _click(book, today, work)


def import_invoices(book: Any = None, today: date | None = None) -> str | None:
    """Add the Peppol e-invoices and credit notes (UBL .xml) in the 'E-invoices' folder beside the workbook."""

    def work(s: _Session) -> str:
        from ..app import import_ubl as import_ubl_command

        found = _inbox(s.workbook.folder / EINVOICE_FOLDER, "your Peppol e-invoices and credit notes (UBL .xml files)")
        if isinstance(found, str):
            return found
        files = [p for p in found if p.suffix.lower() == ".xml"]
        if not files:
            return f"There is no .xml file in {s.workbook.folder / EINVOICE_FOLDER}: e-invoices are UBL .xml files."
        done = import_ubl_command.import_ubl(s.workbook, files, today=s.today, progress=s.progress)
        then = "Click Refresh to update the invoices, then save the workbook." if done.added else None
        return _summary(s, "e-invoices", done.lines(), then)

    return _click(book, today, work)


def overview(
    book: Any = None, today: date | None = None, browser: Callable[[str], object] = webbrowser.open
) -> str | None:
    """The overview (what is owed, overdue, ageing, DSO, expected receipts) as a page on this computer, in the browser."""

    def work(s: _Session) -> str:
        from ..app import report as report_command
        from ..render import i18n, templating

        s.status("writing the overview")
        done = report_command.report(s.workbook, today=s.today)
        ov = done.overview
        messages = i18n.load_messages(templating.environment(s.workbook.folder))
        f = i18n.formatter("en", done.assessment.ledger.creditor.country, messages)
        browser(done.path.as_uri())
        return (
            f"As of {ov.as_of:%d/%m/%Y}: {f.money(ov.outstanding)} outstanding, {f.money(ov.overdue)} overdue"
            + (f", {ov.dso} days of sales outstanding" if ov.dso is not None else "")
            + f".\nThe full overview is open in your browser. It is kept on this computer only, never published: "
            f"{done.path}\nRefresh also writes it into the Overview sheet."
        )

    return _click(book, today, work)


# --------------------------------------------------------------------------------------------
# Portal
# --------------------------------------------------------------------------------------------


def build(book: Any = None, today: date | None = None) -> str | None:
    """Generate the portal from the live workbook (unsaved changes included) into site_out beside it."""

    def work(s: _Session) -> str:
        from ..app import build as build_command

        s.status("building the portal")
        out = s.workbook.folder / "site_out"
        outcome = build_command.build(s.workbook, today=s.today, out_dir=out, progress=s.progress)
        result = outcome.site
        warnings = [*result.warnings, *result.notes, *outcome.law_warnings]
        return "\n".join(
            [
                f"Built {len(result.invoice_pages)} invoice page(s) and {len(result.statement_pages)} statement(s) "
                f"as of {outcome.as_of:%d/%m/%Y} in {result.out_dir}. Preview shows them; Publish puts "
                "them online.",
                *(f"- {w}" for w in warnings),
                *(
                    [
                        f"The site secret was copied from {outcome.secret_moved} beside the workbook: links stay the same."
                    ]
                    if outcome.secret_moved
                    else []
                ),
            ]
        )

    return _click(book, today, work)


def _start_preview(site: Path, url_file: Path) -> str:
    url_file.unlink(missing_ok=True)
    options: dict[str, Any] = {"stdin": subprocess.DEVNULL, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if os.name == "nt":
        options["creationflags"] = getattr(subprocess, "DETACHED_PROCESS", 0) | getattr(
            subprocess, "CREATE_NEW_PROCESS_GROUP", 0
        )
    else:
        options["start_new_session"] = True
    subprocess.Popen([sys.executable, "-m", "portal.front.preview", str(site), str(url_file)], **options)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if url_file.is_file():
            return url_file.read_text().splitlines()[0]
        time.sleep(0.1)
    raise RuntimeError("the preview server did not start within 20 seconds")


def preview(
    book: Any = None, today: date | None = None, browser: Callable[[str], object] = webbrowser.open
) -> str | None:
    """Serve the built site on this computer only, for two hours, and open it in the browser."""

    def work(s: _Session) -> str:
        folder = s.workbook.folder
        site = folder / "site_out"
        if not (site / "index.html").is_file():
            return "There is no built portal yet: click Build portal first."
        s.status("starting the preview")
        state = state_dir(folder)
        state.mkdir(parents=True, exist_ok=True)
        url = _start_preview(site, state / PREVIEW_FILE)
        browser(url)
        return (
            f"The portal is open in your browser at {url} (on this computer only, for two hours). The pages "
            "debtors see are under /i/ and /c/: the links are in the workbook's portal link column."
        )

    return _click(book, today, work)


def publish(book: Any = None, today: date | None = None) -> str | None:
    """Put the built portal online at the publish target of the Settings, after the user confirms."""

    def work(s: _Session) -> str | None:
        from ..app import publish as publish_command

        folder = s.workbook.folder
        site = folder / "site_out"
        s.status("comparing the portal with what is online")
        planned = publish_command.publish(s.workbook, site_dir=site, dry_run=True)
        plan = planned.plan
        answer = s.app.alert(
            f"Publish the portal to {planned.target}?\n\n{len(plan.added)} page file(s) to add, "
            f"{len(plan.changed)} to change, {len(plan.removed)} to remove (removed links stop working).",
            title=TITLE,
            buttons="yes_no",
        )
        if answer != "yes":
            return "Nothing was published."
        s.status(f"publishing to {planned.target}")
        done = publish_command.publish(s.workbook, site_dir=site, progress=s.progress)
        return (
            f"Published to {done.target} at {datetime.now():%H:%M}: {len(done.plan.added)} added, "
            f"{len(done.plan.changed)} changed, {len(done.plan.removed)} removed."
        )

    return _click(book, today, work)


HELP = """Debtor Portal, button by button:
- New workbook: a workbook from the template, with sample data, beside this one.
- Check: every problem of this workbook on a 'Problems' sheet, with a link to each cell.
- Refresh: status, balance, stage, next action and portal link of every invoice, as of today.
- Reminders: today's reminders as e-mail drafts (outbox folder), logged in the workbook.
- Import bank statement: the payments of the statements in the 'Bank statements' folder beside the workbook.
- Import e-invoices: the e-invoices (UBL .xml) in the 'E-invoices' folder beside the workbook.
- Overview: what is owed, overdue, how old, and what is expected, as a page in your browser (never published).
- Build portal: the private payment pages, from the workbook as it is now (no need to save).
- Preview: the built pages in your browser, on this computer only.
- Publish: the built pages online at the 'Publish to' setting, after you confirm.
Every button works on the workbook you are in. The README has the details."""


def show_help(book: Any = None, today: date | None = None) -> str | None:
    """What each button does."""
    return _click(book, today, lambda s: HELP)

"""`import-bank`: payments from bank statements (camt.053/054, CODA), matched to invoices, into the Payments table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain.progress import Progress
from ..imports import camt053, coda, ubl
from ..imports.match import Decision, Outcome, decide, payment_rows
from ..imports.records import MAX_STATEMENT_BYTES, BankEntry, Statement, UnreadableFile
from ..workbook.port import Applied, Changes, WorkbookPort
from .errors import ImportFailed
from .load import checked

CURRENCY = "EUR"


@dataclass(frozen=True)
class BankImport:
    files: tuple[str, ...]
    decisions: tuple[Decision, ...]
    written: Applied | None  # None when there was nothing to write

    def count(self, outcome: Outcome) -> int:
        return sum(1 for d in self.decisions if d.outcome is outcome)

    @property
    def rows_added(self) -> int:
        return self.written.rows_added.get("payments", 0) if self.written else 0

    def lines(self) -> list[str]:
        """The summary: counts first, then every entry that needs the user's eye, by file and entry."""
        counts = Counter(d.outcome for d in self.decisions)
        lines = [
            f"Read {len(self.decisions)} entr{'y' if len(self.decisions) == 1 else 'ies'} from "
            f"{len(self.files)} file(s): {counts[Outcome.MATCHED]} matched, {counts[Outcome.SUGGESTED]} suggested, "
            f"{counts[Outcome.UNMATCHED]} unmatched, {counts[Outcome.SKIPPED]} skipped, "
            f"{counts[Outcome.REVERSED]} reversed."
        ]
        for outcome in (Outcome.SUGGESTED, Outcome.UNMATCHED, Outcome.REVERSED, Outcome.SKIPPED):
            for d in self.decisions:
                if d.outcome is outcome and (outcome is not Outcome.SKIPPED or not d.entry.booked or d.duplicate):
                    lines.append(f"  {outcome.value.upper()}: {d.where}: {_amount(d.entry)} — {d.reason}")
        if self.written:
            lines.append(f"{self.rows_added} payment row(s) written to {self.written.target}")
        else:
            lines.append("Nothing new to write.")
        return lines


def _amount(entry: BankEntry) -> str:
    payer = entry.counterparty_name or entry.counterparty_iban or "unknown payer"
    return f"{entry.booking_date:%d/%m/%Y} {'+' if entry.credit else '-'}{entry.amount} {entry.currency} ({payer})"


def read_statement(path: Path) -> list[Statement]:
    """Every statement in a camt.05x or CODA file; UnreadableFile names what is wrong."""
    name = path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise UnreadableFile(name, f"it cannot be opened ({exc.strerror}).") from None
    if size > MAX_STATEMENT_BYTES:
        raise UnreadableFile(
            name,
            f"it is {size / 1024 / 1024:.0f} MB, more than the {MAX_STATEMENT_BYTES // 1024 // 1024} MB a bank "
            "statement can reasonably be: export shorter periods (one month at a time) from your bank.",
        )
    data = path.read_bytes().removeprefix(b"\xef\xbb\xbf")  # a byte order mark some editors add
    if not data.strip():
        raise UnreadableFile(name, "it is empty: export the statement from your bank again.")
    if ubl.is_einvoice(data):
        raise UnreadableFile(
            name,
            "it is an e-invoice, not a bank statement: import it with import-ubl (Import e-invoices on the ribbon).",
        )
    if camt053.is_camt(data):
        return camt053.read(data, name)
    if coda.is_coda(data):
        return coda.read(data, name)
    if data.lstrip()[:1] == b"<":
        return camt053.read(data, name)  # names what is wrong with the XML, or says it is not camt
    raise UnreadableFile(
        name, "it is neither a camt.053 statement (XML) nor a CODA file: export the statement in one of those formats."
    )


def _currency_problems(statement: Statement) -> list[str]:
    if statement.currency and statement.currency != CURRENCY:
        return [
            f"{statement.file}: the account is in {statement.currency}; only {CURRENCY} accounts are imported "
            "(the workbook's invoices are paid in euro). Remove this file from the import."
        ]
    return [
        f"{e.file}, {e.where}: the amount is in {e.currency}; only {CURRENCY} is imported. Remove this file."
        for e in statement.entries
        if e.currency and e.currency != CURRENCY
    ]


def import_bank(
    workbook: WorkbookPort,
    files: list[Path],
    *,
    today: date,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    progress: Progress | None = None,
) -> BankImport:
    """Read every file, then match and write the payments in one go; nothing is written when a file is unreadable."""
    report = progress or (lambda done, total, message: None)
    total = len(files) + 2
    statements: list[Statement] = []
    problems: list[str] = []
    for k, path in enumerate(files):
        report(k, total, f"Reading {Path(path).name}")
        try:
            read = read_statement(Path(path))
        except UnreadableFile as exc:
            problems.append(str(exc))
            continue
        for statement in read:
            problems += _currency_problems(statement)
        statements += read
    _, ledger = checked(workbook, creditor)
    own = ledger.creditor.iban.replace(" ", "").upper()
    problems += [
        f"{s.file}: the statement is for account {s.account_iban}, not the IBAN in the Settings "
        f"({ledger.creditor.iban}): its payments were not made to you. Remove this file, or correct the IBAN."
        for s in statements
        if s.account_iban and s.account_iban.replace(" ", "").replace("-", "").upper() not in (own, own[4:])
    ]
    if problems:
        raise ImportFailed(
            f"{len(problems)} problem(s) in the file(s) to import: nothing was written. Correct or remove them "
            "and import again.",
            tuple(problems),
        )
    report(len(files), total, f"Matching with {workbook.name}")
    entries = [e for s in statements for e in s.entries]
    decisions = decide(entries, ledger, as_of or ledger.creditor.as_of or today)
    rows = [row for d in decisions for row in payment_rows(d)]
    written = None
    if rows:
        report(len(files) + 1, total, f"Writing {len(rows)} payment(s)")
        written = workbook.apply(Changes(append={"payments": rows}))
    report(total, total, "Done")
    return BankImport(tuple(Path(f).name for f in files), tuple(decisions), written)

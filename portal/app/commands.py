"""The commands behind both front doors (the CLI and the Excel ribbon).

Each takes a workbook port (anything with `.path` and `.grids()`) and options, and
returns a result object; the front door decides how to show it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from ..domain import dunning
from ..domain.ledger import Ledger
from ..domain.problems import ERROR, Problem, errors, warnings
from ..publish import targets as publish_module
from ..render import i18n, mail, reminders, site, templating, tokens
from ..render import manifest as site_manifest
from ..workbook import sample, validate, write
from ..workbook.file import Grid, state_dir
from ..workbook.read import Reading, read_ledger, setting_places
from ..workbook.template import write_workbook

MANIFEST = "build.json"


class WorkbookPort(Protocol):
    path: Path

    def grids(self) -> list[Grid]: ...


@dataclass(frozen=True)
class Loaded:
    """A workbook read and checked: the Ledger (None when unreadable as one) and every problem."""

    ledger: Ledger | None
    problems: tuple[Problem, ...]
    reading: Reading

    @property
    def errors(self) -> list[Problem]:
        return errors(list(self.problems))

    @property
    def warnings(self) -> list[Problem]:
        return warnings(list(self.problems))


def load(workbook: WorkbookPort, creditor: dict[str, str] | None = None) -> Loaded:
    """Read every table once and run every check."""
    overrides = creditor or {}
    grids = workbook.grids()
    reading = read_ledger(grids, overrides)
    problems = list(reading.problems)
    if reading.ledger is not None:
        problems += validate.check(reading, setting_places(grids, overrides))
    problems.sort(key=lambda p: (p.severity != ERROR, p.where.sheet, p.where.row or 0))
    return Loaded(reading.ledger, tuple(problems), reading)


@dataclass(frozen=True)
class CheckResult:
    workbook: Path
    problems: tuple[Problem, ...]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if errors(list(self.problems)) else 0

    def to_json(self) -> dict:
        return {
            "workbook": str(self.workbook),
            "ok": self.exit_code == 0,
            "errors": [p.to_json() for p in errors(list(self.problems))],
            "warnings": [p.to_json() for p in warnings(list(self.problems))],
            "counts": self.counts,
        }


def check(workbook: WorkbookPort, creditor: dict[str, str] | None = None) -> CheckResult:
    loaded = load(workbook, creditor)
    ledger = loaded.ledger
    counts = (
        {}
        if ledger is None
        else {
            "customers": len(ledger.customers),
            "invoices": len(ledger.invoices),
            "payments": len(ledger.payments),
            "installments": len(ledger.installments),
            "log": len(ledger.log),
        }
    )
    return CheckResult(workbook.path, loaded.problems, counts)


@dataclass(frozen=True)
class InitResult:
    path: Path
    sample: bool


def init(path: Path, *, with_sample: bool = False, lang: str = "en", overwrite: bool = False) -> InitResult:
    """Write a new template workbook, optionally with the sample data."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists: choose another name, or pass --force to replace it.")
    if with_sample:
        write_workbook(path, lang=lang, settings=sample.SETTINGS, rows=sample.sample_rows())
    else:
        write_workbook(path, lang=lang)
    return InitResult(path, with_sample)


class Refused(Exception):
    """A command will not act on a workbook with errors; `problems` lists them."""

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()):
        super().__init__(message)
        self.problems = problems


def assessed(
    workbook: WorkbookPort, *, today: date, as_of: date | None = None, creditor: dict[str, str] | None = None
) -> tuple[Loaded, dunning.Assessment]:
    """Read, check and assess: the date is the one given, else the workbook's "as of", else today."""
    loaded = load(workbook, creditor)
    if loaded.errors:
        raise Refused(
            f"{workbook.path} has {len(loaded.errors)} error(s): run 'debtor-portal check' and correct them first.",
            loaded.problems,
        )
    ledger = loaded.ledger
    return loaded, dunning.assess(ledger, as_of or ledger.creditor.as_of or today)


def law_warnings(assessment: dunning.Assessment) -> list[str]:
    """What the legal computations want the user to know (e.g. a rate table to update), once each."""
    return sorted({w for state in assessment.invoices if state.claim for w in state.claim.warnings})


@dataclass(frozen=True)
class BuildOutcome:
    site: site.BuildResult
    assessment: dunning.Assessment
    warnings: tuple[Problem, ...]


def build(
    workbook: WorkbookPort,
    *,
    today: date,
    out_dir: Path,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
    workers: int | None = None,
    progress: site.Progress | None = None,
) -> BuildOutcome:
    """Check the workbook, assess it and write the portal to `out_dir`.

    `progress(done, total, label)` is called as pages are rendered; `workers` processes render
    them (default: one per core)."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    secret = _secret(secret_file)
    try:
        result = site.build_site(
            assessment,
            out_dir,
            secret,
            Path(workbook.path),
            manifest=state_dir(workbook.path) / MANIFEST,
            workbook_fingerprint=_workbook_fingerprint(workbook),
            workers=workers,
            progress=progress,
        )
    except site.BuildError as exc:
        raise Refused(str(exc)) from None
    return BuildOutcome(result, assessment, tuple(loaded.warnings))


@dataclass(frozen=True)
class PublishOutcome:
    target: str
    plan: publish_module.Plan
    dry_run: bool


def publish(
    workbook: WorkbookPort,
    *,
    site_dir: Path,
    to: str = "",
    dry_run: bool = False,
    creditor: dict[str, str] | None = None,
) -> PublishOutcome:
    """Mirror the built site to the target, refusing a stale, unchecked or unsafe site."""
    loaded = load(workbook, creditor)
    if loaded.errors:
        raise Refused(
            f"{workbook.path} has {len(loaded.errors)} error(s): nothing was published. Run "
            "'debtor-portal check', correct them, build and publish again.",
            loaded.problems,
        )
    spec = to or loaded.ledger.creditor.publish_target
    if not spec:
        raise Refused(
            "No publish target: pass --to (a folder, rclone:REMOTE:PATH or git:URL#BRANCH) or fill in "
            "the 'Publish to' setting."
        )
    manifest = site_manifest.load(state_dir(workbook.path) / MANIFEST)
    if manifest is None or not Path(site_dir).is_dir():
        raise Refused(f"No built site in {site_dir}: run 'debtor-portal build {workbook.path}' first.")
    if manifest.workbook_fingerprint != _workbook_fingerprint(workbook):
        raise Refused(
            f"The workbook changed since the site was built: run 'debtor-portal build {workbook.path}' "
            "again, then publish."
        )
    if publish_module.site_files(Path(site_dir)) != manifest.files:
        raise Refused(
            f"{site_dir} is not the site that was last built (files were changed, added or removed): "
            "build again, then publish."
        )
    if unsafe := site.unsafe_payment_codes(Path(site_dir)):
        raise Refused(
            "Pages carry payment details that do not validate, so nothing was published:\n  " + "\n  ".join(unsafe)
        )
    try:
        target = publish_module.parse_target(spec, base_dir=Path(workbook.path).resolve().parent)
        message = (
            f"Publish the portal as of {manifest.as_of.isoformat()}: {manifest.invoices} invoice page(s), "
            f"{manifest.statements} statement(s)"
        )
        plan = publish_module.publish(
            Path(site_dir), target, state_dir=state_dir(workbook.path), message=message, dry_run=dry_run
        )
    except publish_module.PublishError as exc:
        raise Refused(str(exc)) from None
    return PublishOutcome(str(target), plan, dry_run)


def _workbook_fingerprint(workbook: WorkbookPort) -> str:
    return hashlib.sha256(Path(workbook.path).read_bytes()).hexdigest()


def _secret(secret_file: Path | None) -> tokens.Secret:
    try:
        return tokens.load_secret(secret_file)
    except tokens.SecretError as exc:
        raise Refused(str(exc)) from None


def _written(
    workbook: WorkbookPort, changes: write.Changes, *, now: datetime, in_place: bool, out: Path | None
) -> write.WriteResult:
    try:
        return write.write_workbook_changes(Path(workbook.path), changes, now=now, in_place=in_place, out=out)
    except write.UnsafeToWrite as exc:
        raise Refused(str(exc)) from None


def managed_values(assessment: dunning.Assessment, secret: tokens.Secret) -> dict[int, dict[str, object]]:
    """The Invoices table's managed columns, by sheet row, as Refresh writes them."""
    creditor = assessment.ledger.creditor
    rows = {}
    for state in assessment.invoices:
        if state.invoice.where is None:
            continue
        link = site.page_link(secret, creditor, "i", state.invoice.number)
        rows[state.invoice.where.row] = {
            "paid": state.paid,
            "balance": state.balance,
            "status": state.status,
            "days_overdue": max(state.days_overdue, 0) if state.balance > 0 else 0,
            "stage": dunning.stage_label(state.stage) if state.stage else "",
            "next_action": state.reason,
            "next_action_date": state.next_action_date,
            "last_reminder": state.last_reminder,
            "portal_link": site.absolute_url(creditor, link) if state.balance > 0 or state.paid_on else "",
        }
    return rows


@dataclass(frozen=True)
class RefreshOutcome:
    assessment: dunning.Assessment
    written: write.WriteResult


def refresh(
    workbook: WorkbookPort,
    *,
    today: date,
    now: datetime,
    as_of: date | None = None,
    in_place: bool = False,
    out: Path | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
) -> RefreshOutcome:
    """Write status, balance, stage, next action and portal link of every invoice into the workbook."""
    _, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    changes = write.Changes(cells={"invoices": managed_values(assessment, _secret(secret_file))})
    return RefreshOutcome(assessment, _written(workbook, changes, now=now, in_place=in_place, out=out))


@dataclass(frozen=True)
class Prepared:
    """One reminder of today: its text, its e-mail and where it was saved."""

    invoice: str  # the invoice number, or "<number>/<installment>"
    customer_id: str
    stage: str
    reminder: reminders.Reminder
    message: EmailMessage
    to: str  # the customer's address, '' when there is none
    link: str
    draft: Path


@dataclass(frozen=True)
class RemindOutcome:
    prepared: tuple[Prepared, ...]
    sent: int
    warnings: tuple[str, ...]
    written: write.WriteResult | None


def _todays_reminders(
    assessment: dunning.Assessment, secret: tokens.Secret, workbook: Path
) -> list[tuple[str, dunning.InvoiceState, str, reminders.Reminder, str]]:
    """(log key, invoice state, stage, reminder, link) for every reminder due today, installments included."""
    ledger = assessment.ledger
    creditor = ledger.creditor
    messages = i18n.load_messages(templating.environment(workbook))
    letters = reminders.ReminderTemplates(workbook)
    due = [(s.invoice.number, s, s.next_action, None) for s in assessment.due_actions()]
    due += [
        (f"{s.invoice.number}/{i.installment.number}", s, i.next_action, i)
        for s, i in assessment.due_installment_actions()
    ]
    found = []
    for key, state, stage, installment in due:
        lang = (state.customer.language if state.customer else "") or creditor.default_language
        f = i18n.formatter(lang, creditor.country, messages)
        link = site.absolute_url(creditor, site.page_link(secret, creditor, "i", state.invoice.number))
        context = reminders.reminder_context(assessment, state, stage, f, link, installment=installment)
        found.append((key, state, stage, letters.render(stage, f.lang, context), link))
    return found


def remind(
    workbook: WorkbookPort,
    *,
    today: date,
    now: datetime,
    outbox: Path,
    as_of: date | None = None,
    send: bool = False,
    in_place: bool = False,
    out: Path | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
) -> RemindOutcome:
    """Today's reminders: an .eml draft each in `outbox` (sent by SMTP with `send`), a row each in the
    Reminders table and a Log entry each, so that no reminder is produced twice."""
    _, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    ledger, as_of = assessment.ledger, assessment.as_of
    warnings, prepared = [], []
    for key, state, stage, reminder, link in _todays_reminders(assessment, _secret(secret_file), Path(workbook.path)):
        customer = state.customer
        address = customer.email.strip() if customer else ""
        if address and not mail.valid_address(address):
            warnings.append(f"{key}: '{address[:60]}' is not an e-mail address; the draft has no recipient.")
            address = ""
        elif not address:
            warnings.append(f"{key}: the customer has no e-mail address; the draft has no recipient.")
        try:
            msg = mail.message(
                reminder,
                creditor=ledger.creditor,
                to_name=customer.name if customer else "",
                to_address=address,
                sent=as_of,
            )
        except mail.MailError as exc:
            raise Refused(str(exc)) from None
        draft = mail.save_draft(msg, Path(outbox), f"{as_of:%Y-%m-%d}-{key}-{stage}")
        prepared.append(
            Prepared(
                key, customer.id if customer else state.invoice.customer_id, stage, reminder, msg, address, link, draft
            )
        )
    sent: list[Prepared] = []
    if send:
        sendable = [p for p in prepared if p.to]
        try:
            mail.send([p.message for p in sendable], mail.SmtpSettings.of(ledger.creditor))
            sent = sendable
        except mail.MailError as exc:
            raise Refused(str(exc)) from None
    if not prepared:
        return RemindOutcome((), 0, tuple(warnings), None)
    log = [
        {
            "date": as_of,
            "customer_id": p.customer_id,
            "invoice": p.invoice,
            "channel": "email",
            "action": p.stage,
            "note": (f"sent to {p.to}" if p in sent else f"draft {p.draft.name}"),
        }
        for p in prepared
    ]
    rows = [
        {
            "date": as_of,
            "customer_id": p.customer_id,
            "customer": p.message.get("To", ""),
            "email": p.to,
            "invoice": p.invoice,
            "stage": p.stage,
            "subject": p.reminder.subject,
            "body": p.reminder.text,
            "link": p.link,
            "eml_file": str(p.draft),
        }
        for p in prepared
    ]
    written = _written(
        workbook, write.Changes(append={"log": log, "reminders": rows}), now=now, in_place=in_place, out=out
    )
    return RemindOutcome(tuple(prepared), len(sent), tuple(warnings), written)

"""`remind`: today's reminders as e-mail drafts (or sent), with Reminders and Log rows.

A letter is prepared (an .eml draft, a Log row without a Sent date) and counts as sent only once the SMTP
server accepted it or the user filled in its Sent date. Every step is recorded in the send journal first
(see `journal`), so that whatever fails, nothing is prepared or sent twice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from ..domain import dunning, law
from ..domain.ledger import LogEntry
from ..domain.stages import Channel, Stage
from ..render import i18n, mail, reminders, site, templating, tokens
from ..render import letters as paper
from ..workbook.port import Applied, Changes, UnsafeToWrite, WorkbookPort, grids_fingerprint
from . import journal as journals
from .load import checked


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
    letter: Path | None = None  # the PDF for post: a customer without an e-mail address, and every formal notice


@dataclass(frozen=True)
class RemindOutcome:
    prepared: tuple[Prepared, ...]
    sent: int
    warnings: tuple[str, ...]
    written: Applied | None


def _todays_reminders(
    assessment: dunning.Assessment, secret: tokens.Secret, workbook: Path, warnings: list[str]
) -> list[tuple[str, dunning.InvoiceState, str, reminders.Reminder, str, str, Channel]]:
    """(log key, invoice state, stage, reminder, link, letter record, channel) for every reminder due today: by
    e-mail to a customer with an address, else by post."""
    ledger = assessment.ledger
    creditor = ledger.creditor
    messages = i18n.load_messages(templating.environment(workbook))
    letters = reminders.ReminderTemplates(workbook)
    due: list[tuple[str, dunning.InvoiceState, str, dunning.InstallmentState | None]] = [
        (s.invoice.number, s, s.next_action, None) for s in assessment.due_actions()
    ]
    due += [
        (f"{s.invoice.number}/{i.installment.number}", s, i.next_action, i)
        for s, i in assessment.due_installment_actions()
    ]
    found = []
    for key, state, stage, installment in due:
        lang = (state.customer.language if state.customer else "") or creditor.default_language
        f = i18n.formatter(lang, creditor.country, messages)
        link = site.absolute_url(creditor, site.page_link(secret, creditor, "i", state.invoice.number))
        channel = reminders.channel_for(state.customer)
        try:
            record = reminders.letter_record(assessment, state, stage, installment, channel=channel)
        except law.RateMissing as exc:
            warnings.append(f"{key}: {stage} not prepared. {exc}")
            continue
        context = reminders.reminder_context(assessment, state, stage, f, link, installment=installment, letter=record)
        found.append((key, state, stage, letters.render(stage, f.lang, context), link, record.to_json(), channel))
    return found


def _with_journal(log: tuple[LogEntry, ...], entries: list[journals.Entry]) -> tuple[LogEntry, ...]:
    """The Log as the journal completes it: letters it lacks, and Sent dates it does not have yet."""
    out = []
    for row in log:
        entry = next((e for e in entries if journals.rows_of((row,), e)), None)
        if entry is not None and entry.sent_on and row.sent is None:
            row = replace(row, sent_on=entry.sent_on, channel=entry.channel)
        out.append(row)
    out += [e.log_entry() for e in entries if not journals.rows_of(log, e)]
    return tuple(out)


def _paper(
    assessment: dunning.Assessment, key: str, state: dunning.InvoiceState, stage: str, reminder: reminders.Reminder
) -> paper.Letter:
    """The letter on paper of one of today's reminders (`key`: "<invoice>" or "<invoice>/<installment>")."""
    number = key.partition("/")[2]
    installment = next((i for i in state.installments if str(i.installment.number) == number), None)
    channel = Channel.REGISTERED if stage == Stage.FORMAL_NOTICE else Channel.POST
    return paper.Letter(stage, channel, assessment.as_of, reminder, state, installment)


def remind(
    workbook: WorkbookPort,
    *,
    today: date,
    outbox: Path,
    as_of: date | None = None,
    send: bool = False,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
    letters: bool = False,
) -> RemindOutcome:
    """Today's reminders: an .eml draft each in `outbox` (sent by SMTP with `send`), a row each in the
    Reminders table and a Log entry each, so that no reminder is produced twice. A PDF letter for post goes
    with every formal notice, every reminder to a customer without an e-mail address, and with `letters`
    every reminder."""
    loaded, as_read = checked(workbook, creditor)
    journal = journals.Journal(workbook.folder, workbook.name)
    recorded = journal.entries()
    ledger = replace(as_read, log=_with_journal(as_read.log, recorded))
    smtp = mail.SmtpSettings.of(ledger.creditor) if send else None  # before anything is written
    assessment = dunning.assess(ledger, as_of or ledger.creditor.as_of or today)
    as_of = assessment.as_of
    warnings: list[str] = []
    prepared: list[Prepared] = []
    fresh: list[journals.Entry] = []
    messages = i18n.load_messages(templating.environment(workbook.folder))
    for key, state, stage, reminder, link, record, channel in _todays_reminders(
        assessment, tokens.workbook_secret(workbook.folder, secret_file), workbook.folder, warnings
    ):
        customer = state.customer
        typed = customer.email.strip() if customer else ""
        address = typed if channel is Channel.EMAIL else ""
        if typed and not address:
            warnings.append(f"{key}: '{typed[:60]}' is not an e-mail address; the draft has no recipient.")
        elif not address:
            warnings.append(f"{key}: the customer has no e-mail address; the draft has no recipient.")
        msg = mail.message(
            reminder,
            creditor=ledger.creditor,
            to_name=customer.name if customer else "",
            to_address=address,
            sent=as_of,
        )
        draft = mail.save_draft(msg, Path(outbox), f"{as_of:%Y-%m-%d}-{key}-{stage}")
        customer_id = customer.id if customer else state.invoice.customer_id
        entry = journals.Entry(
            date=as_of,
            customer_id=customer_id,
            invoice=key,
            stage=stage,
            channel=channel,
            to=address,
            letter=record,
            draft=str(draft),
            subject=reminder.subject,
            body=reminder.text,
            link=link,
            recipient=msg.get("To", ""),
        )
        journal.prepared(entry)
        fresh.append(entry)
        pdf = None
        if letters or stage == Stage.FORMAL_NOTICE or not address:
            f = i18n.formatter(reminder.lang, ledger.creditor.country, messages)
            letter = _paper(assessment, key, state, stage, reminder)
            pdf = paper.write_letter(Path(outbox) / "letters", draft.stem, ledger.creditor, letter, f)
        prepared.append(Prepared(key, customer_id, stage, reminder, msg, address, link, draft, pdf))

    failure: mail.MailError | None = None
    sent_now: list[journals.Entry] = []
    if smtp is not None:
        # Today's drafts, and those of an earlier run today that were not sent (a server failing mid-batch).
        waiting = [e for e in journal.entries() if e.date == as_of and e.sent_on is None and e.to]
        waiting = [e for e in waiting if not any(row.sent_on for row in journals.rows_of(ledger.log, e))]
        outgoing = [(e, Path(e.draft).read_bytes()) for e in waiting if Path(e.draft).is_file()]
        if outgoing:

            def accepted(index: int) -> None:
                sent_now.append(journal.sent(outgoing[index][0], as_of))

            try:
                mail.send([_parsed(raw) for _, raw in outgoing], smtp, on_sent=accepted)
            except mail.MailError as exc:
                failure = exc
    entries = journal.entries()
    written = _write_log(workbook, loaded.fingerprint, as_read.log, entries, failure)
    if failure is not None:
        raise failure
    return RemindOutcome(tuple(prepared), len(sent_now), tuple(warnings), written)


def _parsed(raw: bytes) -> EmailMessage:
    import email

    return email.message_from_bytes(raw, _class=EmailMessage, policy=mail.POLICY)


def _write_log(
    workbook: WorkbookPort,
    fingerprint: str,
    log: tuple[LogEntry, ...],
    entries: list[journals.Entry],
    failure: Exception | None,
) -> Applied | None:
    """Log and Reminders rows for the letters the workbook does not have yet, Sent dates for those it has."""
    missing = [e for e in entries if journals.logged(log, e) is None]
    new = [e for e in missing if not journals.rows_of(log, e)]  # a draft logged before gets a row for its sending
    changes = Changes(
        append={"log": [e.log_row() for e in missing], "reminders": [e.reminders_row() for e in new]} if missing else {}
    )
    if not changes:
        return None
    if grids_fingerprint(workbook.grids()) != fingerprint:
        raise UnsafeToWrite(
            f"{workbook.name} changed while the reminders were being prepared or sent, so the Log was not written. "
            "Nothing is lost: what was prepared and sent is recorded in the send journal "
            f"({journals.FOLDER} in the {journals.state_dir(workbook.folder).name} folder), and the next Reminders "
            "run writes it to the Log without preparing or sending anything twice."
            + (f" Also: {failure}" if failure else "")
        )
    return workbook.apply(changes)

"""`remind`: today's reminders as e-mail drafts (or sent), with Reminders and Log rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path

from ..domain import dunning
from ..domain.stages import Channel, Stage
from ..render import i18n, letters, mail, reminders, site, templating, tokens
from ..workbook.port import Applied, Changes, WorkbookPort
from .load import assessed, secret


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


def _paper(
    assessment: dunning.Assessment, key: str, state: dunning.InvoiceState, stage: str, reminder: reminders.Reminder
) -> letters.Letter:
    """The letter on paper of one of today's reminders (`key`: "<invoice>" or "<invoice>/<installment>")."""
    number = key.partition("/")[2]
    installment = next((i for i in state.installments if str(i.installment.number) == number), None)
    channel = Channel.REGISTERED if stage == Stage.FORMAL_NOTICE else Channel.POST
    return letters.Letter(stage, channel, assessment.as_of, reminder, state, installment)


def remind(
    workbook: WorkbookPort,
    *,
    today: date,
    outbox: Path,
    as_of: date | None = None,
    send: bool = False,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
    paper: bool = False,
) -> RemindOutcome:
    """Today's reminders: an .eml draft each in `outbox` (sent by SMTP with `send`), a row each in the
    Reminders table and a Log entry each, so that no reminder is produced twice. A PDF letter goes with every
    formal notice, every reminder to a customer without an e-mail address, and with `paper` every reminder."""
    _, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    ledger, as_of = assessment.ledger, assessment.as_of
    warnings, prepared = [], []
    messages = i18n.load_messages(templating.environment(workbook.folder))
    for key, state, stage, reminder, link in _todays_reminders(
        assessment, secret(workbook.folder, secret_file), workbook.folder
    ):
        customer = state.customer
        address = customer.email.strip() if customer else ""
        if address and not mail.valid_address(address):
            warnings.append(f"{key}: '{address[:60]}' is not an e-mail address; the draft has no recipient.")
            address = ""
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
        pdf = None
        if paper or stage == Stage.FORMAL_NOTICE or not address:
            f = i18n.formatter(reminder.lang, ledger.creditor.country, messages)
            letter = _paper(assessment, key, state, stage, reminder)
            pdf = letters.write_letter(Path(outbox) / "letters", draft.stem, ledger.creditor, letter, f)
        prepared.append(
            Prepared(
                key,
                customer.id if customer else state.invoice.customer_id,
                stage,
                reminder,
                msg,
                address,
                link,
                draft,
                pdf,
            )
        )
    sent: list[Prepared] = []
    if send:
        sendable = [p for p in prepared if p.to]
        mail.send([p.message for p in sendable], mail.SmtpSettings.of(ledger.creditor))
        sent = sendable
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
    written = workbook.apply(Changes(append={"log": log, "reminders": rows}))
    return RemindOutcome(tuple(prepared), len(sent), tuple(warnings), written)

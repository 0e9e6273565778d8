"""Reminder e-mails: RFC 5322 messages (plain text + HTML), saved as .eml drafts or sent by SMTP."""

from __future__ import annotations

import email.policy
import os
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..domain.ledger import Creditor
from .reminders import Reminder

PASSWORD_ENV = "DEBTOR_PORTAL_SMTP_PASSWORD"
# CRLF line ends as mail wants them; headers folded only past 998 characters (RFC 5322's limit), since
# Python folds a long subject onto a line of its own, which some programs show with a leading space.
POLICY = email.policy.SMTP.clone(max_line_length=998)
_SIMPLE_ADDRESS = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


class MailError(Exception):
    """A message cannot be made or sent; the message says why and what to do."""


def valid_address(address: str) -> bool:
    return bool(_SIMPLE_ADDRESS.match(address.strip()))


def _address(name: str, address: str) -> Address:
    username, _, domain = address.strip().partition("@")
    return Address(display_name=" ".join(name.split())[:200], username=username, domain=domain)


def message(reminder: Reminder, *, creditor: Creditor, to_name: str, to_address: str, sent: date) -> EmailMessage:
    """One reminder as an e-mail: a text part and an HTML part, in the reader's language."""
    sender = creditor.smtp_from or creditor.email
    if not valid_address(sender):
        raise MailError(
            f"The sender address '{sender}' is not an e-mail address: fill in the 'Contact e-mail' "
            "or 'Send from' setting."
        )
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(creditor.name, sender)
    if to_address:
        if not valid_address(to_address):
            raise MailError(f"'{to_address[:80]}' is not an e-mail address")
        msg["To"] = _address(to_name, to_address)
    msg["Subject"] = reminder.subject
    msg["Date"] = format_datetime(datetime.combine(sent, time(9, 0), tzinfo=UTC))
    msg["Message-ID"] = make_msgid(domain=sender.partition("@")[2])
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(reminder.text)
    msg.add_alternative(
        f'<!doctype html><html lang="{reminder.lang}"><head><meta charset="utf-8"></head>'
        f"<body>{reminder.html}</body></html>",
        subtype="html",
    )
    for part in (msg, *msg.iter_parts()):  # after add_alternative, which moves Content-* headers into a part
        part["Content-Language"] = reminder.lang
    return msg


def save_draft(msg: EmailMessage, folder: Path, name: str) -> Path:
    """Write the message as an .eml file any mail program opens as a draft."""
    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)[:120]
    path = folder / f"{safe}.eml"
    path.write_bytes(bytes(msg))
    return path


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str

    @classmethod
    def of(cls, creditor: Creditor, environ: dict[str, str] | None = None) -> SmtpSettings:
        if not creditor.smtp_host:
            raise MailError(
                "No SMTP server: fill in the 'SMTP server' setting (and 'SMTP port', 'SMTP user'), or "
                "leave out --send to write .eml drafts instead."
            )
        environ = os.environ if environ is None else environ
        return cls(creditor.smtp_host, creditor.smtp_port, creditor.smtp_user, environ.get(PASSWORD_ENV, ""))


def send(messages: list[EmailMessage], settings: SmtpSettings) -> None:
    """Send every message over one connection: TLS on port 465, STARTTLS when offered, login when a user is set."""
    try:
        if settings.port == 465:
            server = smtplib.SMTP_SSL(settings.host, settings.port, context=ssl.create_default_context(), timeout=30)
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=30)
        with server:
            server.ehlo()
            if settings.port != 465 and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if settings.user:
                if not settings.password:
                    raise MailError(f"No SMTP password: set the {PASSWORD_ENV} environment variable.")
                server.login(settings.user, settings.password)
            for msg in messages:
                server.send_message(msg)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"Sending through {settings.host}:{settings.port} failed ({exc}). Check the SMTP settings; "
            "nothing was logged as sent."
        ) from None

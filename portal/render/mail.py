"""Reminder e-mails: RFC 5322 messages (plain text + HTML), saved as .eml drafts or sent by SMTP."""

from __future__ import annotations

import email.policy
import ipaddress
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from ..domain.ledger import Creditor
from ..domain.problems import UserError
from ..workbook.cells import is_email_address
from .reminders import Reminder

PASSWORD_ENV = "DEBTOR_PORTAL_SMTP_PASSWORD"
# CRLF line ends as mail wants them; headers folded only past 998 characters (RFC 5322's limit), since
# Python folds a long subject onto a line of its own, which some programs show with a leading space.
POLICY = email.policy.SMTP.clone(max_line_length=998)


class MailError(UserError):
    """A message cannot be made or sent; the message says why and what to do. `sent` messages went out."""

    def __init__(self, message: str, sent: int = 0):
        super().__init__(message)
        self.sent = sent


def _address(name: str, address: str) -> Address:
    username, _, domain = address.strip().partition("@")
    return Address(display_name=" ".join(name.split())[:200], username=username, domain=domain)


def message(reminder: Reminder, *, creditor: Creditor, to_name: str, to_address: str, sent: date) -> EmailMessage:
    """One reminder as an e-mail: a text part and an HTML part, in the reader's language."""
    sender = creditor.smtp_from or creditor.email
    if not is_email_address(sender):
        raise MailError(
            f"The sender address '{sender}' is not an e-mail address: fill in the 'Contact e-mail' "
            "or 'Send from' setting."
        )
    msg = EmailMessage(policy=POLICY)
    msg["From"] = _address(creditor.name, sender)
    if to_address:
        if not is_email_address(to_address):
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
        variables = os.environ if environ is None else environ
        return cls(creditor.smtp_host, creditor.smtp_port, creditor.smtp_user, variables.get(PASSWORD_ENV, ""))


def on_this_machine(host: str) -> bool:
    """Whether the server runs on this machine (a loopback address): nothing then crosses a network."""
    try:
        return all(ipaddress.ip_address(info[4][0]).is_loopback for info in socket.getaddrinfo(host, None))
    except (OSError, ValueError):
        return False


def send(messages: list[EmailMessage], settings: SmtpSettings, on_sent: Callable[[int], None] | None = None) -> int:
    """Send every message over one connection: TLS on port 465, STARTTLS when offered, login when a user is set.

    `on_sent(i)` is called as soon as the server accepted message i, so that it is recorded before the next
    one goes. A login is refused without encryption unless the server is on this machine: a password never
    crosses a network in clear. Raises MailError (with the number sent) on the first failure."""
    sent = 0
    try:
        server: smtplib.SMTP
        if settings.port == 465:
            server = smtplib.SMTP_SSL(settings.host, settings.port, context=ssl.create_default_context(), timeout=30)
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=30)
        with server:
            server.ehlo()
            encrypted = settings.port == 465
            if not encrypted and server.has_extn("starttls"):
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
                encrypted = True
            if settings.user:
                if not settings.password:
                    raise MailError(f"No SMTP password: set the {PASSWORD_ENV} environment variable.")
                if not encrypted and not on_this_machine(settings.host):
                    raise MailError(
                        f"{settings.host}:{settings.port} offers no encryption (STARTTLS): logging in would send the "
                        "password over the network in clear. Nothing was sent. Use the server's encrypted port "
                        "(465, or 587 with STARTTLS) in the 'SMTP port' setting."
                    )
                server.login(settings.user, settings.password)
            for index, msg in enumerate(messages):
                server.send_message(msg)
                sent += 1
                if on_sent is not None:
                    on_sent(index)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(
            f"Sending through {settings.host}:{settings.port} failed after {sent} message(s) ({exc}). "
            f"{'The messages sent are recorded; ' if sent else ''}the others were not sent: check the SMTP settings "
            "and run Reminders again to send them.",
            sent,
        ) from None
    return sent

"""Letters as records, sent once whatever fails: real workbooks, a real SMTP server on loopback, real pages."""

from __future__ import annotations

import email
import email.policy
import html
import re
import socket
import urllib.parse
from datetime import date, datetime, timedelta
from decimal import Decimal as D
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from portal.app import build as build_command
from portal.app import remind as remind_command
from portal.domain import law, letters
from portal.domain.ledger import Creditor, Customer
from portal.render import i18n, mail, reminders, templating
from portal.workbook import schema
from portal.workbook.file import FileWorkbook
from portal.workbook.port import UnsafeToWrite

from .conftest import edit_workbook

TODAY = date(2026, 11, 16)
NOW = datetime(2026, 11, 16, 9, 30)
SETTING_ROWS = {s.key: 2 + i for i, s in enumerate(schema.SETTINGS)}
MESSAGES = i18n.load_messages(templating.environment())


def remind(workbook: Path, tmp_path: Path, *, in_place: bool = False, send: bool = False):
    return remind_command.remind(
        FileWorkbook(workbook, now=NOW, in_place=in_place),
        today=TODAY,
        outbox=tmp_path / "outbox",
        secret_file=tmp_path / "secret",
        send=send,
    )


def log_rows(path: Path) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)["Log"]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


class Server:
    """A real SMTP server on loopback that may refuse every message after the first `accept`."""

    def __init__(self, accept: int | None = None, on_message=None):
        self.accept, self.on_message, self.received = accept, on_message, []

    async def handle_DATA(self, server, session, envelope):
        if self.accept is not None and len(self.received) >= self.accept:
            return "451 Requested action aborted: local error in processing"
        self.received.append(envelope)
        if self.on_message is not None:
            self.on_message(len(self.received))
        return "250 OK"

    def __enter__(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()

    def letters(self) -> list[tuple[str, str]]:
        out = []
        for envelope in self.received:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            out.append((envelope.rcpt_tos[0], str(message["Subject"])))
        return out


def smtp(workbook: Path, port: int) -> None:
    edit_workbook(
        workbook, "Settings", {f"B{SETTING_ROWS['smtp_host']}": "127.0.0.1", f"B{SETTING_ROWS['smtp_port']}": port}
    )


def test_a_server_failing_after_two_messages_each_recipient_gets_each_letter_once(small_copy, tmp_path):
    with Server(accept=2) as failing:
        smtp(small_copy, failing.port)
        with pytest.raises(mail.MailError, match="failed after 2 message"):
            remind(small_copy, tmp_path, in_place=True, send=True)
    assert len(failing.received) == 2
    rows = log_rows(small_copy)
    assert sum(1 for r in rows if r["Sent"]) == 2  # what went out is recorded as sent
    with Server() as working:
        smtp(small_copy, working.port)
        again = remind(small_copy, tmp_path, in_place=True, send=True)
    assert again.prepared == ()  # nothing prepared twice
    everything = failing.letters() + working.letters()
    assert len(everything) == len(set(everything)) > 2  # each recipient got each letter exactly once
    drafts = [r for r in log_rows(small_copy) if r["Letter record"]]
    sent_to = {r["Note"].removeprefix("sent to ") for r in drafts if r["Sent"]}
    assert {to for to, _ in everything} == sent_to


def test_a_workbook_changed_between_sending_and_logging_is_logged_next_run_without_sending(small_copy, tmp_path):
    def edit(count: int) -> None:
        if count == 1:  # someone edits the workbook while the messages go out
            edit_workbook(small_copy, "Settings", {f"B{SETTING_ROWS['phone']}": "+32 2 999 99 99"})

    logged_before = len(log_rows(small_copy))
    with Server(on_message=edit) as server:
        smtp(small_copy, server.port)
        with pytest.raises(UnsafeToWrite, match="changed while the reminders were being prepared or sent"):
            remind(small_copy, tmp_path, in_place=True, send=True)
        sent = len(server.received)
        assert sent > 0 and len(log_rows(small_copy)) == logged_before  # the Log could not be written
        again = remind(small_copy, tmp_path, in_place=True, send=True)
        assert len(server.received) == sent and again.sent == 0 and again.prepared == ()
    rows = log_rows(small_copy)[logged_before:]
    assert sum(1 for r in rows if r["Sent"]) == sent  # written from the journal, with their Sent date
    assert len(server.letters()) == len(set(server.letters()))


def test_two_runs_without_in_place_prepare_and_send_each_letter_once(small_copy, tmp_path):
    with Server() as server:
        smtp(small_copy, server.port)
        first = remind(small_copy, tmp_path, send=True)
        second = remind(small_copy, tmp_path, send=True)
    assert first.prepared and first.sent == len(server.received)
    assert second.prepared == () and second.sent == 0
    assert len(server.letters()) == len(set(server.letters()))
    # each dated copy carries the Log rows: the second one from the journal
    copied = [r for r in log_rows(second.written.path) if r["Letter record"]]
    assert len(copied) == len(first.prepared) and all(r["Sent"] for r in copied if r["Note"].startswith("sent"))


def _local_address() -> str | None:
    """An address of this machine that is not loopback, if it has one."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the outgoing interface
            address = s.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith("127.") else address


def test_no_login_without_encryption_except_on_this_machine():
    address = _local_address()
    if address is None:
        pytest.skip("this machine has no network address other than loopback")
    received = []

    class Plain:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind((address, 0))
        port = probe.getsockname()[1]
    controller = Controller(Plain(), hostname=address, port=port)
    controller.start()
    try:
        settings = mail.SmtpSettings(address, port, "me@example.be", "secret")
        message = email.message.EmailMessage()
        message["From"], message["To"], message["Subject"] = "a@example.be", "b@example.be", "x"
        with pytest.raises(mail.MailError, match="offers no encryption"):
            mail.send([message], settings)
    finally:
        controller.stop()
    assert received == [] and not mail.on_this_machine(address) and mail.on_this_machine("127.0.0.1")


# --- the page shows the letter as it was ----------------------------------------------------------------------


LETTER = re.compile(r'<div class="letter">(.*?)</div>\s*</details>', re.S)


def test_the_page_shows_a_logged_letter_identically_on_later_build_dates(sample_copy, tmp_path):
    small_copy = sample_copy
    done = remind(small_copy, tmp_path, in_place=True)
    stages = {p.invoice: p.stage for p in done.prepared if "/" not in p.invoice and p.stage != "thank_you"}
    assert "formal_notice" in stages.values()
    pages = {}
    for later in (1, 4, 9):
        outcome = build_command.build(
            FileWorkbook(small_copy),
            today=TODAY,
            as_of=TODAY + timedelta(days=later),
            out_dir=tmp_path / f"site{later}",
            secret_file=tmp_path / "secret",
        )
        for number in stages:
            page = tmp_path / f"site{later}" / outcome.site.invoice_pages[number].path / "index.html"
            pages.setdefault(number, []).append(LETTER.search(page.read_text()).group(1))
    for number, texts in pages.items():
        assert texts[0] == texts[1] == texts[2], number
    notice = next(n for n, s in stages.items() if s == "formal_notice")
    deadlines = ("1er décembre 2026", "1 december 2026", "1 December 2026", "1. Dezember 2026")
    assert any(words in pages[notice][0] for words in deadlines)  # the deadline it gave, not one moved on


# --- words ------------------------------------------------------------------------------------------------------


def _notice(country: str, lang: str, kind: str = "B2B") -> tuple[str, str]:
    creditor = Creditor(
        name="Atelier Test",
        iban="BE71096123456769",
        enterprise_number="BE0403170701" if country == "BE" else "FR40732829320",
        email="compta@atelier-test.be",
        country=country,
    )
    claim = law.claim(
        country=country,
        debtor_kind=kind,
        principal=D("5010.97"),
        due_date=date(2025, 6, 10),
        as_of=date(2025, 12, 1),
    )
    record = letters.Letter("formal_notice", date(2025, 12, 1), date(2025, 12, 16), D("5010.97"), D("0.00"), claim)
    from portal.domain.dunning import assess
    from portal.domain.ledger import Invoice, Ledger

    ledger = Ledger(
        creditor,
        (Customer("C1", "Client", language=lang, kind=kind),),
        (Invoice("2025-0139", "C1", date(2025, 5, 10), date(2025, 6, 10), D("5010.97")),),
    )
    assessment = assess(ledger, date(2025, 12, 1))
    f = i18n.formatter(lang, country, MESSAGES)
    context = reminders.reminder_context(
        assessment, assessment.invoice("2025-0139"), "formal_notice", f, "https://x", letter=record
    )
    done = reminders.render_reminder("formal_notice", lang, context)
    return done.subject, done.text


def test_the_fixed_wordings_in_four_languages():
    subject, text = _notice("BE", "fr")
    assert "1er décembre 2025" in text and "N° BCE 0403.170.701" in text and "BE0403" not in text
    assert "Indemnité forfaitaire pour frais de recouvrement" in text
    assert len(re.findall(r"^- Intérêts de retard du", text, re.M)) == 2  # 2025 H1 and H2
    subject, text = _notice("BE", "de")
    assert subject.startswith("Inverzugsetzung") and "**Inverzugsetzung**" in text
    assert "Pauschalentschädigung" in text and "Verzugszinsen vom" in text
    subject, text = _notice("BE", "nl")
    assert "Verwijlinteresten van" in text and "Forfaitaire vergoeding voor invorderingskosten" in text
    assert "KBO-nr. 0403.170.701" in text
    subject, text = _notice("BE", "en")
    assert "€5,010.97" in text and "10.5%" in text and "11.5%" in text and "5.010,97" not in text
    assert "Fixed compensation for recovery costs" in text
    subject, text = _notice("FR", "fr")
    assert "Pénalités de retard du" in text and "SIREN 732 829 320" in text and "N° BCE" not in text
    assert "Code de commerce" in text
    assert MESSAGES["statement_title"]["nl"] == "Rekeningoverzicht"
    assert MESSAGES["statement_title"]["de"] == "Kontoübersicht"
    assert (
        "Zweite Zahlungserinnerung"
        in (Path(templating.__file__).parents[2] / "templates/reminders/de/reminder_2.md").read_text()
    )


@pytest.mark.parametrize("lang", ("fr", "nl", "en", "de"))
@pytest.mark.parametrize("agent", ("", "Cabinet Maes, huissiers de justice"))
def test_the_handover_names_the_agent_or_announces_it(lang, agent):
    creditor = Creditor(name="A", iban="BE71096123456769", email="a@b.be", collection_agent=agent)
    from portal.domain.dunning import assess
    from portal.domain.ledger import Invoice, Ledger

    ledger = Ledger(
        creditor,
        (Customer("C1", "Client", language=lang),),
        (Invoice("1", "C1", date(2026, 1, 1), date(2026, 2, 1), D("10.00")),),
    )
    assessment = assess(ledger, date(2026, 5, 1))
    record = reminders.letter_record(assessment, assessment.invoice("1"), "handover")
    f = i18n.formatter(lang, "BE", MESSAGES)
    context = reminders.reminder_context(assessment, assessment.invoice("1"), "handover", f, "https://x", letter=record)
    done = reminders.render_reminder("handover", lang, context)
    future = {
        "fr": "nous confierons",
        "nl": "zullen toevertrouwen",
        "en": "will shortly be passed on",
        "de": "übergeben werden",
    }
    if agent:
        assert agent in done.text and future[lang] not in done.text
    else:
        assert future[lang] in done.text


def test_answer_links_parse_and_carry_the_invoice(tmp_path):
    from .conftest import SAMPLE

    outcome = build_command.build(
        FileWorkbook(SAMPLE), today=TODAY, out_dir=tmp_path / "site", secret_file=tmp_path / "secret"
    )
    state = next(
        s
        for s in outcome.assessment.invoices
        if s.status == "overdue"
        and not s.installments
        and s.customer is not None
        and s.customer.language == "fr"
        and s.invoice.number in outcome.site.invoice_pages
    )
    folder = tmp_path / "site" / outcome.site.invoice_pages[state.invoice.number].path
    for name, word in (("nl.html", "factuur"), ("de.html", "Rechnung"), ("en.html", "invoice")):
        page = (folder / name).read_text()
        links = [html.unescape(h) for h in re.findall(r'href="(mailto:[^"]+)"', page)]
        answers = [urllib.parse.urlsplit(link) for link in links if "?" in link]
        assert len(answers) == 4
        for parts in answers:
            assert parts.scheme == "mailto" and parts.path == "facturation@atelier-lumiere.example"
            query = urllib.parse.parse_qs(parts.query)
            subject, body = query["subject"][0], query["body"][0]
            reference = state.reference[:3]
            assert state.invoice.number in subject and word in subject and reference in subject
            assert state.invoice.number in body and "\r\n" in body


def test_a_page_offers_only_the_answers_that_fit_the_invoice(tmp_path):
    from .conftest import SAMPLE

    outcome = build_command.build(
        FileWorkbook(SAMPLE), today=TODAY, out_dir=tmp_path / "site", secret_file=tmp_path / "secret"
    )
    everything = {"I have paid", "I dispute this invoice", "I would like a payment plan", "I have a question"}
    kinds = {
        "paid": lambda s: s.balance <= 0,
        "disputed": lambda s: s.status == "disputed",
        "on a plan": lambda s: s.balance > 0 and bool(s.installments),
        "overdue": lambda s: s.status == "overdue" and not s.installments,
    }
    expected = {
        "paid": {"I have a question"},
        "disputed": {"I have paid", "I have a question"},
        "on a plan": everything - {"I would like a payment plan"},
        "overdue": everything,
    }
    for kind, holds in kinds.items():
        states = [s for s in outcome.assessment.invoices if holds(s) and s.invoice.number in outcome.site.invoice_pages]
        assert states, kind
        for state in states:
            folder = tmp_path / "site" / outcome.site.invoice_pages[state.invoice.number].path
            page = (folder / "en.html" if (folder / "en.html").exists() else folder / "index.html").read_text()
            block = page.partition('<ul class="links answers">')[2].partition("</ul>")[0]
            assert set(re.findall(r'<a href="mailto:[^"]+">([^<]+)</a>', block)) == expected[kind], (
                kind,
                state.invoice.number,
            )


def test_a_belgian_creditor_with_consumers_and_no_enterprise_number_is_an_error(sample_copy):
    from portal.app import load

    edit_workbook(sample_copy, "Settings", {f"B{SETTING_ROWS['enterprise_number']}": None})
    problems = [p for p in load.load(FileWorkbook(sample_copy)).errors if p.code == "missing_enterprise_number"]
    assert len(problems) == 1 and "no interest or compensation" in problems[0].message


def test_the_rate_typed_for_a_newer_half_year_lets_the_waiting_letters_go_out(sample_copy, tmp_path):
    """The sample reaches a half-year the built-in tables do not know: the letters that state its rate wait for it,
    and the warning names the Settings row where it goes; typed there, they are written."""

    def unknown_rates(outcome) -> list[str]:
        return [w for w in outcome.site.warnings if "No interest rate known for 2026 H2" in w]

    rows = {"interest_rule": "legal", "b2c_interest_rate": None}  # the statutory rate, which the tables lack
    edit_workbook(sample_copy, "Settings", {f"B{SETTING_ROWS[key]}": value for key, value in rows.items()})
    before = build_command.build(
        FileWorkbook(sample_copy), today=TODAY, out_dir=tmp_path / "before", secret_file=tmp_path / "secret"
    )
    assert unknown_rates(before) and all("'Legal rate, newer periods (%)'" in w for w in unknown_rates(before))
    edit_workbook(sample_copy, "Settings", {f"B{SETTING_ROWS['later_legal_rate']}": 10.5})
    after = build_command.build(
        FileWorkbook(sample_copy), today=TODAY, out_dir=tmp_path / "after", secret_file=tmp_path / "secret"
    )
    assert not unknown_rates(after)
    waiting = re.findall(r"Invoice ([\w-]+): its page shows no letter", " ".join(unknown_rates(before)))
    assert waiting
    for number in waiting:
        folder = tmp_path / "after" / after.site.invoice_pages[number].path
        assert 'class="letter"' in (folder / "index.html").read_text(), number


def _consumer_first_reminder(channel: str, **settings):
    """The notice of a Belgian consumer's first reminder written today from the sample, with `settings` changed."""
    from dataclasses import replace

    from portal.app import load
    from portal.domain import dunning

    from .conftest import SAMPLE

    ledger = load.load(FileWorkbook(SAMPLE)).ledger
    ledger = replace(ledger, creditor=replace(ledger.creditor, **settings))
    assessment = dunning.assess(ledger, TODAY)
    state = next(s for s in assessment.invoices if s.customer and s.customer.kind == "B2C" and s.balance > 0)
    return reminders.letter_record(assessment, state, "reminder_1", channel=channel).notice


@pytest.mark.parametrize("channel", ["email", "post"])
def test_a_consumers_first_reminder_counts_the_14_days_as_its_channel_has_them(channel):
    """By post the days start on the third working day after posting (Book XIX, art. XIX.2)."""
    notice = _consumer_first_reminder(channel)
    assert notice.grace_end == law.b2c_grace_end(TODAY, channel)
    assert (notice.grace_end - TODAY).days == (14 if channel == "email" else 16)  # Mon 16 Nov: day 1 is Thu 19


def test_a_consumer_is_never_announced_a_rate_above_the_ceiling():
    """Art. XIX.4: the rate of the Law of 2 August 2002 at most; a higher rate in the terms is announced capped."""
    notice = _consumer_first_reminder("email", b2c_interest_rate=D("12"), later_legal_rate=D("10.5"))
    assert notice.rate == D("10.5") and not notice.legal_rate


def test_a_consumers_first_reminder_in_an_unknown_half_year_announces_a_rate_within_every_ceiling():
    notice = _consumer_first_reminder("email", b2c_interest_rate=D("8"))
    assert notice.rate == D("8")
    with pytest.raises(law.RateMissing):
        _consumer_first_reminder("email", b2c_interest_rate=D("9"))

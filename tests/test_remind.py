"""`refresh` and `remind` on real workbooks: managed columns, .eml drafts, a real SMTP server, the Log."""

from __future__ import annotations

import email
import email.policy
import socket
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from aiosmtpd.controller import Controller

from portal.app import load, refresh
from portal.app import remind as remind_command
from portal.front import cli
from portal.render.mail import MailError
from portal.workbook import schema
from portal.workbook.file import FileWorkbook

from .conftest import column_letter, edit_workbook
from .hostile import CASES

NOW = datetime(2026, 11, 16, 9, 30)
TODAY = date(2026, 11, 16)


def remind(workbook: Path, tmp_path: Path, *, in_place: bool = False, **options) -> remind_command.RemindOutcome:
    return remind_command.remind(
        FileWorkbook(workbook, now=NOW, in_place=in_place),
        today=TODAY,
        outbox=tmp_path / "outbox",
        secret_file=tmp_path / "secret",
        **options,
    )


def table_rows(path: Path, sheet: str) -> list[dict[str, object]]:
    ws = openpyxl.load_workbook(path)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]


def test_refresh_writes_the_managed_columns_to_a_copy(sample_copy, tmp_path):
    before = sample_copy.read_bytes()
    done = refresh.refresh(FileWorkbook(sample_copy, now=NOW), today=TODAY, secret_file=tmp_path / "secret")
    assert sample_copy.read_bytes() == before  # the user's file is untouched by default
    assert done.written.path != sample_copy and done.written.cells > 500
    rows = {r["Invoice number"]: r for r in table_rows(done.written.path, "Invoices")}
    state = done.assessment.invoice("2026-0127")
    row = rows["2026-0127"]
    assert row["Status"] == "Overdue" and Decimal(str(row["Balance"])) == state.balance
    assert row["Next action"] == "Formal notice due: 51 d overdue; Reminder 2 sent on 10/10/2026"
    assert row["Portal link"].startswith("https://pay.atelier-lumiere.example/i/")
    assert rows["2026-0001"]["Status"] == "Payment plan"
    assert done.unmatched == ()
    reread = load.load(FileWorkbook(done.written.path))
    assert not reread.errors  # what Refresh wrote reads back cleanly


def test_refresh_in_place_keeps_a_backup(sample_copy, tmp_path):
    before = sample_copy.read_bytes()
    done = refresh.refresh(
        FileWorkbook(sample_copy, now=NOW, in_place=True), today=TODAY, secret_file=tmp_path / "secret"
    )
    assert done.written.path == sample_copy and done.written.backup.read_bytes() == before
    assert sample_copy.read_bytes() != before


def test_remind_prepares_todays_reminders_once(sample_copy, tmp_path):
    logged_before = len(table_rows(sample_copy, "Log"))
    first = remind(sample_copy, tmp_path, in_place=True)
    stages = {p.stage for p in first.prepared}
    assert {"reminder_1", "reminder_2", "formal_notice", "thank_you"} <= stages
    assert first.sent == 0 and first.written.rows_added == {
        "log": len(first.prepared),
        "reminders": len(first.prepared),
    }
    for p in first.prepared:
        message = email.message_from_bytes(p.draft.read_bytes(), policy=email.policy.default)
        assert message["Subject"] == p.reminder.subject
        assert message.get_content_type() == "multipart/alternative"
        text, html = (part.get_content() for part in message.iter_parts())
        assert message["Content-Language"] in ("fr", "nl", "en", "de")
        if p.stage != "thank_you":
            assert p.link in text and p.link in html
    log = table_rows(sample_copy, "Log")
    assert len(log) == logged_before + len(first.prepared)
    assert {(r["Invoice number"], r["Action"]) for r in log[logged_before:]} == {
        (p.invoice, p.stage) for p in first.prepared
    }
    reminders = table_rows(sample_copy, "Reminders")
    assert len(reminders) == len(first.prepared) and reminders[0]["Message"]
    again = remind(sample_copy, tmp_path, in_place=True)
    assert again.prepared == () and again.written is None  # the Log says they were produced


def test_remind_sends_through_a_real_smtp_server(sample_copy, tmp_path):
    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            received.append(envelope)
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        rows = {s.key: 2 + i for i, s in enumerate(schema.SETTINGS)}
        edit_workbook(sample_copy, "Settings", {f"B{rows['smtp_host']}": "127.0.0.1", f"B{rows['smtp_port']}": port})
        done = remind(sample_copy, tmp_path, send=True, in_place=True)
    finally:
        controller.stop()
    assert done.sent == len(done.prepared) == len(received)
    sent = {e.rcpt_tos[0] for e in received}
    assert sent == {p.to for p in done.prepared}
    one = email.message_from_bytes(received[0].content, policy=email.policy.default)
    assert one["From"].addresses[0].addr_spec == "facturation@atelier-lumiere.example"
    assert any(str(r["Note"]).startswith("sent to ") for r in table_rows(sample_copy, "Log"))


def test_a_failing_smtp_server_logs_drafts_never_sent_letters(sample_copy, tmp_path):
    rows = {s.key: 2 + i for i, s in enumerate(schema.SETTINGS)}
    edit_workbook(sample_copy, "Settings", {f"B{rows['smtp_host']}": "127.0.0.1", f"B{rows['smtp_port']}": 9})
    logged_before = len(table_rows(sample_copy, "Log"))
    with pytest.raises(MailError, match="Sending through 127.0.0.1:9 failed after 0 message"):
        remind(sample_copy, tmp_path, send=True, in_place=True)
    added = table_rows(sample_copy, "Log")[logged_before:]
    assert added and all(r["Sent"] is None and str(r["Note"]).startswith("draft ") for r in added)


def test_sending_without_an_smtp_server_stops_before_anything_is_written(sample_copy, tmp_path):
    before = sample_copy.read_bytes()
    with pytest.raises(MailError, match="No SMTP server: fill in the 'SMTP server' setting"):
        remind(sample_copy, tmp_path / "run", send=True, in_place=True)
    assert sample_copy.read_bytes() == before
    assert not (tmp_path / "run" / "outbox").exists() and list(tmp_path.glob("*.xlsx")) == [sample_copy]


def test_hostile_names_and_addresses_cannot_break_an_email(small_copy, tmp_path):
    name, mail_column = (column_letter(small_copy, "Customers", h) for h in ("Name", "E-mail"))
    edits = {f"{name}{row}": CASES[row % len(CASES)] + "\r\nBcc: victim@example.com" for row in range(2, 42)}
    edits.update({f"{mail_column}{row}": "a@example.be\r\nBcc: victim@example.com" for row in range(2, 42, 2)})
    edit_workbook(small_copy, "Customers", edits)
    done = remind(small_copy, tmp_path)
    assert done.prepared
    for p in done.prepared:
        raw = p.draft.read_bytes()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert message["Bcc"] is None and b"\nBcc:" not in raw
        assert "\n" not in message["Subject"] and "<script" not in message.get_body(("html",)).get_content()
    assert any("not an e-mail address" in w for w in done.warnings)


def test_cli_remind_and_refresh(small_copy, tmp_path, capsys):
    args = ["--as-of", "2026-11-16", "--secret-file", str(tmp_path / "secret")]
    assert (
        cli.main(
            ["remind", str(small_copy), "--outbox", str(tmp_path / "out"), "--out", str(tmp_path / "after.xlsx"), *args]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "reminder(s) prepared, 0 sent" in printed and (tmp_path / "after.xlsx").exists()
    assert cli.main(["refresh", str(small_copy), "--in-place", *args]) == 0
    assert "cell(s) changed" in capsys.readouterr().out


def test_a_french_sheet_is_refreshed_in_french(tmp_path):
    """Headers added and words written follow the workbook's language (here, its French headers)."""
    from .test_workbook_write import FLAT_HEADERS, flat_workbook

    source = flat_workbook(tmp_path / "Impayés.xlsx")
    done = refresh.refresh(
        FileWorkbook(source, now=NOW),
        today=TODAY,
        as_of=date(2026, 3, 1),
        creditor={"name": "Atelier SRL", "iban": "BE71096123456769"},
        secret_file=tmp_path / "secret",
    )
    ws = openpyxl.load_workbook(done.written.path)["Feuil1"]
    headers = [c.value for c in ws[3]]
    assert headers[: len(FLAT_HEADERS)] == FLAT_HEADERS
    assert {"Payé", "Solde", "Statut", "Jours de retard", "Étape"} <= set(headers[len(FLAT_HEADERS) :])
    rows = {r[1]: dict(zip(headers, r)) for r in ws.iter_rows(min_row=4, values_only=True) if r[1]}
    assert rows["F-101"]["Statut"] == "En retard"
    assert rows["F-101"]["Prochaine action"] == "Rappel 1 à envoyer : en retard de 20 j; rien envoyé"
    assert rows["F-103"]["Statut"] == "Échéance proche"

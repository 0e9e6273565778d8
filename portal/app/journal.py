"""The send journal: every letter prepared and every message the SMTP server accepted, written at once.

It lives in the workbook's state folder (not in the site), one JSON line per event, flushed and synced
before the next step. The Log in the workbook is written after; when that fails (the workbook changed,
is open in Excel, the disk is full) or goes to a dated copy, the next run reads the journal, does not
prepare or send those letters again, and writes their Log rows then.
"""

from __future__ import annotations

import datetime
import json
import os
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

from ..domain.ledger import LogEntry
from ..domain.stages import stage_key
from ..workbook.port import state_dir

FOLDER = "journal"


@dataclass(frozen=True)
class Entry:
    """One letter: prepared on `date`, and sent on `sent_on` once the server accepted it."""

    date: date
    customer_id: str
    invoice: str  # the invoice number, or "<number>/<installment>"
    stage: str
    channel: str
    to: str
    letter: str  # the letter record (JSON)
    draft: str  # the .eml file
    subject: str = ""
    body: str = ""
    link: str = ""
    recipient: str = ""
    sent_on: datetime.date | None = None

    @property
    def key(self) -> tuple[datetime.date, str, str]:
        return (self.date, self.invoice, self.stage)

    def log_entry(self) -> LogEntry:
        return LogEntry(
            date=self.date,
            action=self.stage,
            customer_id=self.customer_id,
            invoice=self.invoice,
            channel=self.channel,
            note=self.note,
            sent_on=self.sent_on,
            letter=self.letter,
        )

    @property
    def note(self) -> str:
        return f"sent to {self.to}" if self.sent_on else f"draft {Path(self.draft).name}"

    def log_row(self) -> dict[str, object]:
        return {
            "date": self.date,
            "customer_id": self.customer_id,
            "invoice": self.invoice,
            "channel": self.channel,
            "action": self.stage,
            "note": self.note,
            "sent_date": self.sent_on,
            "letter": self.letter,
        }

    def reminders_row(self) -> dict[str, object]:
        return {
            "date": self.date,
            "customer_id": self.customer_id,
            "customer": self.recipient,
            "email": self.to,
            "invoice": self.invoice,
            "stage": self.stage,
            "subject": self.subject,
            "body": self.body,
            "link": self.link,
            "eml_file": self.draft,
        }


def _encode(entry: Entry, event: str) -> str:
    data = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in entry.__dict__.items()}
    return json.dumps({"event": event, **data}, ensure_ascii=False, separators=(",", ":"))


def _decode(line: str) -> tuple[str, Entry]:
    data = json.loads(line)
    event = data.pop("event")
    for name in ("date", "sent_on"):
        data[name] = date.fromisoformat(data[name]) if data.get(name) else None
    return event, Entry(**data)


class Journal:
    """The journal of one workbook, in its state folder."""

    def __init__(self, folder: Path, workbook_name: str):
        self.path = state_dir(folder) / FOLDER / f"{Path(workbook_name).stem}.jsonl"

    def _append(self, entry: Entry, event: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as out:
            out.write(_encode(entry, event) + "\n")
            out.flush()
            os.fsync(out.fileno())

    def prepared(self, entry: Entry) -> None:
        self._append(entry, "prepared")

    def sent(self, entry: Entry, on: date) -> Entry:
        done = replace(entry, sent_on=on)
        self._append(done, "sent")
        return done

    def entries(self) -> list[Entry]:
        """Every letter once, in the order first prepared, as its latest event leaves it."""
        if not self.path.exists():
            return []
        found: dict[tuple[datetime.date, str, str], Entry] = {}
        for line in self.path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                _, entry = _decode(line)
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a crash: the event did not complete
            earlier = found.get(entry.key)
            if earlier is None or earlier.sent_on is None:
                found[entry.key] = entry
        return list(found.values())


def rows_of(log: tuple[LogEntry, ...], entry: Entry) -> list[LogEntry]:
    """The Log rows about this letter (prepared on its date, same invoice, same stage)."""
    return [
        e
        for e in log
        if e.date == entry.date and e.invoice.strip() == entry.invoice and stage_key(e.action) == entry.stage
    ]


def logged(log: tuple[LogEntry, ...], entry: Entry) -> LogEntry | None:
    """The Log row that records this letter as the journal has it (as sent, once it was sent), if any."""
    rows = rows_of(log, entry)
    if entry.sent_on is not None:
        rows = [e for e in rows if e.sent is not None]
    return rows[0] if rows else None

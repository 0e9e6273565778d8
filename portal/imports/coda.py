"""Belgian CODA v2 (Febelfin "Coded statement of account"): fixed records of 128 characters.

Positions (1-based) from Febelfin's CODA 2.3 specification, cross-checked with the slices of the
febelfin-coda package. A file may hold several statements (records 0 to 9 each). Movements of
type 1 or 2 (totals) that are followed by their details (types 5 and 6) are read as those details:
each one is a payment of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from .records import BankEntry, Statement, UnreadableFile, money

RECORD_LENGTH = 128
_TOTALS = {"1", "2"}
_DETAILS_OF_TOTALS = {"5", "6"}


def is_coda(data: bytes) -> bool:
    """A CODA file starts with its header record, "0000" (then `read` checks every record's length)."""
    return data[:5] in (b"00000", b"00001") or data[:4] == b"0000"


@dataclass
class _Movement:
    line: int
    sequence: str
    detail: str
    bank_reference: str
    debit: bool
    amount: Decimal
    value_date: date | None
    booking_date: date | None
    transaction_type: str
    structured: bool
    communication: str
    counterparty_iban: str = ""
    counterparty_name: str = ""
    r_transaction: str = ""
    details: list[_Movement] = field(default_factory=list)


@dataclass
class _Open:
    line: int
    account: str = ""
    currency: str = ""
    movements: list[_Movement] = field(default_factory=list)
    records: int = 0


def _date(raw: str, file: str, line: int) -> date | None:
    if raw.strip("0 ") == "":
        return None
    try:
        return datetime.strptime(raw, "%d%m%y").date()
    except ValueError:
        raise UnreadableFile(file, f"'{raw}' is not a date (DDMMYY).", f"line {line}") from None


def _amount(raw: str, file: str, line: int) -> Decimal:
    if not raw.isdigit():
        raise UnreadableFile(file, f"the amount '{raw}' is not 15 digits.", f"line {line}")
    return money(Decimal(raw) / 1000, file, f"line {line}")


def read(data: bytes, file: str) -> list[Statement]:
    text = data.decode("cp1252", errors="replace")
    lines = text.splitlines()
    statements: list[Statement] = []
    current: _Open | None = None
    movement: _Movement | None = None
    for number, record in enumerate(lines, start=1):
        if not record.strip():
            continue
        if len(record) != RECORD_LENGTH:
            raise UnreadableFile(
                file,
                f"the record is {len(record)} characters long; every CODA record has {RECORD_LENGTH}. The file "
                "was probably changed by an editor or cut short: download it again from your bank.",
                f"line {number}",
            )
        kind = record[0]
        if kind == "0":
            if current is not None:
                raise UnreadableFile(file, "a new statement starts before the previous one ended.", f"line {number}")
            if record[127] != "2":
                raise UnreadableFile(
                    file,
                    f"it is CODA version {record[127]}; only version 2 is read. Ask your bank for CODA 2.",
                    f"line {number}",
                )
            current, movement = _Open(number), None
            continue
        if current is None:
            raise UnreadableFile(file, "the record comes before any header record (type 0).", f"line {number}")
        if kind == "1":
            current.account, current.currency = _account(record)
            current.records += 1
        elif kind == "2":
            current.records += 1
            movement = _movement_part(record, number, current, movement, file)
        elif kind in ("3", "8"):
            current.records += 1
        elif kind == "9":
            statements.append(_close(current, record, number, file))
            current, movement = None, None
        elif kind != "4":
            raise UnreadableFile(file, f"'{kind}' is not a CODA record type (0, 1, 2, 3, 4, 8 or 9).", f"line {number}")
    if current is not None:
        raise UnreadableFile(
            file,
            "the file ends before the statement's trailer record (type 9): it is incomplete. Download it again.",
            f"line {len(lines)}",
        )
    if not statements:
        raise UnreadableFile(file, "it holds no CODA statement.")
    return statements


def _account(record: str) -> tuple[str, str]:
    structure = record[1]
    if structure == "0":
        return record[5:17].strip(), record[18:21].strip()
    width = 31 if structure == "2" else 34
    return record[5 : 5 + width].strip(), record[39:42].strip()


def _movement_part(record: str, line: int, current: _Open, movement: _Movement | None, file: str) -> _Movement:
    article = record[1]
    if article == "1":
        communication_type = record[61]
        new = _Movement(
            line=line,
            sequence=record[2:6],
            detail=record[6:10],
            bank_reference=record[10:31].strip(),
            debit=record[31] == "1",
            amount=_amount(record[32:47], file, line),
            value_date=_date(record[47:53], file, line),
            booking_date=_date(record[115:121], file, line),
            transaction_type=record[53],
            structured=communication_type == "1",
            communication=record[62:115],
        )
        if new.transaction_type in _DETAILS_OF_TOTALS or new.transaction_type in {"7", "8", "9"}:
            parent = next((m for m in reversed(current.movements) if m.sequence == new.sequence), None)
            if parent is None:
                raise UnreadableFile(file, "a detail movement comes without its movement.", f"line {line}")
            parent.details.append(new)
        else:
            current.movements.append(new)
        return new
    if movement is None:
        raise UnreadableFile(file, f"a movement record 2{article} comes before its record 21.", f"line {line}")
    if article == "2":
        movement.communication += record[10:63]
        movement.r_transaction = record[112].strip()
    elif article == "3":
        account = record[10:47].strip()
        movement.counterparty_iban = account.split(" ")[0] if account else ""
        movement.counterparty_name = record[47:82].strip()
        movement.communication += record[82:125]
    else:
        raise UnreadableFile(file, f"'2{article}' is not a CODA movement record (21, 22 or 23).", f"line {line}")
    return movement


def _close(current: _Open, record: str, line: int, file: str) -> Statement:
    records = int(record[16:22]) if record[16:22].isdigit() else -1
    debit, credit = _amount(record[22:37], file, line), _amount(record[37:52], file, line)
    counted_debit = sum((m.amount for m in current.movements if m.debit), Decimal(0))
    counted_credit = sum((m.amount for m in current.movements if not m.debit), Decimal(0))
    if records != current.records or (debit, credit) != (counted_debit, counted_credit):
        raise UnreadableFile(
            file,
            f"the trailer record does not match the statement (it counts {records} records, "
            f"{debit} debited and {credit} credited; the file holds {current.records} records, "
            f"{counted_debit} debited and {counted_credit} credited). The file is damaged or incomplete: "
            "download it again.",
            f"line {line}",
        )
    entries: list[BankEntry] = []
    for movement in current.movements:
        parts = movement.details if movement.transaction_type in _TOTALS and movement.details else [movement]
        entries.extend(_entry(part, file, current.currency) for part in parts)
    return Statement(file, "CODA 2", current.account, current.currency, tuple(entries))


def _entry(movement: _Movement, file: str, currency: str) -> BankEntry:
    structured, issuer, free = "", "", " ".join(movement.communication.split())
    if movement.structured:
        code, body = movement.communication[:3], movement.communication[3:]
        if code in ("101", "102"):
            structured, issuer, free = body[:12], "BBA", ""
        elif code == "100":
            structured, issuer, free = body.split()[0] if body.split() else "", "ISO", ""
        else:
            free = " ".join(body.split())
    reference = movement.bank_reference
    if movement.detail != "0000":
        reference = f"{reference}/{movement.detail}"
    return BankEntry(
        file=file,
        where=f"line {movement.line}",
        booking_date=movement.booking_date or movement.value_date or date.min,
        value_date=movement.value_date,
        amount=movement.amount,
        currency=currency,
        credit=not movement.debit,
        booked=True,
        reversal=bool(movement.r_transaction),  # a reject, return, refund or reversal: either way
        entry_reference=reference,
        structured_reference=structured,
        reference_issuer=issuer,
        free_text=free,
        counterparty_name=movement.counterparty_name,
        counterparty_iban=movement.counterparty_iban.upper(),
    )

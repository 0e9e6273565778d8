"""Turning what a cell holds into a date, an amount, a number or a choice.

Each parser takes the raw cell value (as openpyxl or xlwings gives it) and returns the
Python value, or raises `ValueError` with a message that says what was expected.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import partial

from ..domain.money import CENT
from . import schema

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01, with Excel's phantom 29 Feb 1900
DATE_HINT = "a date such as 31/12/2026 or 2026-12-31"
AMOUNT_HINT = "an amount such as 1234.56, 1.234,56 or 1 234,56 €"

_DATE_DMY = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_CURRENCY_MARKS = re.compile(r"(?i)eur|usd|gbp|chf|[€$£\s\u00a0\u202f']")
# Bidi embedding, override and isolate controls: they can make the text after a name display
# reversed ("invoice.exe" as "exe.eciovni"); right-to-left letters themselves are kept.
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


_EMAIL_ADDRESS = re.compile(r"^[^@\s<>\"(),;:\\\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def is_email_address(text: str) -> bool:
    """One plain address, name@example.be: what a reminder can be sent to."""
    return bool(_EMAIL_ADDRESS.match(text.strip()))


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value: object) -> str:
    """A cell as text: numbers typed as numbers lose their '.0', dates become ISO."""
    if type(value) is str:
        return (value if value.isascii() else _BIDI_CONTROLS.sub("", value)).strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return _BIDI_CONTROLS.sub("", str(value)).strip()


def to_date(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 1 <= value < 2958466:  # Excel's last day is 9999-12-31
            return EXCEL_EPOCH + timedelta(days=int(value))
        raise ValueError(f"expected {DATE_HINT}")
    raw = text(value)
    try:
        if m := _DATE_ISO.match(raw):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DATE_DMY.match(raw):
            year = int(m[3]) + (2000 if len(m[3]) == 2 else 0)
            return date(year, int(m[2]), int(m[1]))
    except ValueError:
        raise ValueError(f"'{raw}' is not a real day of the calendar; expected {DATE_HINT}") from None
    raise ValueError(f"expected {DATE_HINT}")


def to_money(value: object) -> Decimal:
    """An amount rounded half-up to cents. A lone separator followed by three digits is a
    thousands separator ("1.234" = 1234), since money has two decimals; typed text with more
    decimals than that is refused rather than guessed."""
    if isinstance(value, bool):
        raise ValueError(f"expected {AMOUNT_HINT}")
    if isinstance(value, (int, float, Decimal)):
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
        return number.quantize(CENT, rounding=ROUND_HALF_UP)
    raw = text(value)
    negative = raw.startswith("(") and raw.endswith(")")
    cleaned = _CURRENCY_MARKS.sub("", raw.strip("()"))
    if cleaned.endswith("-"):  # "12,50-" as some accounting exports write it
        cleaned, negative = cleaned[:-1], True
    separator = max((cleaned.rfind(","), ","), (cleaned.rfind("."), "."))[1]
    whole, found, fraction = cleaned.rpartition(separator)
    if found:
        grouped = separator in whole or (len(fraction) == 3 and not any(mark in whole for mark in ",."))
        if grouped and len(fraction) != 3:
            raise ValueError(f"'{raw}' is not an amount; expected {AMOUNT_HINT}")
        if not grouped and len(fraction) > 2:
            raise ValueError(
                f"'{raw}' has {len(fraction)} decimals, and an amount has two at most; expected {AMOUNT_HINT}"
            )
        cleaned = whole.replace(",", "").replace(".", "") + ("" if grouped else ".") + fraction
    if not re.fullmatch(r"[+-]?\d+(\.\d*)?", cleaned):
        raise ValueError(f"'{raw}' is not an amount; expected {AMOUNT_HINT}")
    number = Decimal(cleaned)
    return (-number if negative else number).quantize(CENT, rounding=ROUND_HALF_UP)


def to_int(value: object) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
        return int(value)
    raw = text(value)
    if re.fullmatch(r"[+-]?\d+", raw):
        return int(raw)
    raise ValueError("expected a whole number such as 30")


def to_percent(value: object) -> Decimal:
    """A percentage as a number of percent: "2 %", "2,5" and 2 give 2 and 2.5; a cell
    formatted as a percentage in Excel holds 0.02, read as 2."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = Decimal(str(value))
        return number * 100 if 0 < number < 1 else number
    raw = text(value).replace("%", "").replace(",", ".").replace(" ", "")
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise ValueError("expected a percentage such as 2 or 2,5 %") from None


def to_choice(value: object, choices: tuple[str, ...]) -> str:
    hit = schema.canonical_choice(value, choices)
    if hit is None:
        raise ValueError(f"expected one of: {', '.join(choices)}")
    return hit


def to_choices(value: object, choices: tuple[str, ...]) -> tuple[str, ...]:
    """A list typed in one cell, "fr, nl" or "fr; nl", each item one of `choices`."""
    items = [part.strip() for part in text(value).replace(";", ",").split(",") if part.strip()]
    found = [schema.canonical_choice(item, choices) for item in items]
    if None in found:
        raise ValueError(f"'{items[found.index(None)]}' is not one of: {', '.join(choices)}")
    return tuple(dict.fromkeys(hit for hit in found if hit is not None))


def to_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return to_choice(value, schema.YES_NO) == "yes"


def convert(value: object, type_: str, choices: tuple[str, ...] = ()) -> object:
    """The typed value of a cell for a schema column or setting type."""
    return converter(type_, choices)(value)


def converter(type_: str, choices: tuple[str, ...] = ()) -> Callable[[object], object]:
    """What `convert` does for one type (a column's, found once for all its cells)."""
    match type_:
        case "date":
            return to_date
        case "money":
            return to_money
        case "number":
            return to_int
        case "percent":
            return to_percent
        case "choice":
            return partial(to_choice, choices=choices)
        case "list":
            return partial(to_choices, choices=choices)
        case _:
            return text

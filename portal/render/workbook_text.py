"""What Refresh writes into the workbook for a person to read, in the workbook's language."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ..domain.reasons import Phrase, Reason
from .i18n import Formatter

PREFIX = "wb_"


def stage_label(stage: str, f: Formatter) -> str:
    """A stage's name ("Rappel 1"); a stage of the user's own ladder keeps the name they gave it."""
    key = PREFIX + "stage_" + stage
    return f.t(key) if key in f.messages else stage


def status_label(status: str, f: Formatter) -> str:
    return f.t(PREFIX + "status_" + status)


def _value(name: str, value: object, f: Formatter) -> str:
    if isinstance(value, Phrase):
        return _phrase(value, f)
    if isinstance(value, tuple):
        return "; ".join(_value(name, v, f) for v in value)
    if name == "stage":
        return stage_label(str(value), f)
    if name == "status":
        return status_label(str(value), f)
    if name == "channel" and PREFIX + "channel_" + str(value) in f.messages:
        return f.t(PREFIX + "channel_" + str(value))
    if isinstance(value, date):
        return f.short_day(value)
    if isinstance(value, Decimal):
        return f.money(value)
    return str(value)


def _phrase(p: Phrase, f: Formatter) -> str:
    return f.t(PREFIX + p.key, **{name: _value(name, value, f) for name, value in p.params})


def describe(reason: Reason, f: Formatter) -> str:
    """The reason as one line: "Rappel 1 à envoyer : en retard de 29 j; rien envoyé"."""
    text = "; ".join(_phrase(p, f) for p in reason)
    return text[:1].upper() + text[1:]

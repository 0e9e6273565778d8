"""A letter as it was sent: the record kept with its Log row, so that it can be shown again word for word.

What a letter says depends on the day it was written (its date, its deadline, the rates in force, the
amounts then owed). The record keeps exactly those values; everything else (invoice number, dates of the
invoice, creditor) is read from the workbook. Stored as one JSON text in the Log's "Letter record" column:
a letter has as many rate periods as its claim spans, and one cell keeps the record whole and unformatted.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from . import law

VERSION = 1


class BadLetterRecord(ValueError):
    """A Log row's letter record cannot be read (edited by hand, or cut by another program)."""


@dataclass(frozen=True)
class Notice:
    """What a consumer's first reminder announced (Code of Economic Law, Book XIX)."""

    grace_end: date
    rate: Decimal | None  # None: no interest announced
    fee: Decimal | None  # None: no fixed compensation announced
    legal_rate: bool = False  # the rate announced is the legal maximum, which follows each semester's rate


@dataclass(frozen=True)
class Letter:
    stage: str
    date: date
    pay_by: datetime.date | None
    balance: Decimal  # what is left of the invoice (or installment) itself
    paid: Decimal
    claim: law.Claim | None = None
    notice: Notice | None = None
    agent: str = ""  # the collection agent a handover names
    after_claim: bool = False  # a payment confirmation after a formal notice is neutral

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": VERSION,
                "stage": self.stage,
                "date": self.date.isoformat(),
                "pay_by": _day(self.pay_by),
                "balance": str(self.balance),
                "paid": str(self.paid),
                "claim": _claim_json(self.claim),
                "notice": None
                if self.notice is None
                else {
                    "grace_end": self.notice.grace_end.isoformat(),
                    "rate": _text(self.notice.rate),
                    "fee": _text(self.notice.fee),
                    "legal_rate": self.notice.legal_rate,
                },
                "agent": self.agent,
                "after_claim": self.after_claim,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Letter:
        try:
            data = json.loads(text)
            notice = data.get("notice")
            return cls(
                stage=data["stage"],
                date=date.fromisoformat(data["date"]),
                pay_by=_date(data.get("pay_by")),
                balance=Decimal(data["balance"]),
                paid=Decimal(data.get("paid", "0.00")),
                claim=_claim(data.get("claim")),
                notice=None
                if not notice
                else Notice(
                    date.fromisoformat(notice["grace_end"]),
                    _decimal(notice["rate"]),
                    _decimal(notice["fee"]),
                    bool(notice.get("legal_rate", False)),
                ),
                agent=data.get("agent", ""),
                after_claim=bool(data.get("after_claim", False)),
            )
        except (ValueError, KeyError, TypeError, ArithmeticError, AttributeError) as exc:
            raise BadLetterRecord(f"the letter record cannot be read ({exc}); do not edit that column") from None


def read(text: str) -> Letter | None:
    """The record of a Log row, or None when there is none or it cannot be read."""
    if not text or not text.strip():
        return None
    try:
        return Letter.from_json(text)
    except BadLetterRecord:
        return None


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _claim_json(claim: law.Claim | None) -> dict | None:
    if claim is None:
        return None
    segments = claim.interest_detail.segments if claim.interest_detail else None
    return {
        "principal": str(claim.principal),
        "interest": str(claim.interest),
        "flat_fee": str(claim.flat_fee),
        "total": str(claim.total),
        "basis": claim.basis,
        "from_day": _day(claim.from_day),
        "segments": None
        if segments is None
        else [[s.start.isoformat(), s.end.isoformat(), s.days, str(s.rate), str(s.amount)] for s in segments],
    }


def _claim(data: dict | None) -> law.Claim | None:
    if data is None:
        return None
    segments = data.get("segments")
    detail = None
    if segments is not None:
        detail = law.InterestResult(
            tuple(
                law.InterestSegment(date.fromisoformat(a), date.fromisoformat(b), int(n), Decimal(r), Decimal(x))
                for a, b, n, r, x in segments
            ),
            Decimal(data["interest"]),
        )
    basis = data["basis"]
    return law.Claim(
        principal=Decimal(data["principal"]),
        interest=Decimal(data["interest"]),
        interest_detail=detail,
        flat_fee=Decimal(data["flat_fee"]),
        total=Decimal(data["total"]),
        basis=basis,
        legal_reference=law.LEGAL_REFERENCES.get(basis, ""),
        from_day=_date(data.get("from_day")),
    )

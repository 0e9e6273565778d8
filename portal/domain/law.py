"""Late-payment law for Belgium and France: rate tables with effective dates, and what may be claimed.

Pure functions: every date is passed in, money is Decimal, day counts are exact (actual/365) and amounts
are rounded half-up to cents only in results. Rates are percent per year.

Facts come from the domain notes (/work/shared/domain/payments-law-formats.md §3-5), which rely on
secondary sources: check them against the Moniteur belge / Légifrance before quoting them to customers.
To extend a table, append a period. A day outside a table raises `RateMissing`, which names the rate to
add: no letter ever carries a rate forward.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import lru_cache

import holidays

from .ledger import LATER_RATE_LABEL
from .money import CENT

ZERO = Decimal("0.00")  # a zero amount that prints with its cents
B2B_FLAT_FEE = Decimal("40.00")
B2C_WAITING_DAYS = 14
ONE_DAY = timedelta(days=1)
PAPER_CHANNELS = ("post", "registered", "letter")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _decimal(value, name: str) -> Decimal:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class RatePeriod:
    start: date
    end: date | None  # inclusive; None = open-ended, never reported as carried forward
    rate: Decimal  # percent per year
    source: str


Table = tuple[RatePeriod, ...]


def _semester(year: int, half: int, rate: str, source: str) -> RatePeriod:
    if half == 1:
        return RatePeriod(date(year, 1, 1), date(year, 6, 30), Decimal(rate), source)
    return RatePeriod(date(year, 7, 1), date(year, 12, 31), Decimal(rate), source)


# Loi du 2 août 2002, art. 5 al. 2: ECB MRO + 8 points rounded up to the next half point, per semester,
# as published by SPF Finances. Sources: schoups.be (2022: 8 %); elegis.be, MB 17 Mar 2023 (2023 H1);
# MB 29 Sep 2023, fiduciairedelacense.be (2023 H2); medenam.be, webwin.be (2024 H1); forumforthefuture.be
# (2024 H2); leuropeinfo.eu (2025 H1); embuild.be (2025 H2 inferred, 2026 H1 "unchanged", not yet published).
BE_B2B_RATES: Table = (
    _semester(2022, 1, "8", "Loi 2 août 2002 art. 5, 2022 H1 (schoups.be)"),
    _semester(2022, 2, "8", "Loi 2 août 2002 art. 5, 2022 H2 (schoups.be)"),
    _semester(2023, 1, "10.5", "Loi 2 août 2002 art. 5, 2023 H1 (MB 17 mars 2023; elegis.be)"),
    _semester(2023, 2, "12", "Loi 2 août 2002 art. 5, 2023 H2 (MB 29 sept. 2023)"),
    _semester(2024, 1, "12.5", "Loi 2 août 2002 art. 5, 2024 H1 (medenam.be; webwin.be)"),
    _semester(2024, 2, "12.5", "Loi 2 août 2002 art. 5, 2024 H2 (forumforthefuture.be)"),
    _semester(2025, 1, "11.5", "Loi 2 août 2002 art. 5, 2025 H1 (leuropeinfo.eu)"),
    _semester(2025, 2, "10.5", "Loi 2 août 2002 art. 5, 2025 H2 (embuild.be, inferred)"),
    _semester(2026, 1, "10.5", "Loi 2 août 2002 art. 5, 2026 H1 (embuild.be, not yet published)"),
)

# ECB main refinancing rate in force on 1 Jan (H1) / 1 Jul (H2): the reference of C. com. L441-10 II.
# Source: ECB key-rates page, bsi.si ECB table (0.00 from 16 Mar 2016, 0.50 from 27 Jul 2022, 2.50 from
# 21 Dec 2022, 4.00 from 21 Jun 2023, 4.50 from 20 Sep 2023, 4.25 from 12 Jun 2024, 3.15 from 18 Dec 2024,
# 2.15 from 11 Jun 2025).
FR_ECB_MRO: Table = (
    _semester(2022, 1, "0.00", "ECB MRO on 1 Jan 2022"),
    _semester(2022, 2, "0.00", "ECB MRO on 1 Jul 2022"),
    _semester(2023, 1, "2.50", "ECB MRO on 1 Jan 2023"),
    _semester(2023, 2, "4.00", "ECB MRO on 1 Jul 2023"),
    _semester(2024, 1, "4.50", "ECB MRO on 1 Jan 2024"),
    _semester(2024, 2, "4.25", "ECB MRO on 1 Jul 2024"),
    _semester(2025, 1, "3.15", "ECB MRO on 1 Jan 2025"),
    _semester(2025, 2, "2.15", "ECB MRO on 1 Jul 2025"),
    _semester(2026, 1, "2.15", "ECB MRO on 1 Jan 2026"),
)

# Code de commerce L441-10 II: default penalty rate = that MRO + 10 points (2024 H2 14.25 ... 2026 H1 12.15).
FR_DEFAULT_RATES: Table = tuple(
    replace(p, rate=p.rate + 10, source=f"C. com. L441-10 II: {p.source} ({p.rate} %) + 10 points") for p in FR_ECB_MRO
)

# Taux de l'intérêt légal, "autres cas" (creditor acting for professional needs), per semester.
# Sources: ksca.fr, votrexpert.com (2024 H2, 2025 H1); Arrêté 19 Jun 2025, JO 24 Jun 2025 (2025 H2);
# Arrêté 15 Dec 2025, JORF 26 Dec 2025 (2026 H1).
FR_LEGAL_RATE_PROFESSIONAL: Table = (
    _semester(2024, 1, "5.07", "Taux de l'intérêt légal 2024 H1 (Arrêté 21 déc. 2023; infonet.fr; medef.nc)"),
    _semester(2024, 2, "4.92", "Taux de l'intérêt légal 2024 H2 (ksca.fr; votrexpert.com)"),
    _semester(2025, 1, "3.71", "Taux de l'intérêt légal 2025 H1 (ksca.fr; votrexpert.com)"),
    _semester(2025, 2, "2.76", "Taux de l'intérêt légal 2025 H2 (Arrêté 19 juin 2025)"),
    _semester(2026, 1, "2.62", "Taux de l'intérêt légal 2026 H1 (Arrêté 15 déc. 2025)"),
)


def _year(year: int, rate: str, source: str) -> RatePeriod:
    return RatePeriod(date(year, 1, 1), date(year, 12, 31), Decimal(rate), source)


# The ordinary Belgian legal interest rate (Loi du 5 mai 1865; C. civ. art. 5.240), per year: what a consumer
# owes when the contractual rate exceeds the ceiling of art. XIX.4. Sources: lexgo.be (2022: 1.50; 2023: 5.25);
# elegis.be (2023); leuropeinfo.eu, webwin.be (2024: 5.75; 2025: 4.5); embuild.be (2026: 4.5).
BE_LEGAL_RATES: Table = (
    _year(2022, "1.5", "Taux d'intérêt légal 2022 (MB 1er mars 2022; lexgo.be)"),
    _year(2023, "5.25", "Taux d'intérêt légal 2023 (lexgo.be; elegis.be)"),
    _year(2024, "5.75", "Taux d'intérêt légal 2024 (webwin.be)"),
    _year(2025, "4.5", "Taux d'intérêt légal 2025 (leuropeinfo.eu)"),
    _year(2026, "4.5", "Taux d'intérêt légal 2026 (embuild.be)"),
)


class RateMissing(ValueError):
    """A day outside a rate table: no claim and no formal notice until the rate is added."""


def _semester_name(day: date) -> str:
    return f"{day.year} H{1 if day.month <= 6 else 2}"


def be_rate_from_mro(mro: Decimal) -> Decimal:
    """Law of 2 Aug 2002 art. 5: MRO + 8 points, rounded up to the next half point."""
    return ((mro + 8) * 2).to_integral_value(rounding=ROUND_CEILING) / 2


def rate_on(table: Table, day: date) -> RatePeriod:
    """The period in force on `day`; `RateMissing` (naming the rate to add) outside the table."""
    for period in table:
        if period.start <= day and (period.end is None or day <= period.end):
            return period
    half_year = _semester_name(day)
    if day < table[0].start:
        raise RateMissing(
            f"No interest rate known for {half_year}: Debtor Portal knows the rates from '{table[0].source}' on. "
            "No claim or formal notice is made for a debt that old: compute it with your lawyer."
        )
    raise RateMissing(
        f"No interest rate known for {half_year}: Debtor Portal knows the rates up to '{table[-1].source}'. "
        f"Type the rate published for {half_year} in the Settings sheet, next to '{LATER_RATE_LABEL}', "
        "or install a newer Debtor Portal. No claim or formal notice is made until then."
    )


def with_later_rate(table: Table, rate: Decimal | None) -> Table:
    """The table and, after its last period, the rate the creditor typed for the periods it does not know yet."""
    last = table[-1].end
    if rate is None or last is None:
        return table
    return (*table, RatePeriod(last + ONE_DAY, None, rate, f"rate typed in the Settings for the periods after {last}"))


def statutory_rates(country: str, later_rate: Decimal | None) -> Table:
    """The late-payment rate the law sets between businesses in `country` (in Belgium also a consumer's ceiling),
    with the rate the creditor typed for the periods after the table."""
    return with_later_rate(FR_DEFAULT_RATES if country.upper() == "FR" else BE_B2B_RATES, later_rate)


@dataclass(frozen=True)
class InterestSegment:
    start: date
    end: date  # inclusive
    days: int
    rate: Decimal
    amount: Decimal  # unrounded


@dataclass(frozen=True)
class InterestResult:
    segments: tuple[InterestSegment, ...]
    total: Decimal  # sum of the unrounded segments, rounded half-up to cents
    warnings: tuple[str, ...] = ()


def interest(principal: Decimal, first_day: date, last_day: date, table_or_rate: Table | Decimal) -> InterestResult:
    """Simple interest for each day from first_day to last_day inclusive, actual/365.

    Each segment is principal * rate/100 * days/365; a table splits the span at every period boundary.
    A day outside the table raises `RateMissing`.
    """
    _decimal(principal, "principal")
    fixed = isinstance(table_or_rate, Decimal)
    if not fixed and not isinstance(table_or_rate, tuple):
        raise TypeError(f"table_or_rate must be a Decimal rate or a tuple of RatePeriod, got {table_or_rate!r}")
    segments = []
    day = first_day
    while day <= last_day:
        if isinstance(table_or_rate, Decimal):
            rate, end = table_or_rate, last_day
        else:
            period = rate_on(table_or_rate, day)
            rate = period.rate
            end = last_day if period.end is None else min(period.end, last_day)
        days = (end - day).days + 1
        segments.append(InterestSegment(day, end, days, rate, principal * rate * days / Decimal(36500)))
        day = end + ONE_DAY
    total = _cents(sum((s.amount for s in segments), ZERO))
    return InterestResult(tuple(segments), total)


def b2c_indemnity_cap(outstanding: Decimal) -> Decimal:
    """Maximum flat indemnity of CDE art. XIX.4, read as marginal tranches (continuous at 500):

    <= 150: 20; up to 500: 30 + 10 % of the part above 150; above 500: 65 + 5 % of the part above 500,
    at most 2,000 (reached at 39,200). E.g. 400 -> 55.00, 1,000 -> 90.00.
    """
    _decimal(outstanding, "outstanding")
    if outstanding <= 150:
        cap = Decimal(20)
    elif outstanding <= 500:
        cap = 30 + (outstanding - 150) * Decimal("0.10")
    else:
        cap = min(65 + (outstanding - 500) * Decimal("0.05"), Decimal(2000))
    return _cents(cap)


def b2c_grace_end(first_reminder_sent: date, channel: str, country_holidays=None) -> date:
    """Last day of the Book XIX waiting period (CDE art. XIX.2); charges may start the day after.

    The 14 calendar days start (day 1) on the day after sending for "email"/"portal", or on the 3rd working
    day after posting for "letter". Working days are Monday-Friday minus Belgian public holidays:
    `country_holidays` is any container of dates (default: holidays.country_holidays("BE") for the sending
    year and the next). The end is not moved off a weekend or holiday.

    - e-mail Mon 2026-03-02: day 1 = 03-03, day 14 = 03-16 (returned); charges from 03-17.
    - letter Tue 2025-12-23: working days 24 Dec, 26 Dec, 29 Dec (25 Dec and the weekend skipped);
      day 1 = 2025-12-29, day 14 = 2026-01-11; charges from 2026-01-12.
    """
    if channel in ("email", "portal", ""):
        first = first_reminder_sent + ONE_DAY
    elif channel in PAPER_CHANNELS:
        if country_holidays is None:
            year = first_reminder_sent.year
            country_holidays = holidays.country_holidays("BE", years=[year, year + 1])
        first, counted = first_reminder_sent, 0
        while counted < 3:
            first += ONE_DAY
            if first.weekday() < 5 and first not in country_holidays:
                counted += 1
    else:
        raise ValueError(f"unknown reminder channel {channel!r} (expected 'email', 'post' or 'registered')")
    return first + timedelta(days=B2C_WAITING_DAYS - 1)


@dataclass(frozen=True)
class Claim:
    principal: Decimal
    interest: Decimal
    interest_detail: InterestResult | None
    flat_fee: Decimal
    total: Decimal  # principal + interest + flat_fee
    basis: str  # "be_b2b", "be_b2c", "fr_b2b" or "none"
    legal_reference: str
    from_day: date | None  # first day of interest; None when no interest is claimed
    warnings: tuple[str, ...] = ()  # English, for the user (e.g. update a rate table)
    # (key, params) for the UI to translate. Amounts in params are rounded for display, so the segment
    # amounts may differ by a cent from `interest`, which is rounded once from the unrounded sum.
    explanations: tuple[tuple[str, dict], ...] = ()
    rates: Table | Decimal | None = field(default=None, compare=False)  # what the interest ran at


LEGAL_REFERENCES = {
    "be_b2b": "Loi du 2 août 2002, art. 5 et 6",
    "be_b2c": "Code de droit économique, art. XIX.2–XIX.4",
    "fr_b2b": "Code de commerce, art. L441-10 et D441-5",
    "none": "",
}


def _nothing(principal: Decimal, basis: str, *explanations: tuple[str, dict]) -> Claim:
    return Claim(
        principal, ZERO, None, ZERO, _cents(principal), basis, LEGAL_REFERENCES[basis], None, explanations=explanations
    )


# The ceiling of art. XIX.4 is the rate of the Law of 2 Aug 2002: the ECB MRO + 8 points, rounded up. The MRO
# has never been below 0 (0.00 from 16 Mar 2016 to 27 Jul 2022), so a consumer rate up to 8 % is within the
# ceiling in a semester whose rate is not published yet. This is an inference from the formula, not a table.
B2C_SAFE_RATE = Decimal("8")


def _kept_by_writing(make: Callable[[Decimal], Table]) -> Callable[[Decimal], Table]:
    """`make`, remembering its table for each rate a workbook asks for (a few, asked for by every claim).
    Rates are told apart by their writing, not their value: 8 and 8.0 are equal but print differently."""
    kept = lru_cache(maxsize=64)(lambda written: make(Decimal(written)))
    return lambda rate: kept(str(rate))


@_kept_by_writing
def _b2c_rates(wanted: Decimal) -> Table:
    """A consumer's rate per semester: `wanted` while within the B2B ceiling, else the ordinary legal rate;
    after the table, `wanted` when it is at most 8 % (within any semester's ceiling)."""
    out = []
    for period in BE_B2B_RATES:
        if wanted <= period.rate:
            out.append(replace(period, rate=wanted, source="general terms"))
        else:
            try:
                legal = rate_on(BE_LEGAL_RATES, period.start)
            except RateMissing:
                break
            out.append(replace(period, rate=legal.rate, source=legal.source))
    if wanted <= B2C_SAFE_RATE and out and out[-1].end is not None:
        out.append(RatePeriod(out[-1].end + ONE_DAY, None, wanted, "general terms (within any semester's ceiling)"))
    return tuple(out)


@_kept_by_writing
def _fr_professional_rates(contractual_rate: Decimal) -> Table:
    """The contractual rate, but never under three times the legal rate of each semester (C. com. L441-10)."""
    return tuple(replace(p, rate=max(contractual_rate, 3 * p.rate)) for p in FR_LEGAL_RATE_PROFESSIONAL)


def claim(
    *,
    country: str,
    debtor_kind: str,
    principal: Decimal,
    due_date: date,
    as_of: date,
    first_reminder: date | None = None,
    first_reminder_channel: str = "email",
    terms_allow_b2c_damages: bool = False,
    interest_rule: str = "legal",
    contractual_rate: Decimal | None = None,
    flat_fee: bool = True,
    country_holidays=None,
    b2c_rate: Decimal | None = None,
    b2c_rate_is_statutory: bool = False,
    b2c_fee: Decimal | None = None,
    enterprise_number: bool = True,
    later_rate: Decimal | None = None,
) -> Claim:
    """What may be claimed on `as_of` (inclusive) for one late invoice.

    The principal is always carried through; "nothing claimed" means no interest and no fee.
    interest_rule: "legal" (statutory rate), "contractual" (contractual_rate) or "none".

    - BE B2B (Law of 2 Aug 2002): interest from the day after the due date at the semester rate, or the
      contractual rate; plus 40.00 when flat_fee.
    - BE B2C (CDE Book XIX): only if the creditor's enterprise number is known, the terms provide for damages
      and a first reminder was sent after the due date; nothing until the waiting period ends (b2c_grace_end,
      using country_holidays), then interest from the next day and, when flat_fee, a fixed compensation.
      What the first reminder announced caps both: `b2c_rate` (announced as the statutory rate when
      `b2c_rate_is_statutory`: each half-year's rate then, never above it; else the contractual rate, else the B2B rate of
      the Law of 2 Aug 2002, the ceiling) and `b2c_fee` (else the cap of art. XIX.4), never above the cap.
      An announced rate above the ceiling is not cut to it: the ordinary legal rate applies, with a warning.
    - FR B2B (C. com. L441-10 II, D441-5): penalties from the day after the due date at ECB MRO + 10 points,
      or the contractual rate but never below 3x the legal interest rate in force (floored day by day, with a
      warning); plus the 40.00 indemnité forfaitaire per invoice when flat_fee.
    - FR B2C: the penalties and the 40.00 apply between professionals only, so nothing is claimed. Legal
      interest owed by a consumer runs only after a formal notice (mise en demeure): out of scope here.
    """
    country, debtor_kind = country.upper(), debtor_kind.lower()
    basis = f"{country.lower()}_{debtor_kind}"
    if basis not in ("be_b2b", "be_b2c", "fr_b2b", "fr_b2c"):
        raise ValueError(f"unsupported country/debtor kind: {country}/{debtor_kind}")
    if interest_rule not in ("legal", "contractual", "none"):
        raise ValueError(f"unknown interest rule {interest_rule!r}")
    _decimal(principal, "principal")
    if interest_rule == "contractual":
        _decimal(contractual_rate, "contractual_rate")

    if as_of <= due_date:
        return _nothing(principal, "none", ("not_due", {"due_date": due_date}))
    if principal <= 0:
        return _nothing(principal, "none", ("nothing_outstanding", {}))
    if basis == "fr_b2c":
        return _nothing(principal, "none", ("fr_b2c", {}))

    explanations: list[tuple[str, dict]] = []
    start = due_date + ONE_DAY
    if basis == "be_b2c":
        if not enterprise_number:
            return _nothing(principal, basis, ("b2c_no_enterprise_number", {}))
        if not terms_allow_b2c_damages:
            return _nothing(principal, basis, ("b2c_terms_missing", {}))
        if first_reminder is None:
            return _nothing(principal, basis, ("b2c_no_first_reminder", {}))
        if first_reminder <= due_date:
            return _nothing(principal, basis, ("b2c_reminder_before_due", {"due_date": due_date}))
        grace_end = b2c_grace_end(first_reminder, first_reminder_channel, country_holidays)
        explanations.append(("b2c_grace", {"until": grace_end}))
        if as_of <= grace_end:
            return _nothing(principal, basis, *explanations)
        start = grace_end + ONE_DAY

    legal = interest_rule == "legal"
    statutory = statutory_rates(country, later_rate)
    if interest_rule == "none":
        rate = None
    elif basis == "be_b2b":
        rate = statutory if legal else contractual_rate
    elif basis == "be_b2c":
        wanted = b2c_rate if b2c_rate is not None else (None if legal else contractual_rate)
        if wanted is None:
            rate = statutory
        elif b2c_rate_is_statutory:
            rate = tuple(replace(period, rate=min(period.rate, wanted)) for period in statutory)
        else:
            rate = _b2c_rates(wanted)
    else:
        rate = statutory if legal else _fr_professional_rates(_decimal(contractual_rate, "contractual_rate"))

    detail = None if rate is None else interest(principal, start, as_of, rate)
    warnings = list(detail.warnings) if detail else []
    if detail is None:
        explanations.append(("interest_none", {}))
    else:
        for s in detail.segments:
            explanations.append(
                (
                    "interest_segment",
                    {"from": s.start, "to": s.end, "days": s.days, "rate": s.rate, "amount": _cents(s.amount)},
                )
            )
            if basis == "be_b2c" and rate is not statutory and not b2c_rate_is_statutory and s.rate != wanted:
                explanations.append(
                    (
                        "contractual_rate_above_ceiling",
                        {"contractual": wanted, "rate": s.rate, "from": s.start, "to": s.end},
                    )
                )
                warnings.append(
                    f"The consumer rate {wanted} % exceeds the rate of the Law of 2 Aug 2002: such a clause does not "
                    f"bind a consumer, so the ordinary legal rate of {s.rate} % applies from {s.start} to {s.end} "
                    "(Code de droit économique, art. XIX.4). Lower the consumer rate in the Settings to the ceiling."
                )
            elif basis == "fr_b2b" and interest_rule == "contractual" and s.rate != contractual_rate:
                key = "contractual_rate_floored"
                explanations.append(
                    (key, {"contractual": contractual_rate, "rate": s.rate, "from": s.start, "to": s.end})
                )
                warnings.append(
                    f"Contractual rate {contractual_rate} % is below 3 x the legal interest rate: {s.rate} % applied "
                    f"from {s.start} to {s.end} (Code de commerce, art. L441-10 II)."
                )

    fee = ZERO
    if flat_fee and basis == "be_b2c":
        cap = b2c_indemnity_cap(principal)
        fee = cap if b2c_fee is None else min(_cents(b2c_fee), cap)
        explanations.append(("b2c_indemnity", {"amount": fee, "outstanding": principal}))
    elif flat_fee:
        fee = B2B_FLAT_FEE
        explanations.append(("flat_fee_b2b", {"amount": fee}))

    interest_amount = detail.total if detail else ZERO
    return Claim(
        principal,
        interest_amount,
        detail,
        fee,
        _cents(principal + interest_amount + fee),
        basis,
        LEGAL_REFERENCES[basis],
        start if detail else None,
        tuple(warnings),
        tuple(explanations),
        rate,
    )


def term_warning(country: str, debtor_kind: str, issue_date: date, due_date: date) -> str | None:
    """A message when the agreed payment term (issue date to due date) exceeds the legal maximum, else None.

    BE B2B: over 60 calendar days, for invoices issued from 1 Feb 2022. The law counts from receipt of the
    invoice, which is not known here, so a term counted from the issue date may overstate it by the delivery days.
    FR B2B: over 60 days from the issue date (L441-10 I); the 45-days-end-of-month exception is not checked.
    """
    days = (due_date - issue_date).days
    if days <= 60 or debtor_kind.lower() != "b2b":
        return None
    if country.upper() == "BE" and issue_date >= date(2022, 2, 1):
        return (
            f"Payment term of {days} days from the invoice date exceeds 60 calendar days: since 1 Feb 2022 an "
            f"agreed B2B term over 60 days is deemed unwritten (Law of 2 Aug 2002, as amended by the Law of "
            f"14 Aug 2021). The law counts from receipt of the invoice."
        )
    if country.upper() == "FR":
        return (
            f"Payment term of {days} days from the invoice date exceeds the 60-day maximum of the Code de "
            f"commerce, art. L441-10 I (45 days end of month only if expressly agreed)."
        )
    return None

"""Late-payment law: expected amounts are hand-computed (actual/365, rounded half-up to cents)."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from portal.domain.law import (
    BE_B2B_RATES,
    FR_DEFAULT_RATES,
    FR_ECB_MRO,
    FR_LEGAL_RATE_PROFESSIONAL,
    Claim,
    RateMissing,
    RatePeriod,
    b2c_grace_end,
    b2c_indemnity_cap,
    be_rate_from_mro,
    claim,
    interest,
    rate_on,
    term_warning,
    with_later_rate,
)

ALL_TABLES = [BE_B2B_RATES, FR_ECB_MRO, FR_DEFAULT_RATES, FR_LEGAL_RATE_PROFESSIONAL]


def be_b2b(**kw) -> Claim:
    return claim(country="BE", debtor_kind="B2B", principal=D("1000.00"), **kw)


def fr_b2b(**kw) -> Claim:
    return claim(country="FR", debtor_kind="B2B", principal=D("1000.00"), **kw)


# --- tables -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", ALL_TABLES)
def test_tables_are_contiguous_closed_periods(table):
    for before, after in zip(table, table[1:]):
        assert after.start == before.end + timedelta(days=1)
    assert all(p.end is not None and isinstance(p.rate, D) and p.source for p in table)


@pytest.mark.parametrize("period", BE_B2B_RATES)
def test_be_rates_match_mro_plus_8_rounded_up_to_half_point(period):
    # 2024 H1 4.50+8 = 12.5; H2 4.25+8 = 12.25 -> 12.5; 2025 H1 11.15 -> 11.5; H2 10.15 -> 10.5; 2026 H1 10.5
    assert be_rate_from_mro(rate_on(FR_ECB_MRO, period.start).rate) == period.rate


@pytest.mark.parametrize(
    "table, day, rate",
    [
        (BE_B2B_RATES, date(2024, 1, 1), D("12.5")),
        (BE_B2B_RATES, date(2025, 6, 30), D("11.5")),
        (BE_B2B_RATES, date(2025, 7, 1), D("10.5")),
        (FR_DEFAULT_RATES, date(2024, 7, 1), D("14.25")),
        (FR_DEFAULT_RATES, date(2025, 1, 1), D("13.15")),
        (FR_DEFAULT_RATES, date(2025, 12, 31), D("12.15")),
        (FR_DEFAULT_RATES, date(2026, 6, 30), D("12.15")),
        (FR_LEGAL_RATE_PROFESSIONAL, date(2024, 12, 31), D("4.92")),
        (FR_LEGAL_RATE_PROFESSIONAL, date(2025, 3, 1), D("3.71")),
        (FR_LEGAL_RATE_PROFESSIONAL, date(2025, 7, 1), D("2.76")),
        (FR_LEGAL_RATE_PROFESSIONAL, date(2026, 1, 1), D("2.62")),
        (BE_B2B_RATES, date(2022, 1, 1), D("8")),
        (BE_B2B_RATES, date(2023, 3, 1), D("10.5")),
        (BE_B2B_RATES, date(2023, 12, 31), D("12")),
        (FR_LEGAL_RATE_PROFESSIONAL, date(2024, 1, 1), D("5.07")),
    ],
)
def test_rate_on(table, day, rate):
    assert rate_on(table, day).rate == rate


def test_rate_on_outside_the_table_names_the_rate_to_add():
    with pytest.raises(RateMissing, match=r"2021 H2: .* from 'Loi 2 août 2002 art. 5, 2022 H1"):
        rate_on(BE_B2B_RATES, date(2021, 12, 31))
    with pytest.raises(RateMissing, match=r"2026 H2: .* up to 'Loi 2 août 2002 art. 5, 2026 H1.*Type the rate"):
        rate_on(BE_B2B_RATES, date(2026, 7, 1))


def test_the_rate_typed_for_newer_periods_runs_after_the_table():
    """A claim into a half-year the tables do not know runs at the rate the creditor typed for it, from the day
    after the last period known; before that day the published rates stand."""
    common = dict(country="BE", debtor_kind="B2B", principal=D("1000"), due_date=date(2026, 5, 31))
    with pytest.raises(RateMissing, match="2026 H2"):
        claim(**common, as_of=date(2026, 7, 30))
    result = claim(**common, as_of=date(2026, 7, 30), later_rate=D("10.5"))
    first, second = result.interest_detail.segments
    assert (first.start, first.end, first.rate) == (date(2026, 6, 1), date(2026, 6, 30), D("10.5"))
    assert (second.start, second.end, second.rate) == (date(2026, 7, 1), date(2026, 7, 30), D("10.5"))
    assert "Settings" in rate_on(with_later_rate(BE_B2B_RATES, D("11")), date(2027, 3, 1)).source
    assert rate_on(with_later_rate(BE_B2B_RATES, D("11")), date(2026, 6, 30)).rate == D("10.5")


def test_rate_on_gap_raises():
    gappy = (
        RatePeriod(date(2025, 1, 1), date(2025, 1, 31), D("1"), "a"),
        RatePeriod(date(2025, 3, 1), date(2025, 3, 31), D("2"), "b"),
    )
    with pytest.raises(RateMissing, match="2025 H1"):
        rate_on(gappy, date(2025, 2, 10))


# --- interest -----------------------------------------------------------------------------------------------


def test_interest_is_rounded_half_up_once():
    # 365.00 * 10.5 * 1 / 36500 = 0.105 exactly -> 0.11 (half-even would give 0.10)
    result = interest(D("365.00"), date(2025, 8, 1), date(2025, 8, 1), D("10.5"))
    assert result.total == D("0.11")
    assert result.segments[0].amount == D("0.105")


def test_interest_keeps_unrounded_segments_split_at_rate_change():
    # 1000 * 11.5 * 15 / 36500 = 4.7260...; 1000 * 10.5 * 15 / 36500 = 4.3150...; sum 9.0410... -> 9.04
    # (rounding each segment would give 4.73 + 4.32 = 9.05)
    result = interest(D("1000.00"), date(2025, 6, 16), date(2025, 7, 15), BE_B2B_RATES)
    assert [(s.start, s.end, s.days, s.rate) for s in result.segments] == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, D("11.5")),
        (date(2025, 7, 1), date(2025, 7, 15), 15, D("10.5")),
    ]
    assert result.total == D("9.04")
    assert result.warnings == ()


def test_interest_empty_span():
    assert interest(D("1000.00"), date(2025, 5, 2), date(2025, 5, 1), BE_B2B_RATES).total == D("0.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        interest(1000.0, date(2025, 5, 1), date(2025, 5, 2), D("8"))
    with pytest.raises(TypeError):
        interest(D("1000.00"), date(2025, 5, 1), date(2025, 5, 2), 8.0)
    with pytest.raises(TypeError):
        be_b2b(due_date=date(2025, 3, 31), as_of=date(2025, 4, 30), interest_rule="contractual", contractual_rate=8.0)


# --- Belgium B2B --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due, as_of, kw, interest_, fee, total",
    [
        # 2025-04-01..04-30 = 30 days @ 11.5: 1000 * 11.5 * 30 / 36500 = 9.4520... -> 9.45
        (date(2025, 3, 31), date(2025, 4, 30), {}, "9.45", "40.00", "1049.45"),
        # 06-16..06-30 15 d @ 11.5 + 07-01..07-15 15 d @ 10.5 = 1000 * (172.5 + 157.5) / 36500 = 9.0410... -> 9.04
        (date(2025, 6, 15), date(2025, 7, 15), {}, "9.04", "40.00", "1049.04"),
        # 2024-12-21..12-31 11 d @ 12.5 + 2025-01-01..01-10 10 d @ 11.5 = 1000 * (137.5 + 115) / 36500 = 6.9178... -> 6.92
        (date(2024, 12, 20), date(2025, 1, 10), {}, "6.92", "40.00", "1046.92"),
        (date(2025, 3, 31), date(2025, 4, 30), {"flat_fee": False}, "9.45", "0.00", "1009.45"),
        # 30 days @ 8 %: 1000 * 8 * 30 / 36500 = 6.5753... -> 6.58
        (
            date(2025, 3, 31),
            date(2025, 4, 30),
            {"interest_rule": "contractual", "contractual_rate": D("8")},
            "6.58",
            "40.00",
            "1046.58",
        ),
        (date(2025, 3, 31), date(2025, 4, 30), {"interest_rule": "none"}, "0.00", "40.00", "1040.00"),
        # one day late: 1000 * 11.5 / 36500 = 0.3150... -> 0.32
        (date(2025, 3, 31), date(2025, 4, 1), {}, "0.32", "40.00", "1040.32"),
    ],
)
def test_be_b2b(due, as_of, kw, interest_, fee, total):
    c = be_b2b(due_date=due, as_of=as_of, **kw)
    assert (c.interest, c.flat_fee, c.total) == (D(interest_), D(fee), D(total))
    assert c.basis == "be_b2b"
    assert c.legal_reference == "Loi du 2 août 2002, art. 5 et 6"
    assert c.warnings == ()


def test_be_b2b_explanations():
    c = be_b2b(due_date=date(2025, 6, 15), as_of=date(2025, 7, 15))
    assert c.from_day == date(2025, 6, 16)
    assert c.explanations == (
        (
            "interest_segment",
            {"from": date(2025, 6, 16), "to": date(2025, 6, 30), "days": 15, "rate": D("11.5"), "amount": D("4.73")},
        ),
        (
            "interest_segment",
            {"from": date(2025, 7, 1), "to": date(2025, 7, 15), "days": 15, "rate": D("10.5"), "amount": D("4.32")},
        ),
        ("flat_fee_b2b", {"amount": D("40.00")}),
    )


def test_interest_rule_none_has_no_from_day():
    c = be_b2b(due_date=date(2025, 3, 31), as_of=date(2025, 4, 30), interest_rule="none")
    assert c.interest_detail is None and c.from_day is None
    assert ("interest_none", {}) in c.explanations


@pytest.mark.parametrize(
    "principal, due, as_of, key",
    [
        (D("1000.00"), date(2025, 3, 31), date(2025, 3, 31), "not_due"),
        (D("1000.00"), date(2025, 3, 31), date(2025, 3, 1), "not_due"),
        (D("0.00"), date(2025, 3, 31), date(2025, 4, 30), "nothing_outstanding"),
        (D("-50.00"), date(2025, 3, 31), date(2025, 4, 30), "nothing_outstanding"),
    ],
)
def test_nothing_claimed(principal, due, as_of, key):
    for country, kind in [("BE", "B2B"), ("BE", "B2C"), ("FR", "B2B")]:
        c = claim(
            country=country,
            debtor_kind=kind,
            principal=principal,
            due_date=due,
            as_of=as_of,
            first_reminder=date(2025, 4, 1),
            terms_allow_b2c_damages=True,
        )
        assert (c.interest, c.flat_fee, c.total) == (D("0.00"), D("0.00"), principal)
        assert c.basis == "none" and c.explanations[0][0] == key


def test_a_claim_beyond_the_table_is_refused_not_carried_forward():
    with pytest.raises(RateMissing, match="2026 H2"):
        be_b2b(due_date=date(2026, 6, 29), as_of=date(2026, 7, 31))


def test_before_first_period_raises():
    with pytest.raises(RateMissing, match="2021 H2"):
        be_b2b(due_date=date(2021, 12, 15), as_of=date(2022, 1, 15))


def test_a_claim_across_2023_rate_changes_has_one_segment_per_period():
    c = be_b2b(due_date=date(2022, 12, 1), as_of=date(2023, 7, 10))
    assert [(s.rate, s.days) for s in c.interest_detail.segments] == [(D("8"), 30), (D("10.5"), 181), (D("12"), 10)]


def test_bad_arguments():
    with pytest.raises(ValueError):
        claim(country="NL", debtor_kind="B2B", principal=D("1"), due_date=date(2025, 1, 1), as_of=date(2025, 2, 1))
    with pytest.raises(ValueError):
        be_b2b(due_date=date(2025, 1, 1), as_of=date(2025, 2, 1), interest_rule="euribor")


# --- Belgium B2C (Book XIX) ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "outstanding, cap",
    [
        ("0.01", "20.00"),
        ("150.00", "20.00"),
        ("150.01", "30.00"),  # 30 + 10 % * 0.01 = 30.001
        ("400.00", "55.00"),  # 30 + 10 % * 250
        ("500.00", "65.00"),  # 30 + 10 % * 350
        ("500.01", "65.00"),  # 65 + 5 % * 0.01 = 65.0005
        ("1000.00", "90.00"),  # 65 + 5 % * 500
        ("39200.00", "2000.00"),  # 65 + 5 % * 38700 = 2000
        ("39200.01", "2000.00"),
        ("100000.00", "2000.00"),
        ("1234.56", "101.73"),  # 65 + 5 % * 734.56 = 101.728
    ],
)
def test_b2c_indemnity_cap(outstanding, cap):
    assert b2c_indemnity_cap(D(outstanding)) == D(cap)


@pytest.mark.parametrize(
    "sent, channel, holidays, last_day",
    [
        # e-mail: day 1 is the day after sending; day 14 = day 1 + 13
        (date(2026, 3, 2), "email", None, date(2026, 3, 16)),  # Mon: 03-03 .. 03-16
        (date(2026, 3, 6), "email", None, date(2026, 3, 20)),  # Fri: Sat 03-07 .. 03-20
        (date(2026, 3, 6), "portal", None, date(2026, 3, 20)),
        # letter: day 1 is the 3rd working day after posting
        (date(2026, 3, 2), "letter", None, date(2026, 3, 18)),  # Mon: Tue, Wed, Thu 03-05 .. 03-18
        (date(2026, 3, 6), "letter", None, date(2026, 3, 24)),  # Fri: Mon, Tue, Wed 03-11 .. 03-24
        # Tue 2025-12-23: Wed 24, (Thu 25 Christmas), Fri 26, (weekend), Mon 29 -> 12-29 .. 2026-01-11
        (date(2025, 12, 23), "letter", None, date(2026, 1, 11)),
        # Thu 2026-04-02: Fri 3, (weekend, Easter Monday 6), Tue 7, Wed 8 -> 04-08 .. 04-21
        (date(2026, 4, 2), "letter", None, date(2026, 4, 21)),
        # explicit holiday set: Mon 2026-03-02 with 03-03 off: Wed 4, Thu 5, Fri 6 -> 03-06 .. 03-19
        (date(2026, 3, 2), "letter", {date(2026, 3, 3)}, date(2026, 3, 19)),
    ],
)
def test_b2c_grace_end(sent, channel, holidays, last_day):
    assert b2c_grace_end(sent, channel, holidays) == last_day


def test_b2c_grace_end_unknown_channel():
    with pytest.raises(ValueError):
        b2c_grace_end(date(2026, 3, 2), "fax")


def be_b2c(**kw) -> Claim:
    kw.setdefault("terms_allow_b2c_damages", True)
    kw.setdefault("principal", D("400.00"))
    kw.setdefault("due_date", date(2026, 2, 15))
    kw.setdefault("first_reminder", date(2026, 3, 2))  # Monday, e-mail: waiting period ends 03-16
    return claim(country="BE", debtor_kind="B2C", **kw)


def test_b2c_nothing_on_last_grace_day():
    c = be_b2c(as_of=date(2026, 3, 16))
    assert (c.interest, c.flat_fee, c.total) == (D("0.00"), D("0.00"), D("400.00"))
    assert c.basis == "be_b2c" and c.from_day is None
    assert c.explanations == (("b2c_grace", {"until": date(2026, 3, 16)}),)


def test_b2c_interest_and_indemnity_the_day_after():
    # 03-17, 1 day @ 10.5: 400 * 10.5 / 36500 = 0.1150... -> 0.12; indemnity 30 + 10 % * 250 = 55.00
    c = be_b2c(as_of=date(2026, 3, 17))
    assert (c.interest, c.flat_fee, c.total) == (D("0.12"), D("55.00"), D("455.12"))
    assert c.from_day == date(2026, 3, 17)
    assert c.legal_reference == "Code de droit économique, art. XIX.2–XIX.4"
    assert [k for k, _ in c.explanations] == ["b2c_grace", "interest_segment", "b2c_indemnity"]
    assert c.explanations[-1] == ("b2c_indemnity", {"amount": D("55.00"), "outstanding": D("400.00")})


def test_b2c_letter_posted_before_christmas():
    # waiting period 2025-12-29 .. 2026-01-11 (see test_b2c_grace_end)
    kw = dict(
        principal=D("1000.00"),
        due_date=date(2025, 12, 1),
        first_reminder=date(2025, 12, 23),
        first_reminder_channel="letter",
    )
    assert be_b2c(as_of=date(2026, 1, 11), **kw).total == D("1000.00")
    # 2026-01-12, 1 day @ 10.5: 1000 * 10.5 / 36500 = 0.2876... -> 0.29; indemnity 65 + 5 % * 500 = 90.00
    c = be_b2c(as_of=date(2026, 1, 12), **kw)
    assert (c.interest, c.flat_fee, c.total) == (D("0.29"), D("90.00"), D("1090.29"))


@pytest.mark.parametrize(
    "rate, interest_, capped",
    [
        # 12 % is above the 10.5 % ceiling: the clause does not bind the consumer, the ordinary legal rate
        # of 2026 (4.5 %) applies: 400 * 4.5 * 15 / 36500 = 0.7397... -> 0.74
        (D("12"), "0.74", True),
        # 400 * 8 * 15 / 36500 = 1.3150... -> 1.32
        (D("8"), "1.32", False),
    ],
)
def test_b2c_rate_above_the_ceiling_gives_the_legal_rate_and_a_warning(rate, interest_, capped):
    c = be_b2c(as_of=date(2026, 3, 31), interest_rule="contractual", contractual_rate=rate)
    assert c.interest == D(interest_)
    assert bool(c.warnings) is capped
    assert any(k == "contractual_rate_above_ceiling" for k, _ in c.explanations) is capped


def test_b2c_claims_what_was_announced_never_more():
    c = be_b2c(as_of=date(2026, 3, 31), b2c_rate=D("6"), b2c_fee=D("25.00"))
    assert [s.rate for s in c.interest_detail.segments] == [D("6")] and c.flat_fee == D("25.00")
    assert be_b2c(as_of=date(2026, 3, 31), b2c_fee=D("500.00")).flat_fee == D("55.00")  # capped by art. XIX.4


def test_b2c_nothing_without_the_creditors_enterprise_number():
    c = be_b2c(as_of=date(2026, 3, 31), enterprise_number=False)
    assert (c.interest, c.flat_fee, c.explanations[0][0]) == (D("0.00"), D("0.00"), "b2c_no_enterprise_number")


@pytest.mark.parametrize(
    "kw, key",
    [
        ({"terms_allow_b2c_damages": False}, "b2c_terms_missing"),
        ({"first_reminder": None}, "b2c_no_first_reminder"),
        ({"first_reminder": date(2026, 2, 15)}, "b2c_reminder_before_due"),
    ],
)
def test_b2c_preconditions(kw, key):
    c = be_b2c(as_of=date(2026, 6, 1), **kw)
    assert (c.interest, c.flat_fee, c.total) == (D("0.00"), D("0.00"), D("400.00"))
    assert c.basis == "be_b2c"
    assert c.explanations[0][0] == key


# --- France -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "due, as_of, kw, interest_, floored",
    [
        # 30 days @ 13.15 (ECB 3.15 + 10): 1000 * 13.15 * 30 / 36500 = 10.8082... -> 10.81
        (date(2025, 3, 31), date(2025, 4, 30), {}, "10.81", False),
        # 15 d @ 13.15 + 15 d @ 12.15: 1000 * 25.3 * 15 / 36500 = 10.3972... -> 10.40
        (date(2025, 6, 15), date(2025, 7, 15), {}, "10.40", False),
        # contractual 5 % < 3 x 3.71 = 11.13: 1000 * 11.13 * 30 / 36500 = 9.1479... -> 9.15
        (date(2025, 3, 31), date(2025, 4, 30), {"contractual_rate": D("5")}, "9.15", True),
        # contractual 10 %: H1 floored to 11.13, H2 kept (3 x 2.76 = 8.28 < 10):
        # 1000 * (11.13 * 15 + 10 * 15) / 36500 = 316950 / 36500 = 8.6835... -> 8.68
        (date(2025, 6, 15), date(2025, 7, 15), {"contractual_rate": D("10")}, "8.68", True),
        # contractual 15 % above the floor: 1000 * 15 * 30 / 36500 = 12.3287... -> 12.33
        (date(2025, 3, 31), date(2025, 4, 30), {"contractual_rate": D("15")}, "12.33", False),
    ],
)
def test_fr_b2b(due, as_of, kw, interest_, floored):
    if kw:
        kw["interest_rule"] = "contractual"
    c = fr_b2b(due_date=due, as_of=as_of, **kw)
    assert c.interest == D(interest_)
    assert c.flat_fee == D("40.00")
    assert c.total == D("1040.00") + D(interest_)
    assert c.basis == "fr_b2b" and c.legal_reference == "Code de commerce, art. L441-10 et D441-5"
    assert c.from_day == due + timedelta(days=1)
    assert bool(c.warnings) is floored
    assert any(k == "contractual_rate_floored" for k, _ in c.explanations) is floored


def test_a_rate_keeps_its_writing_whichever_equal_rate_was_asked_for_first():
    for first, then in ((D("8"), D("8.00")), (D("8.00"), D("8"))):
        for rate in (first, then):
            be = be_b2c(as_of=date(2026, 3, 31), interest_rule="contractual", contractual_rate=rate)
            fr = fr_b2b(
                due_date=date(2025, 3, 31),
                as_of=date(2025, 4, 30),
                interest_rule="contractual",
                contractual_rate=rate + 10,
            )
            assert [str(s.rate) for s in be.interest_detail.segments] == [str(rate)]
            assert [str(s.rate) for s in fr.interest_detail.segments] == [str(rate + 10)]


def test_fr_floor_warning_names_the_rate_and_article():
    c = fr_b2b(
        due_date=date(2025, 6, 15), as_of=date(2025, 7, 15), interest_rule="contractual", contractual_rate=D("10")
    )
    assert len(c.warnings) == 1
    assert "11.13" in c.warnings[0] and "L441-10" in c.warnings[0]


def test_fr_b2c_nothing():
    c = claim(
        country="FR", debtor_kind="B2C", principal=D("1000.00"), due_date=date(2025, 3, 31), as_of=date(2025, 6, 30)
    )
    assert (c.interest, c.flat_fee, c.total, c.basis) == (D("0.00"), D("0.00"), D("1000.00"), "none")
    assert c.explanations == (("fr_b2c", {}),)


def test_fr_contractual_before_legal_table_raises():
    with pytest.raises(RateMissing, match="2023 H2"):
        fr_b2b(
            due_date=date(2023, 12, 20), as_of=date(2024, 1, 20), interest_rule="contractual", contractual_rate=D("15")
        )


# --- payment terms ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "country, kind, issue, due, expect",
    [
        ("BE", "B2B", date(2025, 1, 1), date(2025, 3, 2), None),  # 31 + 28 + 1 = 60 days
        ("BE", "B2B", date(2025, 1, 1), date(2025, 3, 3), ["61 days", "1 Feb 2022", "Law of 14 Aug 2021"]),
        ("BE", "B2C", date(2025, 1, 1), date(2025, 3, 3), None),
        ("BE", "B2B", date(2021, 6, 1), date(2021, 9, 1), None),  # before the cap came into force
        ("FR", "B2B", date(2025, 1, 1), date(2025, 3, 2), None),
        ("FR", "B2B", date(2025, 1, 1), date(2025, 3, 3), ["61 days", "L441-10 I"]),
        ("FR", "B2C", date(2025, 1, 1), date(2025, 3, 3), None),
    ],
)
def test_term_warning(country, kind, issue, due, expect):
    message = term_warning(country, kind, issue, due)
    if expect is None:
        assert message is None
    else:
        assert all(part in message for part in expect)

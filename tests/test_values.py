from datetime import date, datetime
from decimal import Decimal

import pytest

from portal.workbook import cells


@pytest.mark.parametrize(
    "raw, expected",
    [
        (datetime(2026, 3, 1, 0, 0), date(2026, 3, 1)),
        (date(2026, 3, 1), date(2026, 3, 1)),
        (46082, date(2026, 3, 1)),  # Excel serial number
        (46082.0, date(2026, 3, 1)),
        ("01/03/2026", date(2026, 3, 1)),
        ("1/3/2026", date(2026, 3, 1)),
        ("01.03.2026", date(2026, 3, 1)),
        ("01-03-26", date(2026, 3, 1)),
        ("2026-03-01", date(2026, 3, 1)),
        ("2026-03-01T00:00:00", date(2026, 3, 1)),
    ],
)
def test_dates_in_every_form_a_sheet_holds(raw, expected):
    assert cells.to_date(raw) == expected


@pytest.mark.parametrize("raw", ["31/02/2026", "next week", "2026/13/01", "", -5])
def test_bad_dates_say_what_is_expected(raw):
    with pytest.raises(ValueError, match="31/12/2026"):
        cells.to_date(raw)


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1234,56 €", "1234.56"),
        ("1 234,56", "1234.56"),
        ("1\u202f234,56\u00a0€", "1234.56"),
        ("EUR 48.000,00", "48000.00"),
        ("12,5", "12.50"),
        ("1.234", "1234.00"),
        ("1.234.567", "1234567.00"),
        ("1.234.567,89", "1234567.89"),
        ("-12,50", "-12.50"),
        ("(12.50)", "-12.50"),
        (1234.56, "1234.56"),
        (0.1 + 0.2, "0.30"),
        (12, "12.00"),
    ],
)
def test_amounts_typed_as_text_or_numbers(raw, expected):
    result = cells.to_money(raw)
    assert isinstance(result, Decimal)
    assert result == Decimal(expected)


@pytest.mark.parametrize("raw", ["twelve", "12,34,5x", "€", True, "1.234.56", "1,234,56"])
def test_bad_amounts_are_errors(raw):
    with pytest.raises(ValueError, match="amount"):
        cells.to_money(raw)


@pytest.mark.parametrize("raw, decimals", [("1.234,567", 3), ("1,234.567", 3), ("12,3456", 4)])
def test_typed_amounts_with_more_than_cents_are_refused_not_guessed(raw, decimals):
    with pytest.raises(ValueError, match=f"has {decimals} decimals, and an amount has two at most"):
        cells.to_money(raw)


def test_percent_choice_and_text():
    assert cells.to_percent("2,5 %") == Decimal("2.5")
    assert cells.to_percent(0.02) == Decimal("2.00")
    assert cells.to_choice("Oui", ("yes", "no")) == "yes"
    assert cells.to_choice("Nederlands", ("fr", "nl", "en", "de")) == "nl"
    with pytest.raises(ValueError, match="fr, nl, en, de"):
        cells.to_choice("Klingon", ("fr", "nl", "en", "de"))
    assert cells.text(1001.0) == "1001"
    assert cells.text(None) == ""


def test_text_drops_bidi_controls_but_keeps_right_to_left_letters():
    assert cells.text("\u202eexe.txt\u202c שלום") == "exe.txt שלום"


def test_a_list_of_choices_typed_in_one_cell():
    languages = ("fr", "nl", "en", "de")
    assert cells.to_choices("fr, NL; Deutsch, fr", languages) == ("fr", "nl", "de")
    with pytest.raises(ValueError, match="'es' is not one of: fr, nl, en, de"):
        cells.to_choices("fr, nl, es", languages)

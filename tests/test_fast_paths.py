"""Amounts and mailto: links are written without Babel's and urllib's general code on every call,
and read exactly as they would have: checked here against them, value by value."""

import random
import urllib.parse
from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal

from portal.domain.languages import LANGUAGES
from portal.render import i18n
from portal.render.i18n import URL_VALUE
from portal.render.site import MAIL_ADDRESS

COUNTRIES = ("BE", "FR", "LU", "NL", "DE", "AT", "CH")
CURRENCIES = ("EUR", "USD", "GBP", "CHF", "JPY", "TND", "SEK")


def _amounts() -> list[Decimal | int]:
    rng = random.Random(7)
    drawn: list[Decimal | int] = [
        Decimal(rng.randint(-(10**12), 10**12)).scaleb(-rng.randint(0, 5)) for _ in range(400)
    ]
    edges = ("0", "-0", "0.00", "-0.001", "0.005", "0.015", "-0.005", "1E+3", "1.5E+7", "999999999.99", "12.345")
    return drawn + [Decimal(edge) for edge in edges] + [0, 7, -3]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("country", COUNTRIES)
def test_money_and_plain_amounts_read_as_babel_writes_them(lang, country):
    f = i18n.formatter(lang, country, {})
    for amount in _amounts():
        for currency in CURRENCIES:
            assert f.money(amount, currency) == format_currency(amount, currency, locale=f.locale), (amount, currency)
        assert f.plain(amount) == format_decimal(amount, "0.00", locale=f.locale), amount


def test_the_portals_locales_use_the_quick_way_and_others_are_left_to_babel():
    for lang in LANGUAGES:
        for country in ("BE", "FR"):
            f = i18n.formatter(lang, country, {})
            f.money(Decimal("1"), "EUR")
            f.plain(Decimal("1"))
            assert f._styles["EUR"] is not None and f._styles["plain"] is not None
    swiss = i18n.formatter("de", "CH", {})  # an apostrophe as group symbol in amounts, a quoted pattern
    assert swiss.money(Decimal("-1234.5"), "CHF") == format_currency(Decimal("-1234.5"), "CHF", locale=swiss.locale)


def test_url_quoting_tables_quote_as_urllib_does():
    rng = random.Random(3)
    alphabet = [chr(c) for c in range(0x250)] + list("€–—’“”…œ\u00a0\u202f\u2028🙂\U0001f600")
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        assert text.translate(URL_VALUE) == urllib.parse.quote(text, safe="")
        assert text.translate(MAIL_ADDRESS) == urllib.parse.quote(text, safe="@")


def _as_urllib_writes_it(f: i18n.Formatter, key: str, **params: str) -> str:
    return urllib.parse.quote(f.t(key, **params).replace("\n", "\r\n"), safe="")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_mailto_fields_read_as_urllib_writes_them(lang, tmp_path):
    from portal.render import templating

    messages = i18n.load_messages(templating.environment(tmp_path))
    messages["odd"] = {lang: "{{literal}} {n:>4} – {number!r}\n€ {reference}" for lang in LANGUAGES}
    messages["braces"] = {lang: "{{literal}} – {number}\n€ {reference}" for lang in LANGUAGES}
    f = i18n.formatter(lang, "BE", messages)
    rng = random.Random(lang)
    values = ["F-2026/001", "+++090/9337/55493+++", "RF18 5390 0754 7034", "Café & Thé\n«50 %»", "", "{number}"]
    for key in [k for k in messages if k.startswith(("answer_subject", "answer_body"))] + ["odd", "braces"]:
        for _ in range(20):
            params = {"what": rng.choice(values), "number": rng.choice(values), "reference": rng.choice(values)}
            if key == "odd":
                params["n"] = "7"
            assert f.mailto_field(key, **params) == _as_urllib_writes_it(f, key, **params), (key, params)

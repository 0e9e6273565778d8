"""Words, dates, amounts and percentages in the reader's language, with Babel."""

from __future__ import annotations

import string
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import (
    NumberPattern,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_pattern,
)

from ..domain.languages import LANGUAGES
from .templating import TemplateError, source

MESSAGES_FILE = "messages.yml"
MEMO_SIZE = 4096


def locale_for(lang: str, country: str = "BE") -> Locale:
    """fr_BE, nl_BE, de_BE for a Belgian creditor; fr_FR… for a French one. English is en_IE, a euro
    country writing amounts the English way ("€5,010.97"), whatever the creditor's country."""
    if lang == "en":
        return Locale.parse("en_IE")
    try:
        return Locale.parse(f"{lang}_{country}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(f"{lang}_BE")


def load_messages(env) -> dict[str, dict[str, str]]:
    """The portal's words from `messages.yml`, the user's copy first (the Jinja loader decides)."""
    text, filename = source(env, MESSAGES_FILE)
    try:
        messages = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml when there
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark else ""
        raise TemplateError(
            f"{filename}{line}: not a valid words file ({getattr(exc, 'problem', None) or exc}). Correct it, "
            "or delete your copy to use the built-in one."
        ) from None
    if not isinstance(messages, dict):
        raise TemplateError(f"{filename}: expected one 'key: {{fr: …, nl: …, en: …, de: …}}' line per word.")
    for key, texts in messages.items():
        missing = set(LANGUAGES) - set(texts if isinstance(texts, dict) else ())
        if missing:
            raise TemplateError(f"{filename}: '{key}' has no text for {', '.join(sorted(missing))}")
    return messages


@dataclass(frozen=True)
class NumberStyle:
    """How a locale writes amounts in one number pattern (and currency), read once from Babel, so that an
    amount takes a few string operations where Babel's general formatter takes a hundred steps. `of`
    gives a style only when it writes its probes exactly as Babel does; otherwise Babel writes them."""

    quantum: Decimal
    prefixes: tuple[str, str]  # positive, negative
    suffixes: tuple[str, str]
    grouped: bool
    separators: dict[int, str]  # str.translate table: "," to the group symbol, "." to the decimal one

    PROBES = ("0", "-0.004", "7.005", "-12.5", "999.995", "1234567.891", "-98765432.1")

    @classmethod
    def of(
        cls, locale: Locale, pattern: NumberPattern, babel: Callable[[Decimal | int], str], currency: str = ""
    ) -> NumberStyle | None:
        """The style of `pattern` in `locale`, which Babel writes as `babel(amount)` does."""
        if (
            pattern.grouping not in ((3, 3), (1000, 1000))
            or pattern.scale
            or pattern.exp_prec
            or "'" in pattern.pattern
        ):
            return None
        symbol = get_currency_symbol(currency, locale) if currency else "¤"
        style = cls(
            Decimal(1).scaleb(-(get_currency_precision(currency) if currency else pattern.frac_prec[1])),
            (pattern.prefix[0].replace("¤", symbol), pattern.prefix[1].replace("¤", symbol)),
            (pattern.suffix[0].replace("¤", symbol), pattern.suffix[1].replace("¤", symbol)),
            pattern.grouping == (3, 3),
            str.maketrans({",": get_group_symbol(locale), ".": get_decimal_symbol(locale)}),
        )
        probes = [Decimal(probe) for probe in cls.PROBES]
        return style if all(style.write(p) == babel(p) for p in probes) else None

    def write(self, amount: Decimal | int) -> str:
        amount = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        negative = int(amount.is_signed())
        number = format(abs(amount).normalize().quantize(self.quantum), ",f" if self.grouped else "f")
        return f"{self.prefixes[negative]}{number.translate(self.separators)}{self.suffixes[negative]}"


PLAIN = parse_pattern("0.00")


class Quoting(dict[int, str]):
    """A `str.translate` table writing text as `urllib.parse.quote(text, safe)` does, in one pass:
    each character is percent-encoded on its own (its UTF-8 bytes), so it is looked up once."""

    def __init__(self, safe: str):
        super().__init__()
        self.safe = safe

    def __missing__(self, code: int) -> str:
        quoted = self[code] = urllib.parse.quote(chr(code), safe=self.safe)
        return quoted


URL_VALUE = Quoting("")  # a query parameter's value


def _mailto_text(text: str) -> str:
    return text.replace("\n", "\r\n").translate(URL_VALUE)


def _mailto_template(message: str) -> str | None:
    """A message's text percent-encoded around its `{name}` fields, or None when a field has a format."""
    parts = []
    for literal, name, spec, conversion in string.Formatter().parse(message):
        parts.append(_mailto_text(literal))
        if name is not None:
            if spec or conversion or not name.isidentifier():
                return None
            parts.append(f"{{{name}}}")
    return "".join(parts)


@dataclass(frozen=True)
class Formatter:
    """Everything a page or a reminder needs to speak one language."""

    lang: str
    locale: Locale
    messages: dict[str, dict[str, str]]
    _written: dict[tuple[str, str, str], str] = field(default_factory=dict, compare=False, repr=False)
    _styles: dict[str, NumberStyle | None] = field(default_factory=dict, compare=False, repr=False)
    _mailto: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    def _once(self, kind: str, value: object, write: Callable[[], str], extra: str = "") -> str:
        """A value written again for the same page is not formatted again: Babel's formatting is the
        costly part of a page. The memory is bounded: a site's pages repeat values close together."""
        key = (kind, str(value), extra)
        text = self._written.get(key)
        if text is None:
            if len(self._written) >= MEMO_SIZE:
                self._written.clear()
            text = self._written[key] = write()
        return text

    def t(self, key: str, **params: object) -> str:
        return self.messages[key][self.lang].format(**params)

    def mailto_field(self, key: str, **params: str) -> str:
        """`t(key, **params)` as a mailto: link's subject or body (RFC 6068): lines end in CRLF and the
        text is percent-encoded as `urllib.parse.quote(text, safe="")` does. The message's own words are
        encoded once per language; only the values are, on each call."""
        if key not in self._mailto:
            self._mailto[key] = _mailto_template(self.messages[key][self.lang])
        template = self._mailto[key]
        if template is None:
            return _mailto_text(self.t(key, **params))
        return template.format(**{name: _mailto_text(value) for name, value in params.items()})

    def _amount(
        self,
        kind: str,
        amount: Decimal | int,
        babel: Callable[[Decimal | int], str],
        pattern: Callable[[], NumberPattern],
        currency: str = "",
    ) -> str:
        """`amount` exactly as `babel(amount)` writes it: by the style of `pattern`, read once and checked
        against Babel on first use, or by Babel itself when the style cannot be trusted."""
        if kind not in self._styles:
            self._styles[kind] = NumberStyle.of(self.locale, pattern(), babel, currency)
        style = self._styles[kind]
        return style.write(amount) if style else self._once(kind, amount, lambda: babel(amount))

    def money(self, amount: Decimal | int, currency: str = "EUR") -> str:
        """Exactly as Babel's `format_currency` writes it: "1 234,50 €", "€ 1.234,50", "€1,234.50"."""
        babel = partial(format_currency, currency=currency, locale=self.locale)
        return self._amount(currency, amount, babel, lambda: self.locale.currency_formats["standard"], currency)

    def day(self, value: date | None) -> str:
        """ "1er décembre 2026", "1 december 2026", "1 December 2026", "1. Dezember 2026"."""
        if not value:
            return ""
        return self._once("day", value, lambda: self._long_day(value))

    def _long_day(self, value: date) -> str:
        text = format_date(value, "long", locale=self.locale)
        if self.lang == "fr" and value.day == 1 and text.startswith("1 "):
            text = "1er" + text[1:]
        return text

    def short_day(self, value: date | None) -> str:
        if not value:
            return ""
        """ "16/11/2026"; in German "16.11.2026"."""
        pattern = "dd.MM.y" if self.lang == "de" else "dd/MM/y"
        return self._once("short_day", value, lambda: format_date(value, pattern, locale=self.locale))

    def plain(self, amount: Decimal) -> str:
        """An amount as a banking app's amount field takes it: no currency, no grouping ("1234,56", "1234.56")."""
        return self._amount(
            "plain", amount, partial(format_decimal, format=PLAIN.pattern, locale=self.locale), lambda: PLAIN
        )

    def number(self, value: Decimal | int) -> str:
        return self._once("number", value, lambda: format_decimal(value, locale=self.locale))

    def percent(self, value: Decimal) -> str:
        """A rate in percent as the language writes it: "10,5 %" (fr, de), "10,5%" (nl), "10.5%" (en)."""

        def written() -> str:
            pattern = self.locale.percent_formats[None].pattern.replace("#,##0", "#,##0.##", 1)
            return format_percent(value / 100, pattern, locale=self.locale)

        return self._once("percent", value, written)

    def days_phrase(self, days_overdue: int) -> str:
        """ "Due in 3 days", "Due today" or "5 days overdue", from days past due."""
        if days_overdue == 0:
            return self.t("due_today")
        if days_overdue == -1:
            return self.t("due_in_one")
        if days_overdue == 1:
            return self.t("overdue_by_one")
        return self.t("due_in", days=-days_overdue) if days_overdue < 0 else self.t("overdue_by", days=days_overdue)


def formatter(lang: str, country: str, messages: dict[str, dict[str, str]]) -> Formatter:
    lang = lang if lang in LANGUAGES else "en"
    return Formatter(lang, locale_for(lang, country), messages)

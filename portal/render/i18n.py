"""Words, dates, amounts and percentages in the reader's language, with Babel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import yaml
from babel import Locale, UnknownLocaleError
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from ..domain.languages import LANGUAGES
from .templating import TemplateError

MESSAGES_FILE = "messages.yml"


def locale_for(lang: str, country: str = "BE") -> Locale:
    """fr_BE, nl_BE, en_BE, de_BE for a Belgian creditor; fr_FR… for a French one."""
    try:
        return Locale.parse(f"{lang}_{country}")
    except (UnknownLocaleError, ValueError):
        return Locale.parse(f"{lang}_BE")


def load_messages(env) -> dict[str, dict[str, str]]:
    """The portal's words from `messages.yml`, the user's copy first (the Jinja loader decides)."""
    source, filename, _ = env.loader.get_source(env, MESSAGES_FILE)
    try:
        messages = yaml.safe_load(source)
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
class Formatter:
    """Everything a page or a reminder needs to speak one language."""

    lang: str
    locale: Locale
    messages: dict[str, dict[str, str]]

    def t(self, key: str, **params: object) -> str:
        return self.messages[key][self.lang].format(**params)

    def money(self, amount: Decimal, currency: str = "EUR") -> str:
        return format_currency(amount, currency, locale=self.locale)

    def day(self, value: date | None) -> str:
        return format_date(value, "long", locale=self.locale) if value else ""

    def short_day(self, value: date | None) -> str:
        return format_date(value, "dd/MM/y", locale=self.locale) if value else ""

    def number(self, value: Decimal | int) -> str:
        return format_decimal(value, locale=self.locale)

    def percent(self, value: Decimal) -> str:
        return f"{format_decimal(value, locale=self.locale)} %"

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

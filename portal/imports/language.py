"""A customer's likely language from their country and address (for a first reminder; the user can change it)."""

from __future__ import annotations

import re

from .records import Party

_BY_COUNTRY = {"FR": "fr", "LU": "fr", "MC": "fr", "NL": "nl", "DE": "de", "AT": "de", "LI": "de"}
_FRENCH_WORDS = re.compile(
    r"\b(rue|avenue|av\.|chauss[ée]e|boulevard|bd|place|quai|all[ée]e|square|clos|drève)\b", re.I
)
_DUTCH_WORDS = re.compile(r"(straat|laan|steenweg|plein|lei|dreef|kaai|weg|baan|hof)\b", re.I)


def belgian_postcode_language(postcode: int) -> str | None:
    """The language of the region a Belgian postcode lies in; None for bilingual Brussels (1000-1299).

    >>> belgian_postcode_language(4700), belgian_postcode_language(9000), belgian_postcode_language(5000)
    ('de', 'nl', 'fr')
    """
    if 1000 <= postcode <= 1299:
        return None
    if 4700 <= postcode <= 4799:  # the German-speaking Community: Eupen, Kelmis, Raeren, St. Vith…
        return "de"
    if 1300 <= postcode <= 1499 or 4000 <= postcode <= 7999:
        return "fr"
    if 1500 <= postcode <= 3999 or 8000 <= postcode <= 9999:
        return "nl"
    return None


def guess_language(party: Party, default: str) -> str:
    """fr, nl, de or en; Brussels goes by the street's words, else `default` when it is fr or nl, else fr."""
    country = party.country or "BE"
    if country != "BE":
        return _BY_COUNTRY.get(country, "en")
    digits = re.sub(r"\D", "", party.postcode)
    language = belgian_postcode_language(int(digits)) if len(digits) == 4 else None
    if language:
        return language
    if _DUTCH_WORDS.search(party.street):
        return "nl"
    if _FRENCH_WORDS.search(party.street):
        return "fr"
    return default if default in ("fr", "nl") else "fr"

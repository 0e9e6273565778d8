"""Why an invoice needs what it needs, as data: phrases a front door words in the workbook's language.

A `Reason` is a tuple of `Phrase`s, shown one after the other ("; "). A phrase is a message key and its
values: dates, amounts, counts, stages, or further phrases (a tuple of phrases is a list).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Phrase:
    key: str
    params: tuple[tuple[str, object], ...] = ()

    def get(self, name: str) -> object:
        return dict(self.params)[name]


Reason = tuple[Phrase, ...]


def phrase(key: str, **params: object) -> Phrase:
    return Phrase(key, tuple(sorted(params.items())))

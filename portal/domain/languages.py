"""The languages Debtor Portal speaks: pages, letters, the workbook's headers and texts."""

from __future__ import annotations

LANGUAGES = ("fr", "nl", "en", "de")

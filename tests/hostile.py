"""A workbook whose every free-text field holds something hostile (a test fixture)."""

from __future__ import annotations

from pathlib import Path

from portal.workbook import sample
from portal.workbook.template import write_workbook

CASES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(2)>',
    "**bold** [click](javascript:alert(3)) <b>bold</b> `code` # title",
    "tab\there\nnew line\r\nand C1\x85\x9b controls",
    "\u202eevil\u202c name \u200b \u2028 שלום עולם مرحبا",
    "emoji 😀👍🏽🇧🇪 and accents Łódź Ærø",
    "A" * 10_000,
    '=HYPERLINK("http://evil.example","click")',
    "+32 2 123 45 67",
    "-5",
    "@SUM(1+1)",
    "{{ 7*7 }} {% raw %}",
]
MARKUP = ("<script>alert", "<img", "<b>")  # as markup; the same words escaped are text


def hostile(i: int) -> str:
    return CASES[i % len(CASES)]


def write_hostile_workbook(path: Path) -> Path:
    rows = sample.sample_rows()
    for i, customer in enumerate(rows["customers"]):
        for key in ("name", "address", "phone", "hold_reason"):
            customer[key] = hostile(i + len(key))
    for i, invoice in enumerate(rows["invoices"]):
        invoice["description"] = hostile(i)
        invoice["order_ref"] = hostile(i + 3)
    rows["invoices"][2]["number"] = "<b>2026-0003</b>"
    for entry in rows["log"] + rows["payments"]:
        if entry.get("invoice") == "2026-0003":
            entry["invoice"] = "<b>2026-0003</b>"
    for i, entry in enumerate(rows["log"]):
        entry["note"] = hostile(i)
    for i, entry in enumerate(rows["payments"]):
        entry["counterparty"] = hostile(i)
    settings = dict(sample.SETTINGS, address=hostile(0) + " " + hostile(4), phone=hostile(1), email=hostile(2))
    return write_workbook(path, settings=settings, rows=rows)

"""Hostile text in every field is shown as text: pages, letters, QR codes."""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import openpyxl
import pytest

from portal.app import build, check
from portal.workbook.file import FileWorkbook

from .hostile import CASES, MARKUP, write_hostile_workbook
from .qr import decode_svg

# Every element our templates (and the Markdown of a letter) may produce.
OUR_TAGS = {
    "address",
    "h3",
    "html",
    "head",
    "meta",
    "title",
    "link",
    "body",
    "header",
    "nav",
    "a",
    "main",
    "h1",
    "h2",
    "p",
    "dl",
    "div",
    "dt",
    "dd",
    "section",
    "figure",
    "svg",
    "path",
    "figcaption",
    "span",
    "button",
    "small",
    "ul",
    "li",
    "details",
    "summary",
    "strong",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "footer",
    "script",
    "em",
    "ol",
    "br",
    "wbr",
    "hr",
    "code",
}


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()
        self.hrefs: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.scripts += tag == "script"
        self.hrefs += [v or "" for k, v in attrs if k in ("href", "src")]


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    workbook = write_hostile_workbook(tmp / "hostile.xlsx")
    outcome = build.build(
        FileWorkbook(workbook), today=date(2026, 11, 16), out_dir=tmp / "site_out", secret_file=tmp / "secret"
    )
    return workbook, outcome, tmp / "site_out"


def test_the_hostile_workbook_reads_back_exactly(hostile_site):
    workbook, outcome, _ = hostile_site
    ledger = outcome.assessment.ledger
    assert {c.name for c in ledger.customers} >= {CASES[5], "A" * 10_000}
    assert "evil name \u200b \u2028 שלום עולם مرحبا" in {c.name for c in ledger.customers}  # bidi overrides dropped
    sheet = openpyxl.load_workbook(workbook)["Invoices"]
    formulas = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and c.value[:1] in "=+-@"]
    assert formulas and all(c.data_type == "s" for c in formulas)  # never stored as a formula


def test_no_markup_from_the_workbook_reaches_a_page(hostile_site):
    _, _outcome, out = hostile_site
    pages = sorted(out.rglob("*.html"))
    assert len(pages) > 300
    for page in pages:
        text = page.read_text()
        parser = Tags()
        parser.feed(text)
        assert parser.tags <= OUR_TAGS, (page, parser.tags - OUR_TAGS)
        assert parser.scripts == 1
        links = [  # but our own "no favicon" and the QR codes to save as images
            h for h in parser.hrefs if h != "data:," and not re.fullmatch(r"data:image/png;base64,[A-Za-z0-9+/]+=*", h)
        ]
        assert not any(h.lower().startswith(("javascript:", "data:")) for h in links), page
        visible = re.sub(r"<script>.*?</script>", "", text, flags=re.S)
        for word in MARKUP:
            assert word not in visible, (page, word)
        assert "{{" not in visible or "{{ 7*7 }}" in visible  # shown as typed, never evaluated
        assert "49" not in re.findall(r"\{\{ ?(\d+) ?\}\}", visible)


def test_hostile_text_is_shown_as_text(hostile_site):
    _, outcome, out = hostile_site
    invoice = outcome.assessment.invoice("<b>2026-0003</b>")
    page = (out / outcome.site.invoice_pages[invoice.invoice.number].path / "index.html").read_text()
    assert "&lt;b&gt;2026-0003&lt;/b&gt;" in page
    all_text = "".join(p.read_text() for p in out.rglob("index.html"))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in all_text
    assert "A" * 10_000 in all_text
    assert "😀👍🏽🇧🇪" in all_text


def test_qr_codes_stay_right_beside_hostile_text(hostile_site):
    _, outcome, out = hostile_site
    payable = [
        state
        for state in outcome.assessment.invoices[:40]
        if state.invoice.number in outcome.site.invoice_pages
        and not state.installments
        and state.balance > 0
        and state.invoice.currency == "EUR"
    ]
    assert len(payable) >= 20  # enough pages with a QR code to mean something
    for state in payable:
        page = (out / outcome.site.invoice_pages[state.invoice.number].path / "index.html").read_text()
        payload = decode_svg(re.search(r"<svg.*?</svg>", page, re.S).group(0)).decode().split("\n")
        assert payload[5] == "Atelier Lumière SRL" and payload[9] == state.reference


def test_a_creditor_name_that_cannot_go_into_a_qr_code_is_a_check_error(tmp_path):
    from portal.workbook import sample
    from portal.workbook.template import write_workbook

    path = write_workbook(tmp_path / "w.xlsx", settings=dict(sample.SETTINGS, name="A" * 71), rows={})
    problems = check.check(FileWorkbook(path)).problems
    assert [(p.code, p.where.row) for p in problems] == [("invalid_name", 2)]

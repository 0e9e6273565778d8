"""The debtor's page in the details a phone, a desktop and a screen reader meet: the QR code saved as an image,
the creditor's logo, large text on a small screen, the statement on a desktop, table semantics, the language of
free text, the next installment in a calendar, and axe on every kind of page (encrypted ones with and without key).

`site` (conftest.py) is the sample portal; `hostile_site` below is the hostile workbook's; `logo_site` the sample
with a logo in its folder and encrypted pages.
"""

from __future__ import annotations

import base64
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from portal.app import build
from portal.workbook import schema
from portal.workbook.file import FileWorkbook

from ..axe import OPEN_DETAILS, axe_report
from ..conftest import edit_workbook
from ..hostile import write_hostile_workbook
from ..qr import decode_png, decode_svg
from .conftest import PHONE, PLAN_INVOICE, SAMPLE, TODAY, Site, guarded_context

pytestmark = pytest.mark.e2e

SMALL = {"width": 320, "height": 640}

# Every visible element whose content is cut: the page wider than the viewport, an element whose overflow hides
# (or scrolls) content wider than its box, or hides content taller than its box, or a box out of the viewport.
# Visually hidden elements (1 px, absolutely positioned, for screen readers) are left out.
CLIPPED = """() => {
  const out = [];
  const doc = document.documentElement;
  const name = e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className.trim()
                    ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
  const where = e => { const p = []; for (let n = e; n && n !== document.body; n = n.parentElement) p.unshift(name(n));
                       return p.slice(-3).join(' > '); };
  const srOnly = e => { for (let n = e; n; n = n.parentElement) { const r = n.getBoundingClientRect();
      if (r.width <= 1 && r.height <= 1 && getComputedStyle(n).position === 'absolute') return true; } return false; };
  if (doc.scrollWidth > doc.clientWidth) out.push(`the page is ${doc.scrollWidth} px wide in ${doc.clientWidth} px`);
  for (const e of document.querySelectorAll('body *')) {
    if (!e.checkVisibility() || srOnly(e)) continue;
    const s = getComputedStyle(e);
    if (s.overflowX !== 'visible' && e.scrollWidth > e.clientWidth + 1)
      out.push(`${where(e)}: ${e.scrollWidth} px of content in ${e.clientWidth} px (overflow-x ${s.overflowX})`);
    if (['hidden', 'clip'].includes(s.overflowY) && e.scrollHeight > e.clientHeight + 1)
      out.push(`${where(e)}: ${e.scrollHeight} px of content in ${e.clientHeight} px high (overflow-y hidden)`);
    if (s.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth) out.push(`${where(e)}: ellipsis`);
    const r = e.getBoundingClientRect();
    if (r.width > 0 && (r.right > innerWidth + 0.5 || r.left < -0.5))
      out.push(`${where(e)}: from ${Math.round(r.left)} to ${Math.round(r.right)} px, out of the ${innerWidth} px view`);
  }
  return out;
}"""
TEXT_200 = "() => { document.documentElement.style.fontSize = '200%'; }"  # what a reader's text zoom does to rem


@dataclass
class Served:
    out_dir: Path
    base: str
    outcome: build.BuildOutcome
    folder: Path  # the workbook's folder

    def url(self, rel: str) -> str:
        return self.base + rel

    def _in(self, folder: str, lang: str) -> str:
        """The page in `lang`: <lang>.html, or index.html when that is the customer's own language."""
        return folder + (f"{lang}.html" if lang and (self.out_dir / folder / f"{lang}.html").exists() else "index.html")

    def invoice(self, number: str, lang: str = "") -> str:
        return self._in(self.outcome.site.invoice_pages[number].path, lang)

    def statement(self, customer_id: str, lang: str = "") -> str:
        return self._in(self.outcome.site.statement_pages[customer_id].path, lang)

    @property
    def origin(self) -> str:
        return self.base.rstrip("/")


def _serve(tmp: Path, workbook: Path) -> Served:
    from portal.front.serve import make_server

    outcome = build.build(FileWorkbook(workbook), today=TODAY, out_dir=tmp / "site_out", secret_file=tmp / "secret")
    server = make_server(tmp / "site_out", port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    served = Served(tmp / "site_out", f"http://127.0.0.1:{server.server_address[1]}/", outcome, workbook.parent)
    served.server = server  # type: ignore[attr-defined]
    return served


def _stop(served: Served) -> None:
    served.server.shutdown()  # type: ignore[attr-defined]
    served.server.server_close()  # type: ignore[attr-defined]


def _setting_cell(key: str) -> str:
    return f"B{2 + [s.key for s in schema.SETTINGS].index(key)}"


def _png(path: Path, color: tuple[int, int, int]) -> bytes:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (240, 80), color).save(path, format="PNG")
    return path.read_bytes()


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("hostile-e2e")
    served = _serve(tmp, write_hostile_workbook(tmp / "hostile.xlsx"))
    yield served
    _stop(served)


@pytest.fixture(scope="module")
def logo_site(tmp_path_factory: pytest.TempPathFactory):
    """The sample with a logo (brand/logo.png in the workbook's folder) and its pages encrypted."""
    tmp = tmp_path_factory.mktemp("logo-e2e")
    workbook = tmp / "sample.xlsx"
    shutil.copy(SAMPLE, workbook)
    _png(tmp / "brand" / "logo.png", (11, 83, 148))
    edit_workbook(
        workbook, "Settings", {_setting_cell("logo"): "brand/logo.png", _setting_cell("encrypt_pages"): "yes"}
    )
    served = _serve(tmp, workbook)
    yield served
    _stop(served)


def _kinds(outcome: build.BuildOutcome) -> dict[str, str]:
    """An invoice number for each kind of invoice page: open (not yet due), overdue, claim, plan, paid, disputed."""
    assessment = outcome.assessment
    published = [s for s in assessment.invoices if s.invoice.number in outcome.site.invoice_pages]
    plain = [s for s in published if not s.installments and s.invoice.currency == "EUR"]
    found = {
        "open": next(
            s for s in plain if s.balance > 0 and s.days_overdue < 0 and s.status not in ("disputed", "on_hold")
        ),
        "overdue": next(
            s for s in plain if s.balance > 0 and s.days_overdue > 0 and s.stage in ("reminder_1", "nudge")
        ),
        "claim": next(s for s in plain if s.balance > 0 and s.stage == "formal_notice"),
        "plan": next(s for s in published if s.installments and s.balance > 0),
        "paid": next(s for s in published if s.balance == 0),
        "disputed": next(s for s in published if s.status == "disputed"),
    }
    return {kind: state.invoice.number for kind, state in found.items()}


def _credit_note_customer(outcome: build.BuildOutcome) -> str:
    return next(
        c.customer.id
        for c in outcome.assessment.customers
        if c.customer.id in outcome.site.statement_pages and any(i.invoice.is_credit_note for i in c.invoices)
    )


# --- the QR code saved as an image -----------------------------------------------------------------------------------


def test_the_qr_code_saves_as_a_png_that_reads_as_the_page_payload(browser, site: Site):
    """On an invoice, each installment of a plan and a statement: the "save" link downloads a PNG (from the page
    itself, no request), which zxing reads as exactly the payload of the QR code drawn on the page."""
    assessment = site.outcome.assessment
    context = guarded_context(browser, site, viewport={"width": 390, "height": 800}, accept_downloads=True)
    saved = 0
    try:
        page = context.new_page()
        for rel in (
            site.invoice(_kinds(site.outcome)["overdue"], "en"),
            site.invoice(PLAN_INVOICE),
            site.statement(assessment.invoice(PLAN_INVOICE).customer.id, "nl"),
        ):
            page.goto(site.url(rel))
            page.evaluate(OPEN_DETAILS)
            boxes = page.locator("figure.qr-box")
            assert boxes.count() >= 1, rel
            for n in range(boxes.count()):
                box = boxes.nth(n)
                link = box.locator("a.qr-save")
                assert link.is_visible() and link.get_attribute("download").endswith(".png"), rel
                assert link.get_attribute("href").startswith("data:image/png;base64,"), rel
                drawn = decode_svg(box.locator("svg.qr").evaluate("s => new XMLSerializer().serializeToString(s)"))
                requests_before = len(context.foreign)
                with page.expect_download() as download:
                    link.click()
                png = Path(download.value.path()).read_bytes()
                assert png.startswith(b"\x89PNG\r\n\x1a\n"), rel
                assert decode_png(png) == drawn, f"{rel}: the saved image is not the code on the page"
                assert download.value.suggested_filename == link.get_attribute("download")
                assert len(context.foreign) == requests_before
                saved += 1
            assert page.evaluate("() => window.__cspViolations") == [], rel
    finally:
        context.close()
    assert saved >= 4


def test_saved_qr_images_are_the_same_bytes_on_every_build_and_language(site: Site, hostile_site: Served):
    """One image per payload: every language of a page carries the same data: URI, and the hostile workbook's
    images read back as the payload of the SVG beside them."""
    folder = site.out_dir / site.outcome.site.invoice_pages[_kinds(site.outcome)["overdue"]].path
    uris = {re.findall(r'href="(data:image/png;base64,[^"]+)"', page.read_text())[0] for page in folder.glob("*.html")}
    assert len(uris) == 1
    checked = 0
    for number, link in list(hostile_site.outcome.site.invoice_pages.items())[:40]:
        text = (hostile_site.out_dir / link.path / "index.html").read_text()
        for svg, uri in re.findall(r'(<svg.*?</svg>).*?href="data:image/png;base64,([^"]+)"', text, re.S):
            assert decode_png(base64.b64decode(uri)) == decode_svg(svg), number
            checked += 1
    assert checked >= 15


# --- the creditor's logo ---------------------------------------------------------------------------------------------


def test_the_logo_is_shown_from_the_site_itself_on_encrypted_pages_with_and_without_key(browser, logo_site: Served):
    logo = (logo_site.folder / "brand" / "logo.png").read_bytes()
    assets = sorted((logo_site.out_dir / "assets").glob("logo.*.png"))
    assert [a.read_bytes() for a in assets] == [logo]
    number = _kinds(logo_site.outcome)["overdue"]
    link = logo_site.outcome.site.invoice_pages[number]
    creditor = logo_site.outcome.assessment.ledger.creditor
    context = guarded_context(browser, logo_site, viewport={"width": 390, "height": 800}, accept_downloads=True)
    try:
        page = context.new_page()
        requests: list[str] = []
        page.on("request", lambda request: requests.append(request.url))
        lang = logo_site.outcome.assessment.invoice(number).customer.language
        for fragment in ("", link.fragment):
            page.goto("about:blank")  # a new document: only the fragment would differ
            page.goto(logo_site.url(link.path) + fragment)
            if fragment:
                page.locator("h1", has_text=number).wait_for(timeout=10_000)
            image = page.locator("footer img.logo")
            assert image.count() == 1 and image.is_visible(), fragment
            assert image.get_attribute("alt") == f"{'Logo :' if lang == 'fr' else 'Logo:'} {creditor.name}"
            assert image.get_attribute("src") == f"../../assets/{assets[0].name}"
            assert image.evaluate("i => i.complete && i.naturalWidth") == 240  # loaded
        box = page.locator("figure.qr-box").first  # decrypted in the browser: its QR code saves as an image too
        with page.expect_download() as download:
            box.locator("a.qr-save").click()
        drawn = decode_svg(box.locator("svg.qr").evaluate("s => new XMLSerializer().serializeToString(s)"))
        assert decode_png(Path(download.value.path()).read_bytes()) == drawn
        assert page.evaluate("() => window.__cspViolations") == []
        assert all(url.startswith(logo_site.base) for url in requests) and not context.foreign, requests
    finally:
        context.close()
    landing = (logo_site.out_dir / "index.html").read_text()
    assert f'src="assets/{assets[0].name}"' in landing


# --- large text on a small screen; a desktop; table semantics --------------------------------------------------------


def _existing(served, rel: str) -> str:
    """The page, or its folder's index.html when `rel` names the customer's own language (kept as index.html)."""
    return rel if (served.out_dir / rel).exists() else rel.rpartition("/")[0] + "/index.html"


def _clipped_pages(browser, served, pages: list[str]) -> list[str]:
    context = guarded_context(browser, served, viewport=SMALL)
    problems = []
    try:
        page = context.new_page()
        for rel in map(partial(_existing, served), pages):
            assert page.goto(served.url(rel)).status == 200, rel
            page.evaluate(TEXT_200)
            page.evaluate(OPEN_DETAILS)
            assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "32px"
            assert page.evaluate("() => getComputedStyle(document.body).maxWidth") != "none", f"{rel}: unstyled"
            problems += [f"{rel}: {problem}" for problem in page.evaluate(CLIPPED)]
    finally:
        context.close()
    return problems


@pytest.mark.parametrize("workbook", ["sample", "hostile"])
def test_at_320_px_with_text_at_200_percent_nothing_is_cut(browser, site: Site, hostile_site: Served, workbook):
    """WCAG 1.4.4 and 1.4.10: every kind of page, in French and German (the longest words), with every <details>
    open: no sideways scrolling and no element whose content is hidden or out of view."""
    served = site if workbook == "sample" else hostile_site
    outcome = served.outcome
    kinds = _kinds(outcome)
    customers = [outcome.assessment.invoice(kinds["plan"]).customer.id, _credit_note_customer(outcome)]
    pages = []
    for lang in ("", "de"):
        pages += [served.invoice(kinds[k], lang) for k in ("open", "overdue", "claim", "plan", "disputed")]
        pages += [served.statement(c, lang) for c in customers]
    pages += ["index.html", "404.html"]
    problems = _clipped_pages(browser, served, pages)
    assert not problems, f"{len(problems)} cut:\n" + "\n".join(problems[:20])


def test_the_clipping_check_sees_a_cut_element(browser, site: Site):
    context = guarded_context(browser, site, viewport=SMALL)
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(PLAN_INVOICE)))
        assert page.evaluate(CLIPPED) == []
        page.evaluate(
            "() => { const d = document.querySelector('dd'); d.style.overflow = 'hidden';"
            " d.style.whiteSpace = 'nowrap'; d.style.width = '3px'; d.textContent = 'x'.repeat(80); }"
        )
        assert any("overflow-x hidden" in problem for problem in page.evaluate(CLIPPED))
    finally:
        context.close()


def test_on_a_desktop_the_statement_uses_the_width(browser, site: Site):
    customer = site.outcome.assessment.invoice(PLAN_INVOICE).customer.id
    context = guarded_context(browser, site, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(site.url(site.statement(customer, "de")))
        width = page.locator("table.items").evaluate("t => t.getBoundingClientRect().width")
        assert width > 0.6 * 1280, width
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 1280
        assert page.evaluate("() => document.querySelector('table.items td.mono').getClientRects().length") == 1
        invoice = site.invoice(PLAN_INVOICE)
        page.goto(site.url(invoice))  # an invoice keeps the reading measure
        assert page.locator("main").evaluate("m => m.getBoundingClientRect().width") < 0.6 * 1280
    finally:
        context.close()


def test_on_a_phone_the_statement_table_is_still_a_table(browser, site: Site):
    """At 390 px each row is drawn as a card (display: block), and the accessibility tree still has the table,
    its column headers, one row per item plus the header and total rows, and the cells."""
    assessment = site.outcome.assessment
    customer = assessment.customer(_credit_note_customer(site.outcome))
    context = guarded_context(browser, site, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(site.url(site.statement(customer.customer.id, "en")))
        assert page.evaluate("() => getComputedStyle(document.querySelector('tbody tr')).display") == "block"
        label_fonts = page.evaluate(
            "() => [...document.querySelectorAll('table.items td')].map(td => getComputedStyle(td, '::before').fontFamily)"
        )
        assert label_fonts and not [f for f in label_fonts if "mono" in f.lower()]  # labels are not monospace
        table = page.get_by_role("table", name="Open items")
        assert table.count() == 1
        headers = table.get_by_role("columnheader")
        assert headers.count() == 5 and headers.first.inner_text() == "Document"
        rows = table.get_by_role("row")
        claimed = page.locator("tr.claimed").count()  # the interest and compensation under an item, if claimed
        assert rows.count() == len(customer.invoices) + claimed + 2  # the header row and the total
        assert table.get_by_role("cell").count() == 4 * len(customer.invoices) + claimed + 1
        assert table.get_by_role("rowheader").count() == len(customer.invoices) + claimed + 1
        first = customer.invoices[0].invoice.number
        assert first in rows.nth(1).get_by_role("rowheader").inner_text()
        snapshot = page.locator("table.items").aria_snapshot()
        assert snapshot.startswith("- table") and "- row " in snapshot and "- cell " in snapshot, snapshot
    finally:
        context.close()


# --- language of free text --------------------------------------------------------------------------------------------


def test_free_text_keeps_the_language_it_was_typed_in(browser, site: Site):
    """An English page of a French customer: the description is marked French (the invoice was written to that
    customer), the page's own words English."""
    assessment = site.outcome.assessment
    state = next(
        s
        for s in assessment.invoices
        if s.invoice.number in site.outcome.site.invoice_pages and s.customer.language == "fr" and s.invoice.description
    )
    context = guarded_context(browser, site, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(state.invoice.number, "en")))
        assert page.evaluate("() => document.documentElement.lang") == "en"
        description = page.locator("dl.summary dd.text").first
        assert description.inner_text().strip() == state.invoice.description.strip()
        assert description.get_attribute("lang") == "fr"
        label = page.locator("dl.summary dd.text").first.locator("xpath=../dt")
        assert label.inner_text() == "Description" and label.evaluate("e => e.closest('[lang]').lang") == "en"
    finally:
        context.close()


# --- the next installment in the calendar -----------------------------------------------------------------------------


def _ics_fields(text: str) -> dict[str, list[str]]:
    unfolded = text.replace("\r\n ", "")
    fields: dict[str, list[str]] = {}
    for line in unfolded.split("\r\n"):
        if line:
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value)
    return fields


def test_a_plan_page_offers_its_next_installment_for_the_calendar(browser, site: Site):
    state = site.outcome.assessment.invoice(PLAN_INVOICE)
    upcoming = next(i for i in state.installments if i.balance > 0)
    assert upcoming.installment.due_date > TODAY
    context = guarded_context(browser, site, viewport={"width": 390, "height": 800}, accept_downloads=True)
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(PLAN_INVOICE, "en")))
        link = page.get_by_role("link", name="Add the next installment to my calendar")
        with page.expect_download() as download:
            link.click()
        text = Path(download.value.path()).read_bytes().decode()
    finally:
        context.close()
    fields = _ics_fields(text)
    assert fields["DTSTART;VALUE=DATE"] == [f"{upcoming.installment.due_date:%Y%m%d}"]
    assert fields["BEGIN"] == ["VCALENDAR", "VEVENT", "VALARM"]
    assert fields["TRIGGER"] == ["-P1D"] and fields["ACTION"] == ["DISPLAY"]  # the day before
    assert datetime.strptime(fields["DTSTART;VALUE=DATE"][0], "%Y%m%d").date() - timedelta(days=1) >= TODAY
    summary = fields["SUMMARY"][0]
    assert f" {upcoming.installment.number} " in summary and PLAN_INVOICE in summary  # in the customer's language
    assert "12 000\\,00" in summary.replace("\u202f", " ").replace("\xa0", " ")


def test_a_plan_whose_next_installment_is_past_has_no_calendar_file(tmp_path):
    """Built the day after the next installment fell due (and it is still unpaid): no file, no link."""
    workbook = Path(shutil.copy(SAMPLE, tmp_path / "sample.xlsx"))
    later = TODAY + timedelta(days=6)
    outcome = build.build(
        FileWorkbook(workbook), today=later, as_of=later, out_dir=tmp_path / "out", secret_file=tmp_path / "secret"
    )
    upcoming = next(i for i in outcome.assessment.invoice(PLAN_INVOICE).installments if i.balance > 0)
    assert upcoming.installment.due_date < later
    folder = tmp_path / "out" / outcome.site.invoice_pages[PLAN_INVOICE].path
    assert not (folder / "due.ics").exists()
    assert not any('href="due.ics"' in page.read_text() for page in folder.glob("*.html"))


# --- axe on every kind of page ----------------------------------------------------------------------------------------


TARGETS = """() => [...document.querySelectorAll('a, button, summary')]
    .filter(e => e.offsetParent && !e.closest('.letter'))  /* a link inside a sentence of the letter is exempt */
    .map(e => [e.tagName + ' ' + (e.innerText || '').trim().slice(0, 30), e.getBoundingClientRect().height])"""


def test_on_a_phone_every_link_and_button_is_a_thumbs_height(browser, site: Site):
    """44 px (rounded down to 43) for each control of each kind of page at 360 px, the letter's inline links apart."""
    kinds = _kinds(site.outcome)
    context = guarded_context(browser, site, viewport=PHONE)
    small = []
    try:
        page = context.new_page()
        pages = [site.invoice(kinds[k], "en") for k in kinds] + [
            site.statement(_credit_note_customer(site.outcome), "en")
        ]
        for rel in map(partial(_existing, site), pages):
            page.goto(site.url(rel))
            small += [f"{rel}: {name} is {height:.0f} px" for name, height in page.evaluate(TARGETS) if height < 43]
    finally:
        context.close()
    assert not small, "\n".join(small)


def test_axe_on_the_kinds_of_page_not_checked_elsewhere(browser, site: Site, hostile_site: Served):
    """Open, overdue, a statement holding a credit note (credit notes have no page of their own), at phone size
    with every <details> open; and a hostile workbook's pages."""
    reports = []
    for served, lang in ((site, "en"), (hostile_site, "")):
        kinds = _kinds(served.outcome)
        context = guarded_context(browser, served, viewport={"width": 390, "height": 800})
        try:
            page = context.new_page()
            pages = [served.invoice(kinds[k], lang) for k in ("open", "overdue")]
            pages.append(served.statement(_credit_note_customer(served.outcome), lang))
            if served is hostile_site:
                pages += [served.invoice(kinds[k]) for k in ("claim", "plan", "paid", "disputed")]
            for rel in map(partial(_existing, served), pages):
                assert page.goto(served.url(rel)).status == 200, rel
                if report := axe_report(page):
                    reports.append(f"{rel}:\n{report}")
            assert not context.foreign
        finally:
            context.close()
    assert not reports, "\n".join(reports)


def test_axe_on_encrypted_pages_without_and_with_their_key(browser, logo_site: Served):
    """Without the key: the wrapper (its h1, the creditor's identity and logo, the notice) passes axe; with the key
    in the link's fragment, the page decrypted in the browser passes too: an invoice and a statement."""
    outcome = logo_site.outcome
    number = _kinds(outcome)["claim"]
    invoice = outcome.site.invoice_pages[number]
    statement = outcome.site.statement_pages[outcome.assessment.invoice(number).customer.id]
    context = guarded_context(browser, logo_site, viewport={"width": 390, "height": 800})
    reports = []
    try:
        page = context.new_page()
        for link, heading in ((invoice, number), (statement, None)):
            page.goto(logo_site.url(link.path))
            assert page.locator("h1").count() == 1
            assert outcome.assessment.ledger.creditor.name in page.locator("footer").inner_text()
            if report := axe_report(page):
                reports.append(f"{link.path} without key:\n{report}")
            page.goto("about:blank")
            page.goto(logo_site.url(link.path) + link.fragment)
            page.wait_for_function("() => !document.getElementById('payload') && !!document.querySelector('main h1')")
            if heading:
                assert heading in page.locator("h1").inner_text()
            if report := axe_report(page):
                reports.append(f"{link.path} with key:\n{report}")
            assert page.evaluate("() => window.__cspViolations") == []
        assert not context.foreign
    finally:
        context.close()
    assert not reports, "\n".join(reports)


def test_every_kind_of_page_is_found_in_both_workbooks(site: Site, hostile_site: Served):
    """The tests above keep their meaning: each kind of invoice page is a different invoice, and a statement holds
    a credit note, in the sample and in the hostile workbook."""
    for outcome in (site.outcome, hostile_site.outcome):
        kinds = _kinds(outcome)
        assert len(set(kinds.values())) == len(kinds)
        assert _credit_note_customer(outcome)


def test_the_hostile_workbook_keeps_the_page_rules(browser, hostile_site: Served):
    """The issue's checks on the hostile workbook's pages: a disputed invoice is neutral, its QR code behind
    "pay anyway" and out of the statement's total and code; each payable block offers its three copy buttons;
    the creditor's identity shows its (hostile) words as text; no calendar file is dated before the build."""
    outcome = hostile_site.outcome
    assessment = outcome.assessment
    disputed = assessment.invoice(_kinds(outcome)["disputed"])
    customer = assessment.customer(disputed.invoice.customer_id)
    assert disputed in customer.held and disputed not in customer.invoices
    context = guarded_context(browser, hostile_site, viewport={"width": 390, "height": 800})
    try:
        page = context.new_page()
        page.goto(hostile_site.url(_existing(hostile_site, hostile_site.invoice(disputed.invoice.number, "en"))))
        status = page.locator("main > p.status")
        assert status.inner_text() == "Being checked" and "status-late" not in status.get_attribute("class")
        assert not page.locator("svg.qr").first.is_visible()
        page.get_by_text("Pay anyway").click()
        assert page.locator("svg.qr").first.is_visible()
        statement = _existing(hostile_site, hostile_site.statement(customer.customer.id, "en"))
        page.goto(hostile_site.url(statement))
        assert disputed.invoice.number in page.locator("ul.held").inner_text()
        claimed = [text.strip("€").replace(",", "") for text in page.locator("tr.claimed td").all_inner_texts()]
        total = customer.total + sum((Decimal(amount) for amount in claimed), Decimal(0))
        if total > 0:
            payload = decode_svg(page.locator("svg.qr").evaluate("s => new XMLSerializer().serializeToString(s)"))
            assert payload.decode().split("\n")[7] == f"EUR{total}"
        for kind in ("open", "overdue", "claim"):
            page.goto(hostile_site.url(hostile_site.invoice(_kinds(outcome)[kind])))
            for n in range(page.locator("div.pay").count()):
                buttons = page.locator("div.pay").nth(n).locator("button.copy")
                assert buttons.count() == 3 and all(buttons.nth(k).is_visible() for k in range(3)), kind
            footer = page.locator("footer").inner_text()
            assert assessment.ledger.creditor.name in footer and "<script>alert(1)</script>" in footer
        assert not context.foreign
    finally:
        context.close()
    calendars = sorted(hostile_site.out_dir.rglob("*.ics"))
    assert calendars
    for ics in calendars:
        day = re.search(r"DTSTART;VALUE=DATE:(\d{8})", ics.read_text()).group(1)
        assert day >= f"{TODAY:%Y%m%d}", ics

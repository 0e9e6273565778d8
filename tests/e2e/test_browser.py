"""The portal as a debtor's browser sees it: real headless Chromium on the locally served sample site.

Fixtures (conftest.py): `site` builds and serves the sample, `browser` is one Chromium for the
session, `visits` opens the selected pages once at phone size and records what they did.
"""

from __future__ import annotations

import io
import re
import urllib.request
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from ..axe import OPEN_DETAILS, axe_report
from .conftest import (
    DISCOUNT_INVOICE,
    NON_EUR_INVOICE,
    PHONE,
    PLAN_INVOICE,
    PROBE,
    SHOTS,
    Site,
    Visit,
    decode_qr,
    guarded_context,
    screenshot_targets,
)

pytestmark = pytest.mark.e2e

QR_MIN_CSS_PX = 200  # below this, phone cameras struggle with a 45-module code on another screen


# --- helpers ------------------------------------------------------------------------


def parse_amount(text: str) -> Decimal:
    """A locale-formatted amount as shown ("€ 61,18", "1 234,56 €", "€1,234.56", "2 400,00 £GB")."""
    digits = re.sub(r"[^0-9.,]", "", text)  # drops currency signs and codes, spaces, NBSP, NNBSP
    whole, separator, cents = digits.rpartition(digits[-3] if len(digits) > 3 and digits[-3] in ".," else "\0")
    if separator and len(cents) == 2:
        return Decimal(re.sub(r"[.,]", "", whole) + "." + cents)
    return Decimal(re.sub(r"[.,]", "", digits))


def test_parse_amount_reads_every_locale_format():
    assert parse_amount("€\u00a061,18") == Decimal("61.18")
    assert parse_amount("1\u202f234,56\u00a0€") == Decimal("1234.56")
    assert parse_amount("1.234,56 €") == Decimal("1234.56")
    assert parse_amount("€1,234.56") == Decimal("1234.56")
    assert parse_amount("2\u202f400,00\u00a0£GB") == Decimal("2400.00")
    assert parse_amount("12 000 €") == Decimal("12000")


def transfer(block: dict) -> dict[str, str]:
    """The transfer details of one .pay block as words: beneficiary, IBAN, [BIC], amount, reference."""
    rows = [dd for _, dd in block["rows"]]
    assert len(rows) in (4, 5), block["rows"]
    return {
        "name": rows[0],
        "iban": rows[1],
        "bic": rows[2] if len(rows) == 5 else "",
        "amount": rows[-2],
        "reference": block["referenceText"],
    }


def epc(visit: Visit, index: int) -> list[str]:
    """The EPC lines the QR code of block `index` decodes to, padded to the 12 lines of the format."""
    decoded = visit.decoded[index]
    assert decoded is not None, f"{visit.rel}: block {index} has no QR code"
    assert len(decoded) == 1, f"{visit.rel}: block {index}: expected one readable QR code, read {decoded!r}"
    lines = decoded[0].split("\n")
    return lines + [""] * (12 - len(lines))


def visits_of(visits: dict[str, Visit], rel_prefix: str) -> list[Visit]:
    return [v for rel, v in visits.items() if rel.startswith(rel_prefix)]


def folder(rel: str) -> str:
    """The page's folder with its slash ("i/<token>/"), "" for the site root."""
    return rel.rpartition("/")[0] + "/" if "/" in rel else ""


# --- 1. served privately, loads cleanly -----------------------------------------------


class _Resources(HTMLParser):
    """Metas and every URL an HTML page would make the browser fetch."""

    def __init__(self) -> None:
        super().__init__()
        self.metas: dict[str, str] = {}
        self.fetched: list[str] = []
        self.lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang", "")
        if tag == "meta" and "name" in a:
            self.metas[a["name"]] = a.get("content", "")
        for name in ("src", "srcset", "poster", "data", "background"):
            if name in a:
                self.fetched.append(a[name])
        if tag == "link" and a.get("href"):
            self.fetched.append(a["href"])
        self.fetched += re.findall(r"url\(([^)]*)\)", a.get("style", ""))


def test_every_page_is_served_privately(site: Site):
    """Every HTML page of the build (all of them, over plain HTTP): 200, the security headers of
    `serve`, noindex and no-referrer metas, and no resource from anywhere but the site itself."""
    problems = []
    for rel in site.html:
        with urllib.request.urlopen(site.url(rel), timeout=10) as response:
            status, headers, body = response.status, response.headers, response.read().decode("utf-8")
        parser = _Resources()
        parser.feed(body)
        where = f"{rel}:"
        if status != 200:
            problems.append(f"{where} status {status}")
        if "default-src 'none'" not in headers.get("Content-Security-Policy", ""):
            problems.append(f"{where} Content-Security-Policy header {headers.get('Content-Security-Policy')!r}")
        if headers.get("Referrer-Policy") != "no-referrer":
            problems.append(f"{where} Referrer-Policy header {headers.get('Referrer-Policy')!r}")
        if parser.metas.get("robots") != "noindex, nofollow":
            problems.append(f"{where} robots meta {parser.metas.get('robots')!r}")
        if parser.metas.get("referrer") != "no-referrer":
            problems.append(f"{where} referrer meta {parser.metas.get('referrer')!r}")
        if parser.lang != site.languages[rel]:
            problems.append(f"{where} <html lang={parser.lang!r}>, expected {site.languages[rel]!r}")
        foreign = [
            url
            for url in parser.fetched
            if re.match(r"^\s*([a-z][a-z0-9+.-]*:|//)", url, re.I) and not url.strip().startswith("data:")
        ]
        if foreign:
            problems.append(f"{where} fetches {foreign}")
    assert len(site.html) > 500, "the sample should give hundreds of pages"
    assert not problems, "\n".join(problems)


def test_selected_pages_load_cleanly_in_chromium(site: Site, visits: dict[str, Visit]):
    """Opened in Chromium: 200, every request to the local server only, the stylesheet applied,
    no console error, no uncaught error, no Content-Security-Policy violation, headers and metas."""
    problems = []
    for rel, visit in visits.items():
        p = visit.probe
        where = f"{rel}:"
        if visit.status != 200:
            problems.append(f"{where} status {visit.status}")
        outside = [url for url in visit.requests if not url.startswith(site.base)]
        if outside or visit.foreign:
            problems.append(f"{where} requests outside the local server: {outside + visit.foreign}")
        if visit.failed:
            problems.append(f"{where} failed requests {visit.failed}")
        errors = [m for m in visit.console if m.startswith("error:") or "Content Security Policy" in m]
        if errors:
            problems.append(f"{where} console {errors}")
        if visit.page_errors:
            problems.append(f"{where} page errors {visit.page_errors}")
        if p["csp"] is None:
            problems.append(f"{where} the CSP recorder did not run")
        elif p["csp"] or visit.opened["csp"]:
            problems.append(f"{where} CSP violations {p['csp'] + visit.opened['csp']}")
        if p["bodyMaxWidth"] == "none":
            problems.append(f"{where} the stylesheet was not applied")
        if "default-src 'none'" not in visit.headers.get("content-security-policy", ""):
            problems.append(f"{where} no strict Content-Security-Policy header")
        if visit.headers.get("referrer-policy") != "no-referrer":
            problems.append(f"{where} Referrer-Policy {visit.headers.get('referrer-policy')!r}")
        if p["robots"] != "noindex, nofollow" or p["referrer"] != "no-referrer":
            problems.append(f"{where} robots meta {p['robots']!r}, referrer meta {p['referrer']!r}")
        if not any(url.endswith(".css") for url in visit.requests):
            problems.append(f"{where} no stylesheet requested")
    assert len(visits) >= 30
    assert not problems, "\n".join(problems)


def test_csp_violation_detection_is_not_blind(browser, site: Site):
    """The listeners the tests rely on do see a violation: an injected inline script and an image
    from another origin are blocked by the page's policy and reported."""
    context = guarded_context(browser, site)
    try:
        page = context.new_page()
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(site.url(site.invoice(DISCOUNT_INVOICE)))
        page.evaluate("""() => {
            const s = document.createElement('script'); s.textContent = 'window.__injected = 1';
            document.body.append(s);
            new Image().src = 'http://tracker.invalid/pixel.gif';
        }""")
        page.wait_for_function("() => window.__cspViolations.length >= 2")
        violations = page.evaluate("() => window.__cspViolations")
        assert page.evaluate("() => window.__injected") is None
        assert any(v.startswith("script-src") for v in violations), violations
        assert any(v.startswith("img-src") for v in violations), violations
        assert any("Content Security Policy" in text for text in console), console
        assert not context.foreign  # the blocked image never became a request
    finally:
        context.close()


def test_folder_index_pages_load_their_stylesheet(browser, site: Site):
    context = guarded_context(browser, site)
    try:
        page = context.new_page()
        failed, errors = [], []
        page.on("response", lambda r: r.status >= 400 and failed.append(f"{r.url} {r.status}"))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        for rel in site.folder_indexes:
            assert page.goto(site.url(rel)).status == 200
            assert page.evaluate(PROBE)["bodyMaxWidth"] != "none", f"{rel}: unstyled"
        assert not failed and not errors, failed + errors
    finally:
        context.close()


# --- 2. QR codes read back from the rendered page --------------------------------------


def test_qr_codes_decode_to_what_the_page_says(visits: dict[str, Visit]):
    """Each QR code, screenshotted as rendered and decoded with zxing, holds exactly the payment
    shown in words beside it: beneficiary, IBAN, BIC, amount and structured reference."""
    checked = 0
    for rel, visit in visits.items():
        if not visit.decoded:
            continue  # not among the pages whose codes are read (conftest.selection)
        for index, block in enumerate(visit.opened["blocks"]):
            if block["qr"] is None:
                continue
            lines, shown = epc(visit, index), transfer(block)
            where = f"{rel} block {index}"
            assert lines[:4] == ["BCD", "002", "1", "SCT"], f"{where}: {lines}"
            assert lines[4] == shown["bic"], where
            assert lines[5] == shown["name"], where
            assert lines[6] == block["iban"] == shown["iban"].replace(" ", ""), where
            assert lines[7].startswith("EUR"), where
            assert Decimal(lines[7][3:]) == parse_amount(shown["amount"]), f"{where}: {lines[7]} vs {shown['amount']}"
            assert lines[9] == block["reference"] == re.sub(r"[^0-9A-Z]", "", shown["reference"]), where
            assert lines[10] == "", f"{where}: a structured reference and a free text"
            assert block["copy"]["data"] == shown["reference"], where
            assert shown["amount"] in block["qr"]["title"], f"{where}: title {block['qr']['title']!r}"
            checked += 1
    assert checked >= 15, f"only {checked} QR codes were read"


def test_qr_codes_carry_the_ledger_amounts(site: Site, visits: dict[str, Visit]):
    """What the codes ask for is what is owed: the discounted amount before the discount date,
    one code per unpaid installment with its own reference, the statement total."""
    assessment = site.outcome.assessment

    discount = assessment.invoice(DISCOUNT_INVOICE)
    assert discount.discount is not None and discount.discount < discount.balance
    for visit in visits_of(visits, folder(site.invoice(DISCOUNT_INVOICE))):
        lines = epc(visit, 0)
        assert Decimal(lines[7][3:]) == discount.discount, visit.rel
        assert lines[9] == discount.reference, visit.rel

    plan = assessment.invoice(PLAN_INVOICE)
    unpaid = [i for i in plan.installments if i.balance > 0]
    assert 1 < len(unpaid) < len(plan.installments)
    plan_pages = visits_of(visits, folder(site.invoice(PLAN_INVOICE)))
    assert len(plan_pages) > 1 and plan_pages[0].decoded
    for visit in plan_pages:
        assert [(parse_amount(transfer(b)["amount"]), b["reference"]) for b in visit.opened["blocks"]] == [
            (i.balance, i.reference) for i in unpaid
        ], visit.rel
    for visit in plan_pages[:1]:
        codes = [epc(visit, n) for n in range(len(unpaid))]
        assert [(Decimal(c[7][3:]), c[9]) for c in codes] == [(i.balance, i.reference) for i in unpaid], visit.rel

    customer = assessment.customer(plan.customer.id)
    statement = visits[site.statement(customer.customer.id)]
    assert len(statement.opened["blocks"]) == 1
    assert Decimal(epc(statement, 0)[7][3:]) == customer.total
    assert epc(statement, 0)[9] == customer.reference

    ordinary = [
        v
        for rel, v in visits.items()
        if rel.startswith("i/")
        and rel.endswith("index.html")
        and rel not in {site.invoice(n) for n in (PLAN_INVOICE, DISCOUNT_INVOICE, NON_EUR_INVOICE)}
        and v.decoded
        and v.opened["blocks"]
    ]
    assert len(ordinary) >= 10
    assert any('id="claim"' in (site.out_dir / v.rel).read_text() for v in ordinary)
    by_path = {link.path: number for number, link in site.outcome.site.invoice_pages.items()}
    for visit in ordinary:
        state = assessment.invoice(by_path[folder(visit.rel)])
        claimed = 'id="claim"' in (site.out_dir / visit.rel).read_text()  # from the formal notice on
        assert Decimal(epc(visit, 0)[7][3:]) == (state.claim.total if claimed else state.balance), visit.rel
        assert epc(visit, 0)[9] == state.reference, visit.rel


def test_every_language_of_an_invoice_carries_the_same_code(site: Site, visits: dict[str, Visit]):
    pages = visits_of(visits, folder(site.invoice(DISCOUNT_INVOICE)))
    assert len(pages) == len(site.outcome.assessment.ledger.creditor.site_languages)
    assert len({v.probe["lang"] for v in pages}) == len(pages)
    assert all(v.decoded for v in pages)
    payloads = {tuple(map(tuple, v.decoded)) for v in pages}
    assert len(payloads) == 1, f"the languages disagree: {payloads}"


def test_non_euro_invoice_shows_a_notice_instead_of_a_qr_code(site: Site, visits: dict[str, Visit]):
    state = site.outcome.assessment.invoice(NON_EUR_INVOICE)
    assert state.invoice.currency == "GBP"
    pages = visits_of(visits, folder(site.invoice(NON_EUR_INVOICE)))
    assert len(pages) == len(site.outcome.assessment.ledger.creditor.site_languages)
    for visit in pages:
        assert visit.probe["qrTitles"] == [], visit.rel
        [block] = visit.probe["blocks"]
        assert block["qr"] is None and block["notice"], visit.rel
        shown = transfer(block)
        assert parse_amount(shown["amount"]) == state.balance, visit.rel
        assert "€" not in shown["amount"] and "EUR" not in shown["amount"], visit.rel
        assert shown["iban"].replace(" ", "") == block["iban"], visit.rel
        assert re.sub(r"\D", "", shown["reference"]) == block["reference"] == state.reference


# --- 3. with and without JavaScript ---------------------------------------------------


def test_without_javascript_everything_needed_to_pay_is_there(browser, site: Site):
    """JavaScript off: no copy button (it could not work), but the reference is plain visible text
    that one click selects whole; amount, IBAN and QR code are shown."""
    context = guarded_context(browser, site, java_script_enabled=False, viewport=PHONE)
    try:
        page = context.new_page()
        for rel in (site.invoice(DISCOUNT_INVOICE), site.invoice(PLAN_INVOICE)):
            assert page.goto(site.url(rel)).status == 200
            assert page.evaluate("() => document.querySelector('button.copy').hidden")  # the script did not run
            pay = page.locator("div.pay").first
            assert all(button.is_hidden() for button in pay.locator("button.copy").all())
            reference = pay.locator(".reference")
            assert reference.is_visible()
            assert reference.evaluate("e => getComputedStyle(e).userSelect") != "none"
            reference.click()
            assert page.evaluate("() => getSelection().toString().trim()") == reference.inner_text().strip()
            assert pay.locator("svg.qr").bounding_box()["width"] >= QR_MIN_CSS_PX
            block = page.evaluate(PROBE)["blocks"][0]
            shown = transfer(block)
            assert parse_amount(shown["amount"]) > 0 and shown["iban"].replace(" ", "") == block["iban"]
    finally:
        context.close()


def test_copy_buttons_put_exactly_the_iban_amount_and_reference_on_the_clipboard(
    browser, site: Site, visits: dict[str, Visit]
):
    for visit in visits.values():  # JavaScript on: every copy button is offered
        assert all(b["copy"]["shown"] for b in visit.opened["blocks"]), f"{visit.rel}: a copy button is hidden"
    context = guarded_context(browser, site, viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.origin)
    try:
        page = context.new_page()
        for rel in (site.invoice(DISCOUNT_INVOICE), site.invoice(PLAN_INVOICE, "en")):
            page.goto(site.url(rel))
            page.evaluate(OPEN_DETAILS)
            pays = page.locator("div.pay")
            assert pays.count() >= 1
            for n in range(pays.count()):
                pay = pays.nth(n)
                buttons = pay.locator("button.copy")
                assert buttons.count() == 3  # IBAN, amount, reference
                copied = []
                for k in range(3):
                    button = buttons.nth(k)
                    label, done = button.inner_text(), button.get_attribute("data-done")
                    assert button.is_visible() and label and done and done != label
                    assert button.get_attribute("aria-live") == "polite"  # the change is spoken
                    button.click()
                    page.wait_for_function("b => b.textContent === b.dataset.done", arg=button.element_handle())
                    copied.append(page.evaluate("navigator.clipboard.readText()"))
                    page.wait_for_function(  # "Copied" lasts a moment, so that the last button copied is the one saying it
                        "([b, label]) => b.textContent === label", arg=[button.element_handle(), label], timeout=5000
                    )
                block = transfer(page.evaluate(PROBE)["blocks"][n])
                assert copied[0] == pay.get_attribute("data-iban") and " " not in copied[0], f"{rel} block {n}"
                assert parse_amount(copied[1]) == parse_amount(block["amount"]), f"{rel} block {n}"
                assert copied[2] == pay.locator(".reference").inner_text(), f"{rel} block {n}"
        assert not context.foreign
    finally:
        context.close()


def test_without_a_clipboard_no_copy_button_is_offered(browser, site: Site):
    """Served over plain HTTP from another computer, a browser gives a page no clipboard: no button that does nothing."""
    context = guarded_context(browser, site, viewport=PHONE)
    context.add_init_script("Object.defineProperty(Navigator.prototype, 'clipboard', {get: () => undefined})")
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(DISCOUNT_INVOICE)))
        buttons = page.locator("button.copy")
        assert buttons.count() >= 3 and not any(buttons.nth(k).is_visible() for k in range(buttons.count()))
    finally:
        context.close()


# --- 4. phone -------------------------------------------------------------------------


def test_phone_layout_has_no_sideways_scrolling_and_scannable_codes(visits: dict[str, Visit]):
    """At 360x740 CSS px the page never scrolls sideways (a table may scroll inside .table-wrap)
    and every QR code is drawn at least 200 CSS px wide, every plan installment opened."""
    problems = []
    for rel, visit in visits.items():
        for state in (visit.probe, visit.opened):
            assert state["innerWidth"] == PHONE["width"]
            if state["scrollWidth"] > state["innerWidth"]:
                problems.append(f"{rel}: page is {state['scrollWidth']} px wide")
        for block in visit.opened["blocks"]:
            if block["qr"] and block["qr"]["width"] < QR_MIN_CSS_PX:
                problems.append(f"{rel}: QR code {block['qr']['width']} px wide")
    assert not problems, "\n".join(problems)


def test_phone_statement_keeps_dates_references_and_amounts_on_one_line(site: Site, visits: dict[str, Visit]):
    statements = [v for rel, v in visits.items() if rel.startswith("c/")]
    assert statements
    problems = [f"{v.rel}: {cell!r}" for v in statements for cell in v.probe["wrappedCells"]]
    assert not problems, f"{len(problems)} table cells broken over several lines, e.g.\n" + "\n".join(problems[:8])


def test_phone_screenshots_scan_as_payments(site: Site, visits: dict[str, Visit]):
    """What a phone shows is what a banking app reads: each full-page phone screenshot decodes to the
    page's EPC payload (none for the pound invoice), and no overflow made the page wider."""
    from PIL import Image

    iban = site.outcome.assessment.ledger.creditor.iban.replace(" ", "")
    for rel, name in screenshot_targets(site).items():
        assert rel in visits
        png = (SHOTS / name).read_bytes()
        with Image.open(io.BytesIO(png)) as image:
            assert image.width == PHONE["width"] * 2
        payloads = decode_qr(png)
        if rel == site.invoice(NON_EUR_INVOICE):
            assert payloads == [], name
            continue
        assert payloads, f"{name}: no QR code could be read from the phone screenshot"
        for payload in payloads:
            lines = payload.split("\n")
            assert lines[:3] == ["BCD", "002", "1"] and lines[6] == iban, (name, lines)


# --- 5. print -------------------------------------------------------------------------


def test_print_makes_a_pdf_without_screen_only_controls(browser, site: Site):
    context = guarded_context(browser, site)
    try:
        page = context.new_page()
        assessment = site.outcome.assessment
        for rel in (site.invoice(DISCOUNT_INVOICE), site.statement(assessment.invoice(PLAN_INVOICE).customer.id)):
            page.goto(site.url(rel))
            assert page.locator("button.copy").first.is_visible()  # on screen, with JavaScript
            page.emulate_media(media="print")
            hidden = page.evaluate("""() => [...document.querySelectorAll('button.copy, nav.langs, .links a[download], .qr-save')]
                                          .map(e => [e.className || e.tagName, getComputedStyle(e).display])""")
            assert hidden and all(display == "none" for _, display in hidden), hidden
            footer = page.evaluate("""() => [...document.querySelectorAll('.identity address > span')]
                                          .map(e => [getComputedStyle(e).display, getComputedStyle(e, '::before').content])""")
            assert len(footer) > 2 and all(display == "inline" for display, _ in footer), footer  # one line on paper
            assert [before for _, before in footer[1:]] == ['" · "'] * (len(footer) - 1), footer
            assert page.locator("svg.qr").first.is_visible()
            pdf = page.pdf(format="A4")
            assert pdf.startswith(b"%PDF") and len(pdf) > 5_000
            page.emulate_media(media="screen")
        assert not context.foreign
    finally:
        context.close()


def test_print_shows_every_unpaid_installment(browser, site: Site):
    context = guarded_context(browser, site)
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(PLAN_INVOICE)))
        page.emulate_media(media="print")
        blocks = page.locator("details.installment div.pay")
        assert blocks.count() >= 2
        shown = [blocks.nth(n).is_visible() for n in range(blocks.count())]
        assert all(shown), f"installment payment blocks visible in print: {shown}"
    finally:
        context.close()


# --- 6. accessibility -----------------------------------------------------------------


def test_accessibility_basics(site: Site, visits: dict[str, Visit]):
    """The language is declared, one h1, every QR code is named, no link or button without text."""
    problems = []
    for rel, visit in visits.items():
        p = visit.probe
        if p["lang"] != site.languages[rel]:
            problems.append(f"{rel}: <html lang={p['lang']!r}>, expected {site.languages[rel]!r}")
        if p["h1"] != 1:
            problems.append(f"{rel}: {p['h1']} h1")
        if not all(p["qrTitles"]):
            problems.append(f"{rel}: a QR code without <title>: {p['qrTitles']}")
        problems += [f"{rel}: link without text: {link['href']}" for link in p["links"] if not link["name"]]
        problems += [f"{rel}: button without text" for button in p["buttons"] if not button["name"]]
    assert not problems, "\n".join(problems)


def test_language_links_declare_their_language(site: Site, visits: dict[str, Visit]):
    """Each link to another language of the page names that language (hreflang, and lang for screen
    readers, WCAG 3.1.2), including the link back to index.html."""
    problems = []
    checked = 0
    for rel, visit in visits.items():
        base = folder(rel)
        for link in visit.probe["links"]:
            if link["href"] and re.fullmatch(r"[a-z]{2}\.html|index\.html", link["href"]):
                expected = site.languages[base + link["href"]]
                checked += 1
                if link["hreflang"] != expected or link["lang"] != expected:
                    problems.append(
                        f"{rel}: link to {link['href']} has hreflang={link['hreflang']!r}, "
                        f"lang={link['lang']!r}, not {expected!r}"
                    )
    assert checked > len(visits)
    assert not problems, "\n".join(problems[:10])


def test_plan_kept_to_is_not_shown_as_late(site: Site, visits: dict[str, Visit]):
    plan = site.outcome.assessment.invoice(PLAN_INVOICE)
    assert plan.days_overdue > 0 and plan.installments and not any(i.late for i in plan.installments)
    for visit in visits_of(visits, folder(site.invoice(PLAN_INVOICE))):
        [status] = visit.probe["status"]
        assert "status-late" not in status["cls"].split(), f"{visit.rel}: {status['text']!r}"


def test_footer_keeps_email_and_phone_apart(site: Site, visits: dict[str, Visit]):
    creditor = site.outcome.assessment.ledger.creditor
    assert creditor.email and creditor.phone
    for rel, visit in visits.items():
        assert creditor.email + creditor.phone not in visit.probe["footer"], rel


def test_axe_finds_no_wcag_21_aa_violation(browser, site: Site):
    """axe-core (shipped inside the axe-playwright-python package, no network) on each kind of page,
    at phone size, with every installment opened."""
    assessment = site.outcome.assessment
    context = guarded_context(browser, site, viewport=PHONE)
    reports = []
    try:
        page = context.new_page()
        kinds = {
            "disputed": next(s for s in assessment.invoices if s.status == "disputed"),
            "paid": next(s for s in assessment.invoices if s.status == "paid"),
            "claim": next(s for s in assessment.invoices if s.stage == "formal_notice" and s.balance > 0),
        }
        published = site.outcome.site.invoice_pages
        for rel in (
            site.invoice(PLAN_INVOICE, "nl"),
            site.invoice(NON_EUR_INVOICE),
            site.statement(assessment.invoice(PLAN_INVOICE).customer.id),
            *(site.invoice(s.invoice.number) for s in kinds.values() if s.invoice.number in published),
            "index.html",
            "de.html",
            "404.html",
        ):
            page.goto(site.url(rel))
            if report := axe_report(page):
                reports.append(f"{rel}:\n{report}")
        assert not context.foreign
    finally:
        context.close()
    assert not reports, "\n".join(reports)


def test_a_disputed_invoice_is_neutral_and_out_of_the_statement(browser, site: Site):
    from ..qr import decode_svg

    assessment = site.outcome.assessment
    disputed = next(
        s for s in assessment.invoices if s.status == "disputed" and s.invoice.number in site.outcome.site.invoice_pages
    )
    customer = assessment.customer(disputed.invoice.customer_id)
    assert disputed in customer.held and disputed not in customer.invoices
    context = guarded_context(browser, site, viewport=PHONE)
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(disputed.invoice.number, "en")))
        status = page.locator(".status").first.inner_text()
        assert status == "Being checked" and "overdue" not in page.locator("main").inner_text()
        assert not page.locator(".qr-box svg").first.is_visible()  # behind "Pay anyway"
        page.get_by_text("Pay anyway").click()
        assert page.locator(".qr-box svg").first.is_visible()
        statement = site.statement(customer.customer.id, "en")
        page.goto(site.url(statement))
        assert disputed.invoice.number in page.locator("ul.held").inner_text()
    finally:
        context.close()
    html_text = (site.out_dir / statement).read_text()
    total_row = re.search(r"<tfoot[^>]*>.*?</tfoot>", html_text, re.S).group(0)
    claimed = re.findall(r'<tr role="row" class="claimed">.*?class="num mono"[^>]*>€([\d,.]+)</td>', html_text, re.S)
    total = customer.total + sum((Decimal(amount.replace(",", "")) for amount in claimed), Decimal(0))
    assert f"€{total:,.2f}" in total_row  # the open items and what their pages claim, the disputed one apart
    if total > 0:
        payload = decode_svg(re.search(r"<svg.*?</svg>", html_text, re.S).group(0)).decode().split("\n")
        assert Decimal(payload[7][3:]) == total


def test_every_site_language_has_a_landing_page_and_the_404_page_speaks_them_all(site: Site):
    languages = site.outcome.assessment.ledger.creditor.site_languages
    default = site.outcome.assessment.ledger.creditor.default_language
    for lang in languages:
        page = (site.out_dir / ("index.html" if lang == default else f"{lang}.html")).read_text()
        assert f'<html lang="{lang}">' in page and "iban_never_changes" not in page
    missing = (site.out_dir / "404.html").read_text()
    assert all(f'lang="{lang}"' in missing for lang in languages)
    assert "kbopub.economie.fgov.be" in missing and 'href="tel:+3221234567"' in missing


def test_every_invoice_page_prints_on_one_a4_page(browser, site: Site, tmp_path):
    import subprocess

    context = guarded_context(browser, site)
    pages = {}
    try:
        page = context.new_page()
        for number, link in site.outcome.site.invoice_pages.items():
            page.goto(site.url(link.path + "index.html"))
            pdf = tmp_path / f"{number}.pdf"
            pdf.write_bytes(page.pdf(format="A4", print_background=True, prefer_css_page_size=True))
            info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
            pages[number] = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
            assert re.search(r"^Page size:.*\(A4\)", info, re.M), info
    finally:
        context.close()
    assert len(pages) > 100 and {n: p for n, p in pages.items() if p != 1} == {}


def test_in_dark_mode_the_qr_code_stays_dark_on_light_and_scans(browser, site: Site):
    context = guarded_context(browser, site, viewport=PHONE, device_scale_factor=2, color_scheme="dark")
    try:
        page = context.new_page()
        page.goto(site.url(site.invoice(DISCOUNT_INVOICE)))
        background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"  # the dark theme is on
        shot = page.locator("svg.qr").first.screenshot()
        assert any(text.startswith("BCD\n") for text in decode_qr(shot))
    finally:
        context.close()

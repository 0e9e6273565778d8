"""The sample portal, built once, served on loopback and visited once by a real headless Chromium.

Visiting a page in Chromium costs about 0.1-0.3 s on the 2-core machines, so the 588 pages of the
sample site are not all opened in the browser on every run: `visits` opens a selection that covers
every kind of page (each invoice status, each language, a payment plan, an early-payment discount,
a non-euro invoice, statements, the landing page) and collects, in that one visit, everything the
tests assert on. Every page is still fetched over HTTP by `test_every_page_is_served_privately`;
set E2E_ALL_PAGES=1 to open every page in the browser too (and read every QR code: 2 to 4 minutes).
"""

from __future__ import annotations

import io
import os
import shutil
import threading
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from portal.app import build
from portal.workbook.file import FileWorkbook

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "workbook" / "sample.xlsx"
TODAY = date(2026, 11, 16)
PHONE = {"width": 360, "height": 740}
SHOTS = Path("/tmp/e2e-shots")

PLAN_INVOICE = "2026-0001"  # four installments, three still to pay
DISCOUNT_INVOICE = "2026-0148"  # early-payment discount: the QR asks for the discounted amount
NON_EUR_INVOICE = "2026-0149"  # GBP: no EPC QR code, a notice instead

# Records every Content-Security-Policy violation the page reports, before any page script runs.
CSP_RECORDER = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__cspViolations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' ' + (e.sample || ''));
});
"""

# Everything the tests need from a page, read in one round trip.
PROBE_BODY = """
  const text = e => (e ? e.textContent.replace(/\\s+/g, ' ').trim() : '');
  const meta = n => { const m = document.querySelector('meta[name="' + n + '"]'); return m ? m.content : null; };
  const shown = e => !!e && e.checkVisibility();
  const name = e => (e.innerText || e.textContent || '').trim() || (e.getAttribute('aria-label') || '').trim()
                    || [...e.querySelectorAll('img[alt], svg title')].map(t => (t.alt || t.textContent).trim())
                         .join(' ');
  return {
    lang: document.documentElement.getAttribute('lang'),
    robots: meta('robots'),
    referrer: meta('referrer'),
    h1: document.querySelectorAll('h1').length,
    footer: document.querySelector('footer') ? document.querySelector('footer').innerText : '',
    status: [...document.querySelectorAll('main > p.status')].map(e => ({cls: e.className, text: text(e)})),
    wrappedCells: [...document.querySelectorAll('table td')].filter(td => {  // cells drawn on several lines
      const range = document.createRange(); range.selectNodeContents(td);
      return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1;
    }).map(td => td.textContent.trim()),
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
    bodyMaxWidth: getComputedStyle(document.body).maxWidth,
    csp: window.__cspViolations === undefined ? null : window.__cspViolations,
    links: [...document.querySelectorAll('a')].map(a => ({href: a.getAttribute('href'), name: name(a),
                                                         hreflang: a.getAttribute('hreflang'),
                                                         lang: a.getAttribute('lang')})),
    buttons: [...document.querySelectorAll('button')].map(b => ({name: name(b), shown: shown(b)})),
    qrTitles: [...document.querySelectorAll('svg.qr')].map(s => text(s.querySelector(':scope > title'))),
    blocks: [...document.querySelectorAll('div.pay')].map(pay => {
      const rows = [...pay.querySelectorAll('dl.transfer > div')].map(r => [text(r.querySelector('dt')),
                                                                             text(r.querySelector('dd'))]);
      const qr = pay.querySelector('svg.qr');
      const ref = pay.querySelector('.reference');
      const button = pay.querySelector('button.copy');
      return {
        iban: pay.dataset.iban, reference: pay.dataset.reference, rows: rows,
        qr: qr ? {title: text(qr.querySelector(':scope > title')), width: qr.getBoundingClientRect().width} : null,
        notice: text(pay.querySelector('p.notice')),
        referenceText: text(ref), referenceShown: shown(ref),
        copy: button ? {data: button.dataset.copy, shown: shown(button), label: text(button)} : null,
      };
    }),
  };
"""
PROBE = "() => {" + PROBE_BODY + "}"
# On a visit: the page as loaded, then with every <details> opened (plan installments, letters), in one round trip.
VISIT_PROBE = (
    "() => { const probe = () => {" + PROBE_BODY + "}; const loaded = probe();"
    " document.querySelectorAll('details').forEach(d => { d.open = true; });"
    " return [loaded, probe()]; }"
)


@dataclass
class Site:
    out_dir: Path
    base: str  # http://127.0.0.1:PORT/
    outcome: build.BuildOutcome
    html: list[str]  # every HTML page, relative to out_dir
    folder_indexes: list[str]  # i/index.html etc.: copies of the landing page so that no folder is listed
    languages: dict[str, str]  # page -> the language it should be in

    def url(self, rel: str) -> str:
        return self.base + rel

    def invoice(self, number: str, lang: str = "") -> str:
        return self.outcome.site.invoice_pages[number].path + (f"{lang}.html" if lang else "index.html")

    def statement(self, customer_id: str, lang: str = "") -> str:
        return self.outcome.site.statement_pages[customer_id].path + (f"{lang}.html" if lang else "index.html")

    def other_languages(self, rel: str) -> list[str]:
        folder = rel.rsplit("/", 1)[0]
        return sorted(p for p in self.html if p.startswith(folder + "/") and p != rel)

    @property
    def origin(self) -> str:
        return self.base.rstrip("/")


@dataclass
class Visit:
    """What one page showed and did in the browser (phone viewport, JavaScript on)."""

    rel: str
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # responses >= 400 and failed requests
    foreign: list[str] = field(default_factory=list)  # requests to other origins (aborted)
    console: list[str] = field(default_factory=list)  # "type: text"
    page_errors: list[str] = field(default_factory=list)
    probe: dict = field(default_factory=dict)  # PROBE on the page as loaded
    opened: dict = field(default_factory=dict)  # PROBE after every <details> is opened
    decoded: list[list[str] | None] = field(default_factory=list)  # per .pay block: QR texts, None without
    # QR; empty when the page is not among those whose codes are read


def _page_languages(outcome: build.BuildOutcome, html: list[str]) -> dict[str, str]:
    assessment = outcome.assessment
    default = assessment.ledger.creditor.default_language
    main: dict[str, str] = {}
    for number, link in outcome.site.invoice_pages.items():
        customer = assessment.invoice(number).customer
        main[link.path] = customer.language if customer and customer.language else default
    for customer_id, link in outcome.site.statement_pages.items():
        main[link.path] = assessment.customer(customer_id).customer.language or default
    languages = {}
    for rel in html:
        folder, _, name = rel.rpartition("/")
        if name == "index.html":
            languages[rel] = main.get(folder + "/", default)
        else:
            languages[rel] = name.removesuffix(".html")
    return languages


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory):
    """The sample workbook built into a site (from a copy: the build writes its manifest beside the
    workbook) and served by `portal.front.serve` on 127.0.0.1 with a free port."""
    from portal.front.serve import make_server

    tmp = tmp_path_factory.mktemp("e2e")
    workbook = tmp / "sample.xlsx"
    shutil.copy(SAMPLE, workbook)
    outcome = build.build(FileWorkbook(workbook), today=TODAY, out_dir=tmp / "site_out", secret_file=tmp / "secret")
    out_dir = tmp / "site_out"
    server = make_server(out_dir, port=0)
    thread = threading.Thread(target=server.serve_forever, name="portal-e2e-server", daemon=True)
    thread.start()
    html = sorted(p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*.html"))
    folder_indexes = [rel for rel in html if rel.count("/") == 1 and rel.endswith("/index.html")]
    try:
        yield Site(
            out_dir,
            f"http://127.0.0.1:{server.server_address[1]}/",
            outcome,
            html,
            folder_indexes,
            _page_languages(outcome, html),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def guarded_context(browser, site: Site, **options):
    """A browser context that records the CSP violations of every page and lets no request leave
    the local server (any other request is aborted and remembered in `context.foreign`)."""
    context = browser.new_context(**options)
    context.foreign = []
    context.add_init_script(CSP_RECORDER)

    def route(route):
        url = route.request.url
        if url.startswith(site.base) or url.startswith("data:"):
            route.continue_()
        else:
            context.foreign.append(url)
            route.abort()

    context.route("**/*", route)
    return context


@dataclass(frozen=True)
class Selection:
    pages: list[str]  # opened in the browser, in this order
    qr_pages: set[str]  # of those, the pages whose QR codes are screenshotted and decoded


@pytest.fixture(scope="session")
def selection(site: Site) -> Selection:
    """The pages the browser opens: every kind of page at least once, all languages of three invoices
    and of one statement. QR codes are read back on all languages of the discount invoice, the plan
    invoice, a statement and ten other invoices (one of each status among them)."""
    if os.environ.get("E2E_ALL_PAGES"):
        pages = [rel for rel in site.html if rel not in site.folder_indexes]
        return Selection(pages, set(pages))
    assessment = site.outcome.assessment
    links = site.outcome.site.invoice_pages
    published = [s for s in assessment.invoices if s.invoice.number in links]
    special = [PLAN_INVOICE, DISCOUNT_INVOICE, NON_EUR_INVOICE]
    others: list[str] = []
    for state in published:  # one invoice of each status (paid, overdue, disputed, on hold, ...)
        if state.status not in {assessment.invoice(n).status for n in special + others}:
            others.append(state.invoice.number)

    def owed(number: str) -> bool:  # shows one QR code for its balance
        state = assessment.invoice(number)
        return state.balance > 0 and state.invoice.currency == "EUR" and not state.installments

    for state in published[5::7]:
        if sum(map(owed, others)) < 10 and state.invoice.number not in special + others:
            others.append(state.invoice.number)
    pages = ["index.html"]
    for number in special:
        main = site.invoice(number)
        pages += [main] + site.other_languages(main)
    pages += [site.invoice(number) for number in others]
    customers = [assessment.invoice(n).customer.id for n in special]
    for lang in assessment.ledger.creditor.site_languages:  # a statement whose customer reads each language
        customers.append(
            next(
                c.customer.id
                for c in assessment.customers
                if c.customer.language == lang and c.customer.id in site.outcome.site.statement_pages
            )
        )
    customers = list(dict.fromkeys(customers))
    first = site.statement(customers[0])
    pages += [first] + site.other_languages(first) + [site.statement(c) for c in customers[1:]]
    discount = site.invoice(DISCOUNT_INVOICE)
    qr_pages = {
        discount,
        *site.other_languages(discount),
        site.invoice(PLAN_INVOICE),
        first,
        *(site.invoice(number) for number in others),
    }
    return Selection(list(dict.fromkeys(pages)), qr_pages)


def screenshot_targets(site: Site) -> dict[str, str]:
    """Full-page phone screenshots worth looking at: page -> file name."""
    assessment = site.outcome.assessment
    return {
        site.invoice(DISCOUNT_INVOICE): "invoice-discount.png",
        site.invoice(PLAN_INVOICE): "invoice-plan.png",
        site.invoice(NON_EUR_INVOICE): "invoice-gbp.png",
        site.statement(assessment.invoice(PLAN_INVOICE).customer.id): "statement.png",
    }


def decode_qr(png: bytes) -> list[str]:
    import zxingcpp
    from PIL import Image

    return [result.text for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]


@pytest.fixture(scope="session")
def visits(browser, site: Site, selection: Selection) -> dict[str, Visit]:
    """Open each selected page once at phone size (360x740, 2 device pixels per CSS px, so each
    QR code module is about 11 pixels) and record what the tests need."""
    context = guarded_context(browser, site, viewport=PHONE, device_scale_factor=2)
    page = context.new_page()
    current = Visit("")
    page.on("request", lambda request: current.requests.append(request.url))
    page.on("requestfailed", lambda request: current.failed.append(f"{request.url} ({request.failure})"))

    def on_response(response) -> None:
        if response.status >= 400:
            current.failed.append(f"{response.url} ({response.status})")

    page.on("response", on_response)
    page.on("console", lambda message: current.console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: current.page_errors.append(str(error)))
    shots = screenshot_targets(site)
    SHOTS.mkdir(parents=True, exist_ok=True)
    results: dict[str, Visit] = {}
    try:
        for rel in selection.pages:
            current = results[rel] = Visit(rel)
            before = len(context.foreign)
            response = page.goto(site.url(rel), wait_until="load")
            current.status = response.status if response else 0
            current.headers = response.all_headers() if response else {}
            if rel in shots:  # as the debtor first sees it, before the probe opens every <details>
                page.screenshot(path=SHOTS / shots[rel], full_page=True)
            current.probe, current.opened = page.evaluate(VISIT_PROBE)
            if rel in selection.qr_pages:
                blocks = page.locator("div.pay")
                for index, block in enumerate(current.opened["blocks"]):
                    if block["qr"] is None:
                        current.decoded.append(None)
                    else:
                        png = blocks.nth(index).locator("svg.qr").screenshot(animations="disabled")
                        current.decoded.append(decode_qr(png))
            current.foreign = context.foreign[before:]
        yield results
    finally:
        context.close()

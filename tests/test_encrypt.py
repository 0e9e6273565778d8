"""Encrypted pages: what the host stores is unreadable, and a browser with the #k= key shows the real page."""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import html
import re
import shutil
import threading
from dataclasses import dataclass
from datetime import date
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from markupsafe import escape

from portal.app import build as build_command
from portal.codes import payment
from portal.front.serve import make_server
from portal.render import built, encrypt, headers, i18n, templating, tokens
from portal.workbook.file import FileWorkbook

from .conftest import SAMPLE, edit_workbook

PAYLOAD = re.compile(r'<script type="application/octet-stream" id="payload">([A-Za-z0-9+/=]*)</script>')
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
SECRET = "encrypt-test-secret-0123456789-abcdefghij"


CSP = headers.content_security_policy()
MESSAGES = i18n.load_messages(templating.environment(None))


@dataclass(frozen=True)
class Sample:
    """One real invoice page of the built sample, and what must never show in clear."""

    site: Path
    secret: bytes
    link: built.PageLink
    statement: built.PageLink
    lang: str
    creditor: str
    page: str  # the invoice page's index.html
    number: str
    customer: str
    amount: str  # as the page prints it
    reference: str  # as the page prints it
    secrets: tuple[str, ...]  # plaintext that must not appear in the encrypted output

    def texts(self, lang: str | None = None) -> dict[str, str]:
        lang = lang or self.lang
        return {
            "noscript_text": MESSAGES["encrypted_noscript"][lang].format(creditor=self.creditor),
            "wrong_key_text": MESSAGES["encrypted_wrong_key"][lang].format(creditor=self.creditor),
        }

    def wrap(self, page: str, key: bytes, *, depth: int = 2, lang: str | None = None, csp: str = CSP) -> str:
        css = re.search(r'<link rel="stylesheet" href="([^"]+)">', page).group(1)
        assert css.startswith("../" * depth)
        return encrypt.encrypt_page(
            page,
            key,
            lang=lang or self.lang,
            title=f"Payment portal – {self.creditor}",
            css_href=css,
            csp=csp,
            **self.texts(lang),
        )


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Sample:
    tmp = tmp_path_factory.mktemp("encrypt")
    book = tmp / "sample.xlsx"
    shutil.copy(SAMPLE, book)  # the build writes its manifest beside the workbook
    (tmp / "secret").write_text(SECRET + "\n")  # a fixed secret: the same keys on every run
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv(tokens.SECRET_ENV, raising=False)
        outcome = build_command.build(
            FileWorkbook(book), today=date(2026, 11, 16), out_dir=tmp / "site", secret_file=tmp / "secret"
        )
        secret = tokens.load_secret(tmp / "secret").key
    assert secret == SECRET.encode()
    creditor = outcome.assessment.ledger.creditor
    messages = i18n.load_messages(templating.environment(None))
    for state in outcome.assessment.invoices:
        link = outcome.site.invoice_pages.get(state.invoice.number)
        customer = state.customer
        if (
            link is None
            or customer is None
            or state.balance <= 0
            or state.installments
            or state.discount is not None
            or state.invoice.currency != "EUR"
            or customer.id not in outcome.site.statement_pages
        ):
            continue
        page = (tmp / "site" / link.path / "index.html").read_text()
        if "data-copy=" not in page:
            continue
        f = i18n.formatter(customer.language, creditor.country, messages)
        amount = f.money(state.balance)
        reference = payment.format_reference(payment.validate_reference(state.reference))
        iban = payment.validate_iban(creditor.iban)
        assert html.escape(amount) in page or amount in page
        assert reference in page and state.invoice.number in page and html.escape(customer.name) in page
        words = (
            state.invoice.number,
            customer.name,
            html.escape(customer.name),
            amount,
            html.escape(amount),
            amount.replace("\xa0", " "),
            f"{state.balance}",
            f"{state.balance}".replace(".", ","),
            iban,
            payment.format_iban(iban),
            reference,
            state.reference,
            customer.email or customer.name,
            *[w for w in re.split(r"\W+", customer.name) if len(w) >= 6],
        )
        return Sample(
            tmp / "site",
            secret,
            link,
            outcome.site.statement_pages[customer.id],
            customer.language,
            creditor.name,
            page,
            state.invoice.number,
            customer.name,
            amount,
            reference,
            tuple(dict.fromkeys(w for w in words if w)),
        )
    pytest.fail("the sample has no open invoice page with a copy button")


def payload(document: str) -> bytes:
    found = PAYLOAD.findall(document)
    assert len(found) == 1
    return base64.b64decode(found[0], validate=True)


# --- unit ---------------------------------------------------------------------------------------------------------


def test_page_key_is_an_hmac_of_the_path_and_stable():
    secret = SECRET.encode()
    key = encrypt.page_key(secret, "i/abc/")
    assert len(key) == 32
    assert key == hmac.new(secret, b"page-key\x1fi/abc/", hashlib.sha256).digest()
    assert key == encrypt.page_key(secret, "i/abc/")  # the same on every build: e-mailed links stay valid
    keys = {encrypt.page_key(secret, p) for p in ("i/abc/", "i/abd/", "c/abc/", "i/abc/index.html")}
    assert len(keys) == 4
    assert encrypt.page_key(b"another-secret-0123456789-abcdefghijkl", "i/abc/") != key
    # independent of the URL token derived from the same secret
    assert tokens.token(tokens.Secret(secret, "test"), "i", "abc") not in base64.b32encode(key).decode().lower()


def test_fragment_is_base64url_without_padding():
    key = bytes(range(250, 256)) + bytes(26)  # bytes that need - and _ in base64url
    text = encrypt.fragment(key)
    assert re.fullmatch(r"k=[A-Za-z0-9_-]{43}", text)
    assert base64.urlsafe_b64decode(text[2:] + "=") == key
    assert encrypt.fragment(key) == text


def test_output_is_deterministic_and_decrypts_to_the_exact_page(sample):
    key = encrypt.page_key(sample.secret, sample.link.path)
    first, second = sample.wrap(sample.page, key), sample.wrap(sample.page, key)
    assert first == second
    sealed = payload(first)
    nonce = hmac.new(key, sample.page.encode(), hashlib.sha256).digest()[:12]
    assert sealed[:12] == nonce
    assert AESGCM(key).decrypt(nonce, sealed[12:], b"") == sample.page.encode("utf-8")  # AAD is empty
    assert encrypt.open_sealed(sealed, key).decode() == sample.page
    other = encrypt.page_key(sample.secret, sample.statement.path)
    with pytest.raises(InvalidTag):
        AESGCM(other).decrypt(nonce, sealed[12:], b"")


def test_output_hides_every_word_of_the_page_and_the_key(sample):
    key = encrypt.page_key(sample.secret, sample.link.path)
    document = sample.wrap(sample.page, key)
    for word in sample.secrets:
        assert word not in document, word
    for form in (
        encrypt.fragment(key)[2:],
        base64.b64encode(key).decode().rstrip("="),
        key.hex(),
        base64.b32encode(key).decode().rstrip("=").lower(),
    ):
        assert form not in document
    assert sample.link.path.split("/")[1] not in document  # not even the page's own token


def test_nonce_changes_with_the_content(sample):
    key = encrypt.page_key(sample.secret, sample.link.path)
    changed = sample.page.replace(sample.amount, sample.amount.replace("0", "1", 1), 1)
    assert changed != sample.page
    a, b = payload(sample.wrap(sample.page, key)), payload(sample.wrap(changed, key))
    assert a[:12] != b[:12]
    assert encrypt.open_sealed(b, key).decode() == changed


def test_wrapper_document(sample):
    key = encrypt.page_key(sample.secret, sample.link.path)
    document = sample.wrap(sample.page, key)
    texts = sample.texts()
    assert document.startswith(f'<!doctype html>\n<html lang="{sample.lang}">')
    assert '<meta name="robots" content="noindex, nofollow">' in document
    assert '<meta name="referrer" content="no-referrer">' in document
    assert f'<meta http-equiv="Content-Security-Policy" content="{escape(CSP)}">' in document
    assert re.search(r'<link rel="stylesheet" href="\.\./\.\./assets/portal\.[0-9a-f]{12}\.css">', document)
    assert f'<p class="notice" id="decrypt-note">{escape(texts["noscript_text"])}</p>' in document
    assert f'<p class="notice" id="decrypt-error" role="alert" hidden>{escape(texts["wrong_key_text"])}</p>' in document
    scripts = INLINE_SCRIPT.findall(document)
    assert scripts == [encrypt.DECRYPT_SCRIPT]  # the only inline script; the payload block is not JavaScript
    assert headers.script_hash(scripts[0]) == encrypt.DECRYPT_SCRIPT_HASH
    assert len(encrypt.DECRYPT_SCRIPT.encode()) < 1500
    assert not re.search(r"https?:|//[a-z]|fetch|XMLHttpRequest|import\(|src=", encrypt.DECRYPT_SCRIPT)


def test_wrapper_escapes_its_texts_and_checks_the_policy(sample):
    key = encrypt.page_key(sample.secret, sample.link.path)
    document = encrypt.encrypt_page(
        "<p>x</p>",
        key,
        lang="en",
        title="<T>",
        noscript_text="A & <b>B</b>",
        wrong_key_text='"C"',
        css_href="a.css?x=1&y=2",
        csp=CSP,
    )
    assert "<title>&lt;T&gt;</title>" in document and "A &amp; &lt;b&gt;B&lt;/b&gt;" in document
    assert "&#34;C&#34;" in document and 'href="a.css?x=1&amp;y=2"' in document
    with pytest.raises(ValueError, match="decrypt script"):
        encrypt.encrypt_page(
            "<p>x</p>",
            key,
            lang="en",
            title="t",
            noscript_text="n",
            wrong_key_text="w",
            css_href="a.css",
            csp="default-src 'none'",
        )
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt.encrypt_page(
            "<p>x</p>", key[:16], lang="en", title="t", noscript_text="n", wrong_key_text="w", css_href="a.css", csp=CSP
        )


def test_messages_cover_every_language():
    for texts in (MESSAGES["encrypted_noscript"], MESSAGES["encrypted_wrong_key"]):
        assert set(texts) == set(i18n.LANGUAGES)
        assert all("{creditor}" in text for text in texts.values())


# --- browser -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    origin: str
    invoice: str  # URL of the invoice page, without fragment
    invoice_fragment: str
    statement: str
    statement_fragment: str


def _handler(csp: str) -> type[SimpleHTTPRequestHandler]:
    class Handler(SimpleHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/favicon.ico":  # what browsers ask for by themselves: no 404 in the console
                self.send_response(204)
                self.end_headers()
                return
            super().do_GET()

        def end_headers(self) -> None:
            for name, value in {**headers.security_headers(), "Content-Security-Policy": csp}.items():
                self.send_header(name, value)
            super().end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _start(server: ThreadingHTTPServer) -> str:
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(scope="module")
def encrypted_site(sample, tmp_path_factory) -> Path:
    """The built site with the invoice page (every language) and its statement encrypted, as site.py would do it:
    links between them carry the target's #k= fragment inside the (encrypted) page."""
    root = tmp_path_factory.mktemp("served") / "site"
    shutil.copytree(sample.site, root)
    invoice_key = encrypt.page_key(sample.secret, sample.link.path)
    statement_key = encrypt.page_key(sample.secret, sample.statement.path)
    statement_href = "../../" + sample.statement.path
    for page_file in sorted((root / sample.link.path).glob("*.html")):
        page = page_file.read_text()
        lang = re.search(r'<html lang="(\w+)">', page).group(1)
        for name in ("index", *i18n.LANGUAGES):  # the other languages share the folder's key
            page = page.replace(f'href="{name}.html"', f'href="{name}.html#{encrypt.fragment(invoice_key)}"')
        target = statement_href + ("" if page_file.name == "index.html" else page_file.name)  # same language
        assert f'href="{target}"' in page
        page = page.replace(f'href="{target}"', f'href="{target}#{encrypt.fragment(statement_key)}"')
        page_file.write_text(sample.wrap(page, invoice_key, lang=lang))
    for statement_file in sorted((root / sample.statement.path).glob("*.html")):
        text = statement_file.read_text()
        lang = re.search(r'<html lang="(\w+)">', text).group(1)
        statement_file.write_text(sample.wrap(text, statement_key, lang=lang))
    return root


@pytest.fixture(scope="module")
def served(sample, encrypted_site) -> Served:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(
            _handler(headers.content_security_policy(frame_ancestors=True)), directory=str(encrypted_site)
        ),
    )
    origin = _start(server)
    yield Served(
        origin,
        f"{origin}/{sample.link.path}",
        encrypt.fragment(encrypt.page_key(sample.secret, sample.link.path)),
        f"{origin}/{sample.statement.path}",
        encrypt.fragment(encrypt.page_key(sample.secret, sample.statement.path)),
    )
    server.shutdown()
    server.server_close()


class Watch:
    """Everything a page logs, throws or requests."""

    def __init__(self, page, origin: str):
        self.origin, self.console, self.errors, self.requests = origin, [], [], []
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.requests.append(r.url))

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "Content-Security-Policy" in m]

    def assert_clean(self) -> None:
        assert self.csp_violations() == []
        assert [m for m in self.console if m.startswith("error")] == []
        assert self.errors == []
        assert self.requests and all(u.startswith(self.origin + "/") for u in self.requests), self.requests


def open_page(browser, origin: str, url: str, **options):
    context = browser.new_context(**options)
    if options.get("java_script_enabled", True):
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    watch = Watch(page, origin)
    page.goto(url, wait_until="load")
    return context, page, watch


def visible_text(page) -> str:
    return page.locator("body").inner_text()


@pytest.mark.e2e
def test_right_key_shows_the_page_with_a_working_copy_button(browser, sample, served):
    context, page, watch = open_page(browser, served.origin, f"{served.invoice}#{served.invoice_fragment}")
    try:
        page.locator("h1", has_text=sample.number).wait_for(timeout=10_000)
        text = visible_text(page)
        assert sample.number in text and sample.customer in text
        assert sample.amount.replace("\xa0", " ") in text.replace("\xa0", " ")
        assert sample.reference in text
        assert page.locator("#decrypt-note").count() == 0 and page.locator("#payload").count() == 0
        state = page.evaluate("""() => ({url: location.href, lang: document.documentElement.lang,
            mode: document.compatMode, title: document.title, sheets: document.styleSheets.length,
            font: getComputedStyle(document.querySelector('.mono')).fontFamily})""")
        assert state["url"] == f"{served.invoice}#{served.invoice_fragment}"  # the key stays: a reload works
        assert state["lang"] == sample.lang and state["mode"] == "CSS1Compat"
        assert state["title"] == html.unescape(re.search(r"<title>(.*?)</title>", sample.page).group(1))
        assert state["sheets"] == 1 and "mono" in state["font"]  # the page's stylesheet applies
        # relative links resolve against the page's URL
        statement = page.locator("ul.links a[href*='/c/']")
        assert statement.evaluate("a => a.href") == f"{served.statement}#{served.statement_fragment}"
        alternates = page.locator("nav.langs a").evaluate_all("links => links.map(a => a.href)")
        assert alternates and all(h.startswith(served.invoice) and "#k=" in h for h in alternates)

        button = page.locator("button.copy").first
        assert button.is_visible()  # the page's own hashed script ran after document.write
        done = button.get_attribute("data-done")
        button.click()
        page.wait_for_function("b => b.textContent === b.dataset.done", arg=button.element_handle(), timeout=5_000)
        assert button.inner_text() == done
        assert page.evaluate("navigator.clipboard.readText()") == button.get_attribute("data-copy")

        page.reload(wait_until="load")
        page.locator("h1", has_text=sample.number).wait_for(timeout=10_000)
        assert page.locator("button.copy").first.is_visible()
        watch.assert_clean()
    finally:
        context.close()


@pytest.mark.e2e
def test_links_carry_their_fragment_to_the_next_encrypted_page(browser, sample, served):
    context, page, watch = open_page(browser, served.origin, f"{served.invoice}#{served.invoice_fragment}")
    try:
        page.locator("h1", has_text=sample.number).wait_for(timeout=10_000)
        other = page.locator("nav.langs a").first
        other_lang = other.get_attribute("hreflang")
        other.click()
        page.wait_for_function(
            "lang => document.documentElement.lang === lang && !document.getElementById('payload')",
            arg=other_lang,
            timeout=10_000,
        )
        assert sample.number in visible_text(page) and page.locator("button.copy").first.is_visible()
        page.locator("ul.links a[href*='/c/']").click()
        page.wait_for_url(f"{served.statement}{other_lang}.html#{served.statement_fragment}")  # the language kept
        page.locator("table").wait_for(timeout=10_000)
        assert sample.number in visible_text(page) and sample.reference in visible_text(page)
        watch.assert_clean()
    finally:
        context.close()


@pytest.mark.e2e
@pytest.mark.parametrize("fragment", ["wrong", "missing", "garbled", "short"])
def test_wrong_or_missing_key_shows_the_error_and_nothing_else(browser, sample, served, fragment):
    wrong = {
        "wrong": "#" + encrypt.fragment(encrypt.page_key(sample.secret, sample.statement.path)),
        "missing": "",
        "garbled": "#k=" + "*" * 43,
        "short": "#k=" + served.invoice_fragment[2:30],
    }[fragment]
    context, page, watch = open_page(browser, served.origin, served.invoice + wrong)
    try:
        error = page.locator("#decrypt-error")
        error.wait_for(state="visible", timeout=10_000)
        assert error.get_attribute("role") == "alert"
        assert error.inner_text() == sample.texts()["wrong_key_text"]
        assert not page.locator("#decrypt-note").is_visible()
        text = page.content() + visible_text(page)
        for word in sample.secrets:
            assert word not in text, word
        watch.assert_clean()
    finally:
        context.close()


@pytest.mark.e2e
def test_without_javascript_the_page_says_what_to_do(browser, sample, served):
    context, page, watch = open_page(
        browser, served.origin, f"{served.invoice}#{served.invoice_fragment}", java_script_enabled=False
    )
    try:
        note = page.locator("#decrypt-note")
        assert note.is_visible() and note.inner_text() == sample.texts()["noscript_text"]
        assert not page.locator("#decrypt-error").is_visible()
        shown = visible_text(page)
        assert sample.texts()["noscript_text"] in shown and "Atelier Lumière SRL" in shown  # who writes, in clear
        for word in sample.secrets:
            assert word not in visible_text(page), word
        watch.assert_clean()
    finally:
        context.close()


@pytest.mark.e2e
def test_a_site_built_with_encrypted_pages_decrypts_under_serve(browser, small_copy, tmp_path):
    """The product end to end: Settings say encrypt, the build encrypts, `serve` lets the decrypter run,
    and the statement link (with its own key) opens too."""
    edit_workbook(small_copy, "Settings", {f"B{_setting_row('encrypt_pages')}": "yes"})
    outcome = build_command.build(
        FileWorkbook(small_copy), today=date(2026, 11, 16), out_dir=tmp_path / "site", secret_file=tmp_path / "secret"
    )
    state = next(
        s
        for s in outcome.assessment.invoices
        if s.invoice.number in outcome.site.invoice_pages
        and s.balance > 0
        and s.customer.id in outcome.site.statement_pages
    )
    link = outcome.site.invoice_pages[state.invoice.number]
    assert link.fragment.startswith("#k=")
    document = (tmp_path / "site" / link.path / "index.html").read_text()
    assert state.invoice.number not in document and not (tmp_path / "site" / link.path / "due.ics").exists()
    server = make_server(tmp_path / "site", port=0)
    origin = _start(server)
    try:
        context, page, watch = open_page(browser, origin, f"{origin}/{link.path}{link.fragment}")
        try:
            page.locator("h1", has_text=state.invoice.number).wait_for(timeout=10_000)
            assert page.locator("button.copy").first.is_visible()
            page.locator("a[href*='../../c/']").first.click()
            page.locator("h1").first.wait_for(timeout=10_000)
            page.wait_for_function("() => !!document.querySelector('table')")
            assert state.invoice.number in visible_text(page)
            assert not watch.csp_violations()
        finally:
            context.close()
    finally:
        server.shutdown()
        server.server_close()


def _setting_row(key: str) -> int:
    from portal.workbook import schema

    return 2 + [s.key for s in schema.SETTINGS].index(key)


@pytest.mark.e2e
def test_the_wrapper_policy_still_applies_after_the_page_is_written(browser, sample, encrypted_site, tmp_path):
    """document.write keeps this document and its policies: a wrapper CSP that allows only the decrypt script
    blocks the page's own copy script, which is why the wrapper's CSP (meta and header) must allow both."""
    root = tmp_path / "site"
    shutil.copytree(encrypted_site, root)
    key = encrypt.page_key(sample.secret, sample.link.path)
    only_decrypt = f"default-src 'none'; style-src 'self'; script-src '{encrypt.DECRYPT_SCRIPT_HASH}'"
    (root / sample.link.path / "index.html").write_text(sample.wrap(sample.page, key, csp=only_decrypt))
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0),
        functools.partial(_handler(headers.content_security_policy(frame_ancestors=True)), directory=str(root)),
    )
    origin = _start(server)
    try:
        context, page, watch = open_page(browser, origin, f"{origin}/{sample.link.path}#{encrypt.fragment(key)}")
        try:
            page.locator("h1", has_text=sample.number).wait_for(timeout=10_000)
            page.wait_for_function("() => document.readyState === 'complete'")
            assert not page.locator("button.copy").first.is_visible()
            assert any(headers.script_hash(headers.COPY_SCRIPT) in m for m in watch.csp_violations())
        finally:
            context.close()
    finally:
        server.shutdown()
        server.server_close()


def test_an_encrypted_page_links_to_no_anchor_that_would_replace_its_key(sample_copy, tmp_path):
    """An encrypted page's address ends in #k=KEY: '#claim' after it, or an in-page '#claim', would lose the key."""
    edit_workbook(sample_copy, "Settings", {f"B{_setting_row('encrypt_pages')}": "yes"})
    outcome = build_command.build(
        FileWorkbook(sample_copy), today=date(2026, 11, 16), out_dir=tmp_path / "site", secret_file=tmp_path / "secret"
    )
    secret = tokens.load_secret(tmp_path / "secret").key
    claims = 0
    for link in [*outcome.site.invoice_pages.values(), *outcome.site.statement_pages.values()]:
        key = encrypt.page_key(secret, link.path)
        for document in (tmp_path / "site" / link.path).glob("*.html"):
            page = encrypt.open_sealed(payload(document.read_text()), key).decode()
            claims += 'id="claim"' in page or "claimed" in page
            assert 'href="#claim"' not in page and not re.search(r'href="[^"]*#k=[^"]*#', page), document
    assert claims

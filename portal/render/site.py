"""The static portal: one private page per invoice and per customer, built aside and swapped in.

Everything is rendered in memory first (deterministic: same assessment, same secret →
same bytes), every payment code is validated, and only then is the tree written to a
staging folder that replaces the old site in one rename.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import os
import re
import shutil
import urllib.parse
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import segno

from ..codes import payment
from ..domain import law, letters
from ..domain.dunning import Assessment, CustomerState, InvoiceState
from ..domain.ledger import Creditor, Where
from ..domain.money import CENT
from ..domain.stages import CLAIM_STAGES, LADDER, stage_key
from . import encrypt, i18n, reminders, templating, tokens

CSS_TEMPLATE = "site/portal.css"
COPY_SCRIPT = (
    "document.querySelectorAll('button[data-copy]').forEach(function(b){b.hidden=false;"
    "b.addEventListener('click',function(){navigator.clipboard.writeText(b.dataset.copy).then("
    "function(){b.textContent=b.dataset.done;});});});"
)
KEPT_FILES = (".gitkeep",)  # files in the output folder that the site does not own
AGING_BUCKETS = ((1, 30), (31, 60), (61, 90))


class BuildError(Exception):
    """The site cannot be built as it stands; the message lists what to fix and where."""


@dataclass(frozen=True)
class PageLink:
    kind: str  # "i" (invoice) or "c" (customer statement)
    key: str  # invoice number or customer id
    token: str
    fragment: str = ""  # "#k=…" carrying an encrypted page's key; never sent to the host

    @property
    def path(self) -> str:
        return f"{self.kind}/{self.token}/"

    @property
    def href(self) -> str:
        """The link from another page of the site."""
        return f"../../{self.path}{self.fragment}"


@dataclass(frozen=True)
class BuildResult:
    out_dir: Path
    files: dict[str, str]  # relative path -> sha256
    invoice_pages: dict[str, PageLink]
    statement_pages: dict[str, PageLink]
    warnings: tuple[str, ...] = ()
    secret_created: str = ""  # the secret file's path when this build created it

    def url(self, base_url: str, link: PageLink) -> str:
        return (base_url.rstrip("/") + "/" if base_url else "") + link.path + link.fragment


@dataclass(frozen=True)
class PaymentBlock:
    """What a debtor needs to pay one amount: shown in words and, in euros, as a QR code."""

    amount: Decimal
    currency: str
    reference: str  # compact
    reference_text: str  # as printed: +++123/4567/89002+++ or RF18 5390 0754 7034
    reference_label: str
    iban: str
    iban_text: str
    bic: str
    qr_svg: str  # empty when there is no QR; `no_qr` then says why
    no_qr: str


def page_link(secret: tokens.Secret, creditor: Creditor, kind: str, key: str) -> PageLink:
    """The private link of one page ("i" invoice or "c" statement), with its key when pages are encrypted."""
    link = PageLink(kind, key, tokens.token(secret, kind, key))
    if creditor.encrypt_pages:
        return PageLink(kind, key, link.token, "#" + encrypt.fragment(encrypt.page_key(secret.key, link.path)))
    return link


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def content_security_policy(frame_ancestors: bool = False) -> str:
    """No inline script but ours (the copy button and, for encrypted pages, the decrypter), nothing from elsewhere."""
    scripts = f"'{script_hash(COPY_SCRIPT)}' '{encrypt.DECRYPT_SCRIPT_HASH}'"
    policy = (
        f"default-src 'none'; style-src 'self'; img-src 'self' data:; script-src {scripts}; "
        "base-uri 'none'; form-action 'none'"
    )
    return policy + ("; frame-ancestors 'none'" if frame_ancestors else "")


def security_headers() -> dict[str, str]:
    """Headers every page should be served with (`_headers` and `serve` use them)."""
    return {
        "Content-Security-Policy": content_security_policy(frame_ancestors=True),
        "Referrer-Policy": "no-referrer",
        "X-Robots-Tag": "noindex, nofollow",
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
        "Cache-Control": "no-cache",
    }


def _headers_file() -> str:
    lines = ["/*"] + [f"  {name}: {value}" for name, value in security_headers().items()]
    return "\n".join(lines) + "\n"


def _ics_text(value: str) -> str:
    cleaned = "".join(c if c.isprintable() else " " for c in value)
    return cleaned.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")


def _ics_fold(line: str) -> str:
    """RFC 5545: lines longer than 75 octets continue on the next line after a space."""
    out, current = [], b""
    for char in line:
        encoded = char.encode()
        if len(current) + len(encoded) > (75 if not out else 74):
            out.append(current.decode())
            current = b""
        current += encoded
    out.append(current.decode())
    return "\r\n ".join(out)


def due_ics(uid: str, due: date, summary: str, url: str, stamp: date) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Debtor Portal//Portal//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{uid}",
        f"DTSTAMP:{stamp:%Y%m%d}T000000Z",
        f"DTSTART;VALUE=DATE:{due:%Y%m%d}",
        f"DTEND;VALUE=DATE:{due + timedelta(days=1):%Y%m%d}",
        f"SUMMARY:{_ics_text(summary)}",
    ]
    if url:
        lines.append(f"URL:{_ics_text(url)}")
    lines += [
        "TRANSP:TRANSPARENT",
        "BEGIN:VALARM",
        "ACTION:DISPLAY",
        f"DESCRIPTION:{_ics_text(summary)}",
        "TRIGGER:-P1D",
        "END:VALARM",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(_ics_fold(line) for line in lines) + "\r\n").encode()


def _where(where: Where | None) -> str:
    return f" ({where})" if where else ""


class _Renderer:
    """Holds what every page shares while one site is rendered."""

    def __init__(self, assessment: Assessment, secret: tokens.Secret, folder: Path | None):
        self.assessment = assessment
        self.creditor: Creditor = assessment.ledger.creditor
        self.secret = secret
        self.folder = folder
        self.env = templating.environment(folder)
        self.letters = reminders.ReminderTemplates(folder)
        self.messages = i18n.load_messages(self.env)
        self.files: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self.codes: dict[str, segno.QRCode] = {}  # each payload is encoded once, whatever the languages
        css = self.env.loader.get_source(self.env, CSS_TEMPLATE)[0].encode()
        self.css_name = f"portal.{hashlib.sha256(css).hexdigest()[:12]}.css"
        self.files[f"assets/{self.css_name}"] = css
        self.iban = self._checked_iban()
        self.iban_text = payment.format_iban(self.iban)
        self.bic = self.creditor.bic or payment.bic_for_iban(self.iban)
        self.languages = tuple(dict.fromkeys(lang for lang in self.creditor.site_languages if lang in i18n.LANGUAGES))
        self.identity = identity(self.creditor)

    def _checked_iban(self) -> str:
        try:
            return payment.validate_iban(self.creditor.iban)
        except payment.PaymentCodeError as exc:
            raise BuildError(f"Settings, IBAN: {exc}. No page was built: correct the IBAN and build again.") from None

    def formatter(self, lang: str) -> i18n.Formatter:
        return i18n.formatter(lang or self.creditor.default_language, self.creditor.country, self.messages)

    def payment_block(
        self, f: i18n.Formatter, amount: Decimal, currency: str, reference: str, where: Where | None
    ) -> PaymentBlock:
        try:
            compact = payment.validate_reference(reference)
        except payment.PaymentCodeError as exc:
            raise BuildError(f"{exc}{_where(where)}. No page was built: correct or clear the reference.") from None
        label = "reference_rf" if compact.startswith("RF") else "reference_ogm"
        qr, no_qr = "", ""
        if currency != "EUR":
            no_qr = f.t("no_qr_currency", amount=f.money(amount, currency))
        elif amount > 0:
            try:
                payload = payment.epc_payload(self.creditor.name, self.iban, amount, bic=self.bic, reference=compact)
            except payment.PaymentCodeError as exc:
                raise BuildError(f"The payment QR code cannot be made{_where(where)}: {exc}.") from None
            if payload not in self.codes:
                self.codes[payload] = payment.qr_code(payload)
            qr = payment.qr_svg(
                self.codes[payload], title=f.t("qr_title", amount=f.money(amount), name=self.creditor.name)
            )
        return PaymentBlock(
            amount,
            currency,
            compact,
            payment.format_reference(compact),
            f.t(label),
            self.iban,
            self.iban_text,
            self.bic,
            qr,
            no_qr,
        )

    def render(
        self, template: str, path: str, f: i18n.Formatter, alternates: list[tuple[str, str]], **context: object
    ) -> None:
        css = ("../" * path.count("/")) + f"assets/{self.css_name}"
        page = self.env.get_template(template).render(
            f=f,
            creditor=self.creditor,
            css=css,
            csp=content_security_policy(),
            script=COPY_SCRIPT,
            alternates=alternates,
            ref=payment.format_reference,
            cent=CENT,
            as_of=self.assessment.as_of,
            days_late=days_late,
            identity=self.identity,
            timedelta=timedelta,
            **context,
        )
        if self.creditor.encrypt_pages and path.startswith(("i/", "c/")):
            page = encrypt.encrypt_page(
                page,
                self.page_key(path.rsplit("/", 1)[0] + "/"),
                lang=f.lang,
                env=self.env,
                css_href=css,
                title=f"{f.t('landing_title')} – {self.creditor.name}",
                csp=content_security_policy(),
                noscript_text=f.t("encrypted_noscript", creditor=self.creditor.name),
                identity_html=self.env.get_template("site/_identity.html").render(
                    f=f, creditor=self.creditor, identity=self.identity
                ),
                wrong_key_text=f.t("encrypted_wrong_key", creditor=self.creditor.name),
            )
        self.files[path] = page.encode()

    def page_key(self, folder: str) -> bytes:
        return encrypt.page_key(self.secret.key, folder)

    def link(self, kind: str, key: str) -> PageLink:
        return page_link(self.secret, self.creditor, kind, key)

    def main_language(self, customer_lang: str) -> str:
        """The language of a customer's index.html pages."""
        return customer_lang if customer_lang in i18n.LANGUAGES else self.creditor.default_language

    def href_in(self, link: PageLink, lang: str, main: str) -> str:
        """A link to another page of the same customer, in the language the reader chose."""
        return f"../../{link.path}{'' if lang == main else f'{lang}.html'}{link.fragment}"

    def per_language(self, folder: str, customer_lang: str, template: str, **context: object) -> None:
        """index.html in the customer's language, <lang>.html for each other site language."""
        main = self.main_language(customer_lang)
        langs = [main] + [lang for lang in self.languages if lang != main]
        names = {lang: ("index.html" if lang == main else f"{lang}.html") for lang in langs}
        fragment = "#" + encrypt.fragment(self.page_key(folder + "/")) if self.creditor.encrypt_pages else ""
        for lang in langs:
            f = self.formatter(lang)
            alternates = [
                (self.messages["lang_name"][other], names[other] + fragment, other) for other in langs if other != lang
            ]
            self.render(
                template,
                f"{folder}/{names[lang]}",
                f,
                alternates,
                **{k: (v(f) if callable(v) else v) for k, v in context.items()},
            )


def _open_parts(state: InvoiceState) -> list[tuple[int, Decimal]]:
    """(days past due, amount) of what is open: each unpaid installment of a plan on its own."""
    if state.installments:
        return [(i.days_overdue, i.balance) for i in state.installments if i.balance > 0]
    return [(state.days_overdue, state.balance)]


def days_late(state: InvoiceState) -> int:
    """How late the debtor is with this item: a plan kept to is not late, whatever the invoice's due date."""
    late = [days for days, amount in _open_parts(state) if amount > 0]
    return max(late) if late else 0


def _aging(items: tuple[InvoiceState, ...]) -> list[tuple[str, Decimal]]:
    """Open EUR balances by lateness: not yet due, 1-30, 31-60, 61-90, over 90 days."""
    buckets: list[Decimal] = [Decimal("0.00")] * (len(AGING_BUCKETS) + 2)
    for item in items:
        if item.invoice.currency != "EUR":
            continue
        if item.invoice.is_credit_note:  # owed to the customer: never late
            buckets[0] += item.balance
            continue
        for days, amount in _open_parts(item):
            index = (
                0
                if days <= 0
                else next(
                    (n + 1 for n, (low, high) in enumerate(AGING_BUCKETS) if days <= high), len(AGING_BUCKETS) + 1
                )
            )
            buckets[index] += amount
    return [(str(i), amount) for i, amount in enumerate(buckets)]


def _page_stage(state: InvoiceState) -> str:
    """The reminder the debtor has just received (or receives today), shown on the page."""
    if state.balance <= 0 or state.status in ("disputed", "on_hold"):
        return ""
    if state.action_due and state.next_action in LADDER:
        return state.next_action
    return state.stage if state.stage in LADDER else ""


def _logged_letter(assessment: Assessment, number: str) -> letters.Letter | None:
    """The record of the highest ladder letter logged for an invoice (prepared or sent), if it has one."""
    logged = [
        (LADDER.index(key), entry.date, entry)
        for entry in assessment.ledger.log
        if entry.invoice.strip() == number
        and entry.date <= assessment.as_of
        and (key := stage_key(entry.action)) in LADDER
    ]
    if not logged:
        return None
    top = max(logged, key=lambda item: (item[0], item[1]))[2]
    record = letters.read(top.letter)
    return record if record is not None and record.stage == stage_key(top.action) else None


def answer_links(f: i18n.Formatter, creditor: Creditor, number: str, reference: str) -> list[tuple[str, str]]:
    """(label, mailto: link) for each answer a debtor may give, subject and body prefilled in the page's language."""
    if not creditor.email:
        return []
    links = []
    for kind in ("paid", "dispute", "plan", "question"):
        what = f.t(f"answer_{kind}")
        subject = f.t("answer_subject", what=what, number=number, reference=reference)
        body = f.t(f"answer_body_{kind}", number=number, reference=reference).replace("\n", "\r\n")
        query = urllib.parse.urlencode({"subject": subject, "body": body}, quote_via=urllib.parse.quote)
        links.append((what, f"mailto:{urllib.parse.quote(creditor.email, safe='@')}?{query}"))
    return links


def _letter_shown(state: InvoiceState) -> bool:
    return state.balance > 0 and state.status not in ("disputed", "on_hold")


def identity(creditor: Creditor) -> dict[str, str]:
    """The creditor's enterprise number as labelled and linked to its public register, and its phone as a tel: link."""
    label, number = reminders.enterprise_number(creditor)
    digits = "".join(c for c in number if c.isdigit())
    if not number:
        register = ""
    elif creditor.country == "FR":
        register = f"https://annuaire-entreprises.data.gouv.fr/entreprise/{digits}"
    else:
        register = f"https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html?ondernemingsnummer={digits}"
    phone = creditor.phone.strip()
    tel = ("+" if phone.startswith("+") else "") + "".join(c for c in phone if c.isdigit())
    return {"label": label, "number": number, "register": register, "tel": tel}


def _calendar_day(state: InvoiceState, deadline: date | None, as_of: date) -> date | None:
    """The one future date the page asks payment by (discount end, the letter's deadline, the due date), if any."""
    if state.status in ("disputed", "on_hold"):
        return None
    if state.discount is not None and state.invoice.discount_date and state.invoice.discount_date >= as_of:
        return state.invoice.discount_date
    if deadline is not None:
        return deadline
    return state.invoice.due_date if state.invoice.due_date >= as_of else None


def _claims(state: InvoiceState) -> bool:
    return state.claim is not None and bool(state.claim.interest or state.claim.flat_fee)


def _published(state: InvoiceState, as_of: date, retention_days: int) -> bool:
    """An invoice has a page while something is due, and for a while after it is paid."""
    if state.invoice.is_credit_note or state.status == "written_off":
        return False
    if state.balance != 0:
        return True
    return state.paid_on is not None and state.paid_on + timedelta(days=retention_days) >= as_of


def render_site(
    assessment: Assessment, secret: tokens.Secret, folder: Path | None = None
) -> tuple[dict[str, bytes], dict[str, PageLink], dict[str, PageLink], list[str]]:
    """Every file of the site, in memory: (files, invoice pages, statement pages, warnings)."""
    r = _Renderer(assessment, secret, folder)
    creditor, as_of = r.creditor, assessment.as_of
    statements = {c.customer.id: r.link("c", c.customer.id) for c in assessment.customers if c.invoices or c.held}
    invoices = {
        s.invoice.number: r.link("i", s.invoice.number)
        for s in assessment.invoices
        if _published(s, as_of, creditor.retention_days)
    }

    for state in assessment.invoices:
        link = invoices.get(state.invoice.number)
        if link is None:
            continue
        customer = state.customer
        pdf = _copy_pdf(r, state, link)
        owed = state.balance > 0 and not state.installments
        stage = _page_stage(state)
        record = None
        if not (state.action_due and state.next_action == stage) and _letter_shown(state):
            record = _logged_letter(assessment, state.invoice.number)  # prepared or sent, as it was written
            stage = record.stage if record is not None else stage
        try:
            if stage and record is None:
                record = reminders.letter_record(assessment, state, stage)
        except law.RateMissing as exc:
            r.warnings.append(f"Invoice {state.invoice.number}: its page shows no letter. {exc}")
            stage = ""
        claimed = stage in CLAIM_STAGES and _claims(state)
        pay_amount = state.claim.total if claimed else state.discount if state.discount is not None else state.balance

        def blocks(
            f: i18n.Formatter, state: InvoiceState = state, owed: bool = owed, pay_amount: Decimal = pay_amount
        ) -> object:
            invoice_block = (
                r.payment_block(f, pay_amount, state.invoice.currency, state.reference, state.invoice.where)
                if owed
                else None
            )
            plan = [
                (i, r.payment_block(f, i.balance, state.invoice.currency, i.reference, i.installment.where))
                for i in state.installments
            ]
            return {"pay": invoice_block, "plan": plan}

        def letter(
            f: i18n.Formatter,
            state: InvoiceState = state,
            stage: str = stage,
            link: PageLink = link,
            record: letters.Letter | None = record,
        ) -> str:
            if not stage or record is None:
                return ""
            context = reminders.reminder_context(
                assessment, state, record.stage, f, absolute_url(creditor, link), letter=record
            )
            return r.letters.render(record.stage, f.lang, context).html

        def answers(f: i18n.Formatter, state: InvoiceState = state) -> object:
            return answer_links(f, creditor, state.invoice.number, payment.format_reference(state.reference))

        def statement_link(f: i18n.Formatter, customer=customer) -> str:
            if customer is None or customer.id not in statements:
                return ""
            return r.href_in(statements[customer.id], f.lang, r.main_language(customer.language))

        deadline = record.pay_by if record is not None and record.pay_by and record.pay_by >= as_of else None
        ics_day = _calendar_day(state, deadline, as_of) if owed and not creditor.encrypt_pages else None
        calendar = ics_day is not None
        context = {
            "state": state,
            "customer": customer,
            "pdf": pdf,
            "letter": letter,
            "claim": state.claim if claimed else None,
            "statement": statement_link,
            "blocks": blocks,
            "answers": answers,
            "calendar": calendar,
            "deadline": deadline,
            "held": state.status in ("disputed", "on_hold"),
        }
        r.per_language(link.path.rstrip("/"), customer.language if customer else "", "site/invoice.html", **context)
        if ics_day is not None:  # a calendar file cannot be encrypted: it would show the amount
            f = r.formatter(customer.language if customer else "")
            summary = f.t(
                "calendar_event", number=state.invoice.number, amount=f.money(pay_amount, state.invoice.currency)
            )
            r.files[f"{link.path}due.ics"] = due_ics(
                f"{link.token}@debtor-portal", ics_day, summary, absolute_url(creditor, link), as_of
            )

    for customer_state in assessment.customers:
        link = statements.get(customer_state.customer.id)
        if link is None:
            continue
        owed = customer_state.total > 0

        def statement_blocks(f: i18n.Formatter, c: CustomerState = customer_state, owed: bool = owed) -> object:
            return {"pay": r.payment_block(f, c.total, "EUR", c.reference, c.customer.where) if owed else None}

        def item_links(f: i18n.Formatter, c: CustomerState = customer_state) -> object:
            main = r.main_language(c.customer.language)
            return {number: r.href_in(page, f.lang, main) for number, page in invoices.items()}

        others = sorted({i.invoice.currency for i in customer_state.invoices if i.invoice.currency != "EUR"})
        r.per_language(
            link.path.rstrip("/"),
            customer_state.customer.language,
            "site/statement.html",
            c=customer_state,
            customer=customer_state.customer,
            item_links=item_links,
            other_currencies=others,
            aging=_aging(customer_state.invoices),
            buckets=AGING_BUCKETS,
            blocks=statement_blocks,
        )

    landing = r.formatter(creditor.default_language)
    for path in ("assets/index.html", "i/index.html", "c/index.html"):  # no host lists a folder
        r.render("site/landing.html", path, landing, [])
    home = [creditor.default_language] + [lang for lang in r.languages if lang != creditor.default_language]
    names = {lang: "index.html" if n == 0 else f"{lang}.html" for n, lang in enumerate(home)}
    for lang in home:
        f = r.formatter(lang)
        alternates = [(r.messages["lang_name"][o], names[o], o) for o in home if o != lang]
        r.render("site/landing.html", names[lang], f, alternates)
    r.render("site/404.html", "404.html", landing, [], others=[r.formatter(lang) for lang in home[1:]])
    r.files["robots.txt"] = b"User-agent: *\nDisallow: /\n"
    r.files["_headers"] = _headers_file().encode()
    return r.files, invoices, statements, r.warnings


def absolute_url(creditor: Creditor, link: PageLink) -> str:
    """The page's address as debtors receive it: under the portal's base URL, with its key fragment."""
    base = creditor.portal_base_url.rstrip("/") + "/" if creditor.portal_base_url else ""
    return base + link.path + link.fragment


def _copy_pdf(r: _Renderer, state: InvoiceState, link: PageLink) -> str:
    """Publish the invoice's PDF beside its page; only files inside the workbook's folder."""
    name = state.invoice.pdf
    if not name or r.folder is None:
        return ""
    if r.creditor.encrypt_pages:
        r.warnings.append(
            f"PDF file '{name}'{_where(state.invoice.where)} not published: pages are encrypted and a PDF cannot be."
        )
        return ""
    base = r.folder.resolve()
    source = (base / name).resolve()
    if not source.is_relative_to(base):
        raise BuildError(
            f"The PDF file '{name}'{_where(state.invoice.where)} is outside the workbook's folder "
            f"{base}: move the PDF into that folder (or a subfolder) and give its path from there."
        )
    if not source.is_file():
        r.warnings.append(f"PDF file '{name}' not found{_where(state.invoice.where)}: the page has no PDF link.")
        return ""
    r.files[f"{link.path}invoice.pdf"] = source.read_bytes()
    return "invoice.pdf"


def _keep_unchanged(old: Path, new: Path, data: bytes) -> bool:
    """Carry an unchanged file over (a hard link: same file, same modification time) rather than rewrite it."""
    try:
        if old.stat().st_size != len(data) or old.read_bytes() != data:
            return False
        os.link(old, new)
        return True
    except OSError:
        return False


def write_tree(files: dict[str, bytes], out_dir: Path) -> None:
    """Write the whole site beside `out_dir`, then swap it in: never a half-written site."""
    out_dir = Path(out_dir).resolve()
    staging = out_dir.with_name(f".{out_dir.name}.staging")
    retired = out_dir.with_name(f".{out_dir.name}.old")
    for leftover in (staging, retired):
        if leftover.exists():
            shutil.rmtree(leftover)
    for relative, data in sorted(files.items()):
        target = staging / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _keep_unchanged(out_dir / relative, target, data):
            target.write_bytes(data)
    for name in KEPT_FILES:
        if (out_dir / name).exists():
            shutil.copy2(out_dir / name, staging / name)
    if out_dir.exists():
        os.replace(out_dir, retired)
    os.replace(staging, out_dir)
    if retired.exists():
        shutil.rmtree(retired)


def build_site(
    assessment: Assessment,
    out_dir: Path,
    secret: tokens.Secret,
    folder: Path | None = None,
    manifest: Path | None = None,
    workbook_fingerprint: str = "",
) -> BuildResult:
    """Render, validate and write the site; record its manifest outside it."""
    files, invoices, statements, warnings = render_site(assessment, secret, folder)
    write_tree(files, out_dir)
    hashes = {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())}
    if manifest is not None:
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(
            json.dumps(
                {
                    "as_of": assessment.as_of.isoformat(),
                    "out_dir": str(Path(out_dir).resolve()),
                    "workbook_fingerprint": workbook_fingerprint,
                    "invoices": len(invoices),
                    "statements": len(statements),
                    "files": hashes,
                },
                indent=1,
                sort_keys=True,
            )
        )
    return BuildResult(
        Path(out_dir), hashes, invoices, statements, tuple(warnings), secret.source if secret.created else ""
    )


def unsafe_payment_codes(out_dir: Path) -> list[str]:
    """Every page of a built site whose IBAN or reference does not validate, with what is wrong."""
    found = []
    for page in sorted(Path(out_dir).rglob("*.html")):
        for iban, reference in re.findall(r'data-iban="([^"]*)" data-reference="([^"]*)"', page.read_text()):
            for check, value in ((payment.validate_iban, iban), (payment.validate_reference, reference)):
                try:
                    check(html.unescape(value))
                except payment.PaymentCodeError as exc:
                    found.append(f"{page.relative_to(out_dir)}: {exc}")
    return found

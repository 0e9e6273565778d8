"""The static portal: one private page per invoice and per customer, built aside and swapped in.

The site is cut into units (an invoice's pages, a customer's statement, the shared files), each
with a fingerprint of its inputs. Rendering is deterministic (same inputs, same secret → same
bytes), so a unit whose fingerprint is unchanged is carried over from the previous site. Every
payment code of the units to render is validated and every QR code drawn before anything is
written; pages are then rendered (in worker processes when there are cores to spare, `processes`)
and streamed into a staging folder that `commit` puts in place.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import jinja2
import markupsafe

from ..codes import payment
from ..domain import law, letters
from ..domain.dunning import Assessment, CustomerState, InstallmentState, InvoiceState
from ..domain.ledger import Creditor, LogEntry, Where
from ..domain.money import CENT, ZERO
from ..domain.progress import Progress
from ..domain.stages import CLAIM_STAGES, LADDER, stage_key
from . import cache, calendar, commit, encrypt, headers, i18n, processes, reminders, sources, templating, tokens
from .built import BuildResult, PageLink
from .manifest import Manifest
from .sources import BuildError

CSS_TEMPLATE = "site/portal.css"
NOT_FOUND_PAGE = "404.html"
AGING_BUCKETS = ((1, 30), (31, 60), (61, 90))


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
    qr_png: str = ""  # the QR code as a data: URI, to save as an image (a file beside the page would leak the amount)


def page_link(secret: tokens.Secret, creditor: Creditor, kind: str, key: str) -> PageLink:
    """The private link of one page ("i" invoice or "c" statement), with its key when pages are encrypted."""
    link = PageLink(kind, key, tokens.token(secret, kind, key))
    if creditor.encrypt_pages:
        return PageLink(kind, key, link.token, "#" + encrypt.fragment(encrypt.page_key(secret.key, link.path)))
    return link


def _where(where: Where | None) -> str:
    return f" ({where})" if where else ""


class _Renderer:
    """Holds what every page shares while one site is rendered."""

    def __init__(
        self, assessment: Assessment, secret: tokens.Secret, folder: Path | None, store: cache.QRStore | None = None
    ):
        self.assessment = assessment
        self.creditor: Creditor = assessment.ledger.creditor
        self.secret = secret
        self.folder = folder
        self.env = templating.environment(folder)
        self.letters = reminders.ReminderTemplates(folder)
        self.messages = i18n.load_messages(self.env)
        self.drawings: dict[str, payment.QrDrawings] = {}  # by payload: each code drawn once, whatever the languages
        self.store = store or cache.QRStore(None)  # the codes drawn by earlier builds
        self.notes: list[str] = []  # what the user should know about how the site was made
        self.pngs: dict[str, str] = {}  # by payload: its PNG as a data: URI, encoded once for every language
        self.codes: dict[tuple[str, str, str], tuple[str, str]] = {}  # each payment checked once
        self.css = templating.source(self.env, CSS_TEMPLATE)[0].encode()
        self.css_name = f"portal.{hashlib.sha256(self.css).hexdigest()[:12]}.css"
        self.iban = self._checked_iban()
        self.iban_text = payment.format_iban(self.iban)
        self.bic = self.creditor.bic or payment.bic_for_iban(self.iban)
        self.languages = tuple(dict.fromkeys(lang for lang in self.creditor.site_languages if lang in i18n.LANGUAGES))
        self.formatters: dict[str, i18n.Formatter] = {}
        self.identity = identity(self.creditor)
        self.identities: dict[tuple[str, str], markupsafe.Markup] = {}  # by language and logo address
        self.csp = headers.content_security_policy()
        # A host sends 404.html for any missing address, however deep: its assets are named from the site's root.
        self.site_root = urllib.parse.urlsplit(self.creditor.portal_base_url).path.rstrip("/") + "/"
        self.logo = sources.logo_asset(self.creditor.logo, folder)  # (name in assets/, bytes) or None

    def _checked_iban(self) -> str:
        try:
            return payment.validate_iban(self.creditor.iban)
        except payment.PaymentCodeError as exc:
            raise BuildError(f"Settings, IBAN: {exc}. No page was built: correct the IBAN and build again.") from None

    def formatter(self, lang: str) -> i18n.Formatter:
        lang = lang or self.creditor.default_language
        if lang not in self.formatters:
            self.formatters[lang] = i18n.formatter(lang, self.creditor.country, self.messages)
        return self.formatters[lang]

    def payment_code(self, amount: Decimal, currency: str, reference: str, where: Where | None) -> tuple[str, str]:
        """The checked reference and the EPC payload ('' when there is no QR code) of one amount to pay."""
        key = (str(amount), currency, reference)
        if key not in self.codes:
            self.codes[key] = self._payment_code(amount, currency, reference, where)
        return self.codes[key]

    def _payment_code(self, amount: Decimal, currency: str, reference: str, where: Where | None) -> tuple[str, str]:
        try:
            compact = payment.validate_reference(reference)
        except payment.PaymentCodeError as exc:
            raise BuildError(f"{exc}{_where(where)}. No page was built: correct or clear the reference.") from None
        if currency != "EUR" or amount <= 0:
            return compact, ""
        try:
            return compact, payment.epc_payload(self.creditor.name, self.iban, amount, bic=self.bic, reference=compact)
        except payment.PaymentCodeError as exc:
            raise BuildError(f"The payment QR code cannot be made{_where(where)}: {exc}.") from None

    def drawn(self, payload: str) -> payment.QrDrawings:
        if payload not in self.drawings:
            try:
                self.drawings[payload] = self.store.get(payload) or payment.qr_drawings(payload)
            except payment.PaymentCodeError as exc:
                raise BuildError(f"The payment QR code cannot be made: {exc}.") from None
        return self.drawings[payload]

    def png_uri(self, payload: str) -> str:
        if payload not in self.pngs:
            png = self.drawn(payload).png
            self.pngs[payload] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        return self.pngs[payload]

    def payment_block(
        self, f: i18n.Formatter, amount: Decimal, currency: str, reference: str, where: Where | None
    ) -> PaymentBlock:
        compact, payload = self.payment_code(amount, currency, reference, where)
        label = "reference_rf" if compact.startswith("RF") else "reference_ogm"
        qr, no_qr, png = "", "", ""
        if currency != "EUR":
            no_qr = f.t("no_qr_currency", amount=f.money(amount, currency))
        elif payload:
            title = f.t("qr_title", amount=f.money(amount), name=self.creditor.name)
            qr = payment.titled_svg(self.drawn(payload).svg, title)
            png = self.png_uri(payload)
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
            png,
        )

    def identity_html(self, f: i18n.Formatter, logo: str) -> markupsafe.Markup:
        """Who asks for the money, as every page in `f`'s language shows it (rendered once)."""
        if (f.lang, logo) not in self.identities:
            html = self.env.get_template("site/_identity.html").render(
                f=f, creditor=self.creditor, identity=self.identity, logo=logo
            )
            self.identities[f.lang, logo] = markupsafe.Markup(html)
        return self.identities[f.lang, logo]

    def render(
        self, template: str, path: str, f: i18n.Formatter, alternates: Sequence[tuple[str, ...]], **context: object
    ) -> bytes:
        root = self.site_root if path == NOT_FOUND_PAGE else "../" * path.count("/")
        css = f"{root}assets/{self.css_name}"
        logo = f"{root}assets/{self.logo[0]}" if self.logo else ""
        identity_html = self.identity_html(f, logo)
        try:
            page = self.env.get_template(template).render(
                f=f,
                creditor=self.creditor,
                css=css,
                csp=self.csp,
                script=headers.COPY_SCRIPT,
                alternates=alternates,
                ref=payment.format_reference,
                cent=CENT,
                as_of=self.assessment.as_of,
                days_late=days_late,
                identity=self.identity,
                identity_html=identity_html,
                logo=logo,
                timedelta=timedelta,
                **context,
            )
        except jinja2.TemplateError as exc:  # named here, where the traceback is (pages render in workers)
            raise templating.template_error(exc) from None
        if self.creditor.encrypt_pages and path.startswith(("i/", "c/")):
            page = encrypt.encrypt_page(
                page,
                self.page_key(path.rsplit("/", 1)[0] + "/"),
                lang=f.lang,
                env=self.env,
                css_href=css,
                title=f"{f.t('landing_title')} – {self.creditor.name}",
                csp=self.csp,
                noscript_text=f.t("encrypted_noscript", creditor=self.creditor.name),
                wrong_key_text=f.t("encrypted_wrong_key", creditor=self.creditor.name),
                identity_html=identity_html,
            )
        return page.encode()

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

    def per_language(self, folder: str, customer_lang: str, template: str, **context: object) -> dict[str, bytes]:
        """index.html in the customer's language, <lang>.html for each other site language."""
        main = self.main_language(customer_lang)
        langs = [main] + [lang for lang in self.languages if lang != main]
        names = {lang: ("index.html" if lang == main else f"{lang}.html") for lang in langs}
        fragment = "#" + encrypt.fragment(self.page_key(folder + "/")) if self.creditor.encrypt_pages else ""
        pages = {}
        for lang in langs:
            f = self.formatter(lang)
            alternates = [
                (self.messages["lang_name"][other], names[other] + fragment, other) for other in langs if other != lang
            ]
            pages[f"{folder}/{names[lang]}"] = self.render(
                template,
                f"{folder}/{names[lang]}",
                f,
                alternates,
                **{k: (v(f) if callable(v) else v) for k, v in context.items()},
            )
        return pages


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


def _logged_letter(assessment: Assessment, number: str) -> tuple[LogEntry | None, letters.Letter | None]:
    """The Log row of the highest ladder letter logged for an invoice (prepared or sent), and its record if it
    has one."""
    logged = [
        (LADDER.index(key), entry.date, entry)
        for entry in assessment.ledger.log_of(number)
        if entry.date <= assessment.as_of and (key := stage_key(entry.action)) in LADDER
    ]
    if not logged:
        return None, None
    top = max(logged, key=lambda item: (item[0], item[1]))[2]
    record = letters.read(top.letter)
    return top, record if record is not None and record.stage == stage_key(top.action) else None


MAIL_ADDRESS = i18n.Quoting("@")  # a mailto: link's address


def answers_to(state: InvoiceState) -> tuple[str, ...]:
    """The answers that make sense for an invoice as it stands: a paid one leaves questions only, a disputed one
    is not disputed again, and one on a plan already has its plan."""
    if state.balance <= 0:
        return ("question",)
    if state.status == "disputed":
        return ("paid", "question")
    if state.installments:
        return ("paid", "dispute", "question")
    return ("paid", "dispute", "plan", "question")


def answer_links(
    f: i18n.Formatter, creditor: Creditor, number: str, reference: str, kinds: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(label, mailto: link) for each kind of answer, subject and body prefilled in the page's language."""
    if not creditor.email:
        return []
    links = []
    address = creditor.email.translate(MAIL_ADDRESS)
    for kind in kinds:
        what = f.t(f"answer_{kind}")
        subject = f.mailto_field("answer_subject", what=what, number=number, reference=reference)
        body = f.mailto_field(f"answer_body_{kind}", number=number, reference=reference)
        links.append((what, f"mailto:{address}?subject={subject}&body={body}"))
    return links


def _letter_shown(state: InvoiceState) -> bool:
    return state.balance > 0 and state.status not in ("disputed", "on_hold")


def _calendar_day(state: InvoiceState, deadline: date | None, as_of: date) -> date | None:
    """The one future date the page asks payment by (discount end, the letter's deadline, the due date, a plan's
    next installment), if any."""
    if state.status in ("disputed", "on_hold"):
        return None
    if state.installments:
        upcoming = _next_installment(state)
        return upcoming.installment.due_date if upcoming and upcoming.installment.due_date >= as_of else None
    if state.discount is not None and state.invoice.discount_date and state.invoice.discount_date >= as_of:
        return state.invoice.discount_date
    if deadline is not None:
        return deadline
    return state.invoice.due_date if state.invoice.due_date >= as_of else None


def _next_installment(state: InvoiceState) -> InstallmentState | None:
    return next((i for i in state.installments if i.balance > 0), None)


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


@dataclass(frozen=True)
class _Page:
    """What an invoice's page shows beyond its state: the letter (as recorded), the amount asked, one deadline."""

    stage: str
    record: letters.Letter | None
    claimed: bool
    pay_amount: Decimal
    deadline: date | None
    ics_day: date | None


def _page_of(r: _Renderer, state: InvoiceState, warnings: list[str]) -> _Page:
    assessment, as_of = r.assessment, r.assessment.as_of
    stage = _page_stage(state)
    entry, record = None, None
    if not (state.action_due and state.next_action == stage) and _letter_shown(state):
        entry, record = _logged_letter(assessment, state.invoice.number)  # prepared or sent, as it was written
        stage = record.stage if record is not None else stage
    try:
        if stage and record is None:
            went_out = entry if entry is not None and entry.sent and stage_key(entry.action) == stage else None
            record = reminders.letter_record(
                assessment, state, stage, sent=went_out, channel=reminders.channel_for(state.customer)
            )
    except law.RateMissing as exc:
        warnings.append(f"Invoice {state.invoice.number}: its page shows no letter. {exc}")
        stage = ""
    claimed = stage in CLAIM_STAGES and _claims(state)
    pay_amount = (
        state.claim.total
        if claimed and state.claim
        else state.discount
        if state.discount is not None
        else state.balance
    )
    deadline = record.pay_by if record is not None and record.pay_by and record.pay_by >= as_of else None
    ics_day = _calendar_day(state, deadline, as_of) if state.balance > 0 and not r.creditor.encrypt_pages else None
    return _Page(stage, record, claimed, pay_amount, deadline, ics_day)


def _claims(state: InvoiceState) -> bool:
    return state.claim is not None and bool(state.claim.interest or state.claim.flat_fee)


def _published(state: InvoiceState, as_of: date, retention_days: int) -> bool:
    """An invoice has a page while something is due, and for a while after it is paid."""
    if state.invoice.is_credit_note or state.status == "written_off":
        return False
    if state.balance != 0:
        return True
    return state.paid_on is not None and state.paid_on + timedelta(days=retention_days) >= as_of


PaymentCode = tuple[Decimal, str, str, "Where | None"]  # amount, currency, reference, where


@dataclass(frozen=True)
class _Unit:
    """Files that are rendered together from the same inputs: an invoice's pages, a statement's, the rest."""

    name: str
    key: str  # fingerprint of every input: the same key gives the same bytes
    codes: tuple[PaymentCode, ...]
    make: Callable[[], dict[str, bytes]]


@dataclass(frozen=True)
class _Plan:
    units: tuple[_Unit, ...]
    invoices: dict[str, PageLink]
    statements: dict[str, PageLink]
    warnings: tuple[str, ...]
    sources: tuple[Path, ...]


def _plan(r: _Renderer) -> _Plan:
    """Every unit of the site with the fingerprint of its inputs; nothing is rendered yet."""
    assessment, creditor = r.assessment, r.creditor
    as_of = assessment.as_of
    common = cache.fingerprint(
        cache.code_fingerprint(),
        cache.tree_fingerprint(templating.user_templates_dir(r.folder)),  # the built-in ones are the code's
        creditor,
        as_of,
        hashlib.sha256(r.secret.key).hexdigest(),
        r.languages,
        r.logo[0] if r.logo else "",
    )
    statements = {c.customer.id: r.link("c", c.customer.id) for c in assessment.customers if c.invoices or c.held}
    invoices = {
        s.invoice.number: r.link("i", s.invoice.number)
        for s in assessment.invoices
        if _published(s, as_of, creditor.retention_days)
    }
    units: list[_Unit] = []
    warnings: list[str] = []
    state_keys: dict[str, str] = {}
    claimed: dict[str, Decimal] = {}  # interest and compensation an invoice's page asks on top of its balance

    def state_key(state: InvoiceState) -> str:  # an invoice's state is in its pages and its statement
        number = state.invoice.number
        if number not in state_keys:
            state_keys[number] = cache.fingerprint(state)
        return state_keys[number]

    named = [creditor.logo] + [s.invoice.pdf for s in assessment.invoices if s.invoice.number in invoices]
    sources = sorted({(r.folder / n.strip()).resolve() for n in named if n.strip()}) if r.folder else []
    for state in assessment.invoices:
        link = invoices.get(state.invoice.number)
        if link is None:
            continue
        pdf, warning = _pdf_source(r, state)
        if warning:
            warnings.append(warning)
        owed = state.balance > 0 and not state.installments
        shown = _page_of(r, state, warnings)
        if shown.claimed and state.claim is not None:  # claims are made in euros only
            claimed[state.invoice.number] = state.claim.interest + state.claim.flat_fee
        pay_amount = shown.pay_amount
        currency = state.invoice.currency
        codes = ([(pay_amount, currency, state.reference, state.invoice.where)] if owed else []) + [
            (i.balance, currency, i.reference, i.installment.where) for i in state.installments
        ]
        customer = state.customer
        statement = statements.get(customer.id) if customer else None
        pdf_stamp = (str(pdf), pdf.stat().st_size, pdf.stat().st_mtime_ns) if pdf else None
        record = shown.record.to_json() if shown.record else ""
        key = cache.fingerprint(common, "i", state_key(state), statement, pdf_stamp, shown.stage, record, shown.ics_day)
        make = partial(_invoice_files, r, state, link, statement, pdf, owed, shown)
        units.append(_Unit(link.path, key, tuple(codes), make))
    for customer_state in assessment.customers:
        link = statements.get(customer_state.customer.id)
        if link is None:
            continue
        item_links = {
            i.invoice.number: invoices[i.invoice.number]
            for i in (*customer_state.invoices, *customer_state.held)
            if i.invoice.number in invoices
        }
        extras = {
            i.invoice.number: claimed[i.invoice.number] for i in customer_state.invoices if i.invoice.number in claimed
        }
        total = customer_state.total + sum(extras.values(), ZERO)
        codes = [(total, "EUR", customer_state.reference, customer_state.customer.where)]
        items = {f.name: getattr(customer_state, f.name) for f in fields(CustomerState)}
        items.update(
            invoices=[state_key(i) for i in customer_state.invoices], held=[state_key(i) for i in customer_state.held]
        )
        key = cache.fingerprint(common, "c", items, item_links, extras)
        make = partial(_statement_files, r, customer_state, link, item_links, extras, total)
        units.append(_Unit(link.path, key, tuple(codes if total > 0 else ()), make))
    units.append(_Unit("", cache.fingerprint(common, "site"), (), partial(_common_files, r)))
    return _Plan(tuple(units), invoices, statements, tuple(warnings), tuple(sources))


def _invoice_files(
    r: _Renderer,
    state: InvoiceState,
    link: PageLink,
    statement: PageLink | None,
    pdf: Path | None,
    owed: bool,
    shown: _Page,
) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    if pdf is not None:
        files[f"{link.path}invoice.pdf"] = pdf.read_bytes()
    customer = state.customer
    creditor = r.creditor

    pay_amount = shown.pay_amount
    main = r.main_language(customer.language if customer else "")

    def blocks(f: i18n.Formatter) -> object:
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

    def letter(f: i18n.Formatter) -> str:
        record = shown.record
        if not shown.stage or record is None:
            return ""
        context = reminders.reminder_context(
            r.assessment, state, record.stage, f, absolute_url(creditor, link), letter=record
        )
        return r.letters.html(record.stage, f.lang, context)

    def answers(f: i18n.Formatter) -> object:
        reference = payment.format_reference(state.reference)
        return answer_links(f, creditor, state.invoice.number, reference, answers_to(state))

    def statement_link(f: i18n.Formatter) -> str:
        return r.href_in(statement, f.lang, main) if statement is not None else ""

    files.update(
        r.per_language(
            link.path.rstrip("/"),
            customer.language if customer else "",
            "site/invoice.html",
            state=state,
            customer=customer,
            pdf="invoice.pdf" if pdf is not None else "",
            letter=letter,
            claim=state.claim if shown.claimed else None,
            statement=statement_link,
            blocks=blocks,
            answers=answers,
            calendar=shown.ics_day is not None,
            deadline=shown.deadline,
            held=state.status in ("disputed", "on_hold"),
        )
    )
    if shown.ics_day is not None:  # a calendar file cannot be encrypted: it would show the amount
        f = r.formatter(customer.language if customer else "")
        upcoming = _next_installment(state)
        summary = (
            f.t(
                "calendar_event_installment",
                number=state.invoice.number,
                installment=upcoming.installment.number,
                amount=f.money(upcoming.balance, state.invoice.currency),
            )
            if upcoming
            else f.t("calendar_event", number=state.invoice.number, amount=f.money(pay_amount, state.invoice.currency))
        )
        files[f"{link.path}due.ics"] = calendar.due_ics(
            f"{link.token}@debtor-portal",
            shown.ics_day,
            summary,
            absolute_url(creditor, link),
            r.assessment.as_of,
        )
    return files


def _statement_files(
    r: _Renderer,
    c: CustomerState,
    link: PageLink,
    pages: dict[str, PageLink],
    claimed: dict[str, Decimal],
    total: Decimal,
) -> dict[str, bytes]:
    """The statement of one customer: `claimed` holds the interest and compensation its invoices' pages ask on top
    of their balances, which the total includes."""
    owed = total > 0
    main = r.main_language(c.customer.language)

    def item_links(f: i18n.Formatter) -> object:
        return {number: r.href_in(page, f.lang, main) for number, page in pages.items()}

    def statement_blocks(f: i18n.Formatter) -> object:
        return {"pay": r.payment_block(f, total, "EUR", c.reference, c.customer.where) if owed else None}

    return r.per_language(
        link.path.rstrip("/"),
        c.customer.language,
        "site/statement.html",
        c=c,
        customer=c.customer,
        claimed=claimed,
        total=total,
        item_links=item_links,
        other_currencies=sorted({i.invoice.currency for i in c.invoices if i.invoice.currency != "EUR"}),
        aging=_aging(c.invoices),
        buckets=AGING_BUCKETS,
        blocks=statement_blocks,
    )


def _common_files(r: _Renderer) -> dict[str, bytes]:
    files = {f"assets/{r.css_name}": r.css}
    if r.logo:
        files[f"assets/{r.logo[0]}"] = r.logo[1]
    landing = r.formatter(r.creditor.default_language)
    for path in ("assets/index.html", "i/index.html", "c/index.html"):  # no host lists a folder
        files[path] = r.render("site/landing.html", path, landing, [])
    default = r.creditor.default_language
    home = [default] + [lang for lang in r.languages if lang != default]
    names = {lang: "index.html" if n == 0 else f"{lang}.html" for n, lang in enumerate(home)}
    for lang in home:
        alternates = [(r.messages["lang_name"][o], names[o], o) for o in home if o != lang]
        files[names[lang]] = r.render("site/landing.html", names[lang], r.formatter(lang), alternates)
    others = [r.formatter(lang) for lang in home[1:]]
    files[NOT_FOUND_PAGE] = r.render("site/404.html", NOT_FOUND_PAGE, landing, [], others=others)
    files["robots.txt"] = b"User-agent: *\nDisallow: /\n"
    files[headers.HEADERS_FILE] = headers.headers_file().encode()
    return files


def absolute_url(creditor: Creditor, link: PageLink) -> str:
    """The page's address as debtors receive it: under the portal's base URL, with its key fragment."""
    base = creditor.portal_base_url.rstrip("/") + "/" if creditor.portal_base_url else ""
    return base + link.path + link.fragment


def _pdf_source(r: _Renderer, state: InvoiceState) -> tuple[Path | None, str]:
    """The invoice's PDF to publish beside its page (only files inside the workbook's folder), or a warning."""
    name = state.invoice.pdf
    if not name or r.folder is None:
        return None, ""
    if r.creditor.encrypt_pages:
        return None, (
            f"PDF file '{name}'{_where(state.invoice.where)} not published: pages are encrypted and a PDF cannot be."
        )
    source = sources.in_folder(r.folder, name, f"The PDF file '{name}'{_where(state.invoice.where)}", "the PDF")
    if not source.is_file():
        return None, f"PDF file '{name}' not found{_where(state.invoice.where)}: the page has no PDF link."
    return source, ""


@dataclass(frozen=True)
class _Job:
    """What a worker process needs: inherited when it forks, made again from a `_Recipe` when it is spawned."""

    renderer: _Renderer
    units: tuple[_Unit, ...]
    staging: Path
    out_dir: Path
    previous: dict[str, cache.FileStamp]  # the files of the site in place, when only changes are written


_job: _Job | None = None


@dataclass(frozen=True)
class _Recipe:
    """What a spawned worker process (Windows, macOS) is sent to plan the same units as its parent."""

    assessment: Assessment
    secret: tokens.Secret
    folder: Path | None
    qr_folder: Path | None  # the codes the parent drew, read back rather than drawn again
    names: tuple[str, ...]
    staging: Path
    out_dir: Path
    previous: dict[str, cache.FileStamp]


def _start_spawned(recipe: _Recipe) -> None:
    global _job
    r = _Renderer(recipe.assessment, recipe.secret, recipe.folder, cache.QRStore(recipe.qr_folder))
    units = {unit.name: unit for unit in _plan(r).units}
    _job = _Job(r, tuple(units[name] for name in recipe.names), recipe.staging, recipe.out_dir, recipe.previous)


def _write_units(indices: list[int]) -> list[tuple[int, dict[str, cache.FileStamp]]]:
    """Render units and write into the staging folder the files that differ from the site in place."""
    job = _job
    assert job is not None
    done = []
    folders = cache.Folders()
    for index in indices:
        stamps = {}
        for relative, data in sorted(job.units[index].make().items()):
            sha = hashlib.sha256(data).hexdigest()
            old = job.previous.get(relative)
            if old and old[0] == sha and cache.unchanged_on_disk(job.out_dir / relative, old):
                stamps[relative] = old
                continue
            target = job.staging / relative
            folders.make(target.parent)
            target.write_bytes(data)
            stamps[relative] = cache.stamp(target, sha)
        done.append((index, stamps))
    return done


def _draw_all(store: cache.QRStore, payloads: list[str]) -> list[payment.QrDrawings]:
    """Each payload's drawings, kept in the cache as they are drawn (by each worker process)."""
    drawings = []
    for payload in payloads:
        drawings.append(payment.qr_drawings(payload))
        store.put(payload, drawings[-1])
    return drawings


def build_site(
    assessment: Assessment,
    out_dir: Path,
    secret: tokens.Secret,
    folder: Path | None = None,
    manifest: Path | None = None,
    *,
    workbook_fingerprint: str = "",
    workers: int | None = None,
    progress: Progress | None = None,
) -> BuildResult:
    """Render, validate and write the site; record its manifest (and the build cache beside it) outside it.

    Only units whose inputs changed are rendered; every payment code they carry is checked and
    every QR code drawn before a file is written; the files whose bytes changed are staged beside
    `out_dir` and moved in together (a first build is swapped in whole). Nothing changed, nothing is
    written. Interrupted, the previous site stays as it was.
    """
    out_dir = Path(out_dir).resolve()
    commit.finish_commit(out_dir)
    cache_dir = cache.folder_beside(manifest) if manifest is not None else None
    r = _Renderer(assessment, secret, folder, cache.QRStore(cache_dir / "qr" if cache_dir else None))
    plan = _plan(r)
    index = cache.UnitIndex(cache_dir / "units.json" if cache_dir else None)
    previous = index.units if index.out_dir == str(out_dir) and out_dir.is_dir() else {}
    reused: dict[str, cache.Unit] = {}
    todo: list[_Unit] = []
    for unit in plan.units:
        old = previous.get(unit.name)
        if old is not None and old.key == unit.key and cache.on_disk(out_dir, old):
            reused[unit.name] = old
        else:
            todo.append(unit)
    payloads = {payload for unit in todo for code in unit.codes if (payload := r.payment_code(*code)[1])}
    units = dict(reused)
    if todo or set(reused) != set(previous) or not cache.holds_only(out_dir, reused.values()):
        store = r.store
        missing = []
        for payload in sorted(payloads):
            drawn = store.get(payload)
            if drawn is None:
                missing.append(payload)
            else:
                r.drawings[payload] = drawn
        total = len(missing) + len(todo)
        try:
            drawings = processes.run(
                partial(_draw_all, store), missing, workers, progress, 0, total, "QR codes", r.notes
            )
        except payment.PaymentCodeError as exc:
            raise BuildError(f"A payment QR code cannot be made: {exc}.") from None
        r.drawings.update(zip(missing, drawings))
        units = _write_site(r, plan, todo, reused, previous, out_dir, workers, progress, len(missing), total)
    if units != previous:
        index.save(out_dir, units)
    hashes = dict(sorted((path, stamp[0]) for unit in units.values() for path, stamp in unit.files.items()))
    if manifest is not None:
        Manifest(
            as_of=assessment.as_of,
            out_dir=str(out_dir),
            workbook_fingerprint=workbook_fingerprint,
            secret_fingerprint=secret.fingerprint,
            invoices=len(plan.invoices),
            statements=len(plan.statements),
            files=hashes,
        ).save(manifest)
    return BuildResult(
        out_dir,
        hashes,
        plan.invoices,
        plan.statements,
        plan.warnings,
        secret.source if secret.created else "",
        rendered=len(todo),
        reused=len(reused),
        sources=plan.sources,
        notes=tuple(r.notes),
    )


def _write_site(
    r: _Renderer,
    plan: _Plan,
    todo: list[_Unit],
    reused: dict[str, cache.Unit],
    previous: dict[str, cache.Unit],
    out_dir: Path,
    workers: int | None,
    progress: Progress | None,
    done: int,
    total: int,
) -> dict[str, cache.Unit]:
    """Write the files that changed beside `out_dir`, then move them in: never a half-written site.

    A first build (or one over a folder this cache does not describe) is assembled whole and swapped
    in. Later builds stage only the files whose bytes changed and commit them with a journal, so an
    interrupted commit is finished by the next build; interrupted before, the site is as it was."""
    global _job
    staging = commit.staging_of(out_dir)
    in_place = bool(previous) and out_dir.is_dir()
    old_files = {path: stamp for unit in previous.values() for path, stamp in unit.files.items()} if in_place else {}
    try:
        staging.mkdir(parents=True)
        _job = _Job(r, tuple(todo), staging, out_dir, old_files)
        setup: processes.Setup | None = None
        if processes.START_METHOD != "fork":
            names = tuple(unit.name for unit in todo)
            recipe = _Recipe(r.assessment, r.secret, r.folder, r.store.folder, names, staging, out_dir, old_files)
            setup = (_start_spawned, (recipe,))
        try:
            written = processes.run(
                _write_units, list(range(len(todo))), workers, progress, done, total, "pages", r.notes, setup
            )
        finally:
            _job = None
        units = dict(reused)
        for index, stamps in written:
            units[todo[index].name] = cache.Unit(todo[index].key, stamps)
        if in_place:
            keep = {path for unit in units.values() for path in unit.files}
            commit.commit(staging, out_dir, keep)
            return units
        commit.swap(staging, out_dir)
    except BaseException:
        commit.discard(staging)
        raise
    return units


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

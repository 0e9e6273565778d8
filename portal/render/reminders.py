"""Reminder e-mails: Markdown templates with YAML front matter, rendered to a subject, plain text and HTML.

Templates live in `templates/reminders/<lang>/<stage>.md`; a file with the same name in the `templates/`
folder next to the user's workbook overrides the built-in one (see portal.render.templating).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from numbers import Number
from pathlib import Path
from types import SimpleNamespace

import jinja2
import markdown
import yaml

from ..codes import payment
from ..domain import dunning, law, letters
from ..domain.languages import LANGUAGES
from ..domain.ledger import Customer, LogEntry
from ..domain.money import CENT, ZERO
from ..domain.stages import CLAIM_STAGES, Channel, Stage
from ..workbook.cells import is_email_address
from .templating import TemplateError, environment
from .templating import source as template_source

STAGES = tuple(Stage)
TONES = ("friendly", "neutral", "firm", "formal", "warm")
SUBJECT_MAX = 200

# C0/C1 controls except \t and \n (this also drops Python-Markdown's \x02/\x03 placeholders), and the
# bidi embedding/override/isolate controls that can make a name display the following text reversed.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"\s*\n\s*")
# Markdown writes attributes double-quoted; only web and mail links survive (a template may put a value in a link).
_UNSAFE_LINK = re.compile(r'\b(href|src)="(?!https?:|mailto:)[^"]*"', re.IGNORECASE)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


@dataclass(frozen=True)
class Reminder:
    stage: str
    lang: str
    subject: str
    text: str  # the rendered Markdown source: readable as a plain-text e-mail
    html: str  # an HTML fragment, for the body of an HTML e-mail
    tone: str


def _clean(value: str) -> str:
    return _CONTROL.sub("", value)


class _Wrapped:
    """Gives the wrapped object's attributes and items with `convert` applied to every string in them."""

    __slots__ = ("_convert", "_obj", "_path")

    def __init__(self, obj, convert, path):
        self._obj, self._convert, self._path = obj, convert, path

    def __getattr__(self, name):
        try:
            value = getattr(self._obj, name)
        except AttributeError:
            if name.startswith("_"):  # Jinja probes e.g. __html__ with hasattr
                raise
            # What a template author can act on, rather than "'_Wrapped object' has no attribute".
            return jinja2.StrictUndefined(hint=f"{self._path!r} has no attribute {name!r}")
        return _convert_all(value, self._convert, f"{self._path}.{name}")

    def __getitem__(self, key):
        return _convert_all(self._obj[key], self._convert, f"{self._path}[{key!r}]")

    def __str__(self):
        return self._convert(str(self._obj))


class TypedText(str):
    """Text as the creditor typed it (a description, an order reference): in the language it was typed in,
    `lang` ("" when unknown), which need not be the letter's. The letter's HTML marks it so."""

    lang: str

    def __new__(cls, text: str, lang: str) -> TypedText:
        typed = super().__new__(cls, text)
        typed.lang = lang
        return typed


def _convert_all(value, convert, path=""):
    if isinstance(value, TypedText):
        return TypedText(convert(value), value.lang)
    if isinstance(value, str):
        return convert(value)
    if value is None or isinstance(value, Number):
        return value
    if isinstance(value, dict):
        return {k: _convert_all(v, convert, f"{path}.{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_convert_all(v, convert, f"{path}[{i}]") for i, v in enumerate(value)]
    return _Wrapped(value, convert, path)


@dataclass(frozen=True)
class _Compiled:
    filename: str
    tone: str
    subject: jinja2.Template
    body: jinja2.Template


class ReminderTemplates:
    """The reminder templates of one workbook, each read and compiled once."""

    def __init__(self, folder: Path | None = None):
        self.env = environment(folder, autoescape=False, finalize=_as_placeholder)
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._converted: dict[str, str] = {}  # Markdown with placeholders -> HTML with placeholders

    def _load(self, stage: str, lang: str) -> _Compiled:
        if stage not in STAGES:
            raise ValueError(f"unknown reminder stage {stage!r} (expected one of {', '.join(STAGES)})")
        if lang not in LANGUAGES:
            raise ValueError(f"unknown reminder language {lang!r} (expected one of {', '.join(LANGUAGES)})")
        if (stage, lang) in self._compiled:
            return self._compiled[stage, lang]
        name = f"reminders/{lang}/{stage}.md"
        try:
            source, filename = template_source(self.env, name)
        except jinja2.TemplateNotFound:
            raise TemplateError(f"reminder template {name} not found") from None
        source = source.removeprefix("\ufeff").replace("\r\n", "\n")  # as saved by Windows Notepad

        front, body = _split_front_matter(source, filename)
        tone = front.get("tone", "neutral")
        if front.get("stage", stage) != stage:
            raise TemplateError(f"{filename}: front matter says stage {front['stage']!r}, expected {stage!r}")
        if tone not in TONES:
            raise TemplateError(f"{filename}: tone {tone!r} is not one of {', '.join(TONES)}")
        compiled = _Compiled(
            filename,
            tone,
            _compile(self.env, front["subject"], _subject_label(filename)),
            _compile(self.env, body, filename),
        )
        self._compiled[stage, lang] = compiled
        return compiled

    def render(self, stage: str, lang: str, context: dict) -> Reminder:
        t = self._load(stage, lang)
        plain = _convert_all(context, _clean)
        subject_label = _subject_label(t.filename)
        subject = " ".join(_render(t.subject, plain, subject_label).split())
        if not subject:
            raise TemplateError(f"{subject_label}: the subject is empty")
        if len(subject) > SUBJECT_MAX:
            subject = subject[: SUBJECT_MAX - 1].rstrip() + "…"
        text = _render(t.body, plain, t.filename).strip() + "\n"
        return Reminder(stage, lang, subject, text, self._html(t, plain), t.tone)

    def html(self, stage: str, lang: str, context: dict) -> str:
        """The reminder's body as an HTML fragment, as `render(...).html` gives it."""
        return self._html(self._load(stage, lang), _convert_all(context, _clean))

    def _html(self, t: _Compiled, plain: dict) -> str:
        """Markdown is converted once per shape of the text: every value the template prints enters it as
        a placeholder, so that letters differing only in names, dates and amounts share one conversion
        (and no value can ever be read as Markdown or HTML)."""
        values: list[tuple[str, str | None]] = []
        source = _render(t.body, {**plain, _VALUES: values}, t.filename)
        source = _AUTOLINK.sub(lambda m: _link_of(m, values), source)
        if source not in self._converted:
            self._converted[source] = markdown.markdown(source, extensions=["tables", "sane_lists", "nl2br"])

        def in_tag(tag: re.Match[str]) -> str:  # an attribute's value: the text alone
            return _PLACEHOLDER.sub(lambda m: values[int(m.group(1))][0], tag.group(0))

        def in_text(m: re.Match[str]) -> str:  # the page's text: typed text keeps the language it was typed in
            text, lang = values[int(m.group(1))]
            return f'<span lang="{lang}">{text}</span>' if lang is not None and text else text

        body_html = _PLACEHOLDER.sub(in_text, _TAG.sub(in_tag, self._converted[source]))
        return _UNSAFE_LINK.sub(r'\1="#"', body_html)


_VALUES = "_html_values"  # in a render's context: the values printed so far, HTML-escaped, with their language
_TAG = re.compile(r"<[^<>]*>")
_PLACEHOLDER = re.compile("\ue000([0-9]+)\ue001")
_AUTOLINK = re.compile("<(\ue000([0-9]+)\ue001)>")


@jinja2.pass_context
def _as_placeholder(context: jinja2.runtime.Context, value: object) -> object:
    values = context.get(_VALUES)
    if values is None:
        return value
    text = html.escape(_LINE_BREAKS.sub(" ", _clean(str(value))).replace("\t", " ").strip())
    values.append((text, value.lang if isinstance(value, TypedText) else None))
    return f"\ue000{len(values) - 1}\ue001"


def _link_of(match: re.Match[str], values: list[tuple[str, str | None]]) -> str:
    """`<{{ url }}>`: a web or mail address becomes a link, as Markdown's autolinks are."""
    url = html.unescape(values[int(match.group(2))][0])
    if not url.startswith(("http://", "https://", "mailto:")) or " " in url:
        return match.group(0)
    return f"[{match.group(1)}]({match.group(1)})"


def _subject_label(filename: str) -> str:
    return f"{filename}, front matter 'subject'"


def render_reminder(stage: str, lang: str, context: dict, *, folder: Path | None = None) -> Reminder:
    """Render one reminder; user templates in the workbook's `folder` win over the built-in ones."""
    return ReminderTemplates(folder).render(stage, lang, context)


def _split_front_matter(source: str, filename: str) -> tuple[dict, str]:
    match = _FRONT_MATTER.match(source)
    if not match:
        raise TemplateError(f"{filename}: missing front matter (a '---' line, 'subject: ...', then '---')")
    try:
        front = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        hint = " (a value containing '{{' must be in quotes)" if "{" in (match.group(1) or "") else ""
        raise TemplateError(f"{filename}: bad front matter{hint}: {exc}") from None
    if not isinstance(front, dict) or not isinstance(front.get("subject"), str) or not front["subject"].strip():
        raise TemplateError(f"{filename}: the front matter needs a 'subject' text")
    # Blank lines in place of the front matter keep Jinja's line numbers equal to the file's.
    return front, "\n" * match.group(0).count("\n") + source[match.end() :]


def _compile(env: jinja2.Environment, source: str, filename: str) -> jinja2.Template:
    """A template from a part of a reminder file, compiled once and kept as Jinja's loader keeps files."""
    kept = env.bytecode_cache
    bucket = kept.get_bucket(env, filename, filename, source) if kept is not None else None
    code = bucket.code if bucket is not None else None
    if code is None:
        try:
            code = env.compile(source, filename=filename)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{filename}, line {exc.lineno}: {exc.message}") from None
        if kept is not None and bucket is not None:
            bucket.code = code
            kept.set_bucket(bucket)
    return env.template_class.from_code(env, code, env.make_globals(None))


def _render(template: jinja2.Template, context: dict, filename: str) -> str:
    try:
        return template.render(context)
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"{filename}{_line(exc, filename)}: {exc}") from exc


def _line(exc: Exception, filename: str) -> str:
    """', line N' from the traceback frames Jinja maps back to the template file, or ''."""
    lines = []
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            lines.append(tb.tb_lineno)
        tb = tb.tb_next
    return f", line {lines[-1]}" if lines else ""


def enterprise_number(creditor) -> tuple[str, str]:
    """(label key, number) as a letter prints it: the Belgian enterprise number without its VAT prefix
    ("0403.170.701"), or a French creditor's SIREN."""
    raw = creditor.enterprise_number.strip()
    if not raw:
        return "", ""
    if creditor.country == "FR":
        digits = "".join(c for c in raw if c.isdigit())
        siren = digits[-9:] if len(digits) >= 9 else digits
        return "enterprise_label_fr", " ".join((siren[:3], siren[3:6], siren[6:])) if len(siren) == 9 else raw
    compact = payment.compact_enterprise_number(raw)
    return "enterprise_label_be", compact


def channel_for(customer: Customer | None) -> Channel:
    """A reminder goes by e-mail to a customer with an address, else by post."""
    return Channel.EMAIL if customer is not None and is_email_address(customer.email) else Channel.POST


def letter_record(
    assessment, state, stage: str, installment=None, sent: LogEntry | None = None, channel: str = "email"
) -> letters.Letter:
    """Today's letter for one invoice (or installment) at one stage, going out by `channel`, as its Log row keeps
    it; with `sent`, the Log row of a letter that went out without its record, the letter dated as it went out
    and giving the deadline it gave.

    Raises law.RateMissing when a claim stage or a consumer's first reminder needs a rate the tables do
    not have: such a letter is not written until the rate is added."""
    ledger = assessment.ledger
    creditor, customer = ledger.creditor, state.customer
    consumer = bool(customer and customer.kind.upper() == "B2C")
    as_of = (sent.sent or sent.date) if sent is not None else assessment.as_of
    balance = installment.balance if installment is not None else state.balance
    claim = None
    if stage in CLAIM_STAGES and installment is None and state.claim is None and state.balance > 0:
        for phrase in state.reason:  # the claim could not be computed: say why rather than write a letter without it
            if phrase.key == "no_rate":
                raise law.RateMissing(dict(phrase.params)["why"])
    if (
        stage in CLAIM_STAGES
        and installment is None
        and state.claim is not None
        and (state.claim.interest or state.claim.flat_fee)
    ):
        claim = state.claim
    if sent is not None:
        channel = sent.channel or "email"
    notice = _b2c_notice(ledger, as_of, channel, max(balance, ZERO)) if stage == Stage.REMINDER_1 and consumer else None
    deadline = (
        dunning.deadline(sent, creditor, consumer)
        if sent is not None
        else dunning.pay_by(stage, as_of, creditor.country, consumer=consumer, gap=creditor.min_gap_days)
    )
    return letters.Letter(
        stage=stage,
        date=as_of,
        pay_by=deadline,
        balance=max(balance, ZERO),
        paid=state.paid,
        claim=claim,
        notice=notice,
        agent=creditor.collection_agent.strip() if stage == Stage.HANDOVER else "",
        after_claim=stage == Stage.THANK_YOU and state.stage in CLAIM_STAGES,
    )


def _b2c_notice(ledger, sent: date, channel: str, outstanding: Decimal) -> letters.Notice | None:
    """What a Belgian consumer's first reminder must announce (Code of Economic Law, Book XIX): the end of
    the 14 days (which start later for a letter posted than for an e-mail), and the interest rate and fixed
    compensation the general terms provide, never above the legal maximum for `outstanding` (nothing at all
    without the creditor's enterprise number). The claim later holds to what was announced."""
    creditor = ledger.creditor
    if creditor.country != "BE":
        return None
    grace_end = law.b2c_grace_end(sent, channel if channel in law.PAPER_CHANNELS else "email")
    allowed = creditor.b2c_terms_allow_damages and bool(creditor.enterprise_number.strip())
    rate = fee = None
    legal_rate = False
    if allowed and creditor.interest_rule != "none" and not creditor.waive_extras:
        wanted = creditor.b2c_interest_rate
        if wanted is None and creditor.interest_rule == "contractual":
            wanted = creditor.interest_rate
        statutory = law.statutory_rates("BE", creditor.later_legal_rate)
        try:
            ceiling = law.rate_on(statutory, grace_end + law.ONE_DAY).rate
        except law.RateMissing:
            if wanted is None or wanted > law.B2C_SAFE_RATE:
                raise
            ceiling = wanted  # within every half-year's ceiling so far
        rate = ceiling if wanted is None else min(wanted, ceiling)
        legal_rate = wanted is None
    if allowed and creditor.flat_fee and not creditor.waive_extras:
        cap = law.b2c_indemnity_cap(outstanding)
        fee = cap if creditor.b2c_fixed_compensation is None else min(creditor.b2c_fixed_compensation, cap)
    return letters.Notice(grace_end, rate, fee, legal_rate)


def _claim_context(claim: law.Claim | None, creditor, f) -> SimpleNamespace | None:
    if claim is None or claim.basis == "none" or not (claim.interest or claim.flat_fee):
        return None
    segments = claim.interest_detail.segments if claim.interest_detail else ()
    contract = creditor.interest_rule == "contractual" and claim.basis != "be_b2c"
    interest_key = "claim_interest_line_fr" if creditor.country == "FR" else "claim_interest_line"
    lines = [
        SimpleNamespace(
            text=f.t(
                interest_key,
                start=f.day(s.start),
                end=f.day(s.end),
                days=s.days,
                rate=f.percent(s.rate),
            ),
            amount=f.money(s.amount.quantize(CENT)),
        )
        for s in segments
    ]
    if not segments and claim.interest:
        lines.append(SimpleNamespace(text=f.t("claim_interest_left"), amount=f.money(claim.interest)))
    return SimpleNamespace(
        principal=f.money(claim.principal),
        interest=f.money(claim.interest),
        interest_lines=lines,
        flat_fee=f.money(claim.flat_fee) if claim.flat_fee else "",
        total=f.money(claim.total),
        rate=f.percent(segments[-1].rate) if segments else "",
        from_day=f.day(claim.from_day),
        legal_basis=f.t(f"legal_basis_{claim.basis}"),  # an agreed rate too runs under the law, as the fee does
        by_law=not contract and claim.basis != "be_b2c",
    )


def _notice_context(notice: letters.Notice | None, f) -> SimpleNamespace | None:
    if notice is None:
        return None
    return SimpleNamespace(
        grace_end=f.day(notice.grace_end),
        interest_rate=f.percent(notice.rate) if notice.rate is not None else "",
        indemnity=f.money(notice.fee) if notice.fee is not None else "",
    )


def reminder_context(
    assessment, state, stage: str, f, link: str, installment=None, letter: letters.Letter | None = None
) -> dict:
    """Everything a reminder template may use, formatted for the reader's language.

    The dates and amounts a letter states come from its record (`letter`, else today's), so that a letter
    shown again reads as it was sent. With `installment` (a late installment of a payment plan), the
    reminder is about that installment only: its number, due date, amount and reference."""
    creditor, invoice = assessment.ledger.creditor, state.invoice
    letter = letter or letter_record(assessment, state, stage, installment)
    customer = state.customer
    number, due, reference, days = (invoice.number, invoice.due_date, state.reference, state.days_overdue)
    if installment is not None:
        plan = installment.installment
        number = f"{invoice.number} ({plan.number}/{len(state.installments)})"
        due, reference, days = (plan.due_date, installment.reference, installment.days_overdue)
    label, number_text = enterprise_number(creditor)
    claim = _claim_context(letter.claim, creditor, f)
    consumer = bool(customer and customer.kind.upper() == "B2C")
    typed_in = customer.language if customer and customer.language in LANGUAGES else ""
    return {
        "creditor": SimpleNamespace(
            name=creditor.name,
            address=creditor.address,
            enterprise_number=number_text,
            enterprise_label=f.t(label) if label else "",
            iban=payment.format_iban(creditor.iban),
            bic=creditor.bic or payment.bic_for_iban(creditor.iban),
            email=creditor.email,
            phone=creditor.phone,
            french=creditor.country == "FR",
        ),
        "customer": SimpleNamespace(
            name=customer.name if customer else invoice.customer_id, kind=customer.kind if customer else "B2B"
        ),
        "invoice": SimpleNamespace(
            number=number,
            description=TypedText(invoice.description, typed_in),
            order_ref=TypedText(invoice.order_ref, typed_in),
            issue_date=f.day(invoice.issue_date),
            due_date=f.day(due),
            amount=f.money(invoice.amount, invoice.currency),
            paid=f.money(letter.paid, invoice.currency),
            balance=f.money(letter.balance, invoice.currency),
            reference=payment.format_reference(reference),
            days_overdue=days,
        ),
        "link": link,
        "pay_by": f.day(letter.pay_by),
        "today": f.day(letter.date),
        "claim": claim,
        "asked": claim.total if claim else f.money(letter.balance, invoice.currency),
        "b2c": consumer,
        "b2c_notice": _notice_context(letter.notice, f),
        "payment_received": f.money(letter.paid, invoice.currency) if stage == Stage.THANK_YOU else "",
        "confirmation": letter.after_claim,
        "agent": letter.agent,
        "interest_word": f.t("term_interest_fr" if creditor.country == "FR" else "term_interest"),
        "fee_word": f.t("term_fee"),
    }

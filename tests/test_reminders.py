import re
from html.parser import HTMLParser
from types import SimpleNamespace as NS

import pytest

from portal.render.reminders import LANGUAGES, STAGES, Reminder, TypedText, render_reminder
from portal.render.templating import TemplateError

LEGAL_BASIS = "Loi du 2 août 2002 concernant la lutte contre le retard de paiement dans les transactions commerciales"


def make_context(*, claim=True, b2c=False, stage="reminder_1"):
    return {
        "creditor": NS(
            name="Atelier Dupont SRL",
            address="Rue de la Loi 16, 1000 Bruxelles",
            enterprise_number="0123.456.749",
            enterprise_label="N° BCE",
            iban="BE68 5390 0754 7034",
            bic="GKCCBEBB",
            email="compta@atelier-dupont.be",
            phone="+32 2 123 45 67",
            french=False,
        ),
        "customer": NS(name="Marie Peeters" if b2c else "Boulangerie Lemaire SA", kind="B2C" if b2c else "B2B"),
        "invoice": NS(
            number="F-2025-0142",
            description="Entretien annuel de la chaudière",
            order_ref="PO-7781",
            issue_date="03/03/2025",
            due_date="02/04/2025",
            amount="1.250,00 €",
            paid="250,00 €",
            balance="0,00 €" if stage == "thank_you" else "1.000,00 €",
            reference="+++090/9337/55493+++",
            days_overdue=40,
        ),
        "link": "https://pay.atelier-dupont.be/p/9f3a-77c1?k=Zm9v&v=2",
        "pay_by": "" if stage in ("nudge", "reminder_1", "handover", "thank_you") else "19/05/2025",
        "today": "12/05/2025",
        "claim": NS(
            interest="11,51 €",
            flat_fee="40,00 €",
            total="1.051,51 €",
            rate="10,5 %",
            from_day="03/04/2025",
            legal_basis=LEGAL_BASIS,
            interest_lines=[
                NS(text="Intérêts de retard du 03/04/2025 au 12/05/2025 (40 jours à 10,5 %)", amount="11,51 €")
            ],
            by_law=True,
        )
        if claim
        else None,
        "b2c": b2c,
        "b2c_notice": NS(grace_end="27/05/2025", interest_rate="10,5 %", indemnity="90,00 €") if b2c else None,
        "payment_received": "1.000,00 €" if stage == "thank_you" else "",
        "confirmation": False,
        "agent": "",
        "interest_word": "intérêts de retard",
        "fee_word": "indemnité forfaitaire pour frais de recouvrement",
    }


ALL = [(stage, lang) for stage in STAGES for lang in LANGUAGES]
VARIANTS = [(claim, b2c) for claim in (True, False) for b2c in (False, True)]


class Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src")]


def hrefs(html):
    parser = Hrefs()
    parser.feed(html)
    return parser.hrefs


@pytest.mark.parametrize("claim,b2c", VARIANTS)
@pytest.mark.parametrize("stage,lang", ALL)
def test_every_stage_and_language_renders_its_mandatory_content(stage, lang, claim, b2c):
    context = make_context(claim=claim, b2c=b2c, stage=stage)
    reminder = render_reminder(stage, lang, context)

    assert isinstance(reminder, Reminder)
    assert (reminder.stage, reminder.lang) == (stage, lang)
    assert reminder.tone in ("friendly", "neutral", "firm", "formal", "warm")
    assert reminder.subject.strip() and "\n" not in reminder.subject and len(reminder.subject) <= 200
    assert "F-2025-0142" in reminder.subject
    text = reminder.text
    assert "F-2025-0142" in text
    if stage == "thank_you":
        assert "1.000,00 €" in text and "1.000,00 €" in reminder.html  # the payment received
        return
    for value in (
        "1.000,00 €",
        "+++090/9337/55493+++",
        context["link"],
        "02/04/2025",
        "BE68 5390 0754 7034",
        "GKCCBEBB",
    ):
        assert value in text, value
        assert value.replace("&", "&amp;") in reminder.html, value
    assert context["link"] in hrefs(reminder.html)
    if context["pay_by"]:
        assert "19/05/2025" in text
    if stage == "formal_notice":
        assert "Boulangerie Lemaire SA" in text or "Marie Peeters" in text
        if claim:
            for value in ("1.051,51 €", LEGAL_BASIS, "11,51 €", "40,00 €", "10,5 %"):
                assert value in text, value
            assert LEGAL_BASIS in reminder.html
        else:
            assert LEGAL_BASIS not in text
    if stage == "reminder_1" and b2c:
        for value in (
            "27/05/2025",
            "0123.456.749",
            "Entretien annuel de la chaudière",
            "10,5 %",
            "90,00 €",
            "Atelier Dupont SRL",
        ):
            assert value in text, value
            assert value in reminder.html, value
    if stage == "reminder_1" and not b2c:
        assert "27/05/2025" not in text


@pytest.mark.parametrize("lang", LANGUAGES)
def test_b2c_first_reminder_says_when_nothing_will_be_charged(lang):
    context = make_context(b2c=True)
    context["b2c_notice"].interest_rate = context["b2c_notice"].indemnity = ""
    text = render_reminder("reminder_1", lang, context).text
    assert "27/05/2025" in text and "90,00 €" not in text


def test_payment_reference_label_follows_the_reference_kind():
    context = make_context()
    assert "Communication structurée" in render_reminder("reminder_1", "fr", context).text
    context["invoice"].reference = "RF18 5390 0754 7034"
    text = render_reminder("reminder_1", "fr", context).text
    assert "RF18 5390 0754 7034" in text and "Communication structurée" not in text


def test_optional_bic_and_order_ref_are_left_out_when_empty():
    context = make_context()
    context["creditor"].bic = context["invoice"].order_ref = ""
    text = render_reminder("reminder_2", "nl", context).text
    assert "BIC" not in text and "Uw referentie" not in text


HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = "**x** [y](javascript:alert(1)) <img src=x onerror=alert(2)> \u202eevil\x07 | # a\n\n    code"


@pytest.mark.parametrize("stage,lang", ALL)
def test_hostile_values_stay_text(stage, lang):
    context = make_context(b2c=True, stage=stage)
    context["customer"].name = HOSTILE_NAME + "\x07\u202e"
    context["invoice"].description = HOSTILE_DESCRIPTION + "x" * 10_000
    context["invoice"].number = "F-1\x07\n<b>2</b>"
    reminder = render_reminder(stage, lang, context)

    assert "<script" not in reminder.html and "<img" not in reminder.html and "<b>" not in reminder.html
    assert not any(h.strip().lower().startswith("javascript:") for h in hrefs(reminder.html))
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', reminder.html))
    for output in (reminder.html, reminder.text, reminder.subject):
        assert "\x07" not in output and "\u202e" not in output
    assert "F-1" in reminder.subject and "\n" not in reminder.subject and len(reminder.subject) <= 200
    if stage == "formal_notice":
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in reminder.html
        assert HOSTILE_NAME in reminder.text  # plain text is not HTML: values go in as they are
        assert "**x** [y](javascript:alert(1))" in reminder.html  # shown literally, not as Markdown
        assert "<strong>x</strong>" not in reminder.html and "<pre>" not in reminder.html


def test_a_value_used_as_a_link_target_cannot_be_a_script(tmp_path):
    workbook = write_user_template(
        tmp_path,
        (
            "---\nsubject: Hi\n---\n[Details]({{ invoice.description }}) [Pay]({{ link }}) "
            "![logo]({{ invoice.order_ref }})\n"
        ),
    )
    context = make_context()
    context["invoice"].description = " JaVaScRiPt:alert(1)"
    context["invoice"].order_ref = "data:text/html,<script>alert(1)</script>"
    html = render_reminder("reminder_1", "en", context, folder=workbook.parent).html
    assert hrefs(html) == ["#", context["link"], "#"]
    assert "<script" not in html


def test_typed_text_keeps_its_language_in_the_letter_and_stays_plain_in_a_link(tmp_path):
    """An English letter to a French customer quotes the French description marked as French; the e-mail's
    text and a link built from it get the text alone."""
    context = make_context(stage="reminder_2")
    context["invoice"].description = TypedText("Entretien annuel de la chaudière", "fr")
    reminder = render_reminder("reminder_2", "en", context)
    assert '<span lang="fr">Entretien annuel de la chaudière</span>' in reminder.html
    assert "(Entretien annuel de la chaudière)" in reminder.text and "<span" not in reminder.text

    workbook = write_user_template(
        tmp_path, "---\nsubject: Hi\n---\n[{{ invoice.description }}](https://x.example/{{ invoice.description }})\n"
    )
    html = render_reminder("reminder_1", "en", context, folder=workbook.parent).html
    assert hrefs(html) == ["https://x.example/Entretien annuel de la chaudière"]
    assert '<span lang="fr">Entretien annuel de la chaudière</span></a>' in html


def test_long_subject_is_cut_to_200_characters():
    context = make_context()
    context["invoice"].number = "N" * 500
    subject = render_reminder("reminder_1", "en", context).subject
    assert len(subject) == 200 and subject.endswith("…")


def write_user_template(tmp_path, text, lang="en", stage="reminder_1"):
    workbook = tmp_path / "workbook.xlsx"
    workbook.write_bytes(b"")
    folder = tmp_path / "templates" / "reminders" / lang
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stage}.md").write_text(text, encoding="utf-8")
    return workbook


def test_a_user_template_next_to_the_workbook_overrides_the_built_in_one(tmp_path):
    workbook = write_user_template(
        tmp_path,
        (
            '---\nsubject: "Hey {{ customer.name }}, invoice {{ invoice.number }}"\nstage: reminder_1\n'
            "tone: friendly\n---\nPlease pay {{ invoice.balance }}: <{{ link }}>\n"
        ),
    )
    reminder = render_reminder("reminder_1", "en", make_context(), folder=workbook.parent)
    assert reminder.subject == "Hey Boulangerie Lemaire SA, invoice F-2025-0142"
    assert reminder.tone == "friendly"
    assert reminder.text == f"Please pay 1.000,00 €: <{make_context()['link']}>\n"
    # a Windows editor's byte-order mark and CRLF line ends are fine
    (tmp_path / "templates/reminders/en/reminder_1.md").write_text(
        "\ufeff---\r\nsubject: Invoice {{ invoice.number }}\r\n---\r\nHi\r\n", encoding="utf-8", newline=""
    )
    assert render_reminder("reminder_1", "en", make_context(), folder=workbook.parent).subject == "Invoice F-2025-0142"
    # the other stages and languages still come from the built-in templates
    assert render_reminder("reminder_1", "fr", make_context(), folder=workbook.parent).subject.startswith("Rappel")


def test_an_undefined_variable_in_a_user_template_names_the_file_and_variable(tmp_path):
    workbook = write_user_template(
        tmp_path,
        (
            '---\nsubject: "Invoice {{ invoice.number }}"\nstage: reminder_1\ntone: neutral\n---\n'
            "Hello,\n\nYou owe {{ invoice.balanse }}.\n"
        ),
    )
    with pytest.raises(TemplateError) as error:
        render_reminder("reminder_1", "en", make_context(), folder=workbook.parent)
    message = str(error.value)
    assert str(tmp_path / "templates" / "reminders" / "en" / "reminder_1.md") in message
    assert "'invoice' has no attribute 'balanse'" in message and "line 8" in message
    assert isinstance(error.value, ValueError)


def test_an_undefined_variable_in_the_subject_is_reported(tmp_path):
    workbook = write_user_template(tmp_path, '---\nsubject: "Invoice {{ invoice_number }}"\n---\nHi\n')
    with pytest.raises(TemplateError, match=r"reminder_1\.md, front matter 'subject'.*invoice_number"):
        render_reminder("reminder_1", "en", make_context(), folder=workbook.parent)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Hello {{ link }}\n", "missing front matter"),
        ("---\nsubject: [unclosed\n---\nHi\n", "bad front matter"),
        ("---\ntone: neutral\n---\nHi\n", "needs a 'subject'"),
        ("---\nsubject: Hi\ntone: angry\n---\nHi\n", "tone 'angry'"),
        ("---\nsubject: Hi\nstage: nudge\n---\nHi\n", "stage 'nudge'"),
        ("---\nsubject: Hi\n---\n{% if b2c %}Hi\n", "line 4"),
    ],
)
def test_broken_user_templates_raise_a_clear_error(tmp_path, text, expected):
    workbook = write_user_template(tmp_path, text)
    with pytest.raises(TemplateError, match="reminder_1.md") as error:
        render_reminder("reminder_1", "en", make_context(), folder=workbook.parent)
    assert expected in str(error.value)


def test_unknown_stage_or_language_is_refused():
    with pytest.raises(ValueError, match="stage"):
        render_reminder("reminder_3", "fr", make_context())
    with pytest.raises(ValueError, match="language"):
        render_reminder("nudge", "it", make_context())


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_consumers_first_reminder_says_how_to_dispute_whether_it_is_mailed_or_posted(lang):
    """A first reminder without an e-mail address goes by post: 'reply to this e-mail' would mean nothing."""
    text = render_reminder("reminder_1", lang, make_context(b2c=True, stage="reminder_1")).text
    words = {"fr": "ce courriel", "nl": "deze e-mail", "en": "this e-mail", "de": "diese E-Mail"}[lang]
    assert words not in text and "compta@atelier-dupont.be" in text.split("**27/05/2025**", 1)[1].split("\n")[0]

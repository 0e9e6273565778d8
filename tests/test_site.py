"""The built portal: layout, payment codes read back by a real decoder, determinism, escaping."""

from __future__ import annotations

import hashlib
import html
import re
import shutil
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from portal.app import build as build_command
from portal.app import check
from portal.app.errors import Refused
from portal.codes import payment
from portal.front.serve import make_server
from portal.render import tokens
from portal.render.sources import BuildError
from portal.workbook import cells, sample
from portal.workbook.file import FileWorkbook

from .conftest import ROOT, SAMPLE, column_letter, edit_workbook
from .qr import decode_svg

PAY_BLOCK = re.compile(r'<div class="pay" data-iban="([^"]*)" data-reference="([^"]*)">(.*?)</dl>', re.S)


def build(workbook: Path, out: Path, secret: Path, **options) -> build_command.BuildOutcome:
    return build_command.build(
        FileWorkbook(workbook), today=date(2026, 11, 16), out_dir=out, secret_file=secret, **options
    )


@pytest.fixture(scope="session")
def sample_site(tmp_path_factory) -> tuple[build_command.BuildOutcome, Path]:
    tmp = tmp_path_factory.mktemp("site")
    return build(SAMPLE, tmp / "site_out", tmp / "secret"), tmp / "site_out"


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_layout_of_the_site(sample_site):
    outcome, out = sample_site
    names = set(tree(out))
    assert {"index.html", "robots.txt", "_headers", "i/index.html", "c/index.html", "assets/index.html"} <= names
    assert [n for n in names if n.startswith("assets/portal.")] == [
        n for n in names if re.fullmatch(r"assets/portal\.[0-9a-f]{12}\.css", n)
    ]
    assert (out / "robots.txt").read_text() == "User-agent: *\nDisallow: /\n"
    assert "Referrer-Policy: no-referrer" in (out / "_headers").read_text()
    creditor = outcome.assessment.ledger.creditor

    def language_pages(main: str) -> set[str]:
        """index.html in the customer's language, and one page per other site language: no more, no less."""
        return {"index.html"} | {f"{lang}.html" for lang in creditor.site_languages if lang != main}

    for number, link in outcome.site.invoice_pages.items():
        assert re.fullmatch(r"i/[a-z2-7]{26}/", link.path)  # 26 base32 characters: 130 bits
        customer = outcome.assessment.invoice(number).customer
        pages = {p.name for p in (out / link.path).glob("*.html")}
        assert pages == language_pages(customer.language or creditor.default_language), number
    for customer_id, link in outcome.site.statement_pages.items():
        customer = outcome.assessment.customer(customer_id).customer
        pages = {p.name for p in (out / link.path).glob("*.html")}
        assert pages == language_pages(customer.language or creditor.default_language), customer_id
    assert len(outcome.site.statement_pages) == sum(1 for c in outcome.assessment.customers if c.invoices or c.held)


def test_which_invoices_have_pages(sample_site):
    outcome, _ = sample_site
    pages, assessment = outcome.site.invoice_pages, outcome.assessment
    for state in assessment.invoices:
        if state.invoice.is_credit_note or state.status == "written_off":
            assert state.invoice.number not in pages
        elif state.balance != 0:
            assert state.invoice.number in pages
        elif state.paid_on and (assessment.as_of - state.paid_on).days > 30:
            assert state.invoice.number not in pages  # paid long ago: retention of 30 days is over


def pay_blocks(page: str) -> list[tuple[str, str, str]]:
    return PAY_BLOCK.findall(page)


def test_every_qr_code_reads_back_as_the_payment_shown_in_words(sample_site):
    outcome, out = sample_site
    creditor = outcome.assessment.ledger.creditor
    checked = 0
    for page in sorted(out.rglob("*.html")):
        text = page.read_text()
        for iban, reference, block in pay_blocks(text):
            svg = re.search(r"<svg.*?</svg>", block, re.S)
            if svg is None:
                assert 'class="notice"' in block
                continue
            lines = decode_svg(svg.group(0)).decode("utf-8").split("\n")
            shown = dict(re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", block, re.S))
            shown = {k: re.sub(r"<button.*?</button>|<small>.*?</small>", "", v, flags=re.S) for k, v in shown.items()}
            words = {html.unescape(re.sub(r"<.*?>", " ", v)).strip() for v in shown.values()}
            assert lines[:5] == ["BCD", "002", "1", "SCT", "GKCCBEBB"]
            assert lines[5] == creditor.name and creditor.name in words
            assert lines[6] == iban == payment.validate_iban(creditor.iban)
            assert payment.format_iban(iban) in words
            amount = Decimal(lines[7].removeprefix("EUR"))
            assert any(_money(w) == amount for w in words), (page, words)
            assert lines[9] == reference and payment.format_reference(reference) in html.unescape(block)
            payment.validate_reference(reference)
            checked += 1
    assert checked > 300


def _money(word: str) -> Decimal | None:
    try:
        return cells.to_money(word)
    except ValueError:
        return None


def test_special_invoices_on_their_pages(sample_site):
    outcome, out = sample_site

    def page(number):
        return (out / outcome.site.invoice_pages[number].path / "index.html").read_text()

    gbp = page("2026-0149")
    assert "<svg" not in gbp and "EPC" in gbp and "£2,400.00" in gbp  # English amounts; no QR for pounds
    discounted = outcome.assessment.invoice("2026-0148")
    block = pay_blocks(page("2026-0148"))[0][2]
    lines = decode_svg(re.search(r"<svg.*?</svg>", block, re.S).group(0)).decode().split("\n")
    assert (
        Decimal(lines[7][3:]) == discounted.discount == (discounted.balance * Decimal("0.98")).quantize(Decimal("0.01"))
    )
    plan = page("2026-0001")
    assert plan.count('<details class="installment"') == 4 and len(pay_blocks(plan)) == 3  # one installment paid


def test_language_versions_and_locale_formats(sample_site):
    outcome, out = sample_site
    by_lang = {}
    for state in outcome.assessment.invoices:
        if state.invoice.number in outcome.site.invoice_pages and state.balance > 1000 and state.customer:
            by_lang.setdefault(state.customer.language, state)
    fr = by_lang["fr"]
    folder = out / outcome.site.invoice_pages[fr.invoice.number].path
    fr_page, nl_page = (folder / "index.html").read_text(), (folder / "nl.html").read_text()
    thousands, cents = divmod(int(fr.balance * 100), 100)
    assert '<html lang="fr">' in fr_page and '<html lang="nl">' in nl_page
    assert f"{thousands // 1000}\u202f{thousands % 1000:03d},{cents:02d}\xa0€" in fr_page  # 1 234,56 €
    assert f"€\xa0{thousands // 1000}.{thousands % 1000:03d},{cents:02d}" in nl_page  # € 1.234,56
    assert 'href="nl.html"' in fr_page and 'href="index.html"' in nl_page


def test_pages_are_private_and_self_contained(sample_site):
    _, out = sample_site
    for page in out.rglob("*.html"):
        text = page.read_text()
        assert '<meta name="robots" content="noindex, nofollow">' in text
        assert '<meta name="referrer" content="no-referrer">' in text
        assert "unsafe-inline" not in text and "style=" not in text
        assert not re.search(r'src="(?:https?:)?//', text), page  # nothing loaded from anywhere else
        for href in re.findall(r'href="((?:https?:)?//[^"]*)"', text):  # the letter's link to this very page
            if href.startswith("https://kbopub.economie.fgov.be/"):  # the creditor in the public register
                continue
            assert href == sample.SETTINGS["portal_base_url"] + str(page.parent.relative_to(out)) + "/", page
    landing = (out / "index.html").read_text()
    assert not re.search(r"[ic]/[a-z2-7]{26}", landing)


def test_pages_link_only_to_their_own_customer(sample_site):
    outcome, out = sample_site
    assessment = outcome.assessment
    owner = {link.token: assessment.invoice(n).customer.id for n, link in outcome.site.invoice_pages.items()}
    owner.update({link.token: cid for cid, link in outcome.site.statement_pages.items()})
    for token, customer in owner.items():
        folder = next(out.glob(f"*/{token}"))
        for page in folder.glob("*.html"):
            for linked in re.findall(r"\.\./\.\./[ic]/([a-z2-7]{26})/", page.read_text()):
                assert owner[linked] == customer


def test_building_twice_gives_identical_bytes(tmp_path, sample_site):
    _, first = sample_site
    secret = tmp_path / "secret"
    shutil.copy(first.parent / "secret", secret)
    build(SAMPLE, tmp_path / "again", secret)
    assert tree(tmp_path / "again") == tree(first)


def test_tokens_are_stable_secret_bound_and_the_secret_private(tmp_path):
    secret_file = tmp_path / "cfg" / "site-secret"
    first = tokens.load_secret(secret_file, environ={})
    assert first.created and oct(secret_file.stat().st_mode & 0o777) == "0o600"
    again = tokens.load_secret(secret_file, environ={})
    assert not again.created and tokens.token(first, "i", "2026-0001") == tokens.token(again, "i", "2026-0001")
    other = tokens.load_secret(None, environ={tokens.SECRET_ENV: "y" * 40})
    assert tokens.token(other, "i", "2026-0001") != tokens.token(first, "i", "2026-0001")
    assert tokens.token(first, "i", "1") != tokens.token(first, "c", "1")
    rotated = tokens.rotate_secret(secret_file)
    assert tokens.token(rotated, "i", "2026-0001") != tokens.token(first, "i", "2026-0001")
    with pytest.raises(tokens.SecretError, match="too short"):
        tokens.load_secret(None, environ={tokens.SECRET_ENV: "short"})


def test_markup_in_the_workbook_is_only_ever_text(small_copy, tmp_path):
    hostile = "<script>alert(1)</script>"
    name = column_letter(small_copy, "Customers", "Name")
    description = column_letter(small_copy, "Invoices", "Description")
    edit_workbook(small_copy, "Customers", {f"{name}2": hostile})
    edit_workbook(small_copy, "Invoices", {f"{description}2": hostile + '"><img src=x onerror=alert(2)>'})
    build(small_copy, tmp_path / "out", tmp_path / "secret")
    pages = [p.read_text() for p in (tmp_path / "out").rglob("*.html")]
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in p for p in pages)
    for page in pages:
        assert "<script>alert" not in page and "<img" not in page
        assert page.count("<script>") == 1  # only our own, hashed, copy-button script


def test_an_invalid_reference_or_iban_builds_nothing(small_copy, tmp_path, capsys):
    from portal.front import cli

    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.html").write_text("previous site")
    reference = column_letter(small_copy, "Invoices", "Structured reference")
    edit_workbook(small_copy, "Invoices", {f"{reference}9": "+++090/9337/55494+++"})
    assert cli.main(["build", str(small_copy), "--out", str(out), "--secret-file", str(tmp_path / "s")]) == 1
    err = capsys.readouterr().err
    assert "sheet 'Invoices', row 9, column 'Structured reference'" in err
    assert (out / "keep.html").read_text() == "previous site"  # the old site is untouched
    edit_workbook(small_copy, "Invoices", {f"{reference}9": None})
    edit_workbook(small_copy, "Settings", {"B5": "BE71096123456768"})
    assert cli.main(["build", str(small_copy), "--out", str(out), "--secret-file", str(tmp_path / "s")]) == 1
    assert "sheet 'Settings', row 5, column 'IBAN'" in capsys.readouterr().err
    assert (out / "keep.html").exists()


def test_a_users_template_overrides_the_builtin_one(small_copy, tmp_path):
    override = small_copy.parent / "templates" / "site"
    override.mkdir(parents=True)
    (override / "landing.html").write_text(
        '{% extends "site/base.html" %}{% block main %}<h1>Hello from {{ creditor.name }}</h1>{% endblock %}'
    )
    build(small_copy, tmp_path / "out", tmp_path / "secret")
    assert "<h1>Hello from Atelier Lumière SRL</h1>" in (tmp_path / "out" / "index.html").read_text()


def test_pdf_is_published_beside_its_page_and_paths_outside_are_refused(small_copy, tmp_path):
    pdfs = small_copy.parent / "pdf"
    pdfs.mkdir()
    (pdfs / "2026-0003.pdf").write_bytes(b"%PDF-1.4 test\n%%EOF\n")
    column = column_letter(small_copy, "Invoices", "PDF file")
    edit_workbook(small_copy, "Invoices", {f"{column}4": "pdf/2026-0003.pdf"})
    outcome = build(small_copy, tmp_path / "out", tmp_path / "secret")
    link = outcome.site.invoice_pages["2026-0003"]
    assert (tmp_path / "out" / link.path / "invoice.pdf").read_bytes().startswith(b"%PDF")
    assert 'href="invoice.pdf"' in (tmp_path / "out" / link.path / "index.html").read_text()
    edit_workbook(small_copy, "Invoices", {f"{column}4": "../../etc/passwd"})
    with pytest.raises(BuildError, match="outside the workbook's folder"):
        build(small_copy, tmp_path / "out2", tmp_path / "secret")


def test_calendar_file_for_the_due_date(sample_site):
    outcome, out = sample_site
    state = next(
        s
        for s in outcome.assessment.invoices
        if s.invoice.number in outcome.site.invoice_pages
        and s.balance > 0
        and not s.installments
        and s.days_overdue < 0
    )
    ics = (out / outcome.site.invoice_pages[state.invoice.number].path / "due.ics").read_bytes().decode()
    assert ics.startswith("BEGIN:VCALENDAR\r\n") and ics.endswith("END:VCALENDAR\r\n")
    assert f"DTSTART;VALUE=DATE:{state.invoice.due_date:%Y%m%d}" in ics
    assert all(len(line.encode()) <= 75 for line in ics.split("\r\n"))
    late = next(  # handed over: no date left to pay by (a plan offers its next installment, a letter its deadline)
        s
        for s in outcome.assessment.invoices
        if s.invoice.number in outcome.site.invoice_pages and s.days_overdue > 0 and s.stage == "handover"
    )
    folder = out / outcome.site.invoice_pages[late.invoice.number].path
    assert not (folder / "due.ics").exists() and 'href="due.ics"' not in (folder / "index.html").read_text()


def test_serve_previews_with_security_headers(sample_site):
    _, out = sample_site
    server = make_server(out, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/") as response:
            assert response.status == 200
            assert response.headers["Referrer-Policy"] == "no-referrer"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/i/no-such-page/")
        assert missing.value.code == 404
        assert missing.value.read() == (out / "404.html").read_bytes()
        assert missing.value.headers["Referrer-Policy"] == "no-referrer"
        with pytest.raises(urllib.error.HTTPError) as configuration:  # the host reads it; nobody gets it
            urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}/_headers")
        assert configuration.value.code == 404
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]*)"', (out / "404.html").read_text()).group(1)
        assert stylesheet.startswith("/assets/")  # from any depth
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_address[1]}{stylesheet}") as response:
            assert response.status == 200
    finally:
        server.shutdown()
        server.server_close()


def test_an_installed_wheel_builds_the_sample(tmp_path):
    """The package outside the checkout: templates come from inside the wheel."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
    )
    wheel = next((tmp_path / "dist").glob("*.whl"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    target = next(venv.glob("lib/python*/site-packages"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(wheel)], check=True
    )
    dependencies = next(Path(sys.executable).parent.parent.glob("lib/python*/site-packages"))
    env = {
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(dependencies),
        "HOME": str(tmp_path),
        "DEBTOR_PORTAL_SECRET": "z" * 40,
    }
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import portal; print(portal.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(target))
    shutil.copy(SAMPLE, tmp_path / "sample.xlsx")
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "portal.front.cli", "build", "sample.xlsx"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "invoice page(s)" in run.stdout
    assert len(list((tmp_path / "site_out" / "i").glob("*/index.html"))) > 50
    addin = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "portal.front.cli", "addin", "build", "--out", "DebtorPortal.xlam"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert addin.returncode == 0, addin.stderr
    assert (tmp_path / "DebtorPortal.xlam").read_bytes() == _fresh_addin()  # the add-in's sources are in the wheel


def _fresh_addin() -> bytes:
    from portal.front.addin import package

    return package.xlam(package.read_sources(ROOT / "addin"))


def test_a_rebuild_leaves_unchanged_files_untouched(small_copy, tmp_path):
    out = tmp_path / "out"
    first = build(small_copy, out, tmp_path / "secret")
    stamps = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in out.rglob("*") if p.is_file()}
    description = column_letter(small_copy, "Invoices", "Description")
    edit_workbook(small_copy, "Invoices", {f"{description}4": "Changed description"})  # invoice 2026-0003
    build(small_copy, out, tmp_path / "secret")
    changed = {
        p.relative_to(out).as_posix() for p, stamp in stamps.items() if (p.stat().st_ino, p.stat().st_mtime_ns) != stamp
    }
    folder = first.site.invoice_pages["2026-0003"].path
    assert changed and all(path.startswith(folder) for path in changed)


def test_build_says_which_legal_rate_to_add_rather_than_carry_one_forward(small_copy, tmp_path, capsys):
    from portal.front import cli

    args = ["build", str(small_copy), "--out", str(tmp_path / "o"), "--secret-file", str(tmp_path / "s")]
    assert cli.main([*args, "--creditor", "interest_rule=legal"]) == 0
    out = capsys.readouterr().out
    assert out.count("WARNING: No interest rate known for 2026 H2") == 1 and "'Legal rate, newer periods (%)'" in out


def test_calendar_files_only_for_a_future_date_with_a_reminder_the_day_before(sample_site):
    outcome, out = sample_site
    as_of = outcome.assessment.as_of
    for number, link in outcome.site.invoice_pages.items():
        folder = out / link.path
        ics = folder / "due.ics"
        linked = 'href="due.ics"' in (folder / "index.html").read_text()
        assert linked == ics.exists(), number  # the link only when the file exists
        if ics.exists():
            text = ics.read_text()
            day = re.search(r"DTSTART;VALUE=DATE:(\d{8})", text).group(1)
            assert day >= f"{as_of:%Y%m%d}", number
            assert "BEGIN:VALARM" in text and "TRIGGER:-P1D" in text
            state = outcome.assessment.invoice(number)
            assert state.status not in ("disputed", "on_hold")


def test_links_between_a_debtors_pages_keep_the_chosen_language(sample_site):
    outcome, out = sample_site
    state = next(
        s
        for s in outcome.assessment.invoices
        if s.invoice.number in outcome.site.invoice_pages and s.customer and s.customer.language == "fr"
    )
    invoice_folder = out / outcome.site.invoice_pages[state.invoice.number].path
    statement = outcome.site.statement_pages[state.customer.id]
    nl_page = (invoice_folder / "nl.html").read_text()
    assert f'href="../../{statement.path}nl.html"' in nl_page
    assert f'href="../../{statement.path}"' in (invoice_folder / "index.html").read_text()
    statement_nl = (out / statement.path / "nl.html").read_text()
    assert f'href="../../{outcome.site.invoice_pages[state.invoice.number].path}nl.html"' in statement_nl


def _logo_setting(workbook: Path, value: str) -> None:
    from portal.workbook import schema

    edit_workbook(workbook, "Settings", {f"B{2 + [s.key for s in schema.SETTINGS].index('logo')}": value})


def test_the_logo_is_copied_under_its_content_hash_and_a_new_logo_rebuilds_every_page(small_copy, tmp_path):
    folder = small_copy.parent
    (folder / "brand").mkdir()
    svg = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 1"><rect width="4" height="1"/></svg>'
    (folder / "brand" / "logo.svg").write_bytes(svg)
    _logo_setting(small_copy, "brand/logo.svg")
    out = tmp_path / "out"
    first = build(small_copy, out, tmp_path / "secret")
    [asset] = (out / "assets").glob("logo.*.svg")
    assert asset.read_bytes() == svg and asset.name == f"logo.{hashlib.sha256(svg).hexdigest()[:12]}.svg"
    pages = sorted(out.rglob("*.html"))
    page = (out / first.site.invoice_pages["2026-0003"].path / "fr.html").read_text()
    assert f'<img class="logo" src="../../assets/{asset.name}" alt="Logo : Atelier Lumière SRL">' in page
    assert all(f"assets/{asset.name}" in p.read_text() for p in pages)
    again = build(small_copy, out, tmp_path / "secret")
    assert again.site.rendered == 0  # nothing changed, nothing rendered
    (folder / "brand" / "logo.svg").write_bytes(svg.replace(b'width="4"', b'width="3"'))
    changed = build(small_copy, out, tmp_path / "secret")
    assert changed.site.rendered == first.site.rendered and changed.site.reused == 0
    [new_asset] = (out / "assets").glob("logo.*.svg")
    assert new_asset.name != asset.name and all(f"assets/{new_asset.name}" in p.read_text() for p in pages)


@pytest.mark.parametrize(
    "name, content, message",
    [
        (
            "../logo.png",
            b"\x89PNG\r\n\x1a\n",
            "Settings, Logo: the file '../logo.png' is outside the workbook's folder",
        ),
        ("missing.png", None, "Settings, Logo: no file 'missing.png' in the workbook's folder"),
        ("logo.gif", b"GIF89a", "Settings, Logo: 'logo.gif' is not a PNG, JPEG or SVG image"),
        ("logo.png", b"<html>not a picture</html>", "Settings, Logo: 'logo.png' is not a PNG, JPEG or SVG image"),
        ("logo.svg", b"\x89PNG\r\n\x1a\n", "Settings, Logo: 'logo.svg' is not a PNG, JPEG or SVG image"),
    ],
)
def test_a_logo_outside_the_folder_missing_or_not_an_image_is_refused(small_copy, tmp_path, name, content, message):
    if content is not None:
        target = (small_copy.parent / name).resolve()
        target.write_bytes(content)
    _logo_setting(small_copy, name)
    with pytest.raises(Refused):
        build(small_copy, tmp_path / "out", tmp_path / "secret")
    assert not (tmp_path / "out").exists()
    problem = next(p for p in check.check(FileWorkbook(small_copy)).problems if p.code == "invalid_logo")
    assert (problem.where.sheet, problem.where.column) == ("Settings", "Logo (image file)")
    assert f"Settings, Logo: {problem.message}".startswith(message), problem.message


def test_no_page_names_a_next_step_before_the_deadline_it_gives(sample_site):
    """A letter that went out without its record gives the deadline it gave when it went out, not one counted
    from today, and the next step comes after it."""
    _, out = sample_site
    seen = 0
    for page in out.glob("i/*/*.html"):
        text = html.unescape(re.sub(r"<[^>]+>", "", page.read_text()))
        deadline = re.search(r"Please pay by (\d+ \w+ \d{4}) at the latest", text)
        step = re.search(r"If unpaid on (\d\d/\d\d/\d{4}), next step: ([^.]+)\.", text)
        if step:  # in words a debtor reads, not the workbook's label of the stage
            assert step[2] in (
                "a reminder",
                "a second reminder",
                "a formal notice",
                "handing the file over for collection",
            )
        if deadline and step:
            seen += 1
            last_day = datetime.strptime(step[1], "%d/%m/%Y").date()
            assert datetime.strptime(deadline[1], "%d %B %Y").date() <= last_day, (page, deadline[0], step[0])
    assert seen >= 4


def test_a_page_claiming_interest_adds_it_up_where_it_shows_the_balance(sample_site):
    """The amount to transfer is the total of the summary at the top, not a second figure explained further down."""
    _, out = sample_site
    seen = 0
    for page in out.glob("i/*/en.html"):
        source = page.read_text()
        if 'id="claim"' not in source:
            continue
        seen += 1
        summary = html.unescape(re.search(r'<dl class="summary">(.*?)</dl>', source, re.S)[1])
        total = re.search(r'<div class="total"><dt>Total claimed</dt><dd class="mono">([^<]+)</dd>', summary)
        assert total and "Late-payment interest and compensation" in summary, page
        assert f"Payment QR code: {total[1]} to" in html.unescape(source), page
        assert source.index('id="claim"') < source.index('class="letter-box"'), page
    assert seen >= 3


def english(out: Path, link) -> str:
    """The English page of a link: en.html, or index.html when English is the customer's language."""
    folder = out / link.path
    return html.unescape(((folder / "en.html") if (folder / "en.html").exists() else folder / "index.html").read_text())


def test_a_statement_adds_the_interest_and_compensation_its_invoices_claim(sample_site):
    """Paying a statement's total settles what each invoice's page asks, claims included."""
    outcome, out = sample_site
    seen = 0
    for customer_id, link in outcome.site.statement_pages.items():
        source = english(out, link)
        claimed = re.findall(r"Late-payment interest and compensation</a> · Invoice ([\w-]+)</th>", source)
        if not claimed:
            continue
        seen += 1
        asked = sum(
            (
                _money(re.search(r"Payment QR code: (\S+) to", english(out, outcome.site.invoice_pages[n]))[1])
                for n in claimed
            ),
            Decimal(0),
        )
        statement = outcome.assessment.customer(customer_id)
        balances = sum((outcome.assessment.invoice(n).balance for n in claimed), Decimal(0))
        total = re.search(r"Payment QR code: (\S+) to", source)[1]
        assert _money(total) == statement.total - balances + asked, (link.path, claimed)
    assert seen >= 2


def test_a_statement_with_only_invoices_being_checked_thanks_nobody(sample_site):
    outcome, out = sample_site
    held_only = [c for c in outcome.assessment.customers if c.held and not c.invoices]
    assert held_only
    for c in held_only:
        text = english(out, outcome.site.statement_pages[c.customer.id])
        assert "Nothing to pay for now: we are checking the invoices above" in text
        assert "thank you" not in text and "No invoices to pay." in text


def test_a_letter_keeps_the_lines_its_template_gives(sample_site):
    """A line break in a reminder template stays one: the signature's identity line does not run into the address."""
    _, out = sample_site
    letters = [page.read_text() for page in out.glob("i/*/en.html") if 'id="claim"' in page.read_text()]
    assert letters
    for source in letters:
        letter = source.partition('<div class="letter">')[2].partition("</div>")[0]
        assert re.search(r"1040 Etterbeek<br />\nEnterprise no\. \(CBE\) 0403\.170\.701", letter), letter[-300:]


def test_a_statement_with_a_plan_leads_to_its_installments(sample_site):
    outcome, out = sample_site
    planned = [s for s in outcome.assessment.invoices if s.installments and s.balance > 0]
    assert planned
    for state in planned:
        statement = english(out, outcome.site.statement_pages[state.invoice.customer_id])
        link = re.search(r'<a href="([^"]+)">Pay one installment of the plan', statement)
        assert link and outcome.site.invoice_pages[state.invoice.number].path in link[1], state.invoice.number


def test_a_formal_notice_at_an_agreed_rate_gives_the_law_as_its_basis(sample_site):
    """The sample's rate is contractual: the letter's basis is still the Law of 2 August 2002 (the EUR 40 is
    statutory), as the statement of claim below it says, the rate being the one the terms set."""
    _, out = sample_site
    letters = [page.read_text() for page in out.glob("i/*/en.html") if "Legal basis: " in page.read_text()]
    assert letters
    for source in letters:
        letter = html.unescape(source.partition('<div class="letter">')[2].partition("</div>")[0])
        if "Legal basis: " in letter and "were announced in our first reminder" not in letter:  # a business's
            assert "Legal basis: Belgian Act of 2 August 2002" in letter, letter
            assert "(contractual rate)" not in letter and "at the rate set in our general terms" in letter

"""`debtor-portal publish`: what it refuses, and what a change in the workbook changes on the target."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from portal.app import build as build_command
from portal.app import errors
from portal.app import publish as publish_command
from portal.front import cli
from portal.workbook.file import FileWorkbook

from .conftest import column_letter, edit_workbook


@pytest.fixture
def built(small_copy: Path, tmp_path: Path):
    def build() -> build_command.BuildOutcome:
        return build_command.build(
            FileWorkbook(small_copy), today=date(2026, 11, 16), out_dir=small_copy.parent / "site_out"
        )

    return small_copy, build


def publish(workbook: Path, target: Path, **options) -> publish_command.PublishOutcome:
    return publish_command.publish(
        FileWorkbook(workbook), site_dir=workbook.parent / "site_out", to=str(target), **options
    )


def test_publish_mirrors_then_updates_only_what_changed(built, tmp_path):
    workbook, build = built
    first = build()
    target = tmp_path / "www"
    dry = publish(workbook, target, dry_run=True)
    assert dry.plan.added and not target.exists()
    done = publish(workbook, target)
    assert set(done.plan.added) == set(first.site.files) and not done.plan.changed
    assert {p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file()} == set(first.site.files)

    amount = column_letter(workbook, "Invoices", "Amount incl. VAT")
    edit_workbook(workbook, "Invoices", {f"{amount}4": Decimal("999.99")})  # invoice 2026-0003
    second = build()
    again = publish(workbook, target)
    state = second.assessment.invoice("2026-0003")
    own = {second.site.invoice_pages["2026-0003"].path, second.site.statement_pages[state.customer.id].path}
    assert again.plan.changed and not again.plan.added and not again.plan.removed
    assert {re.sub(r"[^/]*$", "", p) for p in again.plan.changed} == own


def test_a_page_leaves_the_host_once_paid_past_retention(built, tmp_path):
    workbook, build = built
    outcome = build()
    unpaid = next(
        s
        for s in outcome.assessment.invoices
        if s.balance > 0 and s.invoice.number in outcome.site.invoice_pages and not s.installments
    )
    target = tmp_path / "www"
    publish(workbook, target)
    page = target / outcome.site.invoice_pages[unpaid.invoice.number].path / "index.html"
    assert page.exists()
    payments = FileWorkbook(workbook).grids()
    last = max(i for i, r in enumerate(next(g for g in payments if g.name == "Payments").rows) if any(r)) + 1
    edit_workbook(
        workbook,
        "Payments",
        {f"A{last + 1}": date(2026, 9, 1), f"B{last + 1}": unpaid.balance, f"F{last + 1}": unpaid.invoice.number},
    )
    build()  # paid on 1 September: 76 days before the as-of date, past the 30 days' retention
    done = publish(workbook, target)
    assert f"{outcome.site.invoice_pages[unpaid.invoice.number].path}index.html" in done.plan.removed
    assert not page.exists() and not page.parent.exists()


def test_refuses_a_site_older_than_the_workbook(built, tmp_path, capsys):
    workbook, build = built
    build()
    edit_workbook(workbook, "Invoices", {f"{column_letter(workbook, 'Invoices', 'Description')}3": "changed"})
    code = cli.main(["publish", str(workbook), "--to", str(tmp_path / "www")])
    assert code == 1 and "changed since the site was built" in capsys.readouterr().err
    assert not (tmp_path / "www").exists()


def test_refuses_when_check_finds_errors(built, tmp_path):
    workbook, build = built
    build()
    edit_workbook(workbook, "Settings", {"B5": "BE71096123456768"})
    with pytest.raises(errors.Refused, match="error"):
        publish(workbook, tmp_path / "www")
    assert not (tmp_path / "www").exists()


def test_refuses_pages_whose_payment_details_do_not_validate(built, tmp_path):
    workbook, build = built
    outcome = build()
    site = workbook.parent / "site_out"
    page = site / next(iter(outcome.site.invoice_pages.values())).path / "index.html"
    page.write_text(page.read_text().replace('data-iban="BE71096123456769"', 'data-iban="BE71096123456768"'))
    manifest_file = workbook.parent / ".debtor-portal" / "build.json"
    with pytest.raises(errors.Refused, match="not the site that was last built"):
        publish(workbook, tmp_path / "www")
    manifest = json.loads(manifest_file.read_text())  # even when the manifest is made to agree
    manifest["files"][page.relative_to(site).as_posix()] = hashlib.sha256(page.read_bytes()).hexdigest()
    manifest_file.write_text(json.dumps(manifest))
    with pytest.raises(errors.Refused, match="BE71096123456768"):
        publish(workbook, tmp_path / "www")
    assert not (tmp_path / "www").exists()


def test_publish_to_a_git_branch_from_the_command_line(built, tmp_path, capsys):
    workbook, build = built
    build()
    bare = tmp_path / "pages.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert cli.main(["publish", str(workbook), "--to", f"git:{bare}#pages"]) == 0
    assert "Published to git:" in capsys.readouterr().out
    log = subprocess.run(
        ["git", "--git-dir", str(bare), "log", "--format=%s", "pages"], capture_output=True, text=True, check=True
    ).stdout
    assert log.startswith("Publish the portal as of 2026-11-16: ")


def test_rotating_the_secret_changes_every_link(built, tmp_path, capsys):
    workbook, build = built
    before = build().site.invoice_pages
    assert cli.main(["secret", "rotate", str(workbook), "--yes"]) == 0
    assert "Every private link changes" in capsys.readouterr().out
    after = build().site.invoice_pages
    assert before.keys() == after.keys()
    assert all(before[n].token != after[n].token for n in before)


def test_turning_encryption_on_over_links_already_sent_is_refused_until_the_secret_is_rotated(built, tmp_path):
    """A link sent before has no key: an encrypted page would open as an error for everyone who has one."""
    from portal.workbook import schema

    workbook, build = built
    build()
    target = tmp_path / "www"
    publish(workbook, target)
    row = 2 + [s.key for s in schema.SETTINGS].index("encrypt_pages")
    edit_workbook(workbook, "Settings", {f"B{row}": "yes"})
    build()
    before = {p: p.read_bytes() for p in target.rglob("*") if p.is_file()}
    with pytest.raises(errors.Refused, match="published without 'Encrypt pages'.*secret rotate"):
        publish(workbook, target)
    assert {p: p.read_bytes() for p in target.rglob("*") if p.is_file()} == before
    assert cli.main(["secret", "rotate", str(workbook), "--yes"]) == 0
    build()
    assert publish(workbook, target).plan.added  # new links, on purpose

"""The incremental build: after each kind of change it rewrites exactly the files whose bytes
change, and the site it leaves is byte for byte the one a cold build (no previous site, no
cache) makes from the same workbook. The cache is disposable and worker processes change
nothing in the output."""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from portal.app import build as build_command
from portal.app import load, memo
from portal.codes.payment import ogm
from portal.render import cache, manifest, processes, templating, tokens
from portal.render import site as site_module
from portal.render.templating import builtin_templates_dir
from portal.workbook import sample
from portal.workbook.file import FileWorkbook
from portal.workbook.template import write_workbook

Rows = dict[str, list[dict[str, object]]]


def small_rows() -> Rows:
    """The sample's first twenty invoices with their payments, plans and log."""
    rows = sample.sample_rows()
    kept = {i["number"] for i in rows["invoices"][:20]}
    small = {"customers": rows["customers"], "invoices": rows["invoices"][:20]}
    for key in ("payments", "plans", "log"):
        small[key] = [r for r in rows[key] if r["invoice"] in kept]
    return small


def build(workbook: Path, out: Path, secret: Path, **options) -> build_command.BuildOutcome:
    return build_command.build(
        FileWorkbook(workbook), today=date(2026, 11, 16), out_dir=out, secret_file=secret, **options
    )


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def inodes(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_ino for p in folder.rglob("*") if p.is_file()}


class Site:
    """A workbook in its own folder, its secret, and its site_out."""

    def __init__(self, folder: Path, rows: Rows, settings: dict[str, object], secret: Path):
        self.folder, self.rows, self.settings, self.secret = folder, rows, settings, secret
        self.workbook = folder / "book.xlsx"
        self.out = folder / "site_out"

    def write(self) -> Path:
        return write_workbook(self.workbook, settings=self.settings, rows=self.rows)

    def build(self, **options) -> build_command.BuildOutcome:
        return build(self.write(), self.out, self.secret, **options)


def open_invoice(outcome: build_command.BuildOutcome) -> str:
    return next(
        s.invoice.number
        for s in outcome.assessment.invoices
        if s.invoice.number in outcome.site.invoice_pages
        and s.balance > 0
        and not s.installments
        and s.customer
        and s.claim is None  # a payment on a claim goes to interest first: the statement may not change
    )


def folders_of(outcome: build_command.BuildOutcome, number: str) -> set[str]:
    """The folders of an invoice's pages and of its customer's statement."""
    state = next(s for s in outcome.assessment.invoices if s.invoice.number == number)
    assert state.customer is not None
    return {outcome.site.invoice_pages[number].path, outcome.site.statement_pages[state.customer.id].path}


Change = Callable[[Site, build_command.BuildOutcome], None]


def rebuilt_after(
    tmp_path: Path, change: Change, **options
) -> tuple[set[str], dict[str, bytes], dict[str, bytes], build_command.BuildOutcome]:
    """(files rewritten, tree before, tree after, first outcome) of an incremental build after `change`;
    checks that the tree after is the cold build's and that only files with new bytes were written."""
    site = Site(tmp_path / "incremental", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    first = site.build(**options)
    before, old = inodes(site.out), tree(site.out)
    change(site, first)
    second = site.build(**options)
    assert not fell_back(first) and not fell_back(second)
    rewritten = {path for path, inode in inodes(site.out).items() if before.get(path) != inode}
    new = tree(site.out)

    cold = Site(tmp_path / "cold", site.rows, site.settings, site.secret)
    cold.folder.mkdir()
    if (site.folder / "templates").exists():
        shutil.copytree(site.folder / "templates", cold.folder / "templates")
    cold.build()
    assert tree(cold.out) == new, "the incremental build differs from a cold build of the same workbook"
    assert rewritten == {path for path, data in new.items() if old.get(path) != data}
    assert rewritten, "the change changed nothing on the site"
    return rewritten, old, new, first


def fell_back(outcome: build_command.BuildOutcome) -> list[str]:
    """What the build said of worker processes that stopped (this process then did their work)."""
    return [w for w in outcome.site.notes if w.startswith("Worker processes stopped")]


def within(paths: set[str], folders: set[str]) -> bool:
    return all(any(path.startswith(folder) for folder in folders) for path in paths)


def test_nothing_changed_writes_nothing(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    first = site.build()
    before, folder = inodes(site.out), site.out.stat().st_ino
    second = site.build()
    assert inodes(site.out) == before
    assert site.out.stat().st_ino == folder  # not even swapped: no file written at all
    assert second.site.rendered == 0 and second.site.reused == first.site.rendered
    assert second.site.files == first.site.files


def more_on_an_open_invoice(site: Site, first: build_command.BuildOutcome) -> None:
    number = open_invoice(first)
    invoice = next(i for i in site.rows["invoices"] if i["number"] == number)
    invoice["amount"] = Decimal(str(invoice["amount"])) + Decimal("1.00")


def test_an_amount_rewrites_the_invoice_and_its_statement(tmp_path):
    rewritten, _, _, first = rebuilt_after(tmp_path, more_on_an_open_invoice)
    folders = folders_of(first, open_invoice(first))
    assert within(rewritten, folders)
    assert {f"{folder}index.html" for folder in folders} <= rewritten


def test_spawned_worker_processes_rewrite_what_one_process_does(tmp_path, monkeypatch):
    """On Windows and macOS each worker is spawned: it plans the site again from what it is sent, reads
    the QR codes its parent drew from the cache and writes only the files whose bytes changed."""
    monkeypatch.setattr(processes, "START_METHOD", "spawn")
    rewritten, _, _, first = rebuilt_after(tmp_path, more_on_an_open_invoice, workers=2)
    folders = folders_of(first, open_invoice(first))
    assert within(rewritten, folders)
    assert {f"{folder}index.html" for folder in folders} <= rewritten


def test_a_payment_rewrites_the_invoice_and_its_statement(tmp_path):
    def change(site: Site, first: build_command.BuildOutcome) -> None:
        number = open_invoice(first)
        state = next(s for s in first.assessment.invoices if s.invoice.number == number)
        site.rows["payments"].append(
            {
                "date": sample.AS_OF - timedelta(days=2),
                "amount": Decimal("10.00"),
                "reference": ogm.format(state.reference),
                "counterparty": state.customer.name if state.customer else "",
                "invoice": number,
                "source": "bank",
            }
        )

    rewritten, _, _, first = rebuilt_after(tmp_path, change)
    folders = folders_of(first, open_invoice(first))
    assert within(rewritten, folders)
    assert {f"{folder}index.html" for folder in folders} <= rewritten


def test_a_customers_language_rewrites_that_customers_pages_only(tmp_path):
    def change(site: Site, first: build_command.BuildOutcome) -> None:
        customer = next(s.customer for s in first.assessment.invoices if s.invoice.number == open_invoice(first))
        row = next(c for c in site.rows["customers"] if customer and c["id"] == customer.id)
        row["language"] = "de" if row["language"] != "de" else "nl"

    rewritten, _, _, first = rebuilt_after(tmp_path, change)
    customer = next(s.customer for s in first.assessment.invoices if s.invoice.number == open_invoice(first))
    assert customer is not None
    folders = {
        first.site.invoice_pages[s.invoice.number].path
        for s in first.assessment.invoices
        if s.customer == customer and s.invoice.number in first.site.invoice_pages
    } | {first.site.statement_pages[customer.id].path}
    assert within(rewritten, folders)
    assert {f"{folder}index.html" for folder in folders} <= rewritten


def test_a_template_edit_rewrites_the_pages_made_from_it(tmp_path):
    def change(site: Site, first: build_command.BuildOutcome) -> None:
        override = site.folder / "templates" / "site" / "statement.html"
        override.parent.mkdir(parents=True)
        text = (builtin_templates_dir() / "site" / "statement.html").read_text()
        override.write_text(text.replace("{% block main %}", "{% block main %}<p>Thank you.</p>", 1))

    rewritten, _, _, first = rebuilt_after(tmp_path, change)
    statements = {link.path for link in first.site.statement_pages.values()}
    assert within(rewritten, statements)
    assert {f"{folder}index.html" for folder in statements} <= rewritten


def test_an_edit_of_the_built_in_templates_renders_the_pages_again(tmp_path, monkeypatch):
    """In a checkout the built-in templates sit beside the package, not in it: they are part of the program."""
    builtin = tmp_path / "builtin"
    shutil.copytree(builtin_templates_dir(), builtin)
    monkeypatch.setattr(templating, "builtin_templates_dir", lambda: builtin)
    cache.code_fingerprint.cache_clear()
    try:
        site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
        first = site.build()
        statement = builtin / "site" / "statement.html"
        statement.write_text(statement.read_text().replace("{% block main %}", "{% block main %}<p>Thank you.</p>", 1))
        cache.code_fingerprint.cache_clear()
        second = site.build()
    finally:
        cache.code_fingerprint.cache_clear()
    assert second.site.rendered == first.site.rendered
    page = next(iter(first.site.statement_pages.values())).path
    assert "<p>Thank you.</p>" in (site.out / page / "index.html").read_text()


def test_a_settings_change_rewrites_the_pages_that_show_it(tmp_path):
    def change(site: Site, first: build_command.BuildOutcome) -> None:
        site.settings["phone"] = "+32 2 765 43 21"

    rewritten, _, new, _ = rebuilt_after(tmp_path, change)
    assert all(b"765 43 21" in new[path] for path in rewritten)
    assert not {"robots.txt", "_headers"} & rewritten


def test_a_secret_rotation_moves_every_private_page(tmp_path):
    def change(site: Site, first: build_command.BuildOutcome) -> None:
        tokens.rotate_secret(site.secret)

    rewritten, old, new, _ = rebuilt_after(tmp_path, change)
    private = {path for path in new if path.startswith(("i/", "c/")) and path.count("/") == 2}
    assert private <= rewritten and not private & set(old)
    css = next(path for path in new if path.startswith("assets/portal."))
    assert css not in rewritten


def test_the_manifest_names_the_secret_and_the_workbook(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    outcome = site.build()
    recorded = manifest.load(site.folder / ".debtor-portal" / "build.json")
    assert recorded is not None
    assert recorded.secret_fingerprint == tokens.load_secret(site.secret).fingerprint
    assert len(recorded.secret_fingerprint) == 16
    assert recorded.files == outcome.site.files
    assert recorded.invoices == len(outcome.site.invoice_pages) and recorded.as_of == sample.AS_OF
    (site.folder / ".debtor-portal" / "build.json").write_text("{not json")
    assert manifest.load(site.folder / ".debtor-portal" / "build.json") is None


def test_deleting_the_cache_changes_no_byte(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    site.build()
    before = tree(site.out)
    cache = site.folder / ".debtor-portal" / "cache"
    assert any((cache / "qr").rglob("*.qr"))
    shutil.rmtree(cache)
    again = site.build()
    assert again.site.reused == 0
    assert tree(site.out) == before


def test_a_damaged_qr_drawing_in_the_cache_is_drawn_again(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    site.build()
    before = tree(site.out)
    stored = sorted((site.folder / ".debtor-portal" / "cache" / "qr").rglob("*.qr"))
    assert stored
    for n, path in enumerate(stored):  # one byte changed, cut short, emptied: none may reach a page
        data = path.read_bytes()
        damaged = [data[:-1] + bytes([data[-1] ^ 1]), data[: len(data) // 2], b""][n % 3]
        path.write_bytes(damaged)
    shutil.rmtree(site.out)
    site.build()
    assert tree(site.out) == before
    assert all(path.read_bytes()[:32] == hashlib.sha256(path.read_bytes()[32:]).digest() for path in stored)


@pytest.mark.parametrize("encrypt", ["no", "yes"])
@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_one_or_two_worker_processes_give_the_same_site(tmp_path, monkeypatch, encrypt, start):
    monkeypatch.setattr(processes, "START_METHOD", start)
    trees = []
    for workers in (1, 2):
        settings = dict(sample.SETTINGS, encrypt_pages=encrypt)
        site = Site(tmp_path / f"w{workers}", small_rows(), settings, tmp_path / "secret")
        site.folder.mkdir()
        outcome = site.build(workers=workers)
        assert outcome.site.rendered > 2 and not fell_back(outcome)
        trees.append(tree(site.out))
    assert trees[0] == trees[1]


@pytest.mark.parametrize("phase", ["_draw_all", "_write_units"])
def test_when_a_worker_process_dies_this_process_makes_the_rest(tmp_path, monkeypatch, phase):
    """A worker killed (or one that cannot start, as may happen where processes are spawned): the build
    goes on in this process, gives the same site, and says so."""
    parent, work = os.getpid(), getattr(site_module, phase)

    def dies_in_a_worker(*args):
        if os.getpid() != parent:
            os._exit(1)
        return work(*args)

    # sent to the workers by name, as the function it stands for; forked workers find it there too
    dies_in_a_worker.__module__, dies_in_a_worker.__qualname__ = site_module.__name__, phase
    monkeypatch.setattr(site_module, phase, dies_in_a_worker)
    trees, said = [], []
    for workers in (2, 1):
        site = Site(tmp_path / f"w{workers}", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
        site.folder.mkdir()
        calls: list[int] = []
        outcome = site.build(workers=workers, progress=lambda done, total, label, seen=calls: seen.append(done))
        assert calls == sorted(calls)
        trees.append(tree(site.out))
        said.append(fell_back(outcome))
        again = site.build(workers=workers)  # nothing changed: the note was about the last build only
        assert again.site.rendered == 0 and fell_back(again) == []
    assert trees[0] == trees[1]
    label = "QR codes" if phase == "_draw_all" else "pages"
    assert len(said[0]) == 1 and f"making the {label}" in said[0][0] and said[1] == []


def test_progress_is_reported_with_increasing_counts(tmp_path):
    calls: list[tuple[int, int, str]] = []
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    outcome = site.build(workers=2, progress=lambda done, total, label: calls.append((done, total, label)))
    done = [call[0] for call in calls]
    assert done == sorted(set(done)) and done[-1] == calls[-1][1]
    assert {label for *_, label in calls} == {"QR codes", "pages"}
    qr_codes = len(list((site.folder / ".debtor-portal" / "cache" / "qr").rglob("*.qr")))
    assert calls[-1][1] == outcome.site.rendered + qr_codes


def test_an_interrupted_build_leaves_the_previous_site(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    site.build()
    before, files = inodes(site.out), tree(site.out)
    site.settings["phone"] = "+32 2 765 43 21"

    def interrupt(done: int, total: int, label: str) -> None:
        if label == "pages" and done > total // 2:
            raise KeyboardInterrupt

    for workers in (1, 2):
        with pytest.raises(KeyboardInterrupt):
            site.build(workers=workers, progress=interrupt)
        assert inodes(site.out) == before and tree(site.out) == files
        assert [p.name for p in site.folder.iterdir() if p.name.startswith(".site_out")] == []


def test_an_invoice_gone_from_the_workbook_takes_its_pages_and_folder_along(tmp_path):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    first = site.build()
    number = open_invoice(first)
    folder = site.out / first.site.invoice_pages[number].path
    assert folder.is_dir()
    site.rows["invoices"] = [i for i in site.rows["invoices"] if i["number"] != number]
    for key in ("payments", "plans", "log"):
        site.rows[key] = [r for r in site.rows[key] if r["invoice"] != number]
    site.build()
    assert not folder.exists()
    cold = Site(tmp_path / "cold", site.rows, site.settings, site.secret)
    cold.folder.mkdir()
    cold.build()
    assert tree(site.out) == tree(cold.out)


def test_a_commit_cut_short_is_finished_by_the_next_build(tmp_path, monkeypatch):
    """The files of a build are moved in after a journal is written: a build killed while moving them
    (power cut, kill -9) leaves a journal that the next build finishes before anything else."""
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    site.build()
    site.settings["phone"] = "+32 2 765 43 21"
    moves = []
    real_replace = os.replace

    def cut_after_three_moves(source, target):
        if Path(source).parent != Path(target).parent and len(moves) == 3:
            raise SystemExit("power cut")
        moves.append(target)
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", cut_after_three_moves)
    with pytest.raises(SystemExit):
        site.build(workers=1)
    monkeypatch.setattr(os, "replace", real_replace)
    assert (site.folder / ".site_out.staging" / ".commit.json").is_file()

    site.build()
    assert not (site.folder / ".site_out.staging").exists()
    cold = Site(tmp_path / "cold", site.rows, site.settings, site.secret)
    cold.folder.mkdir()
    cold.build()
    assert tree(site.out) == tree(cold.out)


def test_a_rebuild_with_nothing_changed_is_remembered_without_assessing_again(tmp_path, monkeypatch):
    site = Site(tmp_path / "book", small_rows(), dict(sample.SETTINGS), tmp_path / "secret")
    first = site.build()

    def assessed(*args: object, **kwargs: object) -> None:
        raise AssertionError("the workbook was assessed again")

    monkeypatch.setattr(load, "assessed", assessed)
    second = site.build()
    said = ("files", "invoice_pages", "statement_pages", "warnings", "sources")
    assert [getattr(second.site, name) for name in said] == [getattr(first.site, name) for name in said]
    assert (second.as_of, second.warnings, second.law_warnings) == (first.as_of, first.warnings, first.law_warnings)
    assert second.site.rendered == 0 and second.site.reused == first.site.rendered
    monkeypatch.undo()
    assert second.assessment == first.assessment  # assessed when asked


def test_a_remembered_build_is_not_trusted_once_a_file_it_read_or_wrote_changed(tmp_path):
    rows = small_rows()
    number = rows["invoices"][0]["number"]
    rows["invoices"][0]["pdf"] = "invoices/first.pdf"
    site = Site(tmp_path / "book", rows, dict(sample.SETTINGS), tmp_path / "secret")
    first = site.build()
    assert any("first.pdf" in warning for warning in first.site.warnings)
    pdf = site.folder / "invoices" / "first.pdf"
    pdf.parent.mkdir()
    for content in (b"%PDF-1.4 first\n", b"%PDF-1.4 corrected, longer\n"):
        pdf.write_bytes(content)
        built = site.build()
        assert not any("first.pdf" in warning for warning in built.site.warnings)
        assert (site.out / built.site.invoice_pages[number].path / "invoice.pdf").read_bytes() == content
    before = tree(site.out)
    page = site.out / built.site.invoice_pages[number].path / "index.html"
    page.write_text("defaced")
    site.build()
    assert tree(site.out) == before
    page.unlink()
    site.build()
    assert tree(site.out) == before


def test_a_remembered_build_needs_the_secrets_signature(tmp_path):
    folder = tmp_path / "state"
    folder.mkdir()
    manifest_file, path = folder / "build.json", folder / "memo"
    manifest_file.write_text("{}")
    secret, other = tokens.Secret(b"k" * 32, "test"), tokens.Secret(b"o" * 32, "test")
    memo.remember(path, "inputs", secret, {"said": 1}, [], manifest_file)
    assert memo.recall(path, "inputs", secret, manifest_file) == {"said": 1}
    assert memo.recall(path, "other inputs", secret, manifest_file) is None
    assert memo.recall(path, "inputs", other, manifest_file) is None
    data = bytearray(path.read_bytes())
    data[-1] ^= 1
    path.write_bytes(bytes(data))
    assert memo.recall(path, "inputs", secret, manifest_file) is None
    memo.remember(path, "inputs", secret, {"said": 1}, [], manifest_file)
    manifest_file.write_text('{"another": "build"}')
    assert memo.recall(path, "inputs", secret, manifest_file) is None


@pytest.mark.parametrize("start, enough", [("fork", 64), ("spawn", 1_000)])
def test_worker_processes_start_only_when_there_is_enough_to_share(monkeypatch, start, enough):
    monkeypatch.setattr(processes, "START_METHOD", start)
    assert processes.pool(None, enough - 1) == (None, 1)
    assert processes.pool(4, 1) == (None, 1)
    pool, workers = processes.pool(None, enough)
    try:
        assert workers == (os.cpu_count() or 1) and (pool is not None) == (workers > 1)
    finally:
        if pool is not None:
            pool.shutdown()
    pool, workers = processes.pool(2, 3)  # asked for: as many as asked
    try:
        assert (pool is not None, workers) == (True, 2)
        assert pool._mp_context.get_start_method() == start
    finally:
        if pool is not None:
            pool.shutdown()


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_worker_processes_collect_garbage_as_their_parent_does(monkeypatch, start):
    """A forked worker inherits the parent's thresholds; a spawned one starts with Python's and is told them."""
    monkeypatch.setattr(processes, "START_METHOD", start)
    before = gc.get_threshold()
    gc.set_threshold(12_345, 6, 7)
    try:
        pool, _ = processes.pool(2, 3)
    finally:
        gc.set_threshold(*before)
    assert pool is not None
    try:
        assert pool.submit(gc.get_threshold).result() == (12_345, 6, 7)
    finally:
        pool.shutdown()


def test_windows_gets_no_more_worker_processes_than_it_allows(monkeypatch):
    monkeypatch.setattr(processes.sys, "platform", "win32")
    monkeypatch.setattr(processes, "START_METHOD", "spawn")
    pool, workers = processes.pool(100, 5_000)  # no process starts before work is submitted
    assert pool is not None and workers == 61
    pool.shutdown()

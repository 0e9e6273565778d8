"""In a terminal, long builds, publishes and imports show a progress bar; when the output is not a
terminal (a log, a pipe, a scheduled task), nothing of the bar is written."""

from __future__ import annotations

import fcntl
import os
import pty
import shutil
import struct
import subprocess
import sys
import termios
from datetime import date
from pathlib import Path

from .bankfiles import Entry
from .bankfiles import coda as write_coda
from .conftest import SAMPLE

COMMAND = [sys.executable, "-m", "portal.front.cli"]


def stderr_of(args: list[str], *, terminal: bool) -> str:
    """What `debtor-portal args` writes to its standard error: a pseudo-terminal, or a pipe."""
    if not terminal:
        done = subprocess.run(COMMAND + args, capture_output=True, text=True, check=True)
        return done.stderr
    main, child_side = pty.openpty()
    fcntl.ioctl(child_side, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))  # 80 columns, as a terminal has
    child = subprocess.Popen(COMMAND + args, stdout=subprocess.DEVNULL, stderr=child_side)
    os.close(child_side)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the child closed its side
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert child.wait() == 0
    return b"".join(chunks).decode("utf-8", "replace")


def test_build_publish_and_import_show_a_bar_in_a_terminal_only(small_copy: Path, tmp_path: Path):
    build = ["build", str(small_copy), "--as-of", "2026-11-16"]
    shown = stderr_of(build, terminal=True)
    assert "QR codes:" in shown and "pages:" in shown and "%|" in shown
    publish = ["publish", str(small_copy), "--to", str(tmp_path / "www")]
    shown = stderr_of(publish, terminal=True)
    assert "Uploading:" in shown and "%|" in shown
    statement = tmp_path / "statement.cod"
    statement.write_bytes(write_coda([Entry("10.00", date(2026, 11, 2), "BNK-1", text="acompte", name="Someone")]))
    shown = stderr_of(["import-bank", str(small_copy), str(statement), "--in-place"], terminal=True)
    assert "Reading statement.cod:" in shown and "%|" in shown

    (tmp_path / "www").rename(tmp_path / "www-before")
    for args in (build, publish):
        assert stderr_of(args, terminal=False) == ""


RENDERING = ("jinja2", "markdown", "babel", "cryptography")  # pages, letters' texts, formats, encryption


def loaded_by(code: str) -> set[str]:
    """The packages a fresh Python has loaded after running `code`."""
    shown = subprocess.run(
        [sys.executable, "-c", f"import sys\n{code}\nprint(' '.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()[-1]
    return {m.split(".")[0] for m in shown.split()}


def test_the_front_doors_start_without_what_only_other_commands_need():
    """Each run (each ribbon click on Windows) starts Python afresh: openpyxl (writing), reportlab (letters)
    and tqdm (a terminal's bar) are loaded only by the commands that use them, and rendering only by those
    that render."""
    for front in ("portal.front.cli", "portal.front.excel"):
        assert loaded_by(f"import {front}") & {"openpyxl", "reportlab", "tqdm", *RENDERING} == set(), front


def command(*args: str) -> str:
    """Python code running the command line with `args`."""
    return f"from portal.front import cli\ntry:\n    cli.main({list(args)!r})\nexcept SystemExit:\n    pass"


def test_checking_a_workbook_loads_nothing_for_rendering():
    loaded = loaded_by(command("check", str(SAMPLE)))
    assert "stdnum" in loaded and "python_calamine" in loaded  # it did read and check the workbook
    assert loaded & {"openpyxl", "reportlab", "tqdm", *RENDERING} == set()


def test_a_build_with_nothing_changed_loads_neither_the_renderer_nor_the_law(tmp_path):
    """It reads the workbook, finds the last build's inputs unchanged and its site untouched, and says so."""
    book = tmp_path / "book.xlsx"
    shutil.copy(SAMPLE, book)
    build = ["build", str(book), "--secret-file", str(tmp_path / "secret")]
    subprocess.run([*COMMAND, *build], capture_output=True, check=True)
    loaded = loaded_by(command(*build))
    assert "python_calamine" in loaded
    rendering = {"markdown", "babel", "cryptography", "segno"}  # jinja2 finds a user's own templates: inputs too
    assert loaded & {"holidays", "schwifty", "stdnum", "openpyxl", "tqdm", *rendering} == set()
    said = subprocess.run([*COMMAND, *build], capture_output=True, text=True, check=True).stdout
    assert "Built 107 invoice page(s) and 39 statement(s)" in said

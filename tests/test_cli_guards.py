"""The command line refuses what would do harm or something else than asked: rotating the site secret
without a yes, a new workbook under a wrong name or in a missing folder, a build on no workers; and a
flat list made as the README describes it is read."""

from __future__ import annotations

import io
import re
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from portal.app import errors
from portal.front import cli
from portal.render import tokens
from portal.workbook.port import state_dir

from .conftest import ROOT


class Terminal(io.StringIO):
    """What a person types at a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def workbook(tmp_path: Path, monkeypatch) -> Path:
    """A new workbook whose site secret already exists beside it."""
    monkeypatch.delenv(tokens.SECRET_ENV, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    path = tmp_path / "invoices.xlsx"
    assert cli.main(["init", str(path)]) == errors.EXIT_OK
    tokens.workbook_secret(tmp_path, environ={})
    return path


def _secret(workbook: Path) -> str:
    return (state_dir(workbook.parent) / tokens.SECRET_FILE).read_text()


def test_rotating_without_a_terminal_needs_yes(workbook, monkeypatch, capsys):
    before = _secret(workbook)
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert cli.main(["secret", "rotate", str(workbook)]) == errors.EXIT_PROBLEMS
    assert "--yes" in capsys.readouterr().err
    assert _secret(workbook) == before


@pytest.mark.parametrize("answer", ["n\n", "y\n", "\n", ""])
def test_rotating_at_a_terminal_keeps_the_secret_unless_yes_is_typed(workbook, monkeypatch, capsys, answer):
    before = _secret(workbook)
    monkeypatch.setattr("sys.stdin", Terminal(answer))
    assert cli.main(["secret", "rotate", str(workbook)]) == errors.EXIT_PROBLEMS
    assert "not rotated" in capsys.readouterr().out
    assert _secret(workbook) == before


def test_rotating_at_a_terminal_after_yes(workbook, monkeypatch, capsys):
    before = _secret(workbook)
    monkeypatch.setattr("sys.stdin", Terminal("yes\n"))
    assert cli.main(["secret", "rotate", str(workbook)]) == errors.EXIT_OK
    out = capsys.readouterr().out
    assert 'Type "yes"' in out and "New site secret" in out
    assert _secret(workbook) != before


def test_rotating_with_yes_asks_nothing(workbook, monkeypatch):
    before = _secret(workbook)
    monkeypatch.setattr("sys.stdin", Terminal(""))
    assert cli.main(["secret", "rotate", str(workbook), "--yes"]) == errors.EXIT_OK
    assert _secret(workbook) != before


def test_init_refuses_a_name_not_ending_in_xlsx(tmp_path, capsys):
    assert cli.main(["init", str(tmp_path / "foo.csv")]) == errors.EXIT_PROBLEMS
    assert "does not end in .xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_folder_that_does_not_exist(tmp_path, capsys):
    missing = tmp_path / "nonexistent" / "dir"
    assert cli.main(["init", str(missing / "x.xlsx")]) == errors.EXIT_PROBLEMS
    assert f"The folder {missing} does not exist" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_a_file_as_its_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("")
    assert cli.main(["init", str(tmp_path / "notes.txt" / "x.xlsx")]) == errors.EXIT_PROBLEMS
    assert "is a file, not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("workers", ["0", "-3", "two", "1.5"])
def test_build_refuses_a_number_of_workers_below_one(tmp_path, capsys, workers):
    with pytest.raises(SystemExit) as exited:
        cli.main(["build", str(tmp_path / "invoices.xlsx"), "--workers", workers])
    assert exited.value.code == 2
    assert "positive whole number" in capsys.readouterr().err


def test_build_takes_a_positive_number_of_workers():
    assert cli.parser().parse_args(["build", "invoices.xlsx", "--workers", "3"]).workers == 3


def test_a_flat_list_with_the_headers_the_readme_names_is_read(tmp_path, capsys):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"a sheet with (.+?) works\.", readme, re.DOTALL)
    assert example is not None
    headers = re.findall(r'"([^"]+)"', example.group(1))
    values = {
        "Nom du client": "Boulangerie Dupont",
        "Numéro de facture": "2026-001",
        "Date de facture": date(2026, 9, 1),
        "Échéance": date(2026, 10, 1),
        "Montant dû": 1234.56,
    }
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Factures"
    sheet.append(headers)
    sheet.append([values[h] for h in headers])
    path = tmp_path / "flat.xlsx"
    book.save(path)
    creditor = ["--creditor", "name=Atelier SRL", "--creditor", "iban=BE71096123456769"]
    assert cli.main(["check", str(path), *creditor]) == errors.EXIT_OK
    assert "no errors" in capsys.readouterr().out

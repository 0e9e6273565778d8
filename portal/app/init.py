"""`init`: a new workbook from the template, optionally with the sample data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..workbook import sample
from ..workbook.template import write_workbook
from .errors import Refused


@dataclass(frozen=True)
class InitResult:
    path: Path
    sample: bool


def init(path: Path, *, with_sample: bool = False, lang: str = "en", overwrite: bool = False) -> InitResult:
    """Write a new template workbook, optionally with the sample data."""
    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise Refused(f"{path} does not end in .xlsx: a new workbook is an Excel workbook, e.g. {path.stem}.xlsx.")
    if path.parent.is_file():
        raise Refused(
            f"{path.parent} is a file, not a folder: put the new workbook in a folder, e.g. {path.parent.parent / path.name}."
        )
    if not path.parent.is_dir():
        raise Refused(
            f"The folder {path.parent} does not exist: create it first, or choose a workbook in another folder."
        )
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists: choose another name, or pass --force to replace it.")
    if with_sample:
        write_workbook(path, lang=lang, settings=sample.SETTINGS, rows=sample.sample_rows())
    else:
        write_workbook(path, lang=lang)
    return InitResult(path, with_sample)

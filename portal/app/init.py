"""`init`: a new workbook from the template, optionally with the sample data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..workbook import sample
from ..workbook.template import write_workbook


@dataclass(frozen=True)
class InitResult:
    path: Path
    sample: bool


def init(path: Path, *, with_sample: bool = False, lang: str = "en", overwrite: bool = False) -> InitResult:
    """Write a new template workbook, optionally with the sample data."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists: choose another name, or pass --force to replace it.")
    if with_sample:
        write_workbook(path, lang=lang, settings=sample.SETTINGS, rows=sample.sample_rows())
    else:
        write_workbook(path, lang=lang)
    return InitResult(path, with_sample)

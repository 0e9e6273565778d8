"""`build`: check the workbook, assess it and write the portal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from ..domain import dunning
from ..domain.problems import Problem
from ..render import site
from ..workbook.port import WorkbookPort, state_dir
from .load import assessed, secret

MANIFEST = "build.json"


@dataclass(frozen=True)
class BuildOutcome:
    site: site.BuildResult
    assessment: dunning.Assessment
    warnings: tuple[Problem, ...]
    secret_moved: str = ""  # the user-level secret of older versions, copied beside the workbook by this build


def build(
    workbook: WorkbookPort,
    *,
    today: date,
    out_dir: Path,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
    workers: int | None = None,
    progress: site.Progress | None = None,
) -> BuildOutcome:
    """Check the workbook, assess it and write the portal to `out_dir`.

    `progress(done, total, label)` is called as pages are rendered; `workers` processes render
    them (default: one per core)."""
    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor)
    key = secret(workbook.folder, secret_file)
    result = site.build_site(
        assessment,
        out_dir,
        key,
        workbook.folder,
        manifest=state_dir(workbook.folder) / MANIFEST,
        workbook_fingerprint=loaded.fingerprint,
        workers=workers,
        progress=progress,
    )
    return BuildOutcome(result, assessment, tuple(loaded.warnings), key.moved_from)

"""`build`: check the workbook, assess it and write the portal."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..domain.problems import Problem
from ..domain.progress import Progress
from ..render import cache, tokens
from ..render.built import BuildResult
from ..workbook.port import WorkbookPort, grids_fingerprint, state_dir
from . import memo

if TYPE_CHECKING:
    from ..domain.dunning import Assessment

MANIFEST = "build.json"
MEMO = "cache/build-memo"


@dataclass(frozen=True)
class BuildOutcome:
    site: BuildResult
    as_of: date
    warnings: tuple[Problem, ...]  # the workbook's
    law_warnings: tuple[str, ...]  # what the legal computations want the user to know (e.g. a rate table to update)
    secret_moved: str = ""  # the user-level secret of older versions, copied beside the workbook by this build
    assess: Callable[[], Assessment] | None = field(default=None, repr=False, compare=False)

    @cached_property
    def assessment(self) -> Assessment:
        """The assessment the site shows: a remembered build assesses the workbook when asked."""
        if self.assess is None:
            raise ValueError("this outcome was not given the way to its assessment")
        return self.assess()


def build(
    workbook: WorkbookPort,
    *,
    today: date,
    out_dir: Path,
    as_of: date | None = None,
    creditor: dict[str, str] | None = None,
    secret_file: Path | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> BuildOutcome:
    """Check the workbook, assess it and write the portal to `out_dir`.

    `progress(done, total, label)` is called as pages are rendered; `workers` processes render
    them (default: one per core, when there are enough pages to pay for starting them). When nothing
    the last build read has changed and its site is untouched, the build says what that build said,
    without assessing the workbook again."""
    grids = workbook.grids()
    values = grids_fingerprint(grids)
    key = tokens.workbook_secret(workbook.folder, secret_file)
    out_dir = Path(out_dir).resolve()
    state = state_dir(workbook.folder)
    inputs = memo.inputs_key(
        values, today, as_of, sorted((creditor or {}).items()), key.fingerprint, str(out_dir), folder=workbook.folder
    )
    remembered = None if key.created else memo.recall(state / MEMO, inputs, key, state / MANIFEST)
    if isinstance(remembered, BuildOutcome) and cache.unchanged_since_last_build(out_dir, state / MANIFEST):
        built = replace(remembered.site, rendered=0, reused=remembered.site.rendered + remembered.site.reused)
        again = partial(_assessment, workbook, today=today, as_of=as_of, creditor=creditor, grids=grids)
        return replace(
            remembered, site=replace(built, secret_created="", notes=()), secret_moved=key.moved_from, assess=again
        )
    from ..render import site  # what only a build that renders needs: the renderer, the law, the calendars
    from .load import assessed, law_warnings

    loaded, assessment = assessed(workbook, today=today, as_of=as_of, creditor=creditor, grids=grids)
    result = site.build_site(
        assessment,
        out_dir,
        key,
        workbook.folder,
        manifest=state / MANIFEST,
        workbook_fingerprint=values,
        workers=workers,
        progress=progress,
    )
    outcome = BuildOutcome(result, assessment.as_of, tuple(loaded.warnings), tuple(law_warnings(assessment)))
    memo.remember(state / MEMO, inputs, key, outcome, result.sources, state / MANIFEST)
    return replace(outcome, secret_moved=key.moved_from, assess=lambda: assessment)


def _assessment(workbook: WorkbookPort, **options: Any) -> Assessment:
    from .load import assessed

    return assessed(workbook, **options)[1]

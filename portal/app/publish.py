"""`publish`: mirror the built site to its target, refusing a stale, unchecked or unsafe site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..publish import targets as publish_module
from ..render import manifest as site_manifest
from ..render import site
from ..workbook.port import WorkbookPort, state_dir
from .build import MANIFEST
from .errors import Refused
from .load import load


@dataclass(frozen=True)
class PublishOutcome:
    target: str
    plan: publish_module.Plan
    dry_run: bool


def publish(
    workbook: WorkbookPort,
    *,
    site_dir: Path,
    to: str = "",
    dry_run: bool = False,
    creditor: dict[str, str] | None = None,
) -> PublishOutcome:
    """Mirror the built site to the target, refusing a stale, unchecked or unsafe site."""
    loaded = load(workbook, creditor)
    if loaded.errors:
        raise Refused(
            f"{workbook.name} has {len(loaded.errors)} error(s): nothing was published. Run "
            "'debtor-portal check', correct them, build and publish again.",
            loaded.problems,
        )
    spec = to or loaded.ledger.creditor.publish_target
    if not spec:
        raise Refused(
            "No publish target: pass --to (a folder, rclone:REMOTE:PATH or git:URL#BRANCH) or fill in "
            "the 'Publish to' setting."
        )
    manifest = site_manifest.load(state_dir(workbook.folder) / MANIFEST)
    if manifest is None or not Path(site_dir).is_dir():
        raise Refused(f"No built site in {site_dir}: run 'debtor-portal build {workbook.name}' first.")
    if manifest.workbook_fingerprint != loaded.fingerprint:
        raise Refused(
            f"The workbook changed since the site was built: run 'debtor-portal build {workbook.name}' "
            "again, then publish."
        )
    if publish_module.site_files(Path(site_dir)) != manifest.files:
        raise Refused(
            f"{site_dir} is not the site that was last built (files were changed, added or removed): "
            "build again, then publish."
        )
    if unsafe := site.unsafe_payment_codes(Path(site_dir)):
        raise Refused(
            "Pages carry payment details that do not validate, so nothing was published:\n  " + "\n  ".join(unsafe)
        )
    target = publish_module.parse_target(spec, base_dir=workbook.folder)
    message = (
        f"Publish the portal as of {manifest.as_of.isoformat()}: {manifest.invoices} invoice page(s), "
        f"{manifest.statements} statement(s)"
    )
    plan = publish_module.publish(
        Path(site_dir), target, state_dir=state_dir(workbook.folder), message=message, dry_run=dry_run
    )
    return PublishOutcome(str(target), plan, dry_run)

"""`publish`: mirror the built site to its target, refusing a stale, unchecked or unsafe site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..domain.progress import Progress
from ..publish import targets as publish_module
from ..render import manifest as site_manifest
from ..render import site, tokens
from ..workbook.port import WorkbookPort, state_dir
from . import secret as secrets
from .build import MANIFEST
from .errors import Refused
from .load import checked


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
    secret_file: Path | None = None,
    progress: Progress | None = None,
) -> PublishOutcome:
    """Mirror the built site to the target, refusing a stale, unchecked or unsafe site; `progress(done,
    total, label)` counts the files uploaded and removed."""
    loaded, ledger = checked(
        workbook,
        creditor,
        then="nothing was published. Run 'debtor-portal check', correct them, build and publish again.",
    )
    spec = to or ledger.creditor.publish_target
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
    fingerprint = _check_secret(workbook, manifest, str(target), secret_file)
    encrypted = ledger.creditor.encrypt_pages
    if (
        encrypted
        and secrets.published_encrypted(workbook.folder, str(target)) is False
        and secrets.published_with(workbook.folder, str(target)) == fingerprint
    ):
        raise Refused(
            f"{target} holds pages published without 'Encrypt pages': with it on, every private link already sent "
            "needs a key it does not have, and opens an error page. To encrypt on purpose, give your customers new "
            f"links: run 'debtor-portal secret rotate {workbook.name}', then build and publish (or clear the setting)."
        )
    message = (
        f"Publish the portal as of {manifest.as_of.isoformat()}: {manifest.invoices} invoice page(s), "
        f"{manifest.statements} statement(s)"
    )
    plan = publish_module.publish(
        Path(site_dir),
        target,
        state_dir=state_dir(workbook.folder),
        message=message,
        dry_run=dry_run,
        progress=progress,
    )
    if not dry_run:
        secrets.record_published(workbook.folder, str(target), fingerprint, encrypted)
    return PublishOutcome(str(target), plan, dry_run)


def _check_secret(
    workbook: WorkbookPort, manifest: site_manifest.Manifest, target: str, secret_file: Path | None
) -> str:
    """The fingerprint of the secret the site was built with, when it may replace what `target` holds."""
    current = tokens.workbook_secret(workbook.folder, secret_file)
    built = manifest.secret_fingerprint
    if built != current.fingerprint:
        raise Refused(
            "The built site's links were made with another site secret than this workbook's (built on another "
            f"computer, or by an older version): run 'debtor-portal build {workbook.name}' again, then publish."
        )
    published = secrets.published_with(workbook.folder, target)
    if published and published != built and published not in secrets.rotated_away(workbook.folder):
        raise Refused(
            f"{target} holds a portal published with another site secret: publishing this site would replace every "
            "private link already sent to debtors. Build on the computer, or from the workbook copy, it was "
            f"published from (the secret is in .debtor-portal/site-secret beside the workbook); to change every link "
            f"on purpose, run 'debtor-portal secret rotate {workbook.name}', then build and publish."
        )
    return built

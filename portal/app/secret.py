"""`secret`: where a workbook's site secret is, rotating it on purpose, and what publishing remembers of it.

The build manifest and the publish state record the secret's fingerprint (never the secret). Publish
refuses a site made with another secret than the one the target was last published with, unless
that secret was rotated away on purpose here: otherwise every link already sent would stop working.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..render import tokens
from ..workbook.port import state_dir

PUBLISHED = "published-secrets.json"  # publish target -> the secret it was published with, and whether encrypted
ROTATED = "rotated-secrets.json"  # fingerprints of secrets rotated away on purpose


@dataclass(frozen=True)
class Rotated:
    secret: tokens.Secret
    previous: str  # the old secret's fingerprint, '' when there was none


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}


def _write(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".new")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(temporary, path)


def where(folder: Path, secret_file: Path | None = None) -> Path:
    return Path(secret_file) if secret_file else tokens.workbook_secret_path(folder)


def rotate(folder: Path, secret_file: Path | None = None) -> Rotated:
    """A new secret for the workbook in `folder`. The old one, and those of every portal published from here,
    are remembered as rotated away on purpose: publish may then replace their links."""
    path = where(folder, secret_file)
    previous = ""
    if path.exists():
        previous = tokens.load_secret(path, environ={}).fingerprint
    elif secret_file is None and tokens.default_secret_path().is_file():
        previous = tokens.load_secret(tokens.default_secret_path(), environ={}).fingerprint
    new = tokens.rotate_secret(path)
    published = filter(None, (published_with(folder, target) for target in _read(state_dir(folder) / PUBLISHED)))
    away = {*_read(state_dir(folder) / ROTATED).get("fingerprints", []), *published}
    if previous:
        away.add(previous)
    away.discard(new.fingerprint)
    if away:
        _write(state_dir(folder) / ROTATED, {"fingerprints": sorted(away)})
    return Rotated(new, previous)


def _published(folder: Path, target: str) -> dict:
    record = _read(state_dir(folder) / PUBLISHED).get(target, {})
    return record if isinstance(record, dict) else {"secret": str(record)}  # as versions before 'encrypted' kept it


def published_with(folder: Path, target: str) -> str:
    """The fingerprint of the secret `target` was last published with from this workbook ('' when unknown)."""
    return str(_published(folder, target).get("secret", ""))


def published_encrypted(folder: Path, target: str) -> bool | None:
    """Whether `target`'s pages were last published encrypted (their links carry a key); None when unknown."""
    encrypted = _published(folder, target).get("encrypted")
    return encrypted if isinstance(encrypted, bool) else None


def rotated_away(folder: Path) -> set[str]:
    return set(_read(state_dir(folder) / ROTATED).get("fingerprints", []))


def record_published(folder: Path, target: str, fingerprint: str, encrypted: bool) -> None:
    record = _read(state_dir(folder) / PUBLISHED)
    record[target] = {"secret": fingerprint, "encrypted": encrypted}
    _write(state_dir(folder) / PUBLISHED, record)

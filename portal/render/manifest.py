"""The build manifest: what the last build wrote and from what, kept beside the workbook (outside
the site) so that publish can refuse a stale, altered or foreign site."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path

FORMAT = 2


@dataclass(frozen=True)
class Manifest:
    as_of: date
    out_dir: str
    workbook_fingerprint: str
    secret_fingerprint: str
    invoices: int
    statements: int
    files: dict[str, str] = field(default_factory=dict)  # relative path -> sha256

    def save(self, path: Path) -> None:
        """Write the manifest whole (a reader never sees half of it)."""
        data = {f.name: getattr(self, f.name) for f in fields(self)} | {
            "as_of": self.as_of.isoformat(),
            "format": FORMAT,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial")
        partial.write_text(json.dumps(data, sort_keys=True))  # no indent: the C encoder, ten times faster
        os.replace(partial, path)


def load(path: Path) -> Manifest | None:
    """The manifest at `path`; None when there is none or it is unreadable (then build again)."""
    try:
        data = json.loads(Path(path).read_text())
        return Manifest(
            as_of=date.fromisoformat(data["as_of"]),
            out_dir=str(data["out_dir"]),
            workbook_fingerprint=str(data["workbook_fingerprint"]),
            secret_fingerprint=str(data["secret_fingerprint"]),
            invoices=int(data["invoices"]),
            statements=int(data["statements"]),
            files={str(k): str(v) for k, v in data["files"].items()},
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None

"""The build cache, kept beside the manifest (outside the site) and safe to delete at any time.

- `qr/`: the SVG and the PNG of each EPC payload, named by the SHA-256 of the payload and of the code
  that drew them.
- `units.json`: for each unit of the site (an invoice's pages, a statement's pages, …) the
  fingerprint of everything it was rendered from and the files it gave, with their size,
  modification time and inode, so that an unchanged unit is carried over from the previous
  site without being rendered or read again.
- `build-memo`: what the last build said, by the fingerprint of its inputs (`portal.app.memo`).

Deleting the cache only makes the next build render everything: the output is the same.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
from collections.abc import Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

from . import commit, templating

if TYPE_CHECKING:
    from ..codes.payment import QrDrawings

FORMAT = 1


def fingerprint(*parts: object) -> str:
    """The SHA-256 of the parts' repr: plain dataclasses, tuples, dicts (in insertion order), dates
    and Decimals print the same on every run, so equal inputs give equal fingerprints. A change in
    any field changes it; where a value sits in the workbook is part of it too, so moving rows
    renders their pages again (and gives the same bytes)."""
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def tree_fingerprint(*folders: Path | None) -> str:
    """Every file under the folders, by relative path and content."""
    digest = hashlib.sha256()
    for folder in folders:
        if folder is None or not folder.is_dir():
            digest.update(b"-\0")
            continue
        for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


RENDERING_PACKAGES = ("babel", "holidays", "jinja2", "markdown", "segno", "schwifty", "python-stdnum")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The engine's own source, its built-in templates (beside the package in a checkout) and the
    versions of the libraries that shape a page: a change in any renders everything again."""
    versions = []
    for package in RENDERING_PACKAGES:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, ""))
    templates = templating.builtin_templates_dir()
    outside = None if templates.is_relative_to(templating.PACKAGE_DIR) else templates  # else hashed with the rest
    return fingerprint(tree_fingerprint(templating.PACKAGE_DIR, outside), tuple(versions))


class Folders(set[Path]):
    """The folders made so far, so that each is made once rather than before every file written into it."""

    def make(self, folder: Path) -> None:
        if folder not in self:
            folder.mkdir(parents=True, exist_ok=True)
            self.add(folder)


class QRStore:
    """The drawings of each payload: one file each, the SHA-256 of the rest, then the untitled SVG, a NUL
    byte (which no SVG holds) and the PNG. A file that does not match its hash is drawn again."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.made = Folders()

    def _path(self, payload: str) -> Path | None:
        if self.folder is None:
            return None
        name = hashlib.sha256(f"{code_fingerprint()}\0{payload}".encode()).hexdigest()  # new code, new drawings
        return self.folder / name[:2] / f"{name}.qr"

    def get(self, payload: str) -> QrDrawings | None:
        path = self._path(payload)
        if path is None:
            return None
        try:
            data = path.read_bytes()
            body = data[32:]
            if hashlib.sha256(body).digest() != data[:32]:
                return None
            svg, _, png = body.partition(b"\0")
            from ..codes.payment import QrDrawings  # segno and the IBAN checks: only once a code is asked for

            return QrDrawings(svg.decode("utf-8"), png)
        except (OSError, UnicodeDecodeError):
            return None

    def put(self, payload: str, drawn: QrDrawings) -> None:
        path = self._path(payload)
        if path is None:
            return
        with contextlib.suppress(OSError):
            self.made.make(path.parent)
            partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
            body = drawn.svg.encode("utf-8") + b"\0" + drawn.png
            partial.write_bytes(hashlib.sha256(body).digest() + body)
            os.replace(partial, path)


FileStamp = tuple[str, int, int, int]  # sha256, size, mtime_ns, inode


def stamp(path: Path, sha: str) -> FileStamp:
    st = path.stat()
    return (sha, st.st_size, st.st_mtime_ns, st.st_ino)


def unchanged_on_disk(path: str | Path, recorded: FileStamp) -> bool:
    """The file is still the one recorded (same size, modification time and inode)."""
    try:
        st = os.stat(path)
    except OSError:
        return False
    return st.st_size == recorded[1] and st.st_mtime_ns == recorded[2] and st.st_ino == recorded[3]


@dataclasses.dataclass
class Unit:
    key: str
    files: dict[str, FileStamp]


class UnitIndex:
    """units.json: each unit's input fingerprint and the files it gave."""

    def __init__(self, path: Path | None):
        self.path = path
        self.units: dict[str, Unit] = {}
        self.out_dir = ""
        if path is None:
            return
        try:
            data = json.loads(path.read_text())
            if data.get("format") != FORMAT:
                return
            self.out_dir = str(data["out_dir"])
            self.units = {
                name: Unit(
                    str(u["key"]), {p: (str(s[0]), int(s[1]), int(s[2]), int(s[3])) for p, s in u["files"].items()}
                )
                for name, u in data["units"].items()
            }
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            self.units = {}

    def save(self, out_dir: Path, units: dict[str, Unit]) -> None:
        if self.path is None:
            return
        data = {
            "format": FORMAT,
            "out_dir": str(out_dir),
            "units": {name: {"key": u.key, "files": u.files} for name, u in sorted(units.items())},
        }
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            partial = self.path.with_name(self.path.name + ".partial")
            partial.write_text(json.dumps(data, separators=(",", ":")))
            os.replace(partial, self.path)


def folder_beside(manifest: Path) -> Path:
    """The build cache: beside the manifest, outside the site."""
    return manifest.parent / "cache"


def on_disk(out_dir: Path, unit: Unit) -> bool:
    """Every file of the unit is in the site as recorded (same size, modification time and inode)."""
    return all(unchanged_on_disk(f"{out_dir}/{path}", stamp) for path, stamp in unit.files.items())


def holds_only(out_dir: Path, units: Iterable[Unit]) -> bool:
    """The site holds the units' files and no other (but those it does not own)."""
    return commit.files_of(out_dir) == sorted(path for unit in units for path in unit.files)


def unchanged_since_last_build(out_dir: Path, manifest: Path) -> bool:
    """The site in `out_dir` is, file for file, the one the last build recorded in `manifest` wrote."""
    out_dir = Path(out_dir).resolve()
    commit.finish_commit(out_dir)
    index = UnitIndex(folder_beside(manifest) / "units.json")
    units = index.units.values()
    return (
        bool(index.units)
        and index.out_dir == str(out_dir)
        and manifest.is_file()
        and holds_only(out_dir, units)
        and all(on_disk(out_dir, unit) for unit in units)
    )

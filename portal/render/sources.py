"""The files a workbook names for its site (its logo, its invoices' PDFs): only from inside its folder."""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..domain.problems import UserError


class BuildError(UserError):
    """The site cannot be built as it stands; the message lists what to fix and where."""


LOGO_PLACE = "Settings, Logo"  # where a build's message says the logo is named
LOGO_KINDS = {"png": b"\x89PNG\r\n\x1a\n", "jpg": b"\xff\xd8\xff", "jpeg": b"\xff\xd8\xff"}


def logo_source(name: str, folder: Path | None) -> Path | None:
    """The logo file the Settings name: a PNG, JPEG or SVG inside the workbook's folder, by its name and its
    first bytes; None without one. A BuildError says what is wrong with it."""
    name = name.strip()
    if not name:
        return None
    where = LOGO_PLACE
    if folder is None:
        raise BuildError(f"{where}: '{name}' cannot be found without the workbook's folder; clear the setting.")
    source = in_folder(folder, name, f"{where}: the file '{name}'", "the image")
    if not source.is_file():
        raise BuildError(
            f"{where}: no file '{name}' in the workbook's folder {folder.resolve()}: correct the name or clear it."
        )
    with source.open("rb") as image:
        start = image.read(4096)
    kind = source.suffix.lower().lstrip(".")
    head = start.lstrip(b"\xef\xbb\xbf \t\r\n")
    if kind == "svg":
        fits = head.startswith(b"<") and b"<svg" in head
    else:
        fits = kind in LOGO_KINDS and start.startswith(LOGO_KINDS[kind])
    if not fits:
        raise BuildError(
            f"{where}: '{name}' is not a PNG, JPEG or SVG image (by its name and its content): "
            "save the logo as .png, .jpg or .svg and give that file."
        )
    return source


def logo_asset(name: str, folder: Path | None) -> tuple[str, bytes] | None:
    """The logo (`logo_source`) as its content-hashed name in assets/ and its bytes; None without one."""
    source = logo_source(name, folder)
    if source is None:
        return None
    data = source.read_bytes()
    kind = source.suffix.lower().lstrip(".")
    return f"logo.{hashlib.sha256(data).hexdigest()[:12]}.{'jpg' if kind == 'jpeg' else kind}", data


def in_folder(folder: Path, name: str, what: str, it: str) -> Path:
    """The file `name` inside the workbook's folder (or a subfolder), resolved; a build error naming `what`
    when the name leads out of it."""
    base = folder.resolve()
    source = (base / name).resolve()
    if not source.is_relative_to(base):
        raise BuildError(
            f"{what} is outside the workbook's folder {base}: move {it} into that folder (or a subfolder) "
            "and give its path from there."
        )
    return source

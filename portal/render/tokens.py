"""Private links: each page's URL carries an HMAC of a site secret, so it cannot be guessed.

The secret belongs to the workbook: it lives in the workbook's state folder beside it
(`.debtor-portal/site-secret`, owner-only where the OS allows), so the same workbook gives the same
links from any PC and for any colleague who opens it; never inside the workbook or the site. The
DEBTOR_PORTAL_SECRET environment variable overrides it (CI). A secret that older versions kept in
the user's config folder is copied beside the workbook on first use, so links already sent keep
working. Rotating it changes every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from ..domain.problems import UserError
from ..workbook.port import state_dir

SECRET_ENV = "DEBTOR_PORTAL_SECRET"
SECRET_FILE = "site-secret"
TOKEN_CHARS = 26  # base32: 5 bits each, 130 bits


class SecretError(UserError):
    """The site secret cannot be read or is unusable; the message says what to do."""


@dataclass(frozen=True)
class Secret:
    key: bytes
    source: str  # where it came from, for messages
    created: bool = False  # made just now
    moved_from: str = ""  # the user-level secret copied beside the workbook just now

    @property
    def fingerprint(self) -> str:
        """Names the secret without revealing it: recorded with each build and publish."""
        return hashlib.sha256(b"debtor-portal secret fingerprint\x1f" + self.key).hexdigest()[:16]


def default_secret_path() -> Path:
    """Where versions before the per-workbook secret kept the one secret of a user account."""
    return Path(platformdirs.user_config_dir("debtor-portal")) / SECRET_FILE


def workbook_secret_path(folder: Path) -> Path:
    """The secret of the workbook in `folder`, in its state folder."""
    return state_dir(folder) / SECRET_FILE


def _decode(text: str, source: str) -> bytes:
    key = text.strip().encode()
    if len(key) < 32:
        raise SecretError(
            f"The site secret in {source} is too short: use at least 32 characters "
            "(run 'debtor-portal secret rotate' to make a new one)."
        )
    return key


def _write_new(path: Path, key: str | None = None) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = key or base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    os.replace(temporary, path)
    return key.encode()


def load_secret(path: Path | None = None, environ: Mapping[str, str] | None = None) -> Secret:
    """The site secret: from the environment, else from the file, created on first use."""
    variables = os.environ if environ is None else environ
    if variables.get(SECRET_ENV):
        return Secret(_decode(variables[SECRET_ENV], f"the {SECRET_ENV} environment variable"), SECRET_ENV)
    path = path or default_secret_path()
    if path.exists():
        return Secret(_decode(path.read_text(), str(path)), str(path))
    return Secret(_write_new(path), str(path), created=True)


def workbook_secret(
    folder: Path, path: Path | None = None, environ: Mapping[str, str] | None = None, user_secret: Path | None = None
) -> Secret:
    """The secret of the workbook in `folder`: the environment's, else `path`'s, else the one beside the
    workbook, created on first use (from the user-level secret of older versions when there is one)."""
    variables: Mapping[str, str] = os.environ if environ is None else environ
    if variables.get(SECRET_ENV) or path is not None:
        return load_secret(path, dict(variables))
    here = workbook_secret_path(folder)
    if here.exists():
        return Secret(_decode(here.read_text(), str(here)), str(here))
    legacy = user_secret or default_secret_path()
    if legacy.is_file():
        key = _decode(legacy.read_text(), str(legacy))
        _write_new(here, key.decode())
        return Secret(key, str(here), moved_from=str(legacy))
    return Secret(_write_new(here), str(here), created=True)


def rotate_secret(path: Path | None = None) -> Secret:
    """A new secret in place of the old one: every portal link changes."""
    path = path or default_secret_path()
    return Secret(_write_new(path), str(path), created=True)


def token(secret: Secret, kind: str, identifier: str) -> str:
    """The URL-safe token of one page, e.g. kind "i" and an invoice number."""
    digest = hmac.new(secret.key, f"{kind}\x1f{identifier}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_CHARS]

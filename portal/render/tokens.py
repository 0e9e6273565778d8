"""Private links: each page's URL carries an HMAC of a site secret, so it cannot be guessed.

The secret lives outside the workbook and outside the site: in the user's config folder
(owner-only permissions), or in the DEBTOR_PORTAL_SECRET environment variable for CI.
Rotating it changes every link at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import platformdirs

SECRET_ENV = "DEBTOR_PORTAL_SECRET"
SECRET_FILE = "site-secret"
TOKEN_CHARS = 26  # base32: 5 bits each, 130 bits


class SecretError(Exception):
    """The site secret cannot be read or is unusable; the message says what to do."""


@dataclass(frozen=True)
class Secret:
    key: bytes
    source: str  # where it came from, for messages
    created: bool = False  # made just now


def default_secret_path() -> Path:
    return Path(platformdirs.user_config_dir("debtor-portal")) / SECRET_FILE


def _decode(text: str, source: str) -> bytes:
    key = text.strip().encode()
    if len(key) < 32:
        raise SecretError(
            f"The site secret in {source} is too short: use at least 32 characters "
            "(run 'debtor-portal secret rotate' to make a new one)."
        )
    return key


def _write_new(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = base64.b32encode(secrets.token_bytes(32)).decode().rstrip("=")
    temporary = path.with_name(path.name + ".new")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key + "\n")
    os.replace(temporary, path)
    return key.encode()


def load_secret(path: Path | None = None, environ: dict[str, str] | None = None) -> Secret:
    """The site secret: from the environment, else from the file, created on first use."""
    environ = os.environ if environ is None else environ
    if environ.get(SECRET_ENV):
        return Secret(_decode(environ[SECRET_ENV], f"the {SECRET_ENV} environment variable"), SECRET_ENV)
    path = path or default_secret_path()
    if path.exists():
        return Secret(_decode(path.read_text(), str(path)), str(path))
    return Secret(_write_new(path), str(path), created=True)


def rotate_secret(path: Path | None = None) -> Secret:
    """A new secret in place of the old one: every portal link changes."""
    path = path or default_secret_path()
    return Secret(_write_new(path), str(path), created=True)


def token(secret: Secret, kind: str, identifier: str) -> str:
    """The URL-safe token of one page, e.g. kind "i" and an invoice number."""
    digest = hmac.new(secret.key, f"{kind}\x1f{identifier}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest).decode().lower()[:TOKEN_CHARS]

"""A build remembered by its inputs, so that a build whose inputs did not change since the last one
says so without reading the ledger, checking and assessing it again.

The inputs are the workbook's values, the dates and options given, the secret, the output folder,
the program and the user's templates, and the files the workbook names (PDFs, logo) by size and
modification time. The memo is kept in the build cache (deleting it only makes the next build do
the work) and signed with the site secret: a memo the secret did not sign is never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import pickle
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..render import cache, templating, tokens

Stamps = tuple[tuple[str, int, int] | tuple[str], ...]


def stamps(paths: Iterable[Path]) -> Stamps:
    """Each file's size and modification time; a missing file is stamped as missing."""
    found: list[tuple[str, int, int] | tuple[str]] = []
    for path in paths:
        try:
            st = os.stat(path)
        except OSError:
            found.append((str(path),))
            continue
        found.append((str(path), st.st_size, st.st_mtime_ns))
    return tuple(found)


def inputs_key(*parts: object, folder: Path) -> str:
    """The fingerprint of a build's inputs: `parts` and the program and templates that render them."""
    templates = cache.tree_fingerprint(templating.user_templates_dir(folder))
    return cache.fingerprint(cache.code_fingerprint(), templates, *parts)


@dataclass(frozen=True)
class Memo:
    """`value` (what the build gave) for the inputs `key`, given the files it read as stamped, and the
    site's manifest as it left it."""

    key: str
    value: object
    stamps: Stamps
    manifest: str  # the SHA-256 of the manifest the build wrote


def _signature(secret: tokens.Secret, body: bytes) -> bytes:
    return hmac.new(secret.key, b"debtor-portal build memo\x1f" + body, hashlib.sha256).digest()


def _digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return ""


def recall(path: Path, key: str, secret: tokens.Secret, manifest: Path) -> object:
    """What the build with these inputs gave, when it is the last build and the files it read are unchanged."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    signature, body = data[:32], data[32:]
    if not hmac.compare_digest(signature, _signature(secret, body)):
        return None
    recorded_key, _, pickled = body.partition(b"\n")
    if recorded_key != key.encode():
        return None
    try:
        memo = pickle.loads(pickled)  # signed with the secret: written by a build of this workbook
    except (pickle.UnpicklingError, AttributeError, ImportError, EOFError, TypeError, ValueError):
        return None
    if not isinstance(memo, Memo) or memo.manifest != _digest(manifest):
        return None
    if memo.stamps != stamps(Path(stamp[0]) for stamp in memo.stamps):
        return None
    return memo.value


def remember(
    path: Path, key: str, secret: tokens.Secret, value: object, sources: Iterable[Path], manifest: Path
) -> None:
    """Keep `value` as what the build with these inputs gave (nothing is kept when the cache cannot be written)."""
    memo = Memo(key, value, stamps(sources), _digest(manifest))
    body = key.encode() + b"\n" + pickle.dumps(memo, protocol=pickle.HIGHEST_PROTOCOL)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(_signature(secret, body) + body)
        os.replace(partial, path)

"""Putting a site in place, never half of it: a whole new site is swapped in with one rename; a changed
one gets its staged files moved in under a journal, so that a commit interrupted midway is finished by
the next build."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

KEPT_FILES = (".gitkeep",)  # files in the output folder that the site does not own
COMMIT_JOURNAL = ".commit.json"


def files_of(folder: Path) -> list[str]:
    """Every file under `folder` by relative path, but those the site does not own."""
    found: list[str] = []
    todo = [("", str(folder))]
    while todo:
        prefix, path = todo.pop()
        try:
            entries = list(os.scandir(path))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            relative = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                todo.append((relative + "/", entry.path))
            elif relative not in KEPT_FILES and relative != COMMIT_JOURNAL:
                found.append(relative)
    return sorted(found)


def commit(staging: Path, out_dir: Path, keep: set[str]) -> None:
    """Move the staged files into the site and delete its files not in `keep`, as a journal says: once the
    journal is written, the commit is finished, by this build or by the next one (`finish_commit`)."""
    gone = [path for path in files_of(out_dir) if path not in keep]
    journal = staging / COMMIT_JOURNAL
    partial = journal.with_name(journal.name + ".partial")
    partial.write_text(json.dumps({"moved": files_of(staging), "gone": gone}))
    with _uninterrupted():
        os.replace(partial, journal)
        finish_commit(out_dir)


def finish_commit(out_dir: Path) -> None:
    """Finish a commit the journal beside `out_dir` describes, then clear the staging folder."""
    staging = staging_of(out_dir)
    try:
        steps = json.loads((staging / COMMIT_JOURNAL).read_text())
    except (OSError, ValueError):
        steps = {}
    for relative in steps.get("moved", []):
        source, target = staging / relative, out_dir / relative
        if source.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
    for relative in steps.get("gone", []):
        target = out_dir / relative
        target.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # a folder left empty goes too (a page no longer published)
            target.parent.rmdir()
    shutil.rmtree(staging, ignore_errors=True)


def swap(staging: Path, out_dir: Path) -> None:
    """Put a whole new site in place of the old one, with the files the site does not own."""
    for name in KEPT_FILES:
        if (out_dir / name).exists():
            shutil.copy2(out_dir / name, staging / name)
    retired = out_dir.with_name(f".{out_dir.name}.old")
    shutil.rmtree(retired, ignore_errors=True)
    with _uninterrupted():
        if out_dir.exists():
            os.replace(out_dir, retired)
        os.replace(staging, out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def discard(staging: Path) -> None:
    """Remove what a build staged, unless its commit is under way (the next build finishes it)."""
    if not (staging / COMMIT_JOURNAL).exists():
        shutil.rmtree(staging, ignore_errors=True)


def staging_of(out_dir: Path) -> Path:
    return out_dir.with_name(f".{out_dir.name}.staging")


@contextlib.contextmanager
def _uninterrupted() -> Iterator[None]:
    """Ctrl-C waits until the files are moved (signals can only be set from the main thread)."""
    interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN) if _main_thread() else None
    try:
        yield
    finally:
        if interrupt is not None:
            signal.signal(signal.SIGINT, interrupt)


def _main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()

"""While a command runs from a front door, the cycle collector runs rarely; afterwards it runs as before."""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from portal.front import cli, collector
from portal.front import excel as handlers

from . import xlwings_standin as standin
from .conftest import SAMPLE


@contextmanager
def collections() -> Iterator[list[tuple[int, tuple[int, ...]]]]:
    """Each collection made meanwhile: its generation and the thresholds it ran under."""
    seen: list[tuple[int, tuple[int, ...]]] = []

    def note(phase: str, info: dict) -> None:
        if phase == "start":
            seen.append((info["generation"], gc.get_threshold()))

    gc.callbacks.append(note)
    try:
        yield seen
    finally:
        gc.callbacks.remove(note)


def _builds(tmp_path: Path, door: str) -> Callable[[], object]:
    """A build of a fresh copy of the sample from `door`, each time it is called."""
    copies = iter(range(100))

    def run() -> object:
        folder = tmp_path / f"{door}-{next(copies)}"
        folder.mkdir()
        book = Path(shutil.copy(SAMPLE, folder / "sample.xlsx"))
        if door == "cli":
            with collections() as seen:
                cli.main(["build", str(book), "--as-of", "2026-11-16", "--workers", "1"])
            return seen
        in_excel = standin.Book.of_file(book)
        with collections() as seen:
            handlers.build(in_excel, date(2026, 11, 16))
        return seen

    return run


@pytest.mark.parametrize("door", ["cli", "excel"])
def test_a_command_collects_rarely_and_leaves_the_collector_as_it_found_it(tmp_path, monkeypatch, door):
    before = gc.get_threshold()
    build = _builds(tmp_path, door)
    with monkeypatch.context() as m:
        m.setattr(collector, "THRESHOLDS", before)
        gc.collect()
        usual = build()
    gc.collect()
    seen = build()
    during = [generation for generation, thresholds in seen if thresholds == collector.THRESHOLDS]
    assert len(usual) > 10 and len(during) <= len(usual) / 5 and set(during) <= {0}
    # once the thresholds are back, the young objects left pending are collected at once
    assert all(thresholds == before for _, thresholds in seen[len(during) :]) and len(seen) <= len(during) + 1
    assert gc.get_threshold() == before

"""Work spread over worker processes: one per core when there is enough of it, each ignoring Ctrl-C and
collecting garbage as its parent does; should they stop, this process does what they left."""

from __future__ import annotations

import concurrent.futures
import gc
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable

from ..domain.progress import Progress

Setup = tuple[Callable[..., None], tuple[object, ...]]  # what a worker process does first: a function, its arguments


def _start_worker(collector: tuple[int, ...], setup: Setup | None) -> None:
    """A worker process ignores Ctrl-C (the parent's to handle) and collects garbage as its parent does (a
    forked one inherits that, a spawned one is told), then does `setup`."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    gc.set_threshold(*collector)
    if setup is not None:
        setup[0](*setup[1])


# Linux forks workers that share the parent's state; elsewhere forking is unsafe (macOS) or impossible
# (Windows), and each worker is spawned: it starts Python afresh and makes that state again from what its
# `Setup` is sent (the site's units are planned again).
START_METHOD = "fork" if sys.platform == "linux" else "spawn"

# Items (units or QR codes) from which starting worker processes pays: fewer take less time in this one.
# Measured on 2 cores: spawned workers broke even at about 450 units and won from 1,800.
PARALLEL_FROM = {"fork": 64, "spawn": 1_000}


def pool(
    workers: int | None, items: int, setup: Setup | None = None
) -> tuple[concurrent.futures.ProcessPoolExecutor | None, int]:
    """Worker processes started with `setup`, and how many: `workers` when given, else one per core when
    there are enough items to pay for starting them."""
    if items <= 1:
        workers = 1
    elif workers is None:
        workers = (os.cpu_count() or 1) if items >= PARALLEL_FROM[START_METHOD] else 1
    if sys.platform == "win32":
        workers = min(workers, 61)  # the most a process pool may have on Windows
    if workers <= 1:
        return None, 1
    context = multiprocessing.get_context(START_METHOD)
    return concurrent.futures.ProcessPoolExecutor(workers, context, _start_worker, (gc.get_threshold(), setup)), workers


def _chunks(items: list, workers: int) -> list[list]:
    size = max(1, min(64, len(items) // (workers * 8) or 1))
    return [items[n : n + size] for n in range(0, len(items), size)]


def run(
    function: Callable[[list], list],
    items: list,
    workers: int | None,
    progress: Progress | None,
    done: int,
    total: int,
    label: str,
    notes: list[str],
    setup: Setup | None = None,
) -> list:
    """function over chunks of items, in worker processes when there are several (`pool`); results in order.
    Should the workers stop (a process killed, or one that cannot start), this process does what they left
    and says so in `notes`."""
    executor, workers = pool(workers, len(items), setup)
    chunks = _chunks(items, workers)
    outcomes: dict[int, list] = {}

    def finished(n: int, outcome: list) -> None:
        nonlocal done
        outcomes[n] = outcome
        done += len(chunks[n])
        if progress:
            progress(done, total, label)

    if executor is not None:
        try:
            futures = {executor.submit(function, chunk): n for n, chunk in enumerate(chunks)}
            for future in concurrent.futures.as_completed(futures):
                finished(futures[future], future.result())
        except concurrent.futures.BrokenExecutor as exc:
            notes.append(f"Worker processes stopped while making the {label} ({exc}): this process made the rest.")
        finally:
            executor.shutdown(wait=True, cancel_futures=True)
    for n, chunk in enumerate(chunks):
        if n not in outcomes:
            finished(n, function(chunk))
    return [outcome for n in range(len(chunks)) for outcome in outcomes[n]]

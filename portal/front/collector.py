"""How a command's process collects garbage.

A workbook read into rows, its ledger, its assessment and the plan of its pages are hundreds of
thousands of objects that live until the command ends. With Python's default thresholds the cycle
collector walks all of them again each time the heap grows by a quarter, and the pages' many short-lived
objects start a young collection every 700 allocations: at 10,000 invoices that was a fifth of a
rebuild's time. Rare young collections, and full ones rarer still, leave the same garbage collected:
our objects form few cycles, and those wait at most a few megabytes' worth of allocations longer.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

THRESHOLDS = (50_000, 20, 20)  # young collection every 50,000 allocations; older ones 20 times rarer each


@contextmanager
def for_a_command() -> Iterator[None]:
    """Collect rarely while a command runs (in its worker processes too), then as before."""
    before = gc.get_threshold()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)

"""axe-core (shipped inside the axe-playwright-python package, no network) on a page, WCAG 2.1 AA."""

from __future__ import annotations

import pytest

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


def axe_report(page) -> str:
    """axe's report of the page's WCAG 2.1 AA violations, every <details> opened so that what they hold is
    checked too; empty when there is none."""
    axe_module = pytest.importorskip("axe_playwright_python.sync_playwright")
    page.evaluate(OPEN_DETAILS)
    results = axe_module.Axe().run(
        page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}, "resultTypes": ["violations"]}
    )
    return results.generate_report() if results.violations_count else ""

"""The week's actions as the Actions sheet and the terminal show them, in the workbook's language."""

from __future__ import annotations

from datetime import date, timedelta

from ..domain.actions import Action, CustomerWeek, ToDo
from .i18n import Formatter
from .workbook_text import PREFIX, describe, stage_label

COLUMNS = ("customer", "name", "at_risk", "todo", "stage", "channel", "invoices", "amount", "date", "phone", "note")


def sheet_name(f: Formatter) -> str:
    return f.t(PREFIX + "actions_sheet")


def title(as_of: date, days: int, f: Formatter) -> str:
    return f.t(PREFIX + "actions_title", start=f.short_day(as_of), end=f.short_day(as_of + timedelta(days=days - 1)))


def note(action: Action, f: Formatter) -> str:
    text = describe(action.reason, f) if action.reason else ""
    if action.todo == ToDo.CALL:
        text = " — ".join(t for t in (text, f.t(PREFIX + "call_note")) if t)
    return text


def row(week: CustomerWeek, action: Action, f: Formatter) -> list[object]:
    """One action's cells, in the order of `COLUMNS`."""
    return [
        week.customer.id,
        week.customer.name,
        week.at_risk,
        f.t(PREFIX + "todo_" + action.todo),
        stage_label(action.stage, f) if action.stage else "",
        f.t(PREFIX + "channel_" + action.channel) if action.channel else "",
        ", ".join(action.invoices),
        action.amount,
        action.day,
        week.customer.phone if action.todo == ToDo.CALL else "",
        note(action, f),
    ]


def sheet_rows(weeks: tuple[CustomerWeek, ...], as_of: date, days: int, f: Formatter) -> list[list[object]]:
    """The Actions sheet: its title, the headers, then one row per action, the customers most at risk first."""
    rows: list[list[object]] = [[title(as_of, days, f)], [], [f.t(PREFIX + "col_" + c) for c in COLUMNS]]
    rows += [row(w, a, f) for w in weeks for a in w.actions]
    if not weeks:
        rows.append([f.t(PREFIX + "actions_none")])
    return rows


def text_lines(weeks: tuple[CustomerWeek, ...], as_of: date, days: int, f: Formatter) -> list[str]:
    """The same for a terminal: a block per customer."""
    lines = [title(as_of, days, f), ""]
    for w in weeks:
        lines.append(
            f"{w.customer.id}  {w.customer.name}  ({f.t(PREFIX + 'actions_at_risk', amount=f.money(w.at_risk))})"
        )
        for a in w.actions:
            cells = row(w, a, f)
            what = " · ".join(str(c) for c in cells[3:6] if c)
            when = f.short_day(a.day) if a.day else ""
            lines.append(f"  {what:58} {cells[6]:28} {f.money(a.amount):>14} {when:10} {cells[9]}".rstrip())
            if cells[10]:
                lines.append(f"      {cells[10]}")
    if not weeks:
        lines.append(f.t(PREFIX + "actions_none"))
    return lines

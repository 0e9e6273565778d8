"""The creditor's overview as a local HTML page (charts as inline SVG) and as the Overview sheet.

Never part of the site: the page is written where the user asks, outside site_out, and requests nothing
from anywhere (styles inline, no scripts, no fonts, no pictures but the inline SVG). Charts are readable
in black and white: every bar has a pattern of its own and its value written beside it, and each chart
is followed by its data as a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from markupsafe import Markup, escape

from ..domain.ledger import Creditor
from ..domain.overview import Overview
from .i18n import Formatter
from .templating import environment
from .workbook_text import PREFIX, stage_label

TEMPLATE = "report/overview.html"
PATTERNS = ("solid-light", "hatch", "cross", "dots", "solid-dark")


def t(f: Formatter, key: str, **params: object) -> str:
    return f.t(PREFIX + key, **params)


def sheet_name(f: Formatter) -> str:
    return t(f, "overview_sheet")


def _yes(value: bool, f: Formatter) -> str:
    return t(f, "yes" if value else "no")


def _row(*values: object) -> list[object]:
    return list(values)


def _number(value: Decimal | None) -> float | None:
    """A figure that is not money, for a cell (a Decimal would be shown as an amount)."""
    return None if value is None else float(value)


def _days(value: Decimal | None, f: Formatter) -> str:
    return "–" if value is None else f.number(value)


# --- the sheet ----------------------------------------------------------------------------------------


def sheet_rows(ov: Overview, f: Formatter) -> list[list[object]]:
    """The Overview sheet: a block per figure, a blank row between blocks."""
    rows: list[list[object]] = [[t(f, "overview_title", date=f.short_day(ov.as_of))], [t(f, "ov_internal")], []]
    rows += [
        [t(f, "ov_key_figures")],
        [t(f, "ov_outstanding"), ov.outstanding],
        [t(f, "ov_overdue"), ov.overdue],
        [t(f, "ov_dso"), _number(ov.dso)],
        [],
        [t(f, "ov_ageing")],
        [t(f, "ov_bucket"), t(f, "col_amount"), t(f, "col_invoices")],
        *([t(f, "ov_bucket_" + b), amount, count] for b, amount, count in ov.ageing),
        [],
        [t(f, "ov_dso_trend")],
        [t(f, "ov_month_end"), t(f, "ov_dso")],
        *(_row(day, _number(dso)) for day, dso in ov.dso_trend),
        [],
        [t(f, "ov_expected")],
        [t(f, "col_date"), t(f, "col_amount")],
        *([t(f, "ov_week_of", date=f.short_day(week)), amount] for week, amount in ov.expected),
        [t(f, "ov_later"), ov.expected_later],
        [],
        [t(f, "ov_payers")],
        [
            t(f, "col_customer"),
            t(f, "col_name"),
            t(f, "ov_paid_invoices"),
            t(f, "col_amount"),
            t(f, "ov_avg_late"),
            t(f, "ov_always_late"),
            t(f, "ov_after_reminder"),
            t(f, "ov_faster"),
        ],
        *(
            _row(
                p.customer.id,
                p.customer.name,
                p.invoices,
                p.amount,
                _number(p.average_days_late),
                _yes(p.always_late, f),
                t(f, "ov_reminded_paid", within=p.paid_within_7, reminded=p.reminded) if p.reminded else "",
                _yes(p.faster_after_reminder, f),
            )
            for p in ov.payers
        ),
        [],
        [t(f, "ov_reminder_results")],
        [t(f, "col_stage"), t(f, "ov_sent"), t(f, "ov_reminded"), t(f, "ov_paid_7"), t(f, "ov_share")],
        *(_row(stage_label(r.stage, f), r.sent, r.reminded, r.paid_within_7, _number(r.share)) for r in ov.reminders),
        [],
        [t(f, "ov_written_off")],
    ]
    if ov.written_off:
        rows.append(
            [t(f, "ov_invoice"), t(f, "col_customer"), t(f, "col_date"), t(f, "col_amount"), t(f, "ov_balance")]
        )
        rows += [
            [s.invoice.number, s.invoice.customer_id, s.invoice.due_date, s.invoice.amount, s.balance]
            for s in ov.written_off
        ]
    else:
        rows.append([t(f, "ov_none")])
    return rows


# --- charts -------------------------------------------------------------------------------------------

_DEFS = Markup(
    "<defs>"
    '<pattern id="p-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="#000" stroke-width="2"/></pattern>'
    '<pattern id="p-cross" width="6" height="6" patternUnits="userSpaceOnUse">'
    '<rect width="6" height="6" fill="#fff"/><path d="M0 3H6M3 0V6" stroke="#000" stroke-width="1.2"/></pattern>'
    '<pattern id="p-dots" width="5" height="5" patternUnits="userSpaceOnUse">'
    '<rect width="5" height="5" fill="#fff"/><circle cx="2.5" cy="2.5" r="1.3" fill="#000"/></pattern>'
    "</defs>"
)
_FILLS = {"solid-light": "#d9d9d9", "hatch": "url(#p-hatch)", "cross": "url(#p-cross)", "dots": "url(#p-dots)"}
_FILLS["solid-dark"] = "#404040"


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: Markup


def _svg(chart_id: str, title: str, desc: str, width: int, height: int, body: str) -> Markup:
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{chart_id}-t {chart_id}-d" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{chart_id}-t">{escape(title)}</title><desc id="{chart_id}-d">{escape(desc)}</desc>'
        f"{_DEFS}{body}</svg>"
    )


def horizontal_bars(chart_id: str, title: str, bars: list[tuple[str, Decimal, str]]) -> Markup:
    """Bars left to right, a pattern each, the label left of the bar and the value right of it."""
    label_w, bar_w, value_w, row_h = 150, 330, 130, 34
    top = max((v for _, v, _ in bars), default=Decimal(0)) or Decimal(1)
    parts = []
    for n, (label, value, shown) in enumerate(bars):
        y = 8 + n * row_h
        w = max(float(value / top) * bar_w, 0) if value > 0 else 0
        fill = _FILLS[PATTERNS[n % len(PATTERNS)]]
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="22" fill="{fill}" stroke="#000"/>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 18}">{escape(shown)}</text>'
        )
    desc = "; ".join(f"{label}: {shown}" for label, _, shown in bars)
    return _svg(chart_id, title, desc, label_w + bar_w + value_w, 16 + len(bars) * row_h, "".join(parts))


def column_bars(chart_id: str, title: str, bars: list[tuple[str, Decimal, str]]) -> Markup:
    """Columns bottom up, alternately hatched and dotted, the value above each and the label below."""
    col_w, chart_h, top_pad, label_h = 92, 150, 22, 40
    top = max((v for _, v, _ in bars), default=Decimal(0)) or Decimal(1)
    parts = [f'<line x1="0" y1="{top_pad + chart_h}" x2="{len(bars) * col_w}" y2="{top_pad + chart_h}" stroke="#000"/>']
    for n, (label, value, shown) in enumerate(bars):
        x = n * col_w
        h = float(value / top) * chart_h if value > 0 else 0
        y = top_pad + chart_h - h
        fill = _FILLS["hatch" if n % 2 == 0 else "dots"]
        parts.append(
            f'<rect x="{x + 10}" y="{y:.1f}" width="{col_w - 20}" height="{h:.1f}" fill="{fill}" stroke="#000"/>'
            f'<text x="{x + col_w / 2}" y="{y - 5:.1f}" text-anchor="middle" class="small">{escape(shown)}</text>'
            f'<text x="{x + col_w / 2}" y="{top_pad + chart_h + 16}" text-anchor="middle" class="small">'
            f"{escape(label)}</text>"
        )
    desc = "; ".join(f"{label}: {shown}" for label, _, shown in bars)
    return _svg(chart_id, title, desc, len(bars) * col_w, top_pad + chart_h + label_h, "".join(parts))


def line(chart_id: str, title: str, points: list[tuple[str, Decimal | None, str]]) -> Markup:
    """A line with a square marker and the value at each point; a gap where there is no value."""
    step, chart_h, top_pad, label_h = 56, 150, 22, 40
    top = max((v for _, v, _ in points if v is not None), default=Decimal(0)) or Decimal(1)
    parts = [
        f'<line x1="0" y1="{top_pad + chart_h}" x2="{len(points) * step}" y2="{top_pad + chart_h}" stroke="#000"/>'
    ]
    coords: list[tuple[float, float] | None] = []
    for n, (label, value, shown) in enumerate(points):
        x = n * step + step / 2
        parts.append(
            f'<text x="{x}" y="{top_pad + chart_h + 16}" text-anchor="middle" class="small">{escape(label)}</text>'
        )
        if value is None:
            coords.append(None)
            continue
        y = top_pad + chart_h - float(value / top) * chart_h
        coords.append((x, y))
        parts.append(
            f'<rect x="{x - 4}" y="{y - 4:.1f}" width="8" height="8" fill="#000"/>'
            f'<text x="{x}" y="{y - 8:.1f}" text-anchor="middle" class="small">{escape(shown)}</text>'
        )
    runs: list[list[tuple[float, float]]] = []
    run: list[tuple[float, float]] = []
    for c in [*coords, None]:
        if c is None:
            if len(run) > 1:
                runs.append(run)
            run = []
        else:
            run.append(c)
    for run in runs:
        d = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
        parts.insert(1, f'<polyline points="{d}" fill="none" stroke="#000" stroke-width="2"/>')
    desc = "; ".join(f"{label}: {shown}" for label, _, shown in points)
    return _svg(chart_id, title, desc, len(points) * step, top_pad + chart_h + label_h, "".join(parts))


# --- the page -----------------------------------------------------------------------------------------


def _month(day: date) -> str:
    return f"{day:%m/%Y}"


def charts(ov: Overview, f: Formatter) -> dict[str, Chart]:
    ageing = [(t(f, "ov_bucket_" + b), amount, f.money(amount)) for b, amount, _ in ov.ageing]
    trend = [(_month(day), dso, _days(dso, f)) for day, dso in ov.dso_trend]
    weeks = [(f.short_day(week)[:5], amount, f.money(amount)) for week, amount in ov.expected]
    weeks.append((t(f, "ov_later"), ov.expected_later, f.money(ov.expected_later)))
    return {
        "ageing": Chart("ageing", t(f, "ov_ageing"), horizontal_bars("ageing", t(f, "ov_ageing"), ageing)),
        "dso": Chart("dso", t(f, "ov_dso_trend"), line("dso", t(f, "ov_dso_trend"), trend)),
        "expected": Chart("expected", t(f, "ov_expected"), column_bars("expected", t(f, "ov_expected"), weeks)),
    }


def render_html(ov: Overview, creditor: Creditor, f: Formatter, folder: Path | None = None) -> str:
    """The overview page (HTML, self-contained), in `f`'s language."""
    template = environment(folder).get_template(TEMPLATE)
    return template.render(
        ov=ov,
        creditor=creditor,
        f=f,
        t=lambda key, **p: t(f, key, **p),
        days=lambda v: _days(v, f),
        yes=lambda v: _yes(v, f),
        stage_label=lambda s: stage_label(s, f),
        charts=charts(ov, f),
    )

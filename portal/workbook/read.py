"""From sheet values to a Ledger: find the tables, match their headers, convert every cell.

Works on `Grid`s, so the same code reads a file (openpyxl) and an open workbook (xlwings).
A workbook made from our template is read as well as a business's own flat sheet of
invoices, whose customers are then derived from the names on it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import timedelta
from functools import cached_property
from typing import Any

from ..domain.languages import LANGUAGES
from ..domain.ledger import Creditor, Customer, Installment, Invoice, Ledger, LogEntry, Payment, ScenarioStep, Where
from ..domain.problems import ERROR, WARNING, Problem
from ..domain.scenarios import BUILTIN_STEPS
from . import cells, schema
from .grid import Grid, column_letter

HEADER_SCAN_ROWS = 30
OPTION_SHEET = "--creditor option"


@dataclass(frozen=True)
class FoundTable:
    table: schema.Table
    grid: Grid
    header_row: int  # 0-based index into grid.rows
    columns: dict[str, int]  # column key -> 0-based column index
    headers: dict[str, str]  # column key -> header as written in the sheet

    def where(self, row_index: int, key: str | None = None) -> Where:
        if key is None:
            return Where(self.grid.name, row_index + 1)
        col = self.columns[key]
        return Where(self.grid.name, row_index + 1, self.headers[key], column_letter(col + 1))

    @cached_property
    def converters(self) -> dict[str, tuple[schema.Column, Callable[[object], object]]]:
        """Each column found, by key: its schema and how its cells are typed."""
        return {
            key: (column := self.table.column(key), cells.converter(column.type, column.choices))
            for key in self.columns
        }

    def rows(self) -> Iterator[tuple[int, dict[str, object]]]:
        """(row index, {column key: raw value}) for every non-blank row under the header."""
        for index in range(self.header_row + 1, len(self.grid.rows)):
            row = self.grid.rows[index]
            if all(cells.is_blank(v) for v in row):
                continue
            yield index, {key: row[col] for key, col in self.columns.items()}


@dataclass(frozen=True)
class Reading:
    ledger: Ledger | None  # None when the workbook is too broken to give one
    problems: tuple[Problem, ...]
    tables: dict[str, FoundTable]
    unreadable_invoices: frozenset[str] = frozenset()  # numbers on invoice rows that could not be read
    language: str = "en"  # the workbook's own: its Settings labels', else its headers' (see `workbook_language`)


def _header_match(table: schema.Table, row: tuple[object, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for col, cell in enumerate(row):
        column = table.match_header(cell) if isinstance(cell, str) else None
        if column and column.key not in found:
            found[column.key] = col
    return found


def _best_header(table: schema.Table, grid: Grid) -> tuple[int, dict[str, int]]:
    best: tuple[int, dict[str, int]] = (-1, {})
    for index, row in enumerate(grid.rows[:HEADER_SCAN_ROWS]):
        found = _header_match(table, row)
        if len(found) > len(best[1]):
            best = (index, found)
    return best


def _found(table: schema.Table, grid: Grid, header_row: int, columns: dict[str, int]) -> FoundTable:
    headers = {key: cells.text(grid.rows[header_row][col]) for key, col in columns.items()}
    return FoundTable(table, grid, header_row, columns, headers)


def _votes(written: list[str], names: list[dict[str, str]]) -> Counter[str]:
    """How many of the `written` labels each language's `names` account for."""
    votes: Counter[str] = Counter()
    for text, by_lang in zip(written, names):
        for lang, name in by_lang.items():
            if schema.normalize(name) == schema.normalize(text):
                votes[lang] += 1
    return votes


def workbook_language(grids: list[Grid], tables: dict[str, FoundTable]) -> str:
    """The language the workbook is written in: its Settings labels', else its table headers'.

    Words written in the workbook (next action, headers added by Refresh) follow it.
    """
    grid = _settings_grid(grids)
    entries = [(setting, where) for setting, _, where in _setting_cells(grid)] if grid else []
    votes = _votes([w.column or "" for _, w in entries], [s.labels for s, _ in entries])
    if not votes:
        found = [(f.table.column(key), header) for f in tables.values() for key, header in f.headers.items()]
        votes = _votes([header for _, header in found], [column.headers for column, _ in found])
    if not votes:
        return "en"
    return max(LANGUAGES, key=lambda lang: (votes[lang], -LANGUAGES.index(lang)))


def locate_tables(grids: list[Grid]) -> dict[str, FoundTable]:
    """Each data table's sheet and header row: by sheet name first, then by best header match.

    A sheet named for a table needs one matching header; any other sheet needs three,
    so that a stray sheet is not mistaken for a table.
    """
    located: dict[str, FoundTable] = {}
    taken: set[str] = set()
    for table in schema.DATA_TABLES:
        for grid in grids:
            if grid.name not in taken and schema.normalize(grid.name) in table.names():
                row, columns = _best_header(table, grid)
                if columns:
                    located[table.key] = _found(table, grid, row, columns)
                    taken.add(grid.name)
                    break
    for table in schema.DATA_TABLES:
        if table.key in located:
            continue
        candidates = [
            (grid, *_best_header(table, grid)) for grid in grids if grid.name not in taken and not _no_data_table(grid)
        ]
        candidates = [c for c in candidates if len(c[2]) >= 3]
        if candidates:
            grid, row, columns = max(candidates, key=lambda c: len(c[2]))
            located[table.key] = _found(table, grid, row, columns)
            taken.add(grid.name)
    return located


def locate_by_name(grids: list[Grid], table: schema.Table, taken: set[str]) -> FoundTable | None:
    """A table that `locate_tables` does not look for (Reminders): on a sheet named for it, by its best header row."""
    for grid in grids:
        if grid.name in taken or schema.normalize(grid.name) not in table.names():
            continue
        row, columns = _best_header(table, grid)
        if columns:
            return _found(table, grid, row, columns)
    return None


APPEND_TABLES: dict[str, schema.Table] = {
    "log": schema.LOG,
    "reminders": schema.REMINDERS,
    "payments": schema.PAYMENTS,
    "customers": schema.CUSTOMERS,
    "invoices": schema.INVOICES,
}


def append_places(
    grids: list[Grid], located: dict[str, FoundTable], keys: Iterable[str]
) -> dict[str, tuple[schema.Table, FoundTable | None]]:
    """For each table rows are to be appended to: its schema and where it stands (None: it needs a new sheet).

    A Reminders sheet is never another table, even when its headers look like one."""
    reminder_sheets = {g.name for g in grids if schema.normalize(g.name) in schema.REMINDERS.names()}
    taken = {f.grid.name for f in located.values()} - reminder_sheets
    places: dict[str, tuple[schema.Table, FoundTable | None]] = {}
    for key in keys:
        table = APPEND_TABLES.get(key)
        if table is None:
            raise ValueError(f"Rows can only be appended to: {', '.join(APPEND_TABLES)} (not {key})")
        found = located.get(key) if key != "reminders" else locate_by_name(grids, table, taken)
        if found is not None and key != "reminders" and found.grid.name in reminder_sheets:
            found = None
        places[key] = (table, found)
    return places


def _settings_names() -> frozenset[str]:
    return schema.SETTINGS_TABLE.names()


def _no_data_table(grid: Grid) -> bool:
    """Settings, and the Reminders we write, are never taken for a data table."""
    return schema.normalize(grid.name) in _settings_names() | schema.REMINDERS.names()


def _settings_grid(grids: list[Grid]) -> Grid | None:
    named = [g for g in grids if schema.normalize(g.name) in _settings_names()]
    if named:
        return named[0]
    for grid in grids:
        labels = sum(1 for row in grid.rows for cell in row[:2] if isinstance(cell, str) and schema.match_setting(cell))
        if labels >= 3:
            return grid
    return None


def _setting_cells(grid: Grid) -> Iterator[tuple[schema.Setting, object, Where]]:
    """(setting, raw value, where) for each row whose first labelled cell names a setting."""
    for index, row in enumerate(grid.rows):
        for col, cell in enumerate(row[:-1]):
            if isinstance(cell, str) and (setting := schema.match_setting(cell)):
                yield setting, row[col + 1], Where(grid.name, index + 1, cell.strip(), column_letter(col + 2))
                break


def _convert_setting(setting: schema.Setting, raw: object, where: Where, problems: list[Problem]) -> object:
    type_ = setting.type if setting.type in ("date", "number", "percent", "choice", "list", "money") else "text"
    try:
        value = cells.convert(raw, type_, setting.choices)
    except ValueError as exc:
        problems.append(
            Problem(
                ERROR,
                f"bad_{setting.type}",
                where,
                f"The setting '{where.column}' is not valid: {exc}",
                f"Correct the value next to '{where.column}'.",
                cells.text(raw),
            )
        )
        return None
    if setting.type == "choice" and setting.choices == schema.YES_NO:
        return value == "yes"
    if setting.type in ("iban", "bic", "vat"):
        return str(value).replace(" ", "").upper()
    return value


def read_creditor(grids: list[Grid], overrides: dict[str, str], problems: list[Problem]) -> Creditor | None:
    """The creditor from the Settings sheet, with `--creditor KEY=VALUE` options on top."""
    found: dict[str, object] = {}
    grid = _settings_grid(grids)
    entries = list(_setting_cells(grid)) if grid else []
    for key, raw in overrides.items():
        setting = schema.match_setting(key)
        where = Where(OPTION_SHEET, column=key)
        if setting is None:
            problems.append(
                Problem(
                    ERROR,
                    "unknown_setting",
                    where,
                    f"'{key}' is not a setting",
                    "Use one of: " + ", ".join(s.key for s in schema.SETTINGS) + ".",
                    raw,
                )
            )
            continue
        entries.append((setting, raw, where))
    empty: dict[str, Where] = {}  # settings whose row is there with nothing next to its label
    for setting, cell, where in entries:
        if cells.is_blank(cell):
            empty.setdefault(setting.key, where)
            continue
        value = _convert_setting(setting, cell, where, problems)
        if value is not None:
            found[setting.key] = value
    sheet = grid.name if grid else schema.SETTINGS_TABLE.sheet_name()
    for setting in schema.SETTINGS:
        if not setting.required or setting.key in found:
            continue
        if (blank := empty.get(setting.key)) is not None:
            problems.append(
                Problem(
                    ERROR,
                    "missing_setting",
                    blank,
                    f"The setting '{blank.column}' is empty",
                    f"Fill in cell {blank.letter}{blank.row}, next to '{blank.column}', "
                    f"or pass --creditor {setting.key}=VALUE.",
                )
            )
        else:
            looked = ", ".join(sorted(set(setting.labels.values())))
            problems.append(
                Problem(
                    ERROR,
                    "missing_setting",
                    Where(sheet, column=setting.labels["en"]),
                    f"The setting '{setting.labels['en']}' is missing" + ("" if grid else " (no Settings sheet found)"),
                    f"Add a row labelled one of: {looked} with its value in the next cell to the right, "
                    f"or pass --creditor {setting.key}=VALUE.",
                )
            )
    if any(s.required and s.key not in found for s in schema.SETTINGS):
        return None
    known = {f.name for f in fields(Creditor)}
    return Creditor(**{k: v for k, v in found.items() if k in known})  # type: ignore[arg-type]  # typed per setting


def setting_places(grids: list[Grid], overrides: dict[str, str]) -> dict[str, Where]:
    """Where each setting was found, for messages about its value."""
    grid = _settings_grid(grids)
    places = {s.key: w for s, _, w in (_setting_cells(grid) if grid else [])}
    for key in overrides:
        if setting := schema.match_setting(key):
            places[setting.key] = Where(OPTION_SHEET, column=key)
    return places


def _typed_row(found: FoundTable, index: int, raw: dict[str, object], problems: list[Problem]) -> dict[str, Any] | None:
    """The row's values converted per column (each of its column's type); None when one is missing or wrong."""
    typed: dict[str, object] = {}
    ok = True
    converters = found.converters
    for key, value in raw.items():
        column, convert = converters[key]
        if cells.is_blank(value):
            if column.required:
                where = found.where(index, key)
                problems.append(
                    Problem(
                        ERROR,
                        "missing_value",
                        where,
                        f"'{where.column}' is empty",
                        f"Fill in the {column.headers['en'].lower()} on this row, or delete the row.",
                    )
                )
                ok = False
            continue
        try:
            typed[key] = convert(value)
        except ValueError as exc:
            where = found.where(index, key)
            code = f"unknown_{key}" if column.type == "choice" else f"bad_{column.type}"
            problems.append(
                Problem(
                    ERROR, code, where, f"'{where.column}' is not valid: {exc}", "Correct the cell.", cells.text(value)
                )
            )
            ok = ok and not column.required
    return typed if ok else None


def _records(found: FoundTable | None, problems: list[Problem]) -> Iterator[tuple[Where, dict[str, Any]]]:
    if found is None:
        return
    for index, raw in found.rows():
        typed = _typed_row(found, index, raw, problems)
        if typed is not None:
            yield found.where(index), typed


def _missing_columns(found: FoundTable, problems: list[Problem], exempt: frozenset[str] = frozenset()) -> bool:
    missing = [c for c in found.table.columns if c.required and c.key not in found.columns and c.key not in exempt]
    for column in missing:
        looked = ", ".join(sorted({*column.headers.values(), *column.aliases}))
        problems.append(
            Problem(
                ERROR,
                "missing_column",
                Where(found.grid.name, found.header_row + 1, column.headers["en"]),
                f"The table on sheet '{found.grid.name}' has no '{column.headers['en']}' column",
                f"Add a column with one of these headers in row {found.header_row + 1}: {looked}.",
            )
        )
    return not missing


def _missing_table(table: schema.Table, problems: list[Problem]) -> None:
    looked = ", ".join(sorted({*table.sheet_names.values()}))
    headers = ", ".join(c.headers["en"] for c in table.columns if c.required)
    problems.append(
        Problem(
            ERROR,
            "missing_table",
            Where(table.sheet_name()),
            f"No {table.sheet_name().lower()} table found",
            f"Add a sheet named one of: {looked}, with headers such as {headers} in its first row "
            "(or create a new workbook with 'debtor-portal init').",
        )
    )


def _yes(typed: dict[str, object], key: str) -> bool:
    return typed.get(key) == "yes"


def _customers(found: FoundTable | None, problems: list[Problem]) -> list[Customer]:
    customers = []
    for where, t in _records(found, problems):
        customers.append(
            Customer(
                id=str(t["id"]),
                name=str(t["name"]),
                language=str(t.get("language", "")),
                email=str(t.get("email", "")),
                phone=str(t.get("phone", "")),
                address=str(t.get("address", "")),
                vat=str(t.get("vat", "")),
                kind=str(t.get("kind", "B2B")),
                scenario=str(t.get("scenario", "")).lower(),
                on_hold=_yes(t, "on_hold"),
                hold_reason=str(t.get("hold_reason", "")),
                where=where,
            )
        )
    return customers


def _invoices(found: FoundTable, creditor: Creditor | None, problems: list[Problem]) -> list[Invoice]:
    invoices = []
    default_terms = creditor.payment_terms_days if creditor else 30
    for where, t in _records(found, problems):
        customer_id = str(t.get("customer_id") or t.get("customer_name") or "")
        if not customer_id:
            problems.append(
                Problem(
                    ERROR,
                    "missing_value",
                    where,
                    "The invoice names no customer",
                    "Fill in the customer ID (or the customer's name) on this row.",
                )
            )
            continue
        kind = str(t.get("kind", "invoice"))
        amount = t["amount"]
        if kind == "credit note":
            amount = -abs(amount)
        due = t.get("due_date") or t["issue_date"] + timedelta(days=int(t.get("terms_days", default_terms)))
        invoices.append(
            Invoice(
                number=str(t["number"]),
                customer_id=customer_id,
                issue_date=t["issue_date"],
                due_date=due,
                amount=amount,
                currency=_currency(str(t.get("currency") or "EUR")),
                kind=kind,
                description=str(t.get("description", "")),
                order_ref=str(t.get("order_ref", "")),
                reference=str(t.get("reference", "")),
                discount_pct=t.get("discount_pct"),
                discount_date=t.get("discount_date"),
                pdf=str(t.get("pdf", "")),
                on_hold=_yes(t, "on_hold"),
                disputed=_yes(t, "disputed"),
                written_off=_yes(t, "written_off"),
                last_reminder=t.get("last_reminder"),
                where=where,
            )
        )
    return invoices


def _currency(typed: str) -> str:
    code = typed.strip().upper()
    return "EUR" if code in ("€", "EURO", "EUROS") else code


def _derived_customers(invoices: list[Invoice]) -> list[Customer]:
    """A flat sheet has no Customers table: one customer per distinct name on it."""
    seen: dict[str, Customer] = {}
    for invoice in invoices:
        if invoice.customer_id not in seen:
            seen[invoice.customer_id] = Customer(id=invoice.customer_id, name=invoice.customer_id, where=invoice.where)
    return list(seen.values())


def read_ledger(grids: list[Grid], overrides: dict[str, str] | None = None) -> Reading:
    """Read every table; the Ledger is None only when the invoices or the creditor cannot be read."""
    overrides = overrides or {}
    problems: list[Problem] = []
    tables = locate_tables(grids)
    creditor = read_creditor(grids, overrides, problems)

    invoices_table = tables.get("invoices")
    if invoices_table is None:
        _missing_table(schema.INVOICES, problems)
        return Reading(None, tuple(problems), tables)
    flat = "customers" not in tables
    exempt = frozenset({"customer_id"}) if "customer_name" in invoices_table.columns else frozenset()
    if not _missing_columns(invoices_table, problems, exempt):
        return Reading(None, tuple(problems), tables)
    if not flat and "payments" not in tables:
        problems.append(
            Problem(
                WARNING,
                "missing_payments",
                Where(schema.PAYMENTS.sheet_name()),
                "No payments table found: every invoice counts as unpaid",
                "Add the Payments sheet back (a new workbook from 'debtor-portal init' has one), "
                "unless you record no payments at all.",
            )
        )
    for key in ("customers", "payments", "plans", "log", "scenarios"):
        if key in tables and not _missing_columns(tables[key], problems):
            del tables[key]

    invoices = _invoices(invoices_table, creditor, problems)
    read_numbers = {i.number for i in invoices}
    unreadable = frozenset(cells.text(raw.get("number")) for _, raw in invoices_table.rows()) - read_numbers
    if flat:
        if "customer_name" not in invoices_table.columns:
            _missing_table(schema.CUSTOMERS, problems)
        customers = _derived_customers(invoices)
    else:
        customers = _customers(tables["customers"], problems)
    payments = [
        Payment(
            date=t["date"],
            amount=t["amount"],
            reference=str(t.get("reference", "")),
            counterparty=str(t.get("counterparty", "")),
            counterparty_iban=str(t.get("counterparty_iban", "")),
            invoice=str(t.get("invoice", "")),
            source=str(t.get("source", "")),
            bank_ref=str(t.get("bank_ref", "")),
            suggested=t.get("suggested") == "no",
            where=w,
        )
        for w, t in _records(tables.get("payments"), problems)
    ]
    installments = [
        Installment(
            number=t["number"],
            due_date=t["due_date"],
            amount=t["amount"],
            invoice=str(t.get("invoice", "")),
            customer_id=str(t.get("customer_id", "")),
            where=w,
        )
        for w, t in _records(tables.get("plans"), problems)
    ]
    log = [
        LogEntry(
            date=t["date"],
            action=str(t["action"]),
            customer_id=str(t.get("customer_id", "")),
            invoice=str(t.get("invoice", "")),
            channel=str(t.get("channel", "")),
            note=str(t.get("note", "")),
            sent_on=t.get("sent_date"),
            letter=str(t.get("letter", "") or ""),
            where=w,
        )
        for w, t in _records(tables.get("log"), problems)
    ]
    steps = [
        ScenarioStep(
            scenario=str(t["scenario"]).strip().lower(),
            stage=str(t["stage"]).strip(),
            offset_days=t["offset_days"],
            template=str(t.get("template", "")),
            channel=str(t.get("channel", "email")),
            where=w,
        )
        for w, t in _records(tables.get("scenarios"), problems)
    ]
    if creditor is None:
        return Reading(None, tuple(problems), tables)
    ledger = Ledger(
        creditor=creditor,
        customers=tuple(customers),
        invoices=tuple(invoices),
        payments=tuple(payments),
        installments=tuple(installments),
        log=tuple(log),
        scenarios=tuple(steps) or BUILTIN_STEPS,
    )
    return Reading(ledger, tuple(problems), tables, unreadable, workbook_language(grids, tables))

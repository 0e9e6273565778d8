"""Writing a new workbook from the schema: the template, optionally filled with rows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as ExcelTable
from openpyxl.worksheet.table import TableStyleInfo
from openpyxl.worksheet.worksheet import Worksheet

from ..domain.ledger import ScenarioStep
from ..domain.scenarios import BUILTIN_STEPS
from . import schema
from .grid import column_letter

FIXED_TIMESTAMP = datetime(2026, 1, 1)  # so that the same rows always give the same file
MANAGED_FILL = PatternFill("solid", fgColor="D9D9D9")
MANAGED_FONT = Font(bold=True, italic=True, color="595959")
LAST_ROW = 1048576

HOW_TO = {
    "en": [
        "How to use this workbook",
        "1. Fill in the Settings sheet: your company name, IBAN and enterprise number.",
        "2. Add your customers (one row each) and your invoices (one row each) to their tables.",
        "3. Record payments on the Payments sheet; payment plans on the Plans sheet.",
        "4. Click Check (or run 'debtor-portal check') and correct what it lists.",
        "5. Click Refresh: grey columns are written by Debtor Portal; do not type in them.",
        "6. Click Build portal, then Publish; send each debtor the portal link of their invoice.",
    ],
    "fr": [
        "Comment utiliser ce classeur",
        "1. Complétez la feuille Paramètres : nom de l'entreprise, IBAN et numéro d'entreprise.",
        "2. Ajoutez vos clients (une ligne chacun) et vos factures (une ligne chacune).",
        "3. Notez les paiements dans la feuille Paiements, les plans de paiement dans Plans.",
        "4. Cliquez sur Vérifier (ou 'debtor-portal check') et corrigez ce qui est signalé.",
        "5. Cliquez sur Actualiser : les colonnes grises sont remplies par Debtor Portal, n'y tapez rien.",
        "6. Cliquez sur Créer le portail puis Publier ; envoyez à chaque débiteur le lien de sa facture.",
    ],
    "nl": [
        "Hoe gebruikt u deze werkmap",
        "1. Vul het blad Instellingen in: bedrijfsnaam, IBAN en ondernemingsnummer.",
        "2. Voeg uw klanten (één rij per klant) en uw facturen (één rij per factuur) toe.",
        "3. Noteer betalingen in het blad Betalingen, afbetalingsplannen in Plannen.",
        "4. Klik op Controleren (of 'debtor-portal check') en verbeter wat gemeld wordt.",
        "5. Klik op Vernieuwen: de grijze kolommen vult Debtor Portal in; typ er niets in.",
        "6. Klik op Portaal maken en dan Publiceren; stuur elke debiteur de link naar zijn factuur.",
    ],
    "de": [
        "So verwenden Sie diese Arbeitsmappe",
        "1. Füllen Sie das Blatt Einstellungen aus: Firmenname, IBAN und Unternehmensnummer.",
        "2. Tragen Sie Ihre Kunden (je eine Zeile) und Rechnungen (je eine Zeile) ein.",
        "3. Erfassen Sie Zahlungen im Blatt Zahlungen, Ratenpläne im Blatt Ratenpläne.",
        "4. Klicken Sie auf Prüfen (oder 'debtor-portal check') und korrigieren Sie die Meldungen.",
        "5. Klicken Sie auf Aktualisieren: graue Spalten füllt Debtor Portal aus, bitte nicht eintippen.",
        "6. Klicken Sie auf Portal erstellen und Veröffentlichen; senden Sie jedem Schuldner seinen Link.",
    ],
}


def cell_value(value: object) -> object:
    """What to put in a cell; see `write_cell` for text that looks like a formula."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def write_cell(sheet: Worksheet, row: int, column: int, value: object) -> None:
    """Write a value as data, never as a formula: text starting with = + - @ stays text."""
    cell = sheet.cell(row=row, column=column)
    cell.value = cell_value(value)  # assigned, not passed: openpyxl's cell() ignores a value of None
    if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
        cell.data_type = "s"


def _validation(sheet: Worksheet, choices: tuple[str, ...], ref: str) -> None:
    rule = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Debtor Portal",
        error="Choose one of: " + ", ".join(choices),
    )
    rule.add(ref)
    sheet.add_data_validation(rule)


def _add_table(sheet: Worksheet, name: str, width: int, rows: int) -> None:
    ref = f"A1:{column_letter(width)}{max(rows, 1) + 1}"
    table = ExcelTable(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
    sheet.add_table(table)
    sheet.freeze_panes = "A2"


def _write_table(book: Workbook, table: schema.Table, lang: str, rows: list[dict[str, object]]) -> None:
    sheet = book.create_sheet(table.sheet_name(lang))
    for col, column in enumerate(table.columns, start=1):
        letter = column_letter(col)
        header = sheet.cell(row=1, column=col, value=column.header(lang))
        sheet.column_dimensions[letter].width = column.width
        if column.managed:
            header.fill, header.font = MANAGED_FILL, MANAGED_FONT
            header.comment = Comment("Written by Debtor Portal (Refresh). Do not type here.", "Debtor Portal")
        elif column.help:
            header.comment = Comment(column.help, "Debtor Portal")
        if column.type in schema.NUMBER_FORMATS:
            for row in range(2, len(rows) + 3):
                sheet.cell(row=row, column=col).number_format = schema.NUMBER_FORMATS[column.type]
        if column.choices:
            _validation(sheet, column.choices, f"{letter}2:{letter}{LAST_ROW}")
        for row, record in enumerate(rows, start=2):
            if column.key in record and record[column.key] not in (None, ""):
                write_cell(sheet, row, col, record[column.key])
    _add_table(sheet, table.key.capitalize(), len(table.columns), len(rows))


def _write_settings(book: Workbook, lang: str, settings: dict[str, object]) -> None:
    table = schema.SETTINGS_TABLE
    sheet = book.create_sheet(table.sheet_name(lang))
    for col, column in enumerate(table.columns, start=1):
        sheet.cell(row=1, column=col, value=column.header(lang))
        sheet.column_dimensions[column_letter(col)].width = column.width
    for row, setting in enumerate(schema.SETTINGS, start=2):
        label = sheet.cell(row=row, column=1, value=setting.labels[lang])
        if setting.required:
            label.font = Font(bold=True)
        write_cell(sheet, row, 2, settings.get(setting.key, setting.default))
        sheet.cell(row=row, column=3, value=setting.help).alignment = Alignment(wrap_text=True)
        if setting.type in schema.NUMBER_FORMATS:
            sheet.cell(row=row, column=2).number_format = schema.NUMBER_FORMATS[setting.type]
        if setting.choices and setting.type == "choice":  # a list setting holds several, typed with commas
            _validation(sheet, setting.choices, f"B{row}")
    _add_table(sheet, "Settings", len(table.columns), len(schema.SETTINGS))


def _write_how_to(book: Workbook, lang: str) -> None:
    sheet = book.active
    sheet.title = {"en": "How to use", "fr": "Mode d'emploi", "nl": "Handleiding", "de": "Anleitung"}[lang]
    sheet.column_dimensions["A"].width = 110
    for row, line in enumerate(HOW_TO[lang], start=1):
        sheet.cell(row=row, column=1, value=line).font = Font(bold=row == 1, size=14 if row == 1 else 11)


def _scenario_rows(steps: tuple[ScenarioStep, ...]) -> list[dict[str, object]]:
    return [
        {
            "scenario": s.scenario,
            "stage": s.stage,
            "offset_days": s.offset_days,
            "template": s.template,
            "channel": s.channel,
        }
        for s in steps
    ]


def write_workbook(
    path: Path,
    *,
    lang: str = "en",
    settings: dict[str, object] | None = None,
    rows: dict[str, list[dict[str, object]]] | None = None,
) -> Path:
    """Write the template workbook; `rows` fills tables by table key (the sample does)."""
    rows = rows or {}
    book = openpyxl.Workbook()
    _write_how_to(book, lang)
    _write_settings(book, lang, settings or {})
    for table in schema.DATA_TABLES:
        default = _scenario_rows(BUILTIN_STEPS) if table is schema.SCENARIOS_TABLE else []
        _write_table(book, table, lang, rows.get(table.key, default))
    book.properties.creator = "Debtor Portal"
    book.properties.created = book.properties.modified = FIXED_TIMESTAMP
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path

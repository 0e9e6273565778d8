"""The commands behind both front doors (the CLI and the Excel ribbon), one module each.

A command takes a workbook port (`portal.workbook.port.WorkbookPort`) and options, and returns a
result object that the front door shows; `errors.failure` turns any failure into what to say.
"""

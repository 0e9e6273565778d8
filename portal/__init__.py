"""Debtor Portal: receivables workbook → dunning → static payment portal."""

import pytest

from portal.workbook import schema


@pytest.mark.parametrize("table", schema.TABLES, ids=lambda t: t.key)
def test_every_header_and_alias_names_one_column_only(table):
    owners: dict[str, str] = {}
    for column in table.columns:
        for name in column.names():
            assert owners.setdefault(name, column.key) == column.key, (table.key, name)


def test_setting_names_are_unambiguous():
    owners: dict[str, str] = {}
    for setting in schema.SETTINGS:
        for name in setting.names():
            assert owners.setdefault(name, setting.key) == setting.key, name


@pytest.mark.parametrize(
    "header, key",
    [
        ("Nom du client", "customer_name"),
        ("Numéro de facture", "number"),
        ("ÉCHÉANCE", "due_date"),
        ("Montant dû", "amount"),
        ("Date", "issue_date"),
        ("Dernier contact", "last_reminder"),
        ("Prochaine action", "next_action"),
        ("Vervaldatum", "due_date"),
        ("Rechnungsnummer", "number"),
        (" amount incl. VAT ", "amount"),
    ],
)
def test_headers_match_whatever_the_case_accents_and_punctuation(header, key):
    assert schema.INVOICES.match_header(header).key == key


def test_unknown_headers_match_nothing():
    assert schema.INVOICES.match_header("Colour of the van") is None
    assert schema.INVOICES.match_header("") is None

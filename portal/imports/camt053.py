"""ISO 20022 bank-to-customer statements and notifications: camt.053 (and camt.052/054), versions .001.02 to .001.13.

Read with our own paths over a safe parse (see `xml.parse`); field paths from the Febelfin and ABBL
implementation guides. The one change between .02 and .08 that matters here: the status became
`Sts/Cd`, and the debtor `RltdPties/Dbtr/Pty/Nm`.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from xml.etree import ElementTree as ET

from .records import BankEntry, Statement, UnreadableFile, money
from .xml import parse, text

_NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.(05[234])\.001\.(\d\d)$")
_CONTAINERS = {
    "053": ("BkToCstmrStmt", "Stmt"),
    "052": ("BkToCstmrAcctRpt", "Rpt"),
    "054": ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
}


def is_camt(data: bytes) -> bool:
    return b"urn:iso:std:iso:20022:tech:xsd:camt.05" in data[:4096]


def read(data: bytes, file: str) -> list[Statement]:
    """Every statement (or notification) in the file, each with its entries in file order."""
    root, namespace = parse(data, file)
    match = _NAMESPACE.match(namespace)
    if root.tag != "Document" or match is None:
        raise UnreadableFile(
            file,
            "it is not an ISO 20022 camt.053 bank statement (nor camt.052/054). Export the statement from your "
            "bank as camt.053 (XML) or CODA.",
        )
    message, version = match.groups()
    container, item = _CONTAINERS[message]
    body = root.find(container)
    if body is None:
        raise UnreadableFile(file, f"its camt.{message} document has no {container} element.")
    label = f"camt.{message}.001.{version}"
    statements = []
    for n, stmt in enumerate(body.findall(item), start=1):
        iban = text(stmt, "Acct/Id/IBAN")
        currency = text(stmt, "Acct/Ccy")
        entries = []
        for k, entry in enumerate(stmt.findall("Ntry"), start=1):
            where = f"statement {n}, entry {k}" if len(body.findall(item)) > 1 else f"entry {k}"
            entries.extend(_entries(entry, file, where, currency))
        statements.append(Statement(file, label, iban, currency or _first_currency(entries), tuple(entries)))
    if not statements:
        raise UnreadableFile(file, f"it holds no {item} element: the statement is empty or incomplete.")
    return statements


def _first_currency(entries: list[BankEntry]) -> str:
    return entries[0].currency if entries else ""


def _amount(element: ET.Element | None, file: str, where: str) -> tuple[Decimal, str]:
    raw = text(element)
    try:
        amount = Decimal(raw)
    except InvalidOperation:
        raise UnreadableFile(file, f"the amount '{raw}' is not a number.", where) from None
    if not amount.is_finite() or amount < 0:
        raise UnreadableFile(file, f"the amount '{raw}' is not a positive number.", where)
    return money(amount, file, where), (element.get("Ccy", "") if element is not None else "").upper()


def _date(element: ET.Element | None, file: str, where: str) -> date | None:
    if element is None:
        return None
    raw = text(element, "Dt") or text(element, "DtTm")[:10]
    if not raw:
        return None
    try:
        return date.fromisoformat(raw[:10])
    except ValueError:
        raise UnreadableFile(file, f"the date '{raw}' is not a date (YYYY-MM-DD).", where) from None


def _status(entry: ET.Element) -> str:
    status = entry.find("Sts")
    return (text(status, "Cd") or text(status)).upper() if status is not None else ""


def _entries(entry: ET.Element, file: str, where: str, account_currency: str) -> list[BankEntry]:
    amount, currency = _amount(entry.find("Amt"), file, where)
    indicator = text(entry, "CdtDbtInd").upper()
    if indicator not in ("CRDT", "DBIT"):
        raise UnreadableFile(file, f"the credit/debit indicator '{indicator}' is neither CRDT nor DBIT.", where)
    booking = _date(entry.find("BookgDt"), file, where)
    value = _date(entry.find("ValDt"), file, where)
    if booking is None and value is None:
        raise UnreadableFile(file, "the entry has neither a booking date nor a value date.", where)
    booked_on = booking or value
    assert booked_on is not None
    base = BankEntry(
        file=file,
        where=where,
        booking_date=booked_on,
        value_date=value,
        amount=amount,
        currency=currency or account_currency,
        credit=indicator == "CRDT",
        booked=_status(entry) == "BOOK",
        reversal=text(entry, "RvslInd").lower() in ("true", "1"),
        entry_reference=text(entry, "AcctSvcrRef"),
    )
    details = entry.findall("NtryDtls/TxDtls")
    if not details:
        return [base]
    own_references = [text(detail, "Refs/AcctSvcrRef") for detail in details]
    distinct = all(own_references) and len(set(own_references)) == len(own_references)
    records = []
    for k, detail in enumerate(details, start=1):
        part_where = where if len(details) == 1 else f"{where}, transaction {k}"
        part_amount, part_currency = base.amount, base.currency
        for path in ("AmtDtls/TxAmt/Amt", "Amt"):
            if detail.find(path) is not None:
                part_amount, part_currency = _amount(detail.find(path), file, part_where)
                part_currency = part_currency or base.currency
                break
        if len(details) == 1:
            part_reference = base.entry_reference or own_references[0]
        elif distinct:
            part_reference = own_references[k - 1]
        else:
            stem = base.entry_reference or own_references[k - 1]
            part_reference = f"{stem}/{k}" if stem else ""
        structured, issuer, free = _remittance(detail)
        taken_back = base.reversal or detail.find("RtrInf") is not None
        name, iban = _counterparty(detail, debtor=base.credit != taken_back)
        records.append(
            replace(
                base,
                where=part_where,
                amount=part_amount,
                currency=part_currency,
                entry_reference=part_reference,
                reversal=taken_back,
                structured_reference=structured,
                reference_issuer=issuer,
                free_text=free,
                counterparty_name=name,
                counterparty_iban=iban,
            )
        )
    return records


def _remittance(detail: ET.Element) -> tuple[str, str, str]:
    structured, issuer = "", ""
    for ref_info in detail.findall("RmtInf/Strd/CdtrRefInf"):
        ref = text(ref_info, "Ref")
        if ref:
            structured, issuer = ref, text(ref_info, "Tp/Issr").upper()
            break
    free = " ".join(t for t in (text(u) for u in detail.findall("RmtInf/Ustrd")) if t)
    additional = " ".join(t for t in (text(a) for a in detail.findall("RmtInf/Strd/AddtlRmtInf")) if t)
    if not free and not additional:
        free = text(detail, "AddtlTxInf")
    return structured, issuer, " ".join(t for t in (free, additional) if t)


def _counterparty(detail: ET.Element, *, debtor: bool) -> tuple[str, str]:
    """The payer of a credit (or of the credit a reversal takes back); the payee of a debit."""
    order = ("Dbtr", "Cdtr") if debtor else ("Cdtr", "Dbtr")
    for party in order:
        name = text(detail, f"RltdPties/{party}/Nm") or text(detail, f"RltdPties/{party}/Pty/Nm")
        iban = text(detail, f"RltdPties/{party}Acct/Id/IBAN")
        if name or iban:
            return name, iban.replace(" ", "").upper()
    return "", ""

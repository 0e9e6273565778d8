"""Bank statements written for the tests: the same entries as camt.053 (.001.02 or .001.08) or as CODA 2."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from xml.sax.saxutils import escape

ACCOUNT = "BE71096123456769"  # the sample creditor's IBAN


@dataclass(frozen=True)
class Entry:
    amount: str
    booked: date
    ref: str = ""  # the bank's entry reference
    credit: bool = True
    ogm: str = ""  # 12 digits, in the structured field (issuer BBA)
    rf: str = ""  # an RF reference in the structured field (issuer ISO)
    text: str = ""
    name: str = ""
    iban: str = ""
    pending: bool = False
    reversal: bool = False


def camt053(entries: list[Entry], version: str = "02", currency: str = "EUR", account: str = ACCOUNT) -> bytes:
    ns = f"urn:iso:std:iso:20022:tech:xsd:camt.053.001.{version}"
    body = "".join(_camt_entry(e, version, currency) for e in entries)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="{ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
  <BkToCstmrStmt>
    <GrpHdr><MsgId>STMT-TEST-1</MsgId><CreDtTm>2026-11-16T06:00:00</CreDtTm></GrpHdr>
    <Stmt>
      <Id>STMT-2026-11-16</Id>
      <CreDtTm>2026-11-16T06:00:00</CreDtTm>
      <Acct><Id><IBAN>{account}</IBAN></Id><Ccy>{currency}</Ccy></Acct>
      <Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="{currency}">1000.00</Amt>
        <CdtDbtInd>CRDT</CdtDbtInd><Dt><Dt>2026-11-01</Dt></Dt></Bal>
{body}    </Stmt>
  </BkToCstmrStmt>
</Document>
""".encode()


def _camt_entry(e: Entry, version: str, currency: str) -> str:
    status = "PDNG" if e.pending else "BOOK"
    status_xml = f"<Sts>{status}</Sts>" if version == "02" else f"<Sts><Cd>{status}</Cd></Sts>"
    party = "Dbtr" if e.credit != e.reversal else "Cdtr"
    name_xml = f"<Nm>{escape(e.name)}</Nm>" if version == "02" else f"<Pty><Nm>{escape(e.name)}</Nm></Pty>"
    parties = ""
    if e.name or e.iban:
        parties = f"<RltdPties><{party}>{name_xml}</{party}>"
        if e.iban:
            parties += f"<{party}Acct><Id><IBAN>{e.iban}</IBAN></Id></{party}Acct>"
        parties += "</RltdPties>"
    remittance = ""
    if e.ogm or e.rf:
        issuer = "BBA" if e.ogm else "ISO"
        remittance = (
            "<RmtInf><Strd><CdtrRefInf><Tp><CdOrPrtry><Cd>SCOR</Cd></CdOrPrtry>"
            f"<Issr>{issuer}</Issr></Tp><Ref>{e.ogm or e.rf}</Ref></CdtrRefInf></Strd></RmtInf>"
        )
    elif e.text:
        remittance = f"<RmtInf><Ustrd>{escape(e.text)}</Ustrd></RmtInf>"
    reversal = "<RvslInd>true</RvslInd>" if e.reversal else ""
    return f"""      <Ntry>
        <Amt Ccy="{currency}">{e.amount}</Amt>
        <CdtDbtInd>{"CRDT" if e.credit else "DBIT"}</CdtDbtInd>
        {reversal}{status_xml}
        <BookgDt><Dt>{e.booked.isoformat()}</Dt></BookgDt>
        <ValDt><Dt>{e.booked.isoformat()}</Dt></ValDt>
        {f"<AcctSvcrRef>{e.ref}</AcctSvcrRef>" if e.ref else ""}
        <BkTxCd><Domn><Cd>PMNT</Cd><Fmly><Cd>RCDT</Cd><SubFmlyCd>ESCT</SubFmlyCd></Fmly></Domn></BkTxCd>
        <NtryDtls><TxDtls>
          <Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>
          {parties}{remittance}
        </TxDtls></NtryDtls>
      </Ntry>
"""


# --- CODA -----------------------------------------------------------------------------


def _record(*fields: tuple[int, str]) -> str:
    """A 128-character record with each text placed at its 1-based position."""
    line = [" "] * 128
    for position, text in fields:
        for k, char in enumerate(text):
            line[position - 1 + k] = char
    return "".join(line)


def _ddmmyy(day: date) -> str:
    return day.strftime("%d%m%y")


def _mills(amount: Decimal) -> str:
    return f"{int(amount * 1000):015d}"


def coda(entries: list[Entry], currency: str = "EUR", account: str = ACCOUNT, day: date = date(2026, 11, 16)) -> bytes:
    lines = [
        _record(
            (1, "0000"),
            (6, _ddmmyy(day)),
            (12, "300"),
            (15, "05"),
            (35, "ATELIER LUMIERE SRL"),
            (61, "GKCCBEBB"),
            (72, "00403170701"),
            (128, "2"),
        ),
        _record(
            (1, "12001"),
            (6, account.ljust(31)),
            (40, currency),
            (43, "0"),
            (44, _mills(Decimal("1000"))),
            (59, _ddmmyy(day)),
            (65, "ATELIER LUMIERE SRL"),
            (126, "001"),
        ),
    ]
    debit = credit = Decimal("0")
    count = 1
    for n, e in enumerate(entries, start=1):
        amount = Decimal(e.amount)
        sign = "0" if e.credit else "1"
        if e.credit:
            credit += amount
        else:
            debit += amount
        seq = f"{n:04d}"
        if e.ogm:
            comm_type, comm = "1", "101" + e.ogm
        elif e.rf:
            comm_type, comm = "1", "100" + " " + e.rf
        else:
            comm_type, comm = "0", e.text
        ref = (e.ref or f"AUTO{n:04d}").ljust(21)[:21]
        lines.append(
            _record(
                (1, "21"),
                (3, seq),
                (7, "0000"),
                (11, ref),
                (32, sign),
                (33, _mills(amount)),
                (48, _ddmmyy(e.booked)),
                (54, "00150000"),
                (62, comm_type),
                (63, comm[:53]),
                (116, _ddmmyy(e.booked)),
                (122, "001"),
                (125, "0"),
                (126, "1"),
                (128, "0"),
            )
        )
        lines.append(
            _record(
                (1, "22"),
                (3, seq),
                (7, "0000"),
                (11, comm[53:106]),
                (64, "NOTPROVIDED"),
                (113, "4" if e.reversal else " "),
                (126, "1"),
                (128, "0"),
            )
        )
        lines.append(
            _record(
                (1, "23"),
                (3, seq),
                (7, "0000"),
                (11, (e.iban.ljust(34) + "EUR") if e.iban else ""),
                (48, e.name[:35]),
                (83, comm[106:149]),
                (126, "0"),
                (128, "0"),
            )
        )
        count += 3
    lines.append(
        _record(
            (1, "8001"),
            (5, account.ljust(31)),
            (38, currency),
            (42, "0"),
            (43, _mills(Decimal("1000") + credit - debit)),
            (58, _ddmmyy(day)),
        )
    )
    count += 1
    lines.append(_record((1, "9"), (17, f"{count:06d}"), (23, _mills(debit)), (38, _mills(credit)), (128, "2")))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")

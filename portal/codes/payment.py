"""Payment codes: structured references (Belgian OGM/VCS, ISO 11649 RF), IBAN/BIC checks,
the EPC QR payload ("GiroCode", EPC069-12 version 002) and its rendering.

The check-digit arithmetic comes from python-stdnum and the bank data from schwifty;
this module only adds generation, the EPC layout and messages a bookkeeper can act on.

>>> ogm.format(ogm.generate("2024-0153"))
'+++002/0240/15336+++'
>>> print(epc_payload("Acme SPRL", "BE71 0961 2345 6769", "250.00", reference="+++090/9337/55493+++"))
BCD
002
1
SCT
<BLANKLINE>
Acme SPRL
BE71096123456769
EUR250.00
<BLANKLINE>
090933755493
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from xml.sax.saxutils import escape as xml_escape

import segno
from schwifty import IBAN
from schwifty import exceptions as schwifty_errors
from schwifty.registry import get_iban_spec
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum import iso11649
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength, ValidationError
from stdnum.iso7064 import mod_97_10

EPC_MAX_BYTES = 331
EPC_MAX_QR_VERSION = 13
MIN_AMOUNT = Decimal("0.01")
MAX_AMOUNT = Decimal("999999999.99")
QUIET_ZONE = 4

OGM_EXAMPLE = "+++123/4567/89002+++"
RF_EXAMPLE = "RF18 5390 0754 7034"


class PaymentCodeError(ValueError):
    """A value that cannot go into a payment code. `field` names the offending input."""

    def __init__(self, message: str, *, field: str):
        super().__init__(message)
        self.field = field


class InvalidReference(PaymentCodeError):
    """A structured payment reference (OGM or RF) that is not valid."""

    def __init__(self, message: str):
        super().__init__(message, field="reference")


def _hash_digits(key: str, count: int) -> str:
    """`count` decimal digits derived from sha256(key): the same key always gives the same digits."""
    value = int.from_bytes(hashlib.sha256(key.encode("utf-8")).digest(), "big")
    return str(value % 10**count).zfill(count)


class ogm:
    """Belgian structured communication (OGM/VCS, "communication structurée"): 12 digits,
    the last two being the first ten mod 97 (97 when that is 0). Printed +++123/4567/89002+++.

    >>> ogm.compact("+++090/9337/55493+++")
    '090933755493'
    >>> ogm.format("090933755493")
    '+++090/9337/55493+++'
    >>> ogm.is_valid("+++090/9337/55494+++")
    False
    >>> ogm.generate("INV-42")
    '000000004242'
    """

    @staticmethod
    def compact(s: str) -> str:
        """Strip spaces, `+`, `/` and the `*` some invoices use instead of `+`."""
        return ogm_vcs.compact(s.replace("*", ""))

    @staticmethod
    def validate(s: str) -> str:
        """Return the 12 digits of a valid structured communication, or raise InvalidReference."""
        number = ogm.compact(s)
        try:
            return ogm_vcs.validate(number)
        except InvalidLength:  # before InvalidFormat, its parent class
            problem = f"it has {len(number)} digits instead of 12"
        except InvalidFormat:
            if not number:
                problem = "it is empty"
            elif number.isascii() and number.isdigit():
                problem = "it is all zeros"
            else:
                problem = "it may contain only digits"
        except InvalidChecksum:
            problem = (
                "its last two digits (the check digits) do not match the first ten, so a digit is probably mistyped"
            )
        raise InvalidReference(
            f"'{s}' is not a valid Belgian structured communication: {problem}. "
            f"It should be 12 digits written like {OGM_EXAMPLE}."
        )

    @staticmethod
    def is_valid(s: str) -> bool:
        try:
            return bool(ogm.validate(s))
        except InvalidReference:
            return False

    @staticmethod
    def format(s: str) -> str:
        return f"+++{ogm_vcs.format(ogm.compact(s))}+++"

    @staticmethod
    def generate(key: str, *, hashed: bool = False) -> str:
        """A structured communication for `key` (say an invoice number), as 12 digits.

        Unless `hashed`, a key holding 1 to 10 digits keeps them, so "2024-0153" gives
        0020240153 + check digits and the bookkeeper can read the invoice number back.
        Other keys use 10 digits of sha256(key). Either way the result only depends on `key`.
        """
        digits = "".join(re.findall(r"[0-9]", key))
        if not hashed and 1 <= len(digits) <= 10 and int(digits) > 0:
            base = digits.zfill(10)
        else:
            # 0000000000 would be shared by every key without digits; a hash of 0 is a
            # 1-in-10**10 case, mapped to 1 so that it cannot happen either.
            base = _hash_digits(key, 10)
            if int(base) == 0:
                base = "0000000001"
        return base + ogm_vcs.calc_check_digits(base)


class rf:
    """ISO 11649 RF creditor reference: RF, two check digits (ISO 7064 mod 97-10), then
    1 to 21 letters or digits. Printed in groups of four.

    >>> rf.compact("RF18 5390 0754 7034")
    'RF18539007547034'
    >>> rf.format("RF18539007547034")
    'RF18 5390 0754 7034'
    >>> rf.is_valid("RF19 5390 0754 7034")
    False
    >>> rf.generate("539007547034")
    'RF18539007547034'
    """

    @staticmethod
    def compact(s: str) -> str:
        return iso11649.compact(s)

    @staticmethod
    def validate(s: str) -> str:
        """Return the compact form of a valid RF reference, or raise InvalidReference."""
        number = rf.compact(s)
        try:
            return iso11649.validate(number)
        except InvalidLength:  # before InvalidFormat, its parent class
            problem = f"it has {len(number)} characters instead of 5 to 25"
        except InvalidFormat:
            if not number.startswith("RF"):
                problem = "it does not start with RF"
            else:
                problem = "after RF it may contain only letters A-Z and digits"
        except InvalidChecksum:
            problem = (
                "its check digits (the two digits after RF) do not match the rest, so a character is probably mistyped"
            )
        raise InvalidReference(
            f"'{s}' is not a valid RF creditor reference: {problem}. It should look like {RF_EXAMPLE}."
        )

    @staticmethod
    def is_valid(s: str) -> bool:
        try:
            return bool(rf.validate(s))
        except InvalidReference:
            return False

    @staticmethod
    def format(s: str) -> str:
        return iso11649.format(s)

    @staticmethod
    def generate(key: str, *, hashed: bool = False) -> str:
        """An RF reference for `key`: its letters and digits (upper-cased) when there are
        1 to 21 of them and not `hashed`, otherwise 20 digits of sha256(key)."""
        body = "".join(re.findall(r"[A-Z0-9]", key.upper()))
        if hashed or not 1 <= len(body) <= 21:
            body = _hash_digits(key, 20)
        return "RF" + mod_97_10.calc_check_digits(body + "RF") + body


_REFERENCE_KINDS: dict[str, type[ogm] | type[rf]] = {"ogm": ogm, "rf": rf}


def _kind_of(ref: str) -> type[ogm] | type[rf]:
    return rf if rf.compact(ref).startswith("RF") else ogm


REFERENCES_KEPT = 1 << 17  # every reference of a large workbook: each is computed once per run


@lru_cache(maxsize=REFERENCES_KEPT)
def reference_for(kind: str, key: str, *, hashed: bool = False) -> str:
    """A new reference of `kind` ("ogm" or "rf") for `key`, in compact form."""
    try:
        reference_type = _REFERENCE_KINDS[kind]
    except KeyError:
        raise PaymentCodeError(
            f"Unknown reference kind '{kind}': use 'ogm' (Belgian structured communication) "
            "or 'rf' (international RF creditor reference).",
            field="reference_kind",
        ) from None
    return reference_type.generate(key, hashed=hashed)


@lru_cache(maxsize=REFERENCES_KEPT)
def validate_reference(ref: str) -> str:
    """The compact form of a valid OGM or RF reference, or InvalidReference."""
    if _kind_of(ref) is rf:
        return rf.validate(ref)
    compact = ogm.compact(ref)
    if not (compact.isascii() and compact.isdigit()):
        raise InvalidReference(
            f"'{ref}' is not a structured payment reference. Use a Belgian structured "
            f"communication like {OGM_EXAMPLE} or an RF creditor reference like {RF_EXAMPLE}, "
            "or put the text in the free-text message instead."
        )
    return ogm.validate(ref)


@lru_cache(maxsize=REFERENCES_KEPT)
def format_reference(ref: str) -> str:
    """A valid reference as printed: +++123/4567/89002+++ or RF18 5390 0754 7034."""
    return _kind_of(ref).format(validate_reference(ref))


# --- IBAN and BIC -------------------------------------------------------------------

_SCHWIFTY_PROBLEMS = {
    schwifty_errors.InvalidCountryCode: "it does not start with a known country code (like BE or FR)",
    schwifty_errors.InvalidStructure: "an IBAN is a 2-letter country code, 2 check digits, then the account "
    "number in the format of that country",
    schwifty_errors.InvalidChecksumDigits: "its check digits (the 2 digits after the country code) do not match, "
    "so a character is probably mistyped",
    schwifty_errors.InvalidBBANChecksum: "the national check digits at the end of the account number do not match, "
    "so a digit is probably mistyped",
    schwifty_errors.InvalidBankCode: "its bank code is not valid",
    schwifty_errors.InvalidBranchCode: "its branch code is not valid",
    schwifty_errors.InvalidAccountCode: "its account number part is not valid",
}


def _iban_error(s: str, problem: str) -> PaymentCodeError:
    return PaymentCodeError(
        f"The IBAN '{s}' is not valid: {problem}. Copy it again from a bank statement.", field="iban"
    )


@lru_cache(maxsize=4096)
def validate_iban(s: str) -> str:
    """The compact, upper-case form of a valid IBAN, or PaymentCodeError (field "iban").

    Checks the length for the country, the check digits, the national check digits and,
    for Belgium, that the bank code is in the National Bank of Belgium's list.
    """
    compact = stdnum_iban.compact(s)
    if not compact:
        raise PaymentCodeError("The IBAN is missing: enter the account the debtor should pay into.", field="iban")
    try:
        IBAN(compact, validate_bban=True)
    except schwifty_errors.InvalidLength as exc:
        expected = get_iban_spec(compact[:2]).iban_length
        raise _iban_error(s, f"it has {len(compact)} characters; an IBAN from {compact[:2]} has {expected}") from exc
    except schwifty_errors.SchwiftyException as exc:
        raise _iban_error(s, _SCHWIFTY_PROBLEMS.get(type(exc), str(exc))) from exc
    try:
        return stdnum_iban.validate(compact)
    except InvalidComponent as exc:
        if compact.startswith("BE"):
            problem = f"bank code {compact[4:7]} is not a known Belgian bank code"
        else:
            problem = "part of it is unknown for its country"
        raise _iban_error(s, problem) from exc
    except ValidationError as exc:
        raise _iban_error(s, "its account number does not follow the format of its country") from exc


def compact_iban(s: str) -> str:
    """An IBAN without spaces, upper case (not validated)."""
    return stdnum_iban.compact(s)


def format_iban(s: str) -> str:
    """A valid IBAN in groups of four: BE71 0961 2345 6769."""
    return stdnum_iban.format(validate_iban(s))


def validate_bic(s: str) -> str:
    """The compact, upper-case form of a valid BIC, or PaymentCodeError (field "bic")."""
    compact = stdnum_bic.compact(s)
    try:
        return stdnum_bic.validate(compact)
    except InvalidLength:  # before InvalidFormat, its parent class
        problem = f"it has {len(compact)} characters instead of 8 or 11"
    except InvalidFormat:
        problem = "it should be 4 letters (bank), 2 letters (country), then 2 or 5 letters or digits"
    except InvalidComponent:
        problem = f"'{compact[4:6]}' is not a country code"
    raise PaymentCodeError(
        f"The BIC '{s}' is not valid: {problem}. A BIC looks like GKCCBEBB; you may also leave it empty.", field="bic"
    )


def compact_enterprise_number(s: str) -> str:
    """A Belgian enterprise number as the register writes it, without a VAT prefix: 0403.170.701.
    Returned as typed when it is not a valid enterprise number."""
    try:
        digits = be_vat.validate(s)
    except ValidationError:
        return s.strip()
    return f"{digits[:4]}.{digits[4:7]}.{digits[7:]}"


def bic_for_iban(iban: str) -> str:
    """The BIC of the bank holding a valid IBAN, from schwifty's bank registry; '' when unknown."""
    bic = IBAN(validate_iban(iban)).bic
    return str(bic) if bic else ""


# --- EPC QR payload -----------------------------------------------------------------

_FIELD_LABELS = {
    "name": "beneficiary name",
    "iban": "IBAN",
    "bic": "BIC",
    "purpose": "purpose code",
    "reference": "structured reference",
    "text": "free-text message",
    "info": "information line for the payer",
}


def _reject_control_characters(field: str, value: str) -> None:
    for position, char in enumerate(value, start=1):
        category = unicodedata.category(char)
        # Zl/Zp (U+2028, U+2029) are not control characters, but some readers split lines on them.
        if category[0] == "C" or category in ("Zl", "Zp"):
            name = unicodedata.name(char, "control character")
            raise PaymentCodeError(
                f"The {_FIELD_LABELS[field]} contains an invisible character (U+{ord(char):04X} {name}) "
                f"at position {position}. Remove it: a payment code field must be a single line "
                "of visible text.",
                field=field,
            )


def _text_field(field: str, value: str, limit: int, *, required: bool = False) -> str:
    value = unicodedata.normalize("NFC", value).strip()
    label = _FIELD_LABELS[field]
    if required and not value:
        raise PaymentCodeError(f"The {label} is missing.", field=field)
    if len(value) > limit:
        raise PaymentCodeError(
            f"The {label} has {len(value)} characters; a payment code allows at most {limit}. Shorten it.", field=field
        )
    return value


def validate_beneficiary_name(name: str) -> str:
    """The creditor's name as a payment code carries it: one line of at most 70 characters."""
    return _text_field("name", name, 70, required=True)


def _amount_line(amount: Decimal | str) -> str:
    if not isinstance(amount, (Decimal, str)):
        raise TypeError(
            f"amount must be a Decimal or a string like '250.00', not {type(amount).__name__}"
            " (a float cannot hold every amount in cents exactly)"
        )
    try:
        value = Decimal(amount.strip() if isinstance(amount, str) else amount)
    except InvalidOperation:
        raise PaymentCodeError(
            f"The amount '{amount}' is not a number. Write it with a dot for the cents "
            "and no thousands separator, like 1234.50.",
            field="amount",
        ) from None
    if not value.is_finite() or not MIN_AMOUNT <= value <= MAX_AMOUNT:
        raise PaymentCodeError(
            f"The amount {amount} cannot be paid by EPC QR code: it must be between "
            f"{MIN_AMOUNT} and {MAX_AMOUNT} euro.",
            field="amount",
        )
    if value != round(value, 2):
        raise PaymentCodeError(
            f"The amount {amount} has fractions of a cent. Round it to 2 decimals first.", field="amount"
        )
    return f"EUR{value:.2f}"


def epc_payload(
    name: str,
    iban: str,
    amount: Decimal | str,
    *,
    bic: str = "",
    reference: str = "",
    text: str = "",
    info: str = "",
    purpose: str = "",
) -> str:
    """The text of an EPC QR code ("GiroCode") for a SEPA credit transfer in euro.

    EPC069-12 version 002, UTF-8 (charset 1), lines separated by LF. Empty optional
    lines in the middle stay so later lines keep their place; trailing ones are dropped.
    `reference` (OGM or RF, goes to line 10 in compact form) and `text` (line 11) exclude
    each other. `info` is line 12, a hint shown to the payer. Raises PaymentCodeError,
    whose `field` names the offending argument, and TypeError for a float amount.
    """
    fields = {
        "name": name,
        "iban": iban,
        "bic": bic,
        "purpose": purpose,
        "reference": reference,
        "text": text,
        "info": info,
    }
    for field, value in fields.items():
        _reject_control_characters(field, value)

    name = validate_beneficiary_name(name)
    text = _text_field("text", text, 140)
    info = _text_field("info", info, 70)
    iban = validate_iban(iban)
    amount_line = _amount_line(amount)
    bic = validate_bic(bic) if bic.strip() else ""
    purpose = purpose.strip().upper()
    if purpose and not re.fullmatch(r"[A-Z0-9]{4}", purpose):
        raise PaymentCodeError(
            f"The purpose code '{purpose}' must be exactly 4 letters or digits (an ISO 20022 code "
            "like GDDS), or left empty.",
            field="purpose",
        )
    if reference.strip() and text:
        raise PaymentCodeError(
            "Give either a structured reference or a free-text message, not both: a bank "
            "transfer carries only one of them. Leave the message empty.",
            field="reference",
        )
    # A valid OGM (12) or RF (at most 25) is always within the EPC limit of 35 characters.
    reference = validate_reference(reference) if reference.strip() else ""

    lines = ["BCD", "002", "1", "SCT", bic, name, iban, amount_line, purpose, reference, text, info]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    size = len(payload.encode("utf-8"))
    if size > EPC_MAX_BYTES:
        raise PaymentCodeError(
            f"The payment code would hold {size} bytes, more than the {EPC_MAX_BYTES} an EPC QR code "
            "allows. Shorten the message, the information line or the name (accented letters "
            "count double).",
            field="payload",
        )
    return payload


# --- QR rendering -------------------------------------------------------------------


QR_MASK = 1


def qr_code(payload: str) -> segno.QRCode:
    """The QR code of an EPC payload: UTF-8 bytes, error correction M, version at most 13.

    Always drawn with mask 1: choosing the mask by the standard's penalty rules costs five times
    the rest of the encoding, and codes drawn with mask 1 are read back by zbar and zxing-cpp at
    least as often as the chosen ones, from clean pictures to blurred, noisy and unevenly lit ones
    (`python -m bench.qr_masks`, bench/QR-MASKS.md)."""
    qr = segno.make(payload.encode("utf-8"), mode="byte", error="M", boost_error=False, micro=False, mask=QR_MASK)
    if int(qr.version) > EPC_MAX_QR_VERSION:
        raise PaymentCodeError(
            f"The payment code needs a QR code of version {qr.version}; banking apps only read up to "
            f"version {EPC_MAX_QR_VERSION}. Shorten the payload to {EPC_MAX_BYTES} bytes.",
            field="payload",
        )
    return qr


def qr_svg(code: segno.QRCode, *, title: str = "") -> str:
    """An inline <svg class="qr"> of a `qr_code`, without width or height, so CSS sizes it
    through its viewBox.

    One unit per module, with the 4-module quiet zone, black on white. `title` becomes
    the accessible name. The same payload always gives the same string.
    """
    out = io.BytesIO()
    code.save(
        out,
        kind="svg",
        xmldecl=False,
        nl=False,
        omitsize=True,
        scale=1,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        svgclass="qr",
    )
    return titled_svg(out.getvalue().decode("utf-8"), title)


def titled_svg(svg: str, title: str) -> str:
    """An untitled `qr_svg` with `title` as its accessible name: one drawing serves every language."""
    if not title:
        return svg
    head, _, body = svg.partition(">")
    return f"{head}><title>{xml_escape(title)}</title>{body}"


_RUN = re.compile(b"\x01+")


@dataclass(frozen=True)
class QrDrawings:
    """One EPC code drawn both ways, from one encoding: the page's SVG and the PNG a debtor saves."""

    svg: str  # untitled: add the title with `titled_svg`
    png: bytes


def qr_drawings(payload: str) -> QrDrawings:
    matrix = qr_code(payload).matrix
    return QrDrawings(_svg_of(matrix), _png_of(matrix))


def qr_svg_of(payload: str) -> str:
    """`qr_svg(qr_code(payload))`, drawn from the module matrix without segno's general writer
    (several times faster, the same bytes). Add a title with `titled_svg`."""
    return _svg_of(qr_code(payload).matrix)


def qr_png_bytes(payload: str) -> bytes:
    """A PNG of the QR code, `PNG_MODULE_PIXELS` pixels per module, with the 4-module quiet zone."""
    return _png_of(qr_code(payload).matrix)


def _svg_of(matrix: Sequence[bytearray]) -> str:
    width = len(matrix) + 2 * QUIET_ZONE
    path: list[str] = []
    x = y = 0
    for number, row in enumerate(matrix):
        top = number + QUIET_ZONE
        for run in _RUN.finditer(bytes(row)):
            left, length = run.start() + QUIET_ZONE, run.end() - run.start()
            path.append(f"m{left - x} {top - y}h{length}" if path else f"M{left} {top}.5h{length}")
            x, y = left + length, top
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {width}" class="qr">'
        f'<path fill="#fff" d="M0 0h{width}v{width}h-{width}z"/>'
        f'<path class="qrline" stroke="#000" d="{"".join(path)}"/></svg>'
    )


_BYTE_OF_MODULE = bytes.maketrans(b"\x00\x01", b"\xff\x00")  # eight 1-bit pixels: light all set, dark none
PNG_MODULE_PIXELS = 8


def _png_of(matrix: Sequence[bytearray]) -> bytes:
    """A 1-bit black-and-white PNG, eight pixels a module (one byte), quiet zone included: written in a
    few byte operations (segno's PNG writer, pixel by pixel, takes ten times as long as the encoding).
    Deflate's fastest level: its higher levels take 6 to 30 times longer on these rows for 400 bytes less."""
    margin = b"\xff" * QUIET_ZONE
    light = b"\xff" * (len(matrix) + 2 * QUIET_ZONE)
    rows = [light] * QUIET_ZONE + [margin + bytes(row).translate(_BYTE_OF_MODULE) + margin for row in matrix]
    rows += [light] * QUIET_ZONE
    raw = b"".join((b"\x00" + row) * PNG_MODULE_PIXELS for row in rows)  # filter type 0 on every line
    size = (len(light) * PNG_MODULE_PIXELS).to_bytes(4, "big")

    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    header = size + size + bytes((1, 0, 0, 0, 0))  # 1 bit, greyscale, deflate, no filter set, no interlace
    return b"".join(
        (b"\x89PNG\r\n\x1a\n", chunk(b"IHDR", header), chunk(b"IDAT", zlib.compress(raw, 1)), chunk(b"IEND", b""))
    )

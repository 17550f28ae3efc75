"""Payment QR payloads printed on invoices.

Pure Python (no Django models): each builder turns payment details into the text
that goes into the QR code, and `qr_svg_data_uri` renders it for the PDF template.

Schemes (`payment_qr_payload` picks one):

- Czech QR Platba / SPAYD 1.0 (ČBA standard, version 1.2): ``spayd_payload``.
- Slovak PAY by square (by square 1.2.0): ``pay_by_square_payload``.
- EPC069-12 "SEPA credit transfer" QR (version 002): ``epc_payload``.

Rules shared by all builders:

- Amounts are `Decimal` (a float raises TypeError), quantized half-up to 0.01
  before formatting; a zero or negative amount raises ValueError (a document that
  needs no payment gets no QR code, the caller decides).
- IBANs are validated with schwifty, BICs must have 8 or 11 characters.
- Payment symbols and identifiers that are too long or malformed raise ValueError
  (never truncated: a wrong VS misroutes a payment); free text (message, note,
  names) is truncated to the scheme's limit, like the SPAYD standard tells
  readers to do.

SPAYD choices (see tests/invoices/test_qr.py for the vectors):

- Field order follows the vectors of dfridrich/QRPlatba and the brief:
  ``ACC, AM, CC, DT, MSG, X-VS, X-SS, X-KS, RN``. The order is free per the
  standard (the ČBA examples use another one); a CRC32 is not emitted.
- AM always has two decimals (``AM:100.00``), as the ČBA examples
  (``AM:480.50``, ``AM:555.55``) and most libraries write it. The spayd-java
  reference generator writes ``AM:100.5``; we deliberately do not.
- CC is always written, even for CZK (the kmp generator omits it; CZK is the
  default of the standard).
- MSG and RN are transliterated to ASCII (diacritics dropped, like the vectors'
  generators do) and upper-cased, as ČBA section 5 recommends (only 0-9, A-Z,
  space and ``$%*+-./:`` keep the QR code in the compact alphanumeric mode; the
  ČBA examples are upper-case). ``%``, ``*`` and ``+`` and anything left outside
  printable ASCII are percent-encoded as UTF-8 (``*`` -> ``%2A``), like the
  spayd-java reference implementation. MSG is cut to 60 and RN to 35 characters
  of the encoded value.

PAY by square: the LZMA1 stream of Python's ``lzma`` (liblzma) always ends with
an end-of-payload marker, which the reference encoders do not write, so our
payloads decode to exactly the same fields as the vectors but are a few bytes
longer (decoders stop at the length from the header; the ``xz`` command line,
which other generators use, writes the same marker).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import lzma
import re
import unicodedata
import zlib
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import unquote

import segno
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

__all__ = [
    "czech_account_to_iban",
    "decode_pay_by_square",
    "epc_payload",
    "parse_spayd",
    "parse_spayd_items",
    "pay_by_square_payload",
    "payment_qr_payload",
    "qr_svg_data_uri",
    "spayd_payload",
    "validate_spayd",
]

_CENT = Decimal("0.01")
_BIC_RE = re.compile(r"[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?")
_CURRENCY_RE = re.compile(r"[A-Z]{3}")


# --------------------------------------------------------------------------- helpers


def _quantize(amount: Decimal, *, maximum: Decimal) -> Decimal:
    if isinstance(amount, bool) or not isinstance(amount, Decimal):
        raise TypeError(f"amount must be a Decimal, got {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"amount must be a finite number, got {amount}")
    try:
        value = amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:
        raise ValueError(f"amount {amount} is out of range") from exc
    if value <= 0:
        raise ValueError(f"amount must be positive, got {amount}")
    if value > maximum:
        raise ValueError(f"amount {value} exceeds the maximum {maximum}")
    return value


def _plain_amount(value: Decimal) -> str:
    """12.30 -> "12.3", 1000.00 -> "1000" (no trailing zeros, no trailing dot)."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _clean_iban(iban: str) -> str:
    if not isinstance(iban, str) or not iban.strip():
        raise ValueError("IBAN is required")
    try:
        return IBAN(iban).compact
    except SchwiftyException as exc:
        raise ValueError(f"invalid IBAN {iban!r}: {exc}") from exc


def _clean_bic(bic: str | None) -> str:
    value = (bic or "").strip().upper()
    if value and not _BIC_RE.fullmatch(value):
        raise ValueError(f"invalid BIC {bic!r}: expected 8 or 11 letters/digits")
    return value


def _clean_currency(currency: str) -> str:
    value = (currency or "").strip().upper()
    if not _CURRENCY_RE.fullmatch(value):
        raise ValueError(f"invalid ISO 4217 currency code {currency!r}")
    return value


def _symbol(value: str | None, name: str, max_digits: int) -> str:
    """A Czech/Slovak payment symbol: digits only, leading zeros kept, never cut."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__}")
    text = value.strip()
    if text and not re.fullmatch(rf"[0-9]{{1,{max_digits}}}", text):
        raise ValueError(f"{name} must be 1 to {max_digits} digits, got {value!r}")
    return text


def _date(value: date | None, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, date):
        raise TypeError(f"{name} must be a date, got {type(value).__name__}")
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def _collapse(text: str) -> str:
    """Whitespace (tabs, newlines, no-break spaces) to single spaces, trimmed."""
    return " ".join((text or "").split())


# Letters NFKD does not decompose, and typographic punctuation seen in invoices.
_ASCII_EXTRA = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Þ": "TH",
        "þ": "th",
        "\u0131": "i",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": ",",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "«": '"',
        "»": '"',
        "€": "EUR",
    }
)


def _to_ascii(text: str) -> str:
    """Transliterate to ASCII where possible ("Příliš žluťoučký" -> "Prilis zlutoucky").

    Characters without an ASCII form (e.g. "‰") are kept; the SPAYD escaping
    percent-encodes them.
    """
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_ASCII_EXTRA))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# --------------------------------------------------------------------------- SPAYD

_SPAYD_HEADER_RE = re.compile(r"(SPD|SCD)\*([0-9]+\.[0-9]+)\*(.*)", re.DOTALL)
_SPAYD_KEY_RE = re.compile(r"[A-Z][A-Z0-9-]*")
_SPAYD_ACC_RE = re.compile(r"([A-Z]{2}[0-9]{2}[A-Z0-9]{1,30})(?:\+([A-Z0-9]{4}[A-Z0-9]{2,7}))?")
# Keys of the ČBA standard (tables 1 and 2); repeating one of them is ambiguous.
_SPAYD_STANDARD_KEYS = frozenset(
    {
        "ACC",
        "ALT-ACC",
        "AM",
        "CC",
        "RF",
        "RN",
        "DT",
        "PT",
        "MSG",
        "CRC32",
        "NT",
        "NTA",
        "DL",
        "FRQ",
        "DH",
        "X-PER",
        "X-VS",
        "X-SS",
        "X-KS",
        "X-ID",
        "X-URL",
        "X-SELF",
    }
)
_SPAYD_MAX_AMOUNT = Decimal("9999999.99")  # AM: max. 10 characters


def _spayd_escape(value: str) -> str:
    """Percent-encode (UTF-8, upper-case hex) '%', '*', '+' and non-printable-ASCII.

    Same rule as the spayd-java reference implementation: '*' separates fields,
    '%' starts an escape and '+' separates IBAN and BIC.
    """
    out = []
    for ch in value:
        if ch in "%*+" or not " " <= ch <= "~":
            out.append("".join(f"%{byte:02X}" for byte in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def _spayd_text(value: str, max_length: int) -> str:
    """ASCII, upper-case, escaped free text whose *encoded* form fits max_length."""
    text = _collapse(_to_ascii(value).upper())
    pieces: list[str] = []
    used = 0
    for ch in text:
        piece = _spayd_escape(ch)
        if used + len(piece) > max_length:
            break
        pieces.append(piece)
        used += len(piece)
    # "The value must not be surrounded by white space" (ČBA 5.1).
    return "".join(pieces).strip(" ")


def spayd_payload(
    *,
    iban: str,
    amount: Decimal,
    currency: str,
    vs: str | None = None,
    ss: str | None = None,
    ks: str | None = None,
    message: str = "",
    recipient_name: str = "",
    due_date: date | None = None,
    bic: str | None = None,
) -> str:
    """Czech QR Platba (SPAYD 1.0) string, e.g.
    ``SPD*1.0*ACC:CZ...*AM:1234.56*CC:CZK*DT:20260131*MSG:FAKTURA 1*X-VS:2016001234``.

    Czech banks process only CZK domestically (ČBA table 3), but the format
    carries any ISO 4217 code in CC.
    """
    account = _clean_iban(iban)
    bic_code = _clean_bic(bic)
    if bic_code:
        account = f"{account}+{bic_code}"
    fields = [
        ("ACC", account),
        ("AM", f"{_quantize(amount, maximum=_SPAYD_MAX_AMOUNT):.2f}"),
        ("CC", _clean_currency(currency)),
        ("DT", _date(due_date, "due_date")),
        ("MSG", _spayd_text(message, 60)),
        ("X-VS", _symbol(vs, "vs", 10)),
        ("X-SS", _symbol(ss, "ss", 10)),
        ("X-KS", _symbol(ks, "ks", 10)),
        ("RN", _spayd_text(recipient_name, 35)),
    ]
    return "*".join(["SPD", "1.0", *(f"{key}:{value}" for key, value in fields if value)])


def _spayd_unescape(value: str) -> str:
    try:
        return unquote(value, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise ValueError(f"invalid percent-encoding in {value!r}") from exc


def _spayd_split(payload: str) -> tuple[str, str, list[tuple[str, str, str]]]:
    """(header, version, [(key, raw value, decoded value), ...]) or ValueError."""
    if not isinstance(payload, str):
        raise TypeError("payload must be a string")
    match = _SPAYD_HEADER_RE.fullmatch(payload)
    if not match:
        raise ValueError("not a SPAYD string: expected 'SPD*<major>.<minor>*' at the start")
    header, version, body = match.groups()
    if body.endswith("*"):  # the last field may be terminated by '*' as well
        body = body[:-1]
    if not body:
        raise ValueError("SPAYD string has no attributes")
    fields = []
    for part in body.split("*"):
        key, colon, raw = part.partition(":")
        if not colon:
            raise ValueError(f"SPAYD attribute {part!r} is not 'KEY:value'")
        if not _SPAYD_KEY_RE.fullmatch(key):
            raise ValueError(f"invalid SPAYD key {key!r}")
        fields.append((key, raw, _spayd_unescape(raw)))
    crc = [raw for key, raw, _ in fields if key == "CRC32"]
    if crc:
        if len(crc) > 1 or not re.fullmatch(r"[0-9A-Fa-f]{8}", crc[0]):
            raise ValueError("invalid CRC32 attribute")
        # ČBA: header, then all other attributes sorted by key and value.
        others = sorted((f for f in fields if f[0] != "CRC32"), key=lambda f: (f[0], f[2]))
        canonical = f"{header}*{version}*" + "".join(f"{k}:{raw}*" for k, raw, _ in others)
        if zlib.crc32(canonical.encode("utf-8")) != int(crc[0], 16):
            raise ValueError("SPAYD CRC32 does not match")
    return header, version, fields


def parse_spayd_items(payload: str) -> list[tuple[str, str]]:
    """All (key, un-escaped value) pairs in payload order, repeated keys included."""
    _, _, fields = _spayd_split(payload)
    return [(key, value) for key, _, value in fields]


def parse_spayd(payload: str) -> dict[str, str]:
    """Decode a SPAYD (or SCD) string into ``{key: un-escaped value}``.

    Checks the syntax (header, 'KEY:value' attributes, percent-encoding, CRC32 if
    present) but not the values; see `validate_spayd`. A repeated standard key is
    ambiguous and raises ValueError; repeated proprietary keys (``X-CUSTOM``) are
    joined with ","; `parse_spayd_items` keeps them apart.
    """
    result: dict[str, str] = {}
    for key, value in parse_spayd_items(payload):
        if key in result:
            if key in _SPAYD_STANDARD_KEYS:
                raise ValueError(f"SPAYD attribute {key} is repeated")
            result[key] = f"{result[key]},{value}"
        else:
            result[key] = value
    return result


def _check_spayd_account(value: str, key: str) -> None:
    match = _SPAYD_ACC_RE.fullmatch(value)
    if not match:
        raise ValueError(f"{key}: {value!r} is not 'IBAN' or 'IBAN+BIC'")
    _clean_iban(match.group(1))


def _check_spayd_date(value: str, key: str) -> None:
    if not re.fullmatch(r"[0-9]{8}", value):
        raise ValueError(f"{key}: {value!r} is not YYYYMMDD")
    try:
        date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError as exc:
        raise ValueError(f"{key}: {value!r} is not a valid date") from exc


_SPAYD_RULES: dict[str, tuple[str, int]] = {
    # key: (regex for the un-escaped value, max. length) per ČBA tables 1 and 2;
    # the raw values cannot contain '*', the un-escaped ones may ("%2A").
    "AM": (r"[0-9]{1,7}(?:\.[0-9]{1,2})?", 10),
    "CC": (r"[A-Z]{3}", 3),
    "RF": (r"[0-9]+", 16),
    "RN": (r".*", 35),
    "PT": (r".*", 3),
    "MSG": (r".*", 60),
    "NT": (r"[PE]", 1),
    "NTA": (r".+", 320),
    "FRQ": (r"[0-9A-Z]+", 3),
    "DH": (r"[01]?", 1),
    "X-PER": (r"[0-9]{1,2}", 2),
    "X-VS": (r"[0-9]+", 10),
    "X-SS": (r"[0-9]+", 10),
    "X-KS": (r"[0-9]+", 10),
    "X-ID": (r".*", 20),
    "X-URL": (r".*", 140),
    "X-SELF": (r".*", 60),
}


def validate_spayd(payload: str) -> None:
    """Raise ValueError unless payload is a well-formed SPAYD 1.0 payment string.

    Syntax as in `parse_spayd`, plus: ACC present and a valid IBAN (optionally
    "+BIC"), ALT-ACC entries likewise, and the format and length of the known
    attributes (AM, CC, DT, MSG, RN, X-VS, ...). Proprietary keys are accepted.
    Like the spayd-java validator, ALT-ACC is not limited to two accounts and a
    short (6 character) BIC is accepted after the IBAN.
    """
    items = parse_spayd(payload)
    if "ACC" not in items:
        raise ValueError("SPAYD attribute ACC is missing")
    _check_spayd_account(items["ACC"], "ACC")
    for account in filter(None, items.get("ALT-ACC", "").split(",")):
        _check_spayd_account(account, "ALT-ACC")
    for key in ("DT", "DL"):
        if key in items:
            _check_spayd_date(items[key], key)
    for key, (pattern, max_length) in _SPAYD_RULES.items():
        if key not in items:
            continue
        value = items[key]
        if len(value) > max_length or not re.fullmatch(pattern, value, re.DOTALL):
            raise ValueError(f"SPAYD attribute {key} has an invalid value {value!r}")
    if int(items.get("X-PER", "0")) > 30:
        raise ValueError("X-PER must be at most 30 days")


_CZ_ACCOUNT_RE = re.compile(r"(?:([0-9]{1,6})-)?([0-9]{1,10})/([0-9]{4})")


def czech_account_to_iban(account: str) -> str:
    """Czech domestic account ("19-2000145399/0800") -> IBAN ("CZ6508000000192000145399")."""
    match = _CZ_ACCOUNT_RE.fullmatch((account or "").replace(" ", ""))
    if not match:
        raise ValueError(f"{account!r} is not a Czech account number 'prefix-number/bank'")
    prefix, number, bank = match.groups()
    try:
        iban = IBAN.generate("CZ", bank_code=bank, branch_code=prefix or "", account_code=number)
    except SchwiftyException as exc:
        raise ValueError(f"invalid Czech account number {account!r}: {exc}") from exc
    return iban.compact


# --------------------------------------------------------------------------- PAY by square

_LZMA_FILTERS = [{"id": lzma.FILTER_LZMA1, "dict_size": 131072, "lc": 3, "lp": 0, "pb": 2}]
_PBS_MAX_AMOUNT = Decimal("999999999999.99")
_PBS_VERSION_1_0 = 0
_PBS_VERSION_1_2 = 2


def _pbs_text(value: str, max_length: int) -> str:
    return _collapse(value)[:max_length].rstrip()


def _encode_pay_by_square_fields(fields: list[str], *, version: int) -> str:
    """Frame tab-separated fields: CRC32 + LZMA1 + header + base32hex.

    ``header (type 0 = PAY, version nibble, document type 0, reserved 0)``
    ``+ uint16 LE length of (CRC32 + data) + raw LZMA1 stream``.
    """
    if any("\t" in field for field in fields):
        raise ValueError("PAY by square fields must not contain tabs")
    data = "\t".join(fields).encode("utf-8")
    checked = zlib.crc32(data).to_bytes(4, "little") + data
    if len(checked) >= 1 << 16:
        raise ValueError("PAY by square payload is too long")
    compressed = lzma.compress(checked, format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    raw = bytes([version & 0x0F, 0x00]) + len(checked).to_bytes(2, "little") + compressed
    return base64.b32hexencode(raw).decode("ascii").rstrip("=")


def pay_by_square_payload(
    *,
    iban: str,
    amount: Decimal,
    currency: str,
    vs: str | None = None,
    ss: str | None = None,
    ks: str | None = None,
    note: str = "",
    beneficiary_name: str = "",
    due_date: date | None = None,
    invoice_id: str = "",
    bic: str = "",
) -> str:
    """Slovak PAY by square payload: one payment order to one account.

    The note and the beneficiary name keep their diacritics (UTF-8, as in the
    vectors). With a beneficiary name the header says by square 1.2.0 (which
    makes it mandatory), without one 1.0.0; the field layout is the same.
    """
    invoice = _collapse(invoice_id)
    if len(invoice) > 10:
        raise ValueError(f"invoice_id must be at most 10 characters, got {invoice_id!r}")
    name = _pbs_text(beneficiary_name, 70)
    fields = [
        invoice,
        "1",  # payments count
        "1",  # payment type: payment order
        _plain_amount(_quantize(amount, maximum=_PBS_MAX_AMOUNT)),
        _clean_currency(currency),
        _date(due_date, "due_date"),
        _symbol(vs, "vs", 10),
        _symbol(ks, "ks", 4),
        _symbol(ss, "ss", 10),
        "",  # originator's reference information
        _pbs_text(note, 140),
        "1",  # bank accounts count
        _clean_iban(iban),
        _clean_bic(bic),
        "0",  # standing order extension
        "0",  # direct debit extension
        name,
        "",  # beneficiary address line 1
        "",  # beneficiary address line 2
    ]
    version = _PBS_VERSION_1_2 if name else _PBS_VERSION_1_0
    return _encode_pay_by_square_fields(fields, version=version)


def decode_pay_by_square(payload: str) -> list[str]:
    """The tab-separated fields of a PAY by square payload, CRC32 verified.

    Raises ValueError on empty, non-base32hex, truncated or corrupt input, a
    CRC32 mismatch, or a by square document that is not PAY (type 0).
    """
    if not isinstance(payload, str):
        raise TypeError("payload must be a string")
    text = payload.strip().upper()
    if not text:
        raise ValueError("empty PAY by square payload")
    if not re.fullmatch(r"[0-9A-V]+", text):
        raise ValueError("PAY by square payload is not base32hex")
    try:
        raw = base64.b32hexdecode(text + "=" * (-len(text) % 8))
    except binascii.Error as exc:
        raise ValueError(f"PAY by square payload is not base32hex: {exc}") from exc
    if len(raw) < 5:
        raise ValueError("PAY by square payload is too short")
    if raw[0] >> 4 != 0:
        raise ValueError(f"not a PAY by square document (by square type {raw[0] >> 4})")
    length = int.from_bytes(raw[2:4], "little")
    if length < 4:
        raise ValueError("PAY by square payload declares no data")
    decompressor = lzma.LZMADecompressor(format=lzma.FORMAT_RAW, filters=_LZMA_FILTERS)
    try:
        data = decompressor.decompress(raw[4:], max_length=length)
    except lzma.LZMAError as exc:
        raise ValueError(f"PAY by square LZMA data is corrupt: {exc}") from exc
    if len(data) != length:
        raise ValueError("PAY by square payload is truncated")
    if zlib.crc32(data[4:]) != int.from_bytes(data[:4], "little"):
        raise ValueError("PAY by square CRC32 does not match")
    try:
        return data[4:].decode("utf-8").split("\t")
    except UnicodeDecodeError as exc:
        raise ValueError("PAY by square data is not UTF-8") from exc


# --------------------------------------------------------------------------- EPC

# EPC069-12 character set codes 1..8 (by Python codec name).
_EPC_CHARSETS = {
    "utf-8": 1,
    "iso8859-1": 2,
    "iso8859-2": 3,
    "iso8859-4": 4,
    "iso8859-5": 5,
    "iso8859-7": 6,
    "iso8859-10": 7,
    "iso8859-15": 8,
}
_EPC_CODECS = {code: name for name, code in _EPC_CHARSETS.items()}
_EPC_MAX_AMOUNT = Decimal("999999999.99")
_EPC_MAX_BYTES = 331


def _valid_rf_reference(reference: str) -> bool:
    """ISO 11649 creditor reference checksum (mod 97 == 1)."""
    if not re.fullmatch(r"RF[0-9]{2}[0-9A-Z]{1,21}", reference):
        return False
    digits = "".join(str(int(ch, 36)) for ch in reference[4:] + reference[:4])
    return int(digits) % 97 == 1


def epc_payload(
    *,
    iban: str,
    amount: Decimal,
    currency: str = "EUR",
    beneficiary_name: str,
    bic: str = "",
    reference: str = "",
    text: str = "",
    purpose: str = "",
    encoding: str = "utf-8",
) -> str:
    """EPC069-12 (version 002) SEPA credit transfer QR payload, lines joined by LF.

    The returned text must be put into the QR code encoded with ``encoding``
    (its code is in line 3); `qr_svg_data_uri` does that. Trailing empty lines
    are left out. Name and text are cut to 70 and 140 characters.
    """
    if (currency or "").strip().upper() != "EUR":
        raise ValueError(f"EPC QR codes are for EUR payments only, got {currency!r}")
    try:
        codec = codecs.lookup(encoding).name
    except LookupError as exc:
        raise ValueError(f"unknown encoding {encoding!r}") from exc
    if codec not in _EPC_CHARSETS:
        raise ValueError(f"encoding {encoding!r} is not allowed in EPC QR codes")
    name = _collapse(beneficiary_name)[:70].rstrip()
    if not name:
        raise ValueError("beneficiary_name is required")
    reference = (reference or "").strip().upper()
    text = _collapse(text)[:140].rstrip()
    if reference and text:
        raise ValueError("give either a structured reference or a text, not both")
    if len(reference) > 35:
        raise ValueError(f"reference must be at most 35 characters, got {reference!r}")
    if reference.startswith("RF") and not _valid_rf_reference(reference):
        raise ValueError(f"invalid ISO 11649 creditor reference {reference!r}")
    purpose = (purpose or "").strip().upper()
    if purpose and not re.fullmatch(r"[A-Z0-9]{4}", purpose):
        raise ValueError(f"purpose must be a 4 character code, got {purpose!r}")
    lines = [
        "BCD",  # service tag
        "002",  # version
        str(_EPC_CHARSETS[codec]),
        "SCT",  # SEPA credit transfer
        _clean_bic(bic),
        name,
        _clean_iban(iban),
        "EUR" + _plain_amount(_quantize(amount, maximum=_EPC_MAX_AMOUNT)),
        purpose,
        reference,
        text,
    ]
    while lines[-1] == "":
        lines.pop()
    payload = "\n".join(lines)
    try:
        size = len(payload.encode(codec))
    except UnicodeEncodeError as exc:
        raise ValueError(f"the payment details cannot be encoded in {encoding}") from exc
    if size > _EPC_MAX_BYTES:
        raise ValueError(f"EPC payload is {size} bytes, at most {_EPC_MAX_BYTES} are allowed")
    return payload


# --------------------------------------------------------------------------- rendering


def qr_svg_data_uri(payload: str) -> str:
    """Render payload as an SVG ``data:`` URI for ``<img src>`` in the PDF template.

    Error correction M without boosting (recommended by ČBA for SPAYD, required
    by EPC069-12), never a Micro QR. An EPC payload is encoded in the character
    set its third line declares (like ``segno.helpers.make_epc_qr``), and may
    need at most QR version 13.
    """
    if not payload:
        raise ValueError("nothing to encode")
    content: str | bytes = payload
    is_epc = payload.startswith("BCD\n")
    if is_epc:
        lines = payload.split("\n")
        charset = lines[2] if len(lines) > 2 else ""
        codec = _EPC_CODECS.get(int(charset)) if charset.isdigit() else None
        if codec is None:
            raise ValueError("EPC payload has an invalid character set line")
        content = payload.encode(codec)
    qr = segno.make_qr(content, error="m", boost_error=False)
    if is_epc and qr.version > 13:
        raise ValueError("EPC payload needs a QR code larger than version 13")
    return qr.svg_data_uri(scale=3, border=2)


# --------------------------------------------------------------------------- scheme choice


def payment_qr_payload(
    *,
    customer_country: str,
    currency: str,
    iban: str,
    amount: Decimal,
    vs: str,
    beneficiary_name: str,
    message: str,
    due_date: date | None,
    bic: str = "",
) -> tuple[str, str]:
    """(scheme, payload) of the QR code for an invoice; ("", "") means none.

    CZK -> "spayd"; EUR for a Slovak customer -> "paybysquare" (VS in its own
    field); other EUR -> "epc" (text "VS:<vs> <message>", cut to 140
    characters); any other currency (GBP) gets no QR code.
    """
    _quantize(amount, maximum=Decimal("Infinity"))
    vs = _symbol(vs, "vs", 10)
    code = (currency or "").strip().upper()
    country = (customer_country or "").strip().upper()
    if code == "CZK":
        return "spayd", spayd_payload(
            iban=iban,
            amount=amount,
            currency="CZK",
            vs=vs,
            message=message,
            recipient_name=beneficiary_name,
            due_date=due_date,
            bic=bic or None,
        )
    if code == "EUR" and country == "SK":
        return "paybysquare", pay_by_square_payload(
            iban=iban,
            amount=amount,
            currency="EUR",
            vs=vs,
            note=message,
            beneficiary_name=beneficiary_name,
            due_date=due_date,
            bic=bic,
        )
    if code == "EUR":
        text = _collapse(f"VS:{vs} {message}" if vs else message)[:140].rstrip()
        return "epc", epc_payload(
            iban=iban, amount=amount, beneficiary_name=beneficiary_name, bic=bic, text=text
        )
    return "", ""

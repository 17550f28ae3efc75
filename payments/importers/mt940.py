"""SWIFT MT940 customer statements (booked movements), in the many dialects banks write.

Why our own reader and not a library: the `mt940` distribution the project depends on
(PyPI "mt940" 0.8.1, Tryton's) is not wolph/mt940 (PyPI "mt-940", which installs the
same `mt940` module name). On the 43 readable public samples in ../shared/corpus/mt940
Tryton's reader raises AttributeError/ValueError/InvalidOperation on 8 (":61:" with a
space or no transaction type, a dot as the decimal mark, several details lines after
:61:) and silently misreads amounts in 2 more (":61:...D25,03NOV NONREF" gives 25.0:
its 4-character type code swallows the last digit), and it has no notion of :60M: or
MT942. So this module tokenises the tags itself and validates every field it uses.

Decisions:
- Encoding: UTF-8 (a BOM is dropped); otherwise windows-1250 or DOS code page 852,
  whichever decodes to more Central European letters (á, č, ő, ř...), windows-1250 on a
  tie or when code page 852 is no better. (Czech banks are said to use windows-1250; a
  public Hungarian sample uses 852; no public Czech MT940 was found.) Control characters
  (mBank's SOH/ETX frame, stray C1 bytes) are removed.
- One `ParsedStatement` per :20: block; account from :25: (a currency suffix such as
  "NL34RABO0142623393 EUR" is dropped), currency and opening balance from :60F:/:60M:
  (a statement without one is rejected: "missing_balance"), closing balance from
  :62F:/:62M:.
- One `ParsedTransaction` per :61:. C = credit, D = debit; RC (reversal of a credit) =
  debit and RD (reversal of a debit) = credit, both `is_reversal`. Booking date = the
  entry date (MMDD, year taken from the value date across New Year) or the value date.
- An impossible date (30 February...) rejects the file ("bad_date"): guessing a date
  would book money on the wrong day.
- `bank_reference` is the bank's reference after "//" only. The customer reference
  (before "//") is set by the account owner or the payer, is often a placeholder
  ("NONREF", "KREF+", "EREF") or the counterparty's account number, and would merge two
  real payments into one if used as the idempotency key; it stays in `raw`. A bank
  reference that repeats within a statement is dropped too (kept in raw).
- `message` is the :86: text (wrapped lines joined); German "?NN" sub-fields are split
  into purpose (message), counterparty account (?31), bank (?30) and name (?32/?33).
  VS/SS/KS are read from the message when written as "/VS/123", "VS:123", "VS 123" or
  "VS123" (upper case; no Czech bank's :86: convention could be verified publicly).
- MT942 interim reports (:34F:, :13D:, :90D:/:90C:, or message type 942) are rejected
  ("interim_report"): only booked statements are imported, and an interim report's
  movements would come again, booked, in the next MT940.
- A file without a :20: statement with a :25: account (or one that declares another
  message type, e.g. ":9401:") is rejected ("not_a_statement").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected

from .base import Direction, ParsedFile, ParsedStatement, ParsedTransaction, digits

TAG_RE = re.compile(r"^:(?P<tag>\d{2}[A-Z]?|NS):(?P<value>.*)$")
MESSAGE_TYPE_RE = re.compile(r"^:(?P<type>\d{3,4}):\s*$")  # Rabobank's ":940:" first line
ENVELOPE_TYPE_RE = re.compile(r"\{2:[IO](?P<type>\d{3})")
END_OF_MESSAGE_RE = re.compile(r"^-\}?(\{5:.*)?$")
INTERIM_TAGS = {"34F", "13", "13D", "90D", "90C"}
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
CENTRAL_EUROPEAN_LETTERS = set(
    "áäčďéěíĺľňóôöőŕřšťúůüűýžÁÄČĎÉĚÍĹĽŇÓÔÖŐŔŘŠŤÚŮÜŰÝŽąćęłńśźżĄĆĘŁŃŚŹŻßâăîşţÂĂÎŞŢ"
)

TRANSACTION_RE = re.compile(
    r"""^(?P<value_date>\d{6})
    (?P<entry_date>\d{4})?\s*
    (?P<mark>RC|RD|C|D)
    (?P<funds_code>[A-Z])?\s*
    (?P<amount>\d[\d,.]*)\s*
    (?P<type>[A-Z][A-Z0-9 ]{3})?
    (?P<rest>.*)$""",
    re.VERBOSE,
)
BALANCE_RE = re.compile(
    r"^(?P<mark>[CD])(?P<date>\d{6})(?P<currency>[A-Z]{3})?(?P<amount>\d[\d,.]*)$"
)
SYMBOL_RE = re.compile(
    r"(?<![A-Za-z0-9])(?P<kind>VS|SS|KS)(?:[:/=.\- ]{1,3})?(?P<value>\d{1,10})(?!\d)"
)
GERMAN_DETAILS_RE = re.compile(r"^\d{3}\?")
GERMAN_SUBFIELD_RE = re.compile(r"\?(\d{2})")
SEPA_KEYWORDS_RE = re.compile(r"(EREF|KREF|MREF|CRED|DEBT|SVWZ|ABWA|ABWE|IBAN|BIC|COAM|OAMT)\+")
CNTP_RE = re.compile(r"/CNTP/(?P<account>[^/]*)/(?P<bic>[^/]*)/(?P<name>[^/]*)/")
SLASH_TAG_RE = re.compile(r"/(?P<tag>NAME|IBAN|EREF|CNTP|REMI|BIC)/(?P<value>[^/]*)")
DETAIL_LINE_WIDTH = 65


def _interpolate(message: Any, params: dict) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


def _reject(message: Any, reason: str, **details: Any) -> StatementRejected:
    """A rejection whose message stays lazy (translated when shown) with its values."""
    text = _lazy_interpolate(message, details) if details else message
    return StatementRejected(text, reason=reason, **details)


def parse_mt940(content: bytes) -> ParsedFile:
    """Parse an MT940 file whole, or raise StatementRejected (nothing half-read)."""
    text = _decode(content)
    if not text.strip():
        raise _reject(_("The file is empty."), "empty_file")
    fields, message_types = _tokenise(text)
    interim = [f for f in fields if f.tag in INTERIM_TAGS]
    if "942" in message_types or interim:
        raise _reject(
            _("This is an MT942 interim report; only booked statements (MT940) are imported."),
            "interim_report",
        )
    unknown_types = sorted(t for t in message_types if t not in ("940", "950"))
    if unknown_types:
        raise _reject(
            _("The file declares message type %(message_type)s, not an MT940 statement."),
            "not_a_statement",
            message_type=unknown_types[0],
        )
    statements = _group(fields)
    if not statements:
        raise _reject(
            _("No MT940 statement (:20: reference, :25: account) was found in the file."),
            "not_a_statement",
        )
    return ParsedFile(format="mt940", statements=tuple(s.build() for s in statements))


# --- decoding and tokens --------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        text = _decode_single_byte(content)
    return CONTROL_RE.sub("", text)


def _decode_single_byte(content: bytes) -> str:
    def score(text: str) -> int:
        return sum(1 for char in text if char in CENTRAL_EUROPEAN_LETTERS)

    cp852 = content.decode("cp852")  # every byte has a character in code page 852
    try:
        cp1250 = content.decode("windows-1250")
    except UnicodeDecodeError:
        return cp852
    return cp852 if score(cp852) > score(cp1250) else cp1250


@dataclass
class _Field:
    tag: str
    line: int
    lines: list[str]

    @property
    def first(self) -> str:
        return self.lines[0].strip()

    @property
    def rest(self) -> list[str]:
        return self.lines[1:]


def _tokenise(text: str) -> tuple[list[_Field], set[str]]:
    """Fields (tag, its lines) and the message types the file declares.

    A line opens a field when it starts with ":NN[A]:" (or ":NS:"); other lines continue
    the open field. Lines before the first field (bank headers, the SWIFT envelope) are
    skipped, and so is what follows an end-of-message "-" up to the next :20:.
    """
    fields: list[_Field] = []
    message_types: set[str] = set()
    pending: list[str] = []  # lines after a "-": end of message, or a "-" in the text
    for number, raw_line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        for envelope in ENVELOPE_TYPE_RE.finditer(raw_line):
            message_types.add(envelope.group("type"))
        line = raw_line
        if "{4:" in line:  # the text block of a SWIFT envelope may start on the same line
            line = line.split("{4:", 1)[1]
            if not line.strip():
                continue
        stripped = line.strip()
        if stripped.startswith("{"):  # the rest of a SWIFT envelope ({1:...}{2:...})
            continue
        message_type = MESSAGE_TYPE_RE.match(stripped)
        if message_type:
            message_types.add(message_type.group("type"))
            continue
        match = TAG_RE.match(stripped)
        if match:
            if pending and match.group("tag") != "20" and fields:
                fields[-1].lines.extend(pending)
            pending = []
            fields.append(_Field(match.group("tag"), number, [match.group("value")]))
        elif not fields:
            continue
        elif pending or END_OF_MESSAGE_RE.match(stripped):
            pending.append(line)
        elif stripped:
            fields[-1].lines.append(line)
    return fields, message_types


# --- statements -----------------------------------------------------------------------


@dataclass
class _Statement:
    reference: _Field
    account: str = ""
    number: str = ""
    opening: _Field | None = None
    closing: _Field | None = None
    movements: list[_Movement] = field(default_factory=list)
    closed: bool = False  # a closing balance was seen: later :86: is statement information

    def build(self) -> ParsedStatement:
        if not self.account:
            raise _reject(
                _("Line %(line)d: the statement has no account (:25:)."),
                "not_a_statement",
                line=self.reference.line,
            )
        if self.opening is None:
            raise _reject(
                _("Line %(line)d: the statement has no opening balance (:60F:/:60M:)."),
                "missing_balance",
                line=self.reference.line,
            )
        opening = _balance(self.opening)
        if not opening["currency"]:
            raise _reject(
                _("Line %(line)d: the opening balance has no currency."),
                "missing_balance",
                line=self.opening.line,
            )
        currency = opening["currency"]
        closing = _balance(self.closing) if self.closing else None
        transactions = tuple(
            m.build(position, currency) for position, m in enumerate(self.movements)
        )
        return ParsedStatement(
            account=_account(self.account, currency),
            currency=currency,
            transactions=_clear_duplicate_references(transactions),
            statement_id=self.number or self.reference.first,
            opening_balance=opening["amount"],
            closing_balance=closing["amount"] if closing else None,
            date_from=opening["date"],
            date_to=closing["date"] if closing else None,
        )


def _group(fields: list[_Field]) -> list[_Statement]:
    statements: list[_Statement] = []
    for item in fields:
        if item.tag == "20":
            statements.append(_Statement(reference=item))
            continue
        if not statements:
            raise _reject(
                _("Line %(line)d: :%(tag)s: before any statement reference (:20:)."),
                "not_a_statement",
                line=item.line,
                tag=item.tag,
            )
        statement = statements[-1]
        if item.tag == "25":
            statement.account = " ".join(line.strip() for line in item.lines).strip()
        elif item.tag in ("28", "28C"):
            statement.number = item.first
        elif item.tag in ("60F", "60M"):
            statement.opening = item
        elif item.tag in ("62F", "62M"):
            statement.closing = item
            statement.closed = True
        elif item.tag == "61":
            statement.movements.append(_Movement(item))
        elif item.tag == "86":
            if statement.movements and not statement.closed:
                statement.movements[-1].details.append(item)
        elif item.tag == "NS" and statement.movements and not statement.closed:
            statement.movements[-1].ns.append(item)
    return statements


def _account(value: str, currency: str) -> str:
    """:25: without a trailing currency: "NL34RABO0142623393 EUR", ".../HUF", and
    "1017.490.554EUR" or "NL77INGB0574908765EUR" (a digit before the code, and the
    whole is not a valid IBAN: Seychelles IBANs end in their currency)."""
    value = value.strip()
    for separator in (" ", "/"):
        if value.endswith(separator + currency):
            return value[: -len(currency) - 1].strip()
    rest = value[: -len(currency)]
    if value.endswith(currency) and rest[-1:].isdigit() and not _iban_ok(value):
        return rest
    return value


def _iban_ok(value: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", value):
        return False
    rearranged = value[4:] + value[:4]
    number = "".join(str(int(char, 36)) for char in rearranged)
    return int(number) % 97 == 1


def _date(value: str, line: int) -> date:
    try:
        year = int(value[:2])
        return date(year + (2000 if year < 80 else 1900), int(value[2:4]), int(value[4:6]))
    except ValueError as exc:
        raise _reject(
            _("Line %(line)d: %(value)s is not a valid date (YYMMDD)."),
            "bad_date",
            line=line,
            value=value,
        ) from exc


def _amount(value: str, line: int) -> Decimal:
    if value.count(",") + value.count(".") > 1:
        raise _reject(
            _("Line %(line)d: the amount %(value)s is not a number."),
            "bad_amount",
            line=line,
            value=value,
        )
    try:
        amount = Decimal(value.replace(",", ".").rstrip(".") or "x")
    except InvalidOperation as exc:
        raise _reject(
            _("Line %(line)d: the amount %(value)s is not a number."),
            "bad_amount",
            line=line,
            value=value,
        ) from exc
    return amount


def _balance(item: _Field) -> dict[str, Any]:
    match = BALANCE_RE.match(item.first.replace(" ", ""))
    if not match:
        raise _reject(
            _("Line %(line)d: the balance %(value)s cannot be read."),
            "bad_balance",
            line=item.line,
            value=item.first,
        )
    amount = _amount(match.group("amount"), item.line)
    return {
        "amount": -amount if match.group("mark") == "D" else amount,
        "currency": match.group("currency") or "",
        "date": _date(match.group("date"), item.line),
    }


# --- movements ------------------------------------------------------------------------


class _Movement:
    def __init__(self, item: _Field) -> None:
        self.item = item
        self.details: list[_Field] = []
        self.ns: list[_Field] = []

    def build(self, position: int, currency: str) -> ParsedTransaction:
        item = self.item
        match = TRANSACTION_RE.match(item.first)
        if not match:
            raise _reject(
                _("Line %(line)d: the movement :61:%(value)s cannot be read."),
                "bad_record",
                line=item.line,
                value=item.first,
            )
        value_date = _date(match.group("value_date"), item.line)
        booking_date = value_date
        if match.group("entry_date"):
            booking_date = _entry_date(value_date, match.group("entry_date"), item.line)
        amount = _amount(match.group("amount"), item.line)
        mark = match.group("mark")
        direction = Direction.CREDIT if mark in ("C", "RD") else Direction.DEBIT

        rest = match.group("rest")
        customer_reference, _sep, bank_part = rest.partition("//")
        supplementary = [customer_reference[16:].strip(), bank_part[16:].strip()]
        customer_reference = customer_reference[:16].strip()
        bank_reference = bank_part[:16].strip()
        if bank_reference.upper() == "NONREF":
            bank_reference = ""
        supplementary += [line.strip() for line in item.rest]
        supplementary = [part for part in supplementary if part]

        details_text = "\n".join("\n".join(d.lines) for d in self.details)
        info = _details(self.details)
        symbols = _symbols(info["message"], info["flat"])
        raw = {
            "mark": mark,
            "funds_code": match.group("funds_code") or "",
            "transaction_type": (match.group("type") or "").strip(),
            "customer_reference": customer_reference,
            "bank_reference": bank_reference,
            "supplementary": "\n".join(supplementary),
            "details": details_text,
        }
        if self.ns:
            raw["ns"] = "\n".join("\n".join(n.lines) for n in self.ns)
        return ParsedTransaction(
            amount=amount,
            direction=direction,
            currency=currency,
            booking_date=booking_date,
            position=position,
            value_date=value_date,
            bank_reference=bank_reference,
            end_to_end_id=info["end_to_end_id"],
            variable_symbol=symbols.get("VS", ""),
            specific_symbol=symbols.get("SS", ""),
            constant_symbol=symbols.get("KS", ""),
            message=info["message"],
            counterparty_name=info["name"],
            counterparty_account=info["account"],
            counterparty_bank=info["bank"],
            is_reversal=mark in ("RC", "RD"),
            raw=raw,
        )


def _entry_date(value_date: date, mmdd: str, line: int) -> date:
    month = int(mmdd[:2])
    year = value_date.year
    if month - value_date.month > 6:
        year -= 1
    elif value_date.month - month > 6:
        year += 1
    try:
        return date(year, month, int(mmdd[2:]))
    except ValueError as exc:
        raise _reject(
            _("Line %(line)d: %(value)s is not a valid entry date (MMDD)."),
            "bad_date",
            line=line,
            value=mmdd,
        ) from exc


def _join_wrapped(details: list[_Field]) -> str:
    """Lines of :86: as one text: a full-width line (65 characters with its tag) was
    wrapped inside a word and joins without a space; a shorter one ends a phrase."""
    text, previous_width = "", DETAIL_LINE_WIDTH
    for item in details:
        for index, line in enumerate(item.lines):
            if text and previous_width < DETAIL_LINE_WIDTH:
                text += " "
            text += line
            previous_width = len(line) + (len(item.tag) + 2 if index == 0 else 0)
    return " ".join(text.split())


def _details(details: list[_Field]) -> dict[str, str]:
    info = {"message": "", "flat": "", "name": "", "account": "", "bank": "", "end_to_end_id": ""}
    if not details:
        return info
    lines = [line.rstrip("\r") for d in details for line in d.lines]
    flat = "".join(line.strip("\r\n") for line in lines)
    info["flat"] = flat
    if GERMAN_DETAILS_RE.match(flat):
        parts = GERMAN_SUBFIELD_RE.split(flat)[1:]
        sub: dict[str, list[str]] = {}
        for key, value in zip(parts[::2], parts[1::2], strict=False):
            sub.setdefault(key, []).append(value)
        purpose_keys = [f"{n}" for n in range(20, 30)] + ["60", "61", "62", "63"]
        purpose = "".join("".join(sub.get(key, [])) for key in purpose_keys)
        info["message"] = " ".join(purpose.split()) or " ".join("".join(sub.get("00", [])).split())
        info["bank"] = "".join(sub.get("30", [])).strip()
        info["account"] = "".join(sub.get("31", [])).strip()
        info["name"] = " ".join(("".join(sub.get("32", [])) + "".join(sub.get("33", []))).split())
        eref = _sepa_keyword(purpose, "EREF")
        info["end_to_end_id"] = "" if eref.upper() == "NOTPROVIDED" else eref
        return info
    info["message"] = _join_wrapped(details)
    counterparty = CNTP_RE.search(flat)
    if counterparty:
        info["account"], info["bank"] = counterparty.group("account"), counterparty.group("bic")
        info["name"] = counterparty.group("name").strip()
    for match in SLASH_TAG_RE.finditer(flat):
        tag, value = match.group("tag"), match.group("value").strip()
        if tag == "NAME" and not info["name"]:
            info["name"] = value
        elif tag == "IBAN" and not info["account"]:
            info["account"] = value
        elif tag == "BIC" and not info["bank"]:
            info["bank"] = value
        elif tag == "EREF" and not info["end_to_end_id"] and value.upper() != "NOTPROVIDED":
            info["end_to_end_id"] = value
    return info


def _sepa_keyword(purpose: str, keyword: str) -> str:
    """The value of "EREF+..." up to the next SEPA keyword in German purpose text."""
    parts = SEPA_KEYWORDS_RE.split(purpose)
    for index in range(1, len(parts) - 1, 2):
        if parts[index] == keyword:
            return parts[index + 1].strip()
    return ""


def _symbols(*texts: str) -> dict[str, str]:
    symbols: dict[str, str] = {}
    for text in texts:
        for match in SYMBOL_RE.finditer(text):
            symbols.setdefault(match.group("kind"), digits(match.group("value")))
    return symbols


def _clear_duplicate_references(
    transactions: tuple[ParsedTransaction, ...],
) -> tuple[ParsedTransaction, ...]:
    """A reference that repeats within the statement cannot be a movement's natural key:
    it is dropped (kept in raw) so that two real movements are never merged."""
    counts: dict[str, int] = {}
    for tx in transactions:
        if tx.bank_reference:
            counts[tx.bank_reference] = counts.get(tx.bank_reference, 0) + 1
    return tuple(
        replace(
            tx,
            bank_reference="",
            raw={**tx.raw, "duplicate_bank_reference": tx.bank_reference},
        )
        if tx.bank_reference and counts[tx.bank_reference] > 1
        else tx
        for tx in transactions
    )

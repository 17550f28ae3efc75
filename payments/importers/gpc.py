"""Czech GPC ("ABO" statement export): fixed-width records 074 (statement header) and
075 (movement), as exported by Czech banks (Fio, KB, ČSOB, Česká spořitelna...).

Layout (positions 0-based, as sliced below; the public description is
jakubzapletal/bank-statements doc/abo.md):

074 header, 128 characters (some producers end it early after the statement date):
  [0:3] "074"  [3:19] account (prefix 6 + number 10)  [19:39] short name
  [39:45] old-balance date DDMMYY  [45:59] old balance in hellers  [59] sign +/-
  [60:74] new balance  [74] sign  [75:89] debit turnover  [89] sign  [90:104] credit
  turnover  [104] sign  [105:108] statement number  [108:114] statement date DDMMYY
075 movement, 128 characters:
  [0:3] "075"  [3:19] our account  [19:35] counter account  [35:48] document number
  (the bank's id of the movement)  [48:60] amount in hellers  [60] posting code
  [61:71] VS  [71:81] "KS field": 2 fillers, the counter account's bank code [73:77]
  and the KS [77:81]  [81:91] SS  [91:97] value date DDMMYY  [97:117] text (the
  counterparty's short name or the payment's note)  [117] change code  [118:122]
  currency / data type  [122:128] due (booking) date DDMMYY

Decisions:
- Encoding windows-1250; a file whose bytes are valid UTF-8 with non-ASCII characters is
  read as UTF-8 instead (windows-1250 text with diacritics is practically never valid
  UTF-8). Anything else undecodable is rejected ("bad_encoding").
- Posting code: 1 debit, 2 credit, 4 reversal of a debit (money back to us: credit,
  is_reversal), 5 reversal of a credit (money taken back: debit, is_reversal). Banks are
  said to differ (doc/abo.md lists 3/4 for the reversals): any other code is rejected
  ("bad_posting_code") rather than guessed.
- Currency field: "0" + ISO 4217 numeric (Fio: "0203" = CZK), or the classic "rmoo" data
  type whose "m" is "1" for CZK ("1101"). Anything else is rejected ("bad_currency").
- `account` is the header's account as a domestic "prefix-number" without the bank code
  ("19-2000145399"; GPC carries no bank code of our own account), in the standard digit
  order: banks that export the "internal" order (a KB/ČS setting) must be switched to
  the standard one.
- Header balances and dates are taken only when the whole header follows the layout
  above (producers differ: one public sample writes a 22-character name, another
  placeholder values); then old balance + credits - debits must equal the new balance,
  or the file is rejected ("balance_mismatch", e.g. a file cut off at a line end).
- Over-long 075 records (bank-specific tails) are read by position; only the first 128
  characters count. 076 (supplementary) records are kept in the preceding movement's
  `raw`; 078/079 (message lines, ČSOB) are also appended to its message.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected

from .base import Direction, ParsedFile, ParsedStatement, ParsedTransaction, digits

RECORD_LENGTH = 128
HEADER_MIN_LENGTH = 114  # up to the statement date; the 14-character filler may be missing
DEFAULT_CURRENCY = "CZK"  # an empty statement (header only) has no movement to tell

POSTING_CODES = {
    "1": (Direction.DEBIT, False),
    "2": (Direction.CREDIT, False),
    "4": (Direction.CREDIT, True),  # reversal of a debit: the money comes back
    "5": (Direction.DEBIT, True),  # reversal of a credit: the money goes back
}

ISO_NUMERIC_CURRENCIES = {
    "036": "AUD",
    "124": "CAD",
    "156": "CNY",
    "191": "HRK",
    "203": "CZK",
    "208": "DKK",
    "348": "HUF",
    "392": "JPY",
    "578": "NOK",
    "643": "RUB",
    "703": "SKK",
    "752": "SEK",
    "756": "CHF",
    "826": "GBP",
    "840": "USD",
    "946": "RON",
    "949": "TRY",
    "975": "BGN",
    "978": "EUR",
    "980": "UAH",
    "985": "PLN",
}


def _interpolate(message: Any, params: dict) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


def _reject(message: Any, reason: str, **details: Any) -> StatementRejected:
    """A rejection whose message stays lazy (translated when shown) with its values."""
    text = _lazy_interpolate(message, details) if details else message
    return StatementRejected(text, reason=reason, **details)


def parse_gpc(content: bytes) -> ParsedFile:
    """Parse a GPC file whole, or raise StatementRejected (nothing half-read)."""
    lines = _lines(_decode(content))
    if not lines:
        raise _reject(_("The file is empty."), "empty_file")

    statements: list[_Statement] = []
    for number, line in lines:
        kind = line[:3]
        if kind == "074":
            statements.append(_header(number, line))
        elif kind == "075":
            if not statements:
                raise _reject(
                    _("Line %(line)d: a movement before the statement header (074)."),
                    "missing_header",
                    line=number,
                )
            statements[-1].movements.append(_movement(number, line))
        elif kind in ("076", "078", "079"):
            if not statements or not statements[-1].movements:
                raise _reject(
                    _("Line %(line)d: a supplementary record without its movement (075)."),
                    "orphan_record",
                    line=number,
                )
            statements[-1].movements[-1].supplement(kind, line)
        else:
            raise _reject(
                _("Line %(line)d: unknown record type %(record_type)s."),
                "unknown_record",
                line=number,
                record_type=kind,
            )
    return ParsedFile(format="gpc", statements=tuple(s.build() for s in statements))


# --- decoding and lines ---------------------------------------------------------------


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        content = content[3:]
    if not content.isascii():
        try:
            return content.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return content.decode("windows-1250")
    except UnicodeDecodeError as exc:
        raise _reject(
            _("The file is neither windows-1250 nor UTF-8 text (byte %(offset)d)."),
            "bad_encoding",
            offset=exc.start,
        ) from exc


def _lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; CRLF, LF or CR ends and a DOS EOF
    mark are tolerated (trailing spaces are kept: a blank due date is a field)."""
    text = text.replace("\x1a", "")
    lines = enumerate(re.split(r"\r\n|\r|\n", text), start=1)
    return [(number, line) for number, line in lines if line.strip()]


# --- field helpers --------------------------------------------------------------------


def _date(value: str) -> date | None:
    """DDMMYY (20YY for YY < 80, else 19YY); None when not a real date."""
    if len(value) != 6 or not value.isdigit():
        return None
    day, month, year = int(value[:2]), int(value[2:4]), int(value[4:])
    year += 2000 if year < 80 else 1900
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _hellers(value: str) -> Decimal | None:
    if not value.isdigit():
        return None
    return Decimal(int(value)).scaleb(-2)


def domestic_account(value: str, bank_code: str = "") -> str:
    """A 16-digit GPC account ("0000192000145399") -> "19-2000145399" (+ "/bank")."""
    prefix, number = value[:6].lstrip("0"), value[6:].lstrip("0")
    account = f"{prefix}-{number}" if prefix else number
    bank_code = bank_code.strip()
    if account and bank_code.strip("0"):
        account = f"{account}/{bank_code}"
    return account


# --- records --------------------------------------------------------------------------


class _Statement:
    def __init__(self, account: str, header: dict[str, Any]) -> None:
        self.account = account
        self.header = header
        self.movements: list[_Movement] = []

    def build(self) -> ParsedStatement:
        currencies = {m.currency for m in self.movements}
        if len(currencies) > 1:
            raise _reject(
                _("Account %(account)s: movements in several currencies (%(currencies)s)."),
                "currency_mismatch",
                account=self.account,
                currencies=", ".join(sorted(currencies)),
            )
        currency = currencies.pop() if currencies else DEFAULT_CURRENCY
        transactions = tuple(m.build(position) for position, m in enumerate(self.movements))
        transactions = _clear_duplicate_references(transactions)
        opening, closing = self.header.get("opening"), self.header.get("closing")
        if opening is not None and closing is not None:
            net = sum(
                (t.amount if t.direction == Direction.CREDIT else -t.amount for t in transactions),
                Decimal("0.00"),
            )
            if opening + net != closing:
                raise _reject(
                    _(
                        "Account %(account)s: the old balance %(opening)s and the movements "
                        "(%(net)s) do not add up to the new balance %(closing)s; "
                        "is the file complete?"
                    ),
                    "balance_mismatch",
                    account=self.account,
                    opening=str(opening),
                    net=str(net),
                    closing=str(closing),
                )
        return ParsedStatement(
            account=self.account,
            currency=currency,
            transactions=transactions,
            statement_id=self.header.get("statement_id", ""),
            opening_balance=opening,
            closing_balance=closing,
            date_from=self.header.get("date_from"),
            date_to=self.header.get("date_to"),
        )


def _header(number: int, line: str) -> _Statement:
    if len(line) < HEADER_MIN_LENGTH:
        raise _reject(
            _("Line %(line)d: the statement header (074) is cut short (%(length)d characters)."),
            "truncated_record",
            line=number,
            length=len(line),
        )
    account_field = line[3:19]
    if not account_field.isdigit():
        raise _reject(
            _("Line %(line)d: the account number %(value)s is not 16 digits."),
            "bad_account",
            line=number,
            value=account_field.strip(),
        )
    account = domestic_account(account_field)
    return _Statement(account, _header_values(line))


def _header_values(line: str) -> dict[str, Any]:
    """Balances, dates and number of a standard header; {} when any of them does not
    follow the standard layout (then none is trusted)."""
    old_date, new_date = _date(line[39:45]), _date(line[108:114])
    old, new = _hellers(line[45:59]), _hellers(line[60:74])
    debit, credit = _hellers(line[75:89]), _hellers(line[90:104])
    signs_ok = line[59] in "+-" and line[74] in "+-" and line[89] in "0+-" and line[104] in "0+-"
    number = line[105:108]
    if None in (old_date, new_date, old, new, debit, credit) or not signs_ok:
        return {}
    if not number.isdigit():
        return {}
    return {
        "opening": -old if line[59] == "-" else old,
        "closing": -new if line[74] == "-" else new,
        "statement_id": digits(number),
        "date_from": old_date,
        "date_to": new_date,
    }


class _Movement:
    def __init__(self, **fields: Any) -> None:
        self.fields = fields
        self.currency: str = fields["currency"]
        self.extra_text: list[str] = []
        self.supplements: list[str] = []

    def supplement(self, kind: str, line: str) -> None:
        self.supplements.append(line)
        if kind in ("078", "079"):
            text = " ".join(line[3:].split())
            if text:
                self.extra_text.append(text)

    def build(self, position: int) -> ParsedTransaction:
        f = self.fields
        raw = dict(f["raw"])
        if self.supplements:
            raw["supplements"] = list(self.supplements)
        message = " ".join([f["text"], *self.extra_text]).strip()
        return ParsedTransaction(
            amount=f["amount"],
            direction=f["direction"],
            currency=self.currency,
            booking_date=f["booking_date"],
            position=position,
            value_date=f["value_date"],
            bank_reference=f["bank_reference"],
            variable_symbol=f["vs"],
            specific_symbol=f["ss"],
            constant_symbol=f["ks"],
            message=message,
            counterparty_name=f["text"],
            counterparty_account=f["counterparty_account"],
            counterparty_bank=f["counterparty_bank"],
            is_reversal=f["is_reversal"],
            raw=raw,
        )


def _movement(number: int, line: str) -> _Movement:
    if len(line) < RECORD_LENGTH:
        raise _reject(
            _("Line %(line)d: the movement record (075) is cut short (%(length)d characters)."),
            "truncated_record",
            line=number,
            length=len(line),
        )
    record = line[:RECORD_LENGTH]
    amount_field = record[48:60]
    amount = _hellers(amount_field)
    if amount is None:
        raise _reject(
            _("Line %(line)d: the amount %(value)s is not a number of hellers."),
            "bad_amount",
            line=number,
            value=amount_field,
        )
    code = record[60]
    if code not in POSTING_CODES:
        raise _reject(
            _("Line %(line)d: unknown posting code %(value)s."),
            "bad_posting_code",
            line=number,
            value=code,
        )
    direction, is_reversal = POSTING_CODES[code]

    symbols = {}
    for name, field in (("vs", record[61:71]), ("ks_field", record[71:81]), ("ss", record[81:91])):
        if field.strip() and not field.strip().isdigit():
            raise _reject(
                _("Line %(line)d: the symbol %(value)s is not a number."),
                "bad_symbol",
                line=number,
                value=field,
            )
        symbols[name] = field.strip().rjust(10, "0")
    counter_field = record[19:35]
    if counter_field.strip() and not counter_field.isdigit():
        raise _reject(
            _("Line %(line)d: the counter account %(value)s is not 16 digits."),
            "bad_account",
            line=number,
            value=counter_field,
        )
    bank_code = symbols["ks_field"][2:6]

    value_date = _date(record[91:97])
    if value_date is None:
        raise _reject(
            _("Line %(line)d: %(value)s is not a valid date (DDMMYY)."),
            "bad_date",
            line=number,
            value=record[91:97],
        )
    due_field = record[122:128]
    if due_field.strip(" 0"):
        booking_date = _date(due_field)
        if booking_date is None:
            raise _reject(
                _("Line %(line)d: %(value)s is not a valid date (DDMMYY)."),
                "bad_date",
                line=number,
                value=due_field,
            )
    else:
        booking_date = value_date

    currency = _currency(number, record[118:122])
    text = record[97:117].strip()
    document = record[35:48].strip()
    return _Movement(
        amount=amount,
        direction=direction,
        is_reversal=is_reversal,
        currency=currency,
        booking_date=booking_date,
        value_date=value_date,
        bank_reference=document.lstrip("0") if document.isdigit() else document,
        vs=digits(symbols["vs"]),
        ss=digits(symbols["ss"]),
        ks=digits(symbols["ks_field"][6:]),
        text=text,
        counterparty_account=(
            domestic_account(counter_field, bank_code) if counter_field.strip("0 ") else ""
        ),
        counterparty_bank=bank_code if bank_code.strip("0") else "",
        raw={
            "record": record,
            "own_account": record[3:19],
            "counter_account": counter_field,
            "document_number": record[35:48],
            "posting_code": code,
            "ks_field": record[71:81],
            "change_code": record[117],
            "data_type": record[118:122],
        },
    )


def _currency(number: int, field: str) -> str:
    if field[0] == "0" and field[1:] in ISO_NUMERIC_CURRENCIES:
        return ISO_NUMERIC_CURRENCIES[field[1:]]
    if field.isdigit() and field[0] == "1" and field[1] == "1":
        return "CZK"  # classic "rmoo" data type: m = 1 means CZK
    raise _reject(
        _("Line %(line)d: unknown currency code %(value)s."),
        "bad_currency",
        line=number,
        value=field,
    )


def _clear_duplicate_references(
    transactions: tuple[ParsedTransaction, ...],
) -> tuple[ParsedTransaction, ...]:
    """A reference that is not unique within the statement cannot be the movement's
    natural key: it is dropped (kept in raw) so the importer falls back to its checksum
    rather than merging two real movements into one."""
    seen: dict[str, int] = {}
    for tx in transactions:
        if tx.bank_reference:
            seen[tx.bank_reference] = seen.get(tx.bank_reference, 0) + 1
    if all(count == 1 for count in seen.values()):
        return transactions
    result = []
    for tx in transactions:
        if tx.bank_reference and seen[tx.bank_reference] > 1:
            raw = {**tx.raw, "duplicate_bank_reference": tx.bank_reference}
            tx = replace(tx, bank_reference="", raw=raw)
        result.append(tx)
    return tuple(result)

"""Bank CSV exports, read through a per-account column mapping (`CsvMapping`).

A CSV cannot be recognised by its content: each bank (and each export setting) names
and orders its columns differently, so the mapping of the account's feed says which
column holds what, and which account and currency the file is for.

Decisions:
- `skip_rows` lines come before the header row (banks often print the account and the
  period there); the header row follows and names the columns; blank lines are skipped.
- `amount` is signed (negative = debit) unless a `direction` column is mapped: then its
  value must be one of `credit_values` / `debit_values` (compared case-insensitively)
  and a signed amount must agree with it. Thousands separators (space, no-break space,
  and "." with a decimal comma or "," with a decimal point) are accepted; anything else
  that is not a number rejects the file ("bad_amount"), an empty amount too.
- The file must decode strictly in `encoding` ("bad_encoding"); a file that is valid
  UTF-8 with non-ASCII characters is rejected when the mapping names a single-byte
  encoding (it would be read as mojibake, e.g. "PĹ™Ă­jem" for "Příjem").
- The transaction's currency is its `currency` column when mapped, else the mapping's.
"""

from __future__ import annotations

import codecs
import csv as csv_module
import io
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected

from .base import Direction, ParsedFile, ParsedStatement, ParsedTransaction, digits

FIELDS = (
    "booking_date",
    "value_date",
    "amount",
    "currency",
    "direction",
    "variable_symbol",
    "specific_symbol",
    "constant_symbol",
    "message",
    "counterparty_name",
    "counterparty_account",
    "counterparty_bank",
    "bank_reference",
    "end_to_end_id",
)
REQUIRED_FIELDS = ("booking_date", "amount")
SPACES_RE = re.compile(r"[\s\u00a0\u202f]")
NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _interpolate(message: Any, params: dict) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


def _reject(message: Any, reason: str, **details: Any) -> StatementRejected:
    """A rejection whose message stays lazy (translated when shown) with its values."""
    text = _lazy_interpolate(message, details) if details else message
    return StatementRejected(text, reason=reason, **details)


@dataclass(frozen=True)
class CsvMapping:
    """How to read one bank's CSV export; stored as JSON (`to_dict` / `from_dict`).

    `columns` maps our field names (see FIELDS; booking_date and amount are required)
    to the CSV's column names as written in its header row.
    """

    columns: dict[str, str] = field(hash=False)
    account: str = ""
    currency: str = "CZK"
    delimiter: str = ";"
    encoding: str = "windows-1250"
    skip_rows: int = 0
    date_format: str = "%d.%m.%Y"
    decimal_comma: bool = True
    credit_values: tuple[str, ...] = ()
    debit_values: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        unknown = sorted(set(self.columns) - set(FIELDS))
        if unknown:
            raise ValueError(f"unknown CSV mapping fields: {', '.join(unknown)}")
        missing = [name for name in REQUIRED_FIELDS if not self.columns.get(name)]
        if missing:
            raise ValueError(f"the CSV mapping needs columns for: {', '.join(missing)}")
        if "direction" in self.columns and not (self.credit_values and self.debit_values):
            raise ValueError("a direction column needs credit_values and debit_values")
        if len(self.delimiter) != 1:
            raise ValueError("the delimiter must be one character")
        if self.skip_rows < 0:
            raise ValueError("skip_rows cannot be negative")
        if not re.fullmatch(r"[A-Z]{3}", self.currency):
            raise ValueError("the currency must be an ISO 4217 code such as CZK")
        codecs.lookup(self.encoding)  # LookupError for an unknown encoding
        object.__setattr__(self, "columns", dict(self.columns))
        object.__setattr__(self, "credit_values", tuple(self.credit_values))
        object.__setattr__(self, "debit_values", tuple(self.debit_values))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CsvMapping:
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"unknown CSV mapping keys: {', '.join(unknown)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["credit_values"] = list(self.credit_values)
        data["debit_values"] = list(self.debit_values)
        return data


def parse_csv(content: bytes, *, mapping: CsvMapping) -> ParsedFile:
    """Parse a CSV export whole with its mapping, or raise StatementRejected."""
    text = _decode(content, mapping.encoding)
    lines = text.splitlines(keepends=True)
    body = "".join(lines[mapping.skip_rows :])
    reader = csv_module.reader(
        io.StringIO(body, newline=""), delimiter=mapping.delimiter, strict=True
    )
    rows: list[tuple[int, list[str]]] = []
    try:
        for row in reader:
            if any(cell.strip() for cell in row):
                rows.append((reader.line_num + mapping.skip_rows, row))
    except csv_module.Error as exc:
        raise _reject(
            _("Line %(line)d: the row is not valid CSV (%(error)s)."),
            "csv_bad_row",
            line=reader.line_num + mapping.skip_rows,
            error=str(exc),
        ) from exc
    if not rows:
        raise _reject(_("The file is empty."), "empty_file")
    header_line, header = rows[0]
    names = [name.strip() for name in header]
    indexes: dict[str, int] = {}
    for our_name, their_name in mapping.columns.items():
        if their_name not in names:
            raise _reject(
                _("Line %(line)d: the header has no column %(column)s (for %(field)s)."),
                "csv_missing_column",
                line=header_line,
                column=their_name,
                field=our_name,
            )
        indexes[our_name] = names.index(their_name)

    transactions = []
    for position, (number, row) in enumerate(rows[1:]):
        if len(row) < len(names):
            raise _reject(
                _("Line %(line)d: %(found)d columns where the header has %(expected)d."),
                "csv_bad_row",
                line=number,
                found=len(row),
                expected=len(names),
            )
        values = {name: row[index].strip() for name, index in indexes.items()}
        transactions.append(_transaction(position, number, values, mapping))
    return ParsedFile(
        format="csv",
        statements=(
            ParsedStatement(
                account=mapping.account,
                currency=mapping.currency,
                transactions=tuple(transactions),
                date_from=min((t.booking_date for t in transactions), default=None),
                date_to=max((t.booking_date for t in transactions), default=None),
            ),
        ),
    )


def _decode(content: bytes, encoding: str) -> str:
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    elif not content.isascii():
        try:
            content.decode("utf-8")
        except UnicodeDecodeError:
            pass
        else:
            raise _reject(
                _("The file is UTF-8 text, not %(encoding)s as its mapping says."),
                "bad_encoding",
                encoding=encoding,
            )
    try:
        return content.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _reject(
            _("The file is not %(encoding)s text (byte %(offset)d)."),
            "bad_encoding",
            encoding=encoding,
            offset=exc.start,
        ) from exc


def _transaction(
    position: int, line: int, values: dict[str, str], mapping: CsvMapping
) -> ParsedTransaction:
    amount = _amount(values["amount"], line, mapping.decimal_comma)
    direction = Direction.DEBIT if amount < 0 else Direction.CREDIT
    if "direction" in values:
        marker = values["direction"].casefold()
        if marker in {value.casefold() for value in mapping.credit_values}:
            stated = Direction.CREDIT
        elif marker in {value.casefold() for value in mapping.debit_values}:
            stated = Direction.DEBIT
        else:
            raise _reject(
                _("Line %(line)d: %(value)s is neither a credit nor a debit marker."),
                "bad_direction",
                line=line,
                value=values["direction"],
            )
        if amount < 0 and stated == Direction.CREDIT:
            raise _reject(
                _("Line %(line)d: a negative amount %(value)s marked as a credit."),
                "bad_amount",
                line=line,
                value=values["amount"],
            )
        direction = stated
    value_date = _date(values["value_date"], line, mapping) if values.get("value_date") else None
    account = values.get("counterparty_account", "")
    bank = values.get("counterparty_bank", "")
    if account and bank and "/" not in account and not account[:2].isalpha():
        account = f"{account}/{bank}"
    return ParsedTransaction(
        amount=abs(amount),
        direction=direction,
        currency=values.get("currency") or mapping.currency,
        booking_date=_date(values["booking_date"], line, mapping),
        position=position,
        value_date=value_date,
        bank_reference=values.get("bank_reference", ""),
        end_to_end_id=values.get("end_to_end_id", ""),
        variable_symbol=digits(values.get("variable_symbol")),
        specific_symbol=digits(values.get("specific_symbol")),
        constant_symbol=digits(values.get("constant_symbol")),
        message=values.get("message", ""),
        counterparty_name=values.get("counterparty_name", ""),
        counterparty_account=account,
        counterparty_bank=bank,
        raw={"line": str(line), **values},
    )


def _amount(value: str, line: int, decimal_comma: bool) -> Decimal:
    text = SPACES_RE.sub("", value)
    decimal_mark, thousands = (",", ".") if decimal_comma else (".", ",")
    whole, has_fraction, fraction = text.partition(decimal_mark)
    if thousands in whole:
        groups = whole.lstrip("+-").split(thousands)
        if not (1 <= len(groups[0]) <= 3 and all(len(g) == 3 for g in groups[1:])):
            whole = "!"  # a misplaced separator: not a number
        whole = whole.replace(thousands, "")
    text = f"{whole}.{fraction}" if has_fraction else whole
    if NUMBER_RE.match(text):
        try:
            return Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            pass
    raise _reject(
        _("Line %(line)d: the amount %(value)s is not a number."),
        "bad_amount",
        line=line,
        value=value,
    )


def _date(value: str, line: int, mapping: CsvMapping) -> date:
    try:
        return datetime.strptime(value, mapping.date_format).date()  # noqa: DTZ007
    except ValueError as exc:
        raise _reject(
            _("Line %(line)d: %(value)s is not a date in the format %(format)s."),
            "bad_date",
            line=line,
            value=value,
            format=mapping.date_format,
        ) from exc

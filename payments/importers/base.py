"""What every statement parser returns: plain data, no database.

A parser takes the file's bytes and returns a `ParsedFile`, or raises
`StatementRejected` (billing_portal.errors) with a stable `code` and a clear
message; it never returns half a file and never turns a bad amount into zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


class Direction:
    CREDIT = "credit"
    DEBIT = "debit"


@dataclass(frozen=True)
class ParsedTransaction:
    """One booked movement on our account, as the bank reported it.

    `amount` is positive; `direction` says which way the money went. Symbols are
    digits only (leading zeros stripped, "" when absent). `bank_reference` is the
    bank's own unique id of the movement (AcctSvcrRef, Fio id, GPC record id...) or
    "" when the format has none; `position` is the 0-based index of the movement in
    its statement (used for the natural key when there is no reference).
    """

    amount: Decimal
    direction: str
    currency: str
    booking_date: date
    position: int
    value_date: date | None = None
    bank_reference: str = ""
    end_to_end_id: str = ""
    variable_symbol: str = ""
    specific_symbol: str = ""
    constant_symbol: str = ""
    message: str = ""
    counterparty_name: str = ""
    counterparty_account: str = ""  # IBAN, or a domestic "prefix-number/bank" as given
    counterparty_bank: str = ""  # BIC or domestic bank code
    is_reversal: bool = False
    raw: dict = field(default_factory=dict)  # the format's own fields, JSON-safe strings


@dataclass(frozen=True)
class ParsedStatement:
    """One account's statement inside a file (a file may hold several)."""

    account: str  # IBAN when the format gives one, else the domestic account number
    currency: str
    transactions: tuple[ParsedTransaction, ...]
    statement_id: str = ""
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class ParsedFile:
    format: str  # camt053 | camt054 | gpc | mt940 | fio-json | csv
    statements: tuple[ParsedStatement, ...]


def digits(value: str | None) -> str:
    """A symbol as digits without leading zeros ("" when nothing numeric is left)."""
    if not value:
        return ""
    stripped = value.strip()
    if not stripped.isdigit():
        return ""
    return stripped.lstrip("0")

"""Fio banka API responses (JSON "accountStatement") as one statement.

The column ids are those of Fio's API documentation, as mapped by the `fiobank` package
(`fiobank.models.Transaction`): 0 date, 1 amount (negative = outgoing), 2 counter
account, 3 bank code, 4 KS, 5 VS, 6 SS, 7 user identification, 8 type, 9 executed by,
10 counter-account name, 12 bank name, 14 currency, 16 message for the recipient,
17 instruction id, 18 specification, 22 movement id, 25 comment, 26 BIC, 27 payer's
reference. fiobank's own parsing is not called: it is tied to its HTTP client, reads
dates by their first ten characters without checking the rest and turns any bad value
into a pydantic error; here every rejected value gets its own reason.

Decisions:
- JSON numbers are read as Decimal (never float). A movement without an amount or date,
  or with an unreadable one, rejects the file ("bad_amount", "bad_date").
- Dates are "YYYY-MM-DD+HHMM" (a date and the bank's UTC offset, not a time): the date
  part is the booking date.
- `account` is info.iban, else "accountId/bankId". `bank_reference` is the movement id
  (column22), Fio's idempotency key. `end_to_end_id` is the payer's reference (column27).
- `transactionList` null or an empty list: a valid statement with no movement.
- The XML error body the API returns instead of JSON (<response><result><errorCode>)
  is rejected with reason "fio_error" and the bank's code and message in the details.
"""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from defusedxml import ElementTree
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from billing_portal.errors import StatementRejected

from .base import Direction, ParsedFile, ParsedStatement, ParsedTransaction, digits

DATE_RE = re.compile(r"^(?P<date>\d{4}-\d{2}-\d{2})(?:[+-]\d{2}:?\d{2}|Z)?$")
AMOUNT_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
COLUMNS = {
    0: "date",
    1: "amount",
    2: "counter_account",
    3: "bank_code",
    4: "constant_symbol",
    5: "variable_symbol",
    6: "specific_symbol",
    7: "user_identification",
    8: "type",
    9: "executed_by",
    10: "counter_account_name",
    12: "bank_name",
    14: "currency",
    16: "message_for_recipient",
    17: "instruction_id",
    18: "specification",
    22: "movement_id",
    25: "comment",
    26: "bic",
    27: "payer_reference",
}


def _interpolate(message: Any, params: dict) -> str:
    return str(message) % params


_lazy_interpolate = lazy(_interpolate, str)


def _reject(message: Any, reason: str, **details: Any) -> StatementRejected:
    """A rejection whose message stays lazy (translated when shown) with its values."""
    text = _lazy_interpolate(message, details) if details else message
    return StatementRejected(text, reason=reason, **details)


def parse_fio_json(content: bytes) -> ParsedFile:
    """Parse a Fio API response whole, or raise StatementRejected."""
    if not content.strip():
        raise _reject(_("The file is empty."), "empty_file")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _reject(
            _("The Fio response is not UTF-8 text (byte %(offset)d)."),
            "bad_encoding",
            offset=exc.start,
        ) from exc
    if text.lstrip().startswith("<"):
        raise _fio_error(content)
    try:
        data = json.loads(text, parse_float=Decimal)
    except ValueError as exc:
        raise _reject(_("The Fio response is not valid JSON."), "not_a_statement") from exc

    statement = data.get("accountStatement") if isinstance(data, dict) else None
    info = statement.get("info") if isinstance(statement, dict) else None
    if not isinstance(info, dict):
        raise _reject(
            _("The JSON is not a Fio account statement (no accountStatement.info)."),
            "not_a_statement",
        )
    entries = _entries(statement.get("transactionList"))
    currency = info.get("currency")
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        raise _reject(
            _("The Fio statement has no currency (accountStatement.info.currency)."),
            "not_a_statement",
        )
    account = _text(info.get("iban"))
    if not account:
        number, bank = _text(info.get("accountId")), _text(info.get("bankId"))
        account = f"{number}/{bank}" if number and bank else number
    if not account:
        raise _reject(_("The Fio statement names no account (iban, accountId)."), "not_a_statement")

    transactions = tuple(
        _transaction(position, entry, currency) for position, entry in enumerate(entries)
    )
    year, number = _text(info.get("yearList")), _text(info.get("idList"))
    return ParsedFile(
        format="fio-json",
        statements=(
            ParsedStatement(
                account=account,
                currency=currency,
                transactions=transactions,
                statement_id=f"{year}/{number}" if year and number else "",
                opening_balance=_balance(info.get("openingBalance"), "openingBalance"),
                closing_balance=_balance(info.get("closingBalance"), "closingBalance"),
                date_from=_optional_date(info.get("dateStart"), "dateStart"),
                date_to=_optional_date(info.get("dateEnd"), "dateEnd"),
            ),
        ),
    )


def _fio_error(content: bytes) -> StatementRejected:
    try:
        root = ElementTree.fromstring(content)
    except Exception:  # defusedxml raises several types; none of them is a statement
        root = None
    if root is None or root.tag != "response":
        return _reject(_("The XML is not a Fio API response."), "not_a_statement")
    code = (root.findtext("result/errorCode") or "").strip()
    message = (root.findtext("result/message") or "").strip()
    return _reject(
        _("The Fio API answered with error %(error_code)s: %(fio_message)s"),
        "fio_error",
        error_code=code,
        fio_message=message,
    )


def _entries(transaction_list: Any) -> list[dict]:
    if transaction_list is None:
        return []
    entries = transaction_list.get("transaction") if isinstance(transaction_list, dict) else 0
    if entries is None:
        return []
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _reject(
            _("The Fio statement's transactionList is not a list of movements."),
            "not_a_statement",
        )
    return entries


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, Decimal | int):
        return str(value)
    return str(value).strip()


def _columns(position: int, entry: dict) -> dict[int, Any]:
    columns: dict[int, Any] = {}
    for key, column in entry.items():
        if not key.startswith("column") or not key[6:].isdigit() or column is None:
            continue
        if not isinstance(column, dict):
            raise _reject(
                _("Movement %(position)d: %(column)s is not a Fio column object."),
                "bad_record",
                position=position + 1,
                column=key,
            )
        columns[int(key[6:])] = column.get("value")
    return columns


def _transaction(position: int, entry: dict, currency: str) -> ParsedTransaction:
    columns = _columns(position, entry)
    amount = _amount(columns.get(1), position)
    booking_date = _date(columns.get(0), position)
    account, bank = _text(columns.get(2)), _text(columns.get(3))
    raw = {
        COLUMNS.get(number, f"column{number}"): _text(value)
        for number, value in sorted(columns.items())
        if _text(value)
    }
    return ParsedTransaction(
        amount=abs(amount),
        direction=Direction.DEBIT if amount < 0 else Direction.CREDIT,
        currency=_text(columns.get(14)) or currency,
        booking_date=booking_date,
        position=position,
        bank_reference=_text(columns.get(22)),
        end_to_end_id=_text(columns.get(27)),
        variable_symbol=digits(_text(columns.get(5))),
        specific_symbol=digits(_text(columns.get(6))),
        constant_symbol=digits(_text(columns.get(4))),
        message=_text(columns.get(16)),
        counterparty_name=_text(columns.get(10)),
        counterparty_account=f"{account}/{bank}" if account and bank else account,
        counterparty_bank=bank or _text(columns.get(26)),
        raw=raw,
    )


def _amount(value: Any, position: int) -> Decimal:
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str) and AMOUNT_RE.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
            pass
    raise _reject(
        _("Movement %(position)d: the amount %(value)s is not a number."),
        "bad_amount",
        position=position + 1,
        value=repr(value),
    )


def _date(value: Any, position: int) -> date:
    parsed = _parse_date(value)
    if parsed is None:
        raise _reject(
            _("Movement %(position)d: %(value)s is not a valid date."),
            "bad_date",
            position=position + 1,
            value=repr(value),
        )
    return parsed


def _parse_date(value: Any) -> date | None:
    match = DATE_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    try:
        return date.fromisoformat(match.group("date"))
    except ValueError:
        return None


def _optional_date(value: Any, name: str) -> date | None:
    if value is None:
        return None
    parsed = _parse_date(value)
    if parsed is None:
        raise _reject(
            _("The statement's %(field)s %(value)s is not a valid date."),
            "bad_date",
            field=name,
            value=repr(value),
        )
    return parsed


def _balance(value: Any, name: str) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        return Decimal(value)
    raise _reject(
        _("The statement's %(field)s %(value)s is not a number."),
        "bad_amount",
        field=name,
        value=repr(value),
    )

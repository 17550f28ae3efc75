"""One key for a payer's account, however the bank wrote it.

Statements name the same account differently: camt.053 gives the IBAN
("CZ65 0800 0000 1920 0014 5399"), GPC/ABO and the Fio API the domestic
"prefix-number/bank" ("19-2000145399/0800", or "000019-2000145399" with the bank
code apart), MT940 and CSV whatever the bank likes. `counterparty_account` keeps what
the bank wrote (for display and for the natural key); every comparison of accounts
uses `account_key`, stored at import as `BankTransaction.counterparty_key`.

The key:

- a Czech or Slovak account, given as its CZ/SK IBAN or in the domestic form, is
  "prefix-number/bank" without leading zeros and without a dash when there is no
  prefix: "19-2000145399/0800", "123457/0100". Both countries write their accounts
  the same way (prefix 6, number 10, bank 4 digits; the bank codes of the two
  countries do not overlap), so a domestic number does not say which country it is
  in. That is why the key is the domestic form and not the IBAN: choosing CZ or SK
  for a bare domestic number would need a bank-code table, and a key stored in the
  database must not move when a library's table does;
- any other IBAN: its electronic form, upper case ("DE89370400440532013000"), also
  when the bank appended "/BIC" (the Fio API does for payments from abroad);
- a domestic-looking number without a bank code ("000019-0002000145399", a German
  Kontonummer whose bank is a BLZ or a BIC): the digits without leading zeros;
  16 digits without a dash are the padded prefix and number of GPC/ABO files;
- anything else: the text without spaces, upper case. Never an error: pairing goes on.

The bank code may come apart from the number (GPC, MT940, CSV give a separate
column); it is used when it is four digits and the number has none of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

KEY_MAX_LENGTH = 50  # BankTransaction.counterparty_key

_DOMESTIC = re.compile(r"(?:(?P<prefix>\d+)-)?(?P<number>\d+)(?:/(?P<bank>\d{4}))?", re.ASCII)
_BANK_CODE = re.compile(r"\d{4}", re.ASCII)
_DOMESTIC_COUNTRIES = ("CZ", "SK")


@dataclass(frozen=True)
class DomesticAccount:
    """A Czech or Slovak account: prefix ("" when none), number and 4-digit bank code,
    all without leading zeros; `country` is "CZ"/"SK" when it was read from an IBAN,
    "" when from the domestic form (which the two countries share)."""

    prefix: str
    number: str
    bank: str
    country: str = ""

    @property
    def abo(self) -> str:
        """ "prefix-number" as the ABO payment order writes it."""
        return f"{self.prefix}-{self.number}" if self.prefix else self.number

    def __str__(self) -> str:
        return f"{self.abo}/{self.bank}"


def _clean(value: str | None) -> str:
    """Without any white space (also no-break spaces), upper case."""
    return "".join((value or "").split()).upper()


def _significant(prefix: str, number: str) -> tuple[str, str] | None:
    if not prefix and len(number) == 16:  # the padded form of GPC/ABO files: 6 + 10 digits
        prefix, number = number[:6], number[6:]
    prefix, number = prefix.lstrip("0"), number.lstrip("0")
    if not number or len(number) > 10 or len(prefix) > 6:
        return None
    return prefix, number


def _iban(value: str) -> IBAN | None:
    try:
        return IBAN(value)
    except (SchwiftyException, ValueError):
        return None


def domestic_account(account: str | None, bank: str | None = "") -> DomesticAccount | None:
    """A Czech or Slovak account from its IBAN or from "[prefix-]number/bank" (leading
    zeros, spaces and a separate bank code allowed); None when the value is neither."""
    value = _clean(account)
    if not value:
        return None
    match = _DOMESTIC.fullmatch(value)
    if match:
        bank_code = match["bank"] or (bank or "").strip()
        parts = _significant(match["prefix"] or "", match["number"])
        if parts is None or not _BANK_CODE.fullmatch(bank_code):
            return None
        return DomesticAccount(*parts, bank_code)
    iban = _iban(value.split("/", 1)[0])
    if iban is None or iban.country_code not in _DOMESTIC_COUNTRIES:
        return None
    # CZkk BBBB PPPPPP AAAAAAAAAA (SK alike): schwifty calls the prefix the branch code
    parts = _significant(iban.branch_code, iban.account_code)
    if parts is None:
        return None
    return DomesticAccount(*parts, iban.bank_code, iban.country_code)


def account_key(account: str | None, bank: str | None = "") -> str:
    """The one spelling of a payer's account that accounts are compared by ("" when
    there is no account); see the module docstring. Never raises."""
    value = _clean(account)
    if not value:
        return ""
    domestic = domestic_account(value, bank)
    if domestic is not None:
        return str(domestic)
    iban = _iban(value.split("/", 1)[0])
    if iban is not None:
        return iban.compact
    match = _DOMESTIC.fullmatch(value)
    if match and not match["bank"]:
        parts = _significant(match["prefix"] or "", match["number"])
        if parts is not None:
            return "-".join(p for p in parts if p)
    return value[:KEY_MAX_LENGTH]


def account_keys(accounts: Iterable[str]) -> frozenset[str]:
    """The keys of a list of accounts (e.g. a setting), without the empty one."""
    return frozenset(key for account in accounts if (key := account_key(account)))

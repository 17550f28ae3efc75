"""VAT rates with validity dates, and which regime applies to a customer.

The table starts on 1 Jan 2023 (it covers every rate in force during the last three
years); a date before that, or a country we do not sell to with VAT, raises
NoVatRate instead of guessing. Sources: the Czech, Slovak and Finnish tax
authorities' published rates:
- CZ: 21 % standard; 15 % and 10 % reduced until 31 Dec 2023, one 12 % reduced rate
  from 1 Jan 2024.
- SK: 20 % standard and 10 % reduced until 31 Dec 2024; from 1 Jan 2025 23 %
  standard, 19 % and 5 % reduced (5 % already in force before).
- FI: 24 % standard until 31 Aug 2024, 25.5 % from 1 Sep 2024; 14 % reduced until
  31 Dec 2025, 13.5 % from 1 Jan 2026; 10 % reduced throughout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing_portal.errors import NoVatRate

from .models import VatCategory, VatRegime

EU_COUNTRIES = frozenset({"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR",
                          "GR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL",
                          "PT", "RO", "SE", "SI", "SK"})  # fmt: skip

TABLE_START = date(2023, 1, 1)
FAR_FUTURE = date(9999, 12, 31)

S, R1, R2 = VatCategory.STANDARD, VatCategory.REDUCED, VatCategory.SECOND_REDUCED


@dataclass(frozen=True)
class VatRate:
    country: str
    category: str
    rate: Decimal
    valid_from: date
    valid_to: date = FAR_FUTURE


def _r(country: str, category: str, rate: str, start: date, end: date = FAR_FUTURE) -> VatRate:
    return VatRate(country, category, Decimal(rate), start, end)


RATES: tuple[VatRate, ...] = (
    _r("CZ", S, "21", TABLE_START),
    _r("CZ", R1, "15", TABLE_START, date(2023, 12, 31)),
    _r("CZ", R1, "12", date(2024, 1, 1)),
    _r("CZ", R2, "10", TABLE_START, date(2023, 12, 31)),
    _r("CZ", R2, "12", date(2024, 1, 1)),
    _r("SK", S, "20", TABLE_START, date(2024, 12, 31)),
    _r("SK", S, "23", date(2025, 1, 1)),
    _r("SK", R1, "10", TABLE_START, date(2024, 12, 31)),
    _r("SK", R1, "19", date(2025, 1, 1)),
    _r("SK", R2, "5", TABLE_START),
    _r("FI", S, "24", TABLE_START, date(2024, 8, 31)),
    _r("FI", S, "25.5", date(2024, 9, 1)),
    _r("FI", R1, "14", TABLE_START, date(2025, 12, 31)),
    _r("FI", R1, "13.5", date(2026, 1, 1)),
    _r("FI", R2, "10", TABLE_START),
)


def rate_for(*, country: str, category: str, on: date) -> Decimal:
    for entry in RATES:
        if (
            entry.country == country
            and entry.category == category
            and entry.valid_from <= on <= entry.valid_to
        ):
            return entry.rate
    raise NoVatRate(country=country, category=str(category), date=on.isoformat())


def regime_for(*, seller_country: str, customer_country: str, vat_payer: bool) -> VatRegime:
    """Place of supply of our (electronically supplied) services."""
    if customer_country == seller_country:
        return VatRegime.DOMESTIC
    if customer_country in EU_COUNTRIES:
        return VatRegime.REVERSE_CHARGE if vat_payer else VatRegime.OSS
    return VatRegime.OUTSIDE_EU


def line_rate(*, regime: str, customer_country: str, category: str, on: date) -> Decimal:
    if regime in (VatRegime.DOMESTIC, VatRegime.OSS):
        return rate_for(country=customer_country, category=category, on=on)
    return Decimal("0")

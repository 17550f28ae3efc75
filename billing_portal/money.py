"""Money: Decimal amounts, currencies and the one rounding policy.

Policy (the only place amounts are rounded):
- Amounts are `Decimal`, never float, each with a currency (CZK, EUR, GBP); they
  are stored with two decimal places.
- A line's net amount is quantity x unit price, rounded half-up to 0.01.
- VAT is computed per rate on the document's net sum of the lines at that rate
  (not per line): vat = round_half_up(base x rate / 100, 0.01). The gross total is
  the sum of bases plus the sum of VAT amounts. This is how Czech, Slovak and
  Finnish tax documents present the VAT recapitulation, and it keeps the VAT of a
  document independent of how its lines are split.
- Rounding mode is ROUND_HALF_UP (0.005 -> 0.01), as accountants expect; we never
  round the total to whole crowns, so no rounding line is ever needed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils.translation import gettext_lazy as _

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class Currency(models.TextChoices):
    CZK = "CZK", _("Czech koruna")
    EUR = "EUR", _("Euro")
    GBP = "GBP", _("Pound sterling")


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Exact conversion; floats are refused because they cannot carry money."""
    if isinstance(value, float):
        raise TypeError("Money must not be a float; pass a Decimal or a string.")
    try:
        result = value if isinstance(value, Decimal) else Decimal(value)
    except InvalidOperation as exc:
        raise ValueError(f"Not an amount: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"Not an amount: {value!r}")
    return result


def quantize(value: Decimal | int | str) -> Decimal:
    """Round an amount half-up to 0.01: the only rounding of money in the project."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(quantity: Decimal | int | str, unit_price: Decimal | int | str) -> Decimal:
    return quantize(to_decimal(quantity) * to_decimal(unit_price))


def vat_amount(base: Decimal, rate: Decimal) -> Decimal:
    return quantize(to_decimal(base) * to_decimal(rate) / Decimal(100))


@dataclass(frozen=True)
class VatBreakdown:
    rate: Decimal
    base: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.base + self.vat


@dataclass(frozen=True)
class Totals:
    net: Decimal
    vat: Decimal
    gross: Decimal
    breakdown: tuple[VatBreakdown, ...]


def compute_totals(lines: Iterable[tuple[Decimal, Decimal]]) -> Totals:
    """Totals of (net, rate) pairs: VAT per rate on the sum of nets at that rate."""
    bases: dict[Decimal, Decimal] = {}
    for net, rate in lines:
        key = to_decimal(rate).normalize()
        bases[key] = bases.get(key, ZERO) + quantize(net)
    breakdown = tuple(
        VatBreakdown(rate=rate, base=base, vat=vat_amount(base, rate))
        for rate, base in sorted(bases.items(), reverse=True)
    )
    net = sum((b.base for b in breakdown), ZERO)
    vat = sum((b.vat for b in breakdown), ZERO)
    return Totals(net=net, vat=vat, gross=net + vat, breakdown=breakdown)


def format_amount(amount: Decimal, currency: str) -> str:
    """Plain, locale-neutral rendering used in e-mails and logs ("1234.50 CZK")."""
    return f"{quantize(amount)} {currency}"

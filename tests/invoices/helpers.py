"""Small builders shared by the invoices tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from invoices.services import LineSpec


def line(
    price: str, *, qty: str = "1", category: str = "standard", text: str = "Služba"
) -> LineSpec:
    return LineSpec(
        description=text,
        unit_price=Decimal(price),
        quantity=Decimal(qty),
        vat_category=category,
    )


D = date

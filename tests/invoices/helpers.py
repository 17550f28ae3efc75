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


def pay(document, amount: str | Decimal | None = None, *, on: date | None = None):
    """Pay a document through the one writer, as accounting entering a payment by hand
    (the whole amount due unless `amount` says otherwise; negative takes it back)."""
    from django.utils import timezone

    from invoices.settlement import record_staff_payment

    due = document.total_gross - document.amount_paid
    if amount is None and not due:
        return document  # paid already
    record_staff_payment(
        document=document,
        amount=Decimal(amount) if amount is not None else due,
        paid_on=on or timezone.localdate(),
        actor=None,
        note="test payment",
    )
    document.refresh_from_db()
    return document

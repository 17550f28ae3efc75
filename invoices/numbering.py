"""Gap-free document numbers: one counter row per series and year, locked inside the
issuing transaction (`invoices.locks.lock_series`, the last step of
`billing_portal.lock_order`), backed by a unique constraint.

If the issuing transaction rolls back, so does the counter: no gap. Never MAX()+1.
"""

from __future__ import annotations

from dataclasses import dataclass

from billing_portal.db import require_transaction
from billing_portal.errors import SeriesExhausted

from .locks import lock_series
from .models import DocumentKind, NumberSeries

# prefix printed in the number; one digit that starts the variable symbol
SERIES = {
    DocumentKind.PAYMENT_REQUEST: ("ZF", "1"),
    DocumentKind.TAX_INVOICE: ("FV", "2"),
    DocumentKind.CREDIT_NOTE: ("DB", "3"),
}
MAX_SEQUENCE = 999_999


@dataclass(frozen=True)
class DocumentNumber:
    sequence: int
    number: str
    variable_symbol: str


def format_number(kind: str, year: int, sequence: int) -> DocumentNumber:
    """FV2026000123 -> VS 226000123: the VS is the number with the prefix turned into
    the series digit and the year shortened, so it stays numeric and <= 10 digits."""
    prefix, digit = SERIES[DocumentKind(kind)]
    return DocumentNumber(
        sequence=sequence,
        number=f"{prefix}{year}{sequence:06d}",
        variable_symbol=f"{digit}{year % 100:02d}{sequence:06d}",
    )


def take_next_number(*, kind: str, year: int) -> DocumentNumber:
    require_transaction("take_next_number")
    NumberSeries.objects.bulk_create(
        [NumberSeries(kind=kind, year=year, last_number=0)], ignore_conflicts=True
    )
    series = lock_series(kind=kind, year=year)
    if series.last_number >= MAX_SEQUENCE:
        raise SeriesExhausted(kind=kind, year=year)
    series.last_number += 1
    series.save(update_fields=["last_number"])
    return format_number(kind, year, series.last_number)

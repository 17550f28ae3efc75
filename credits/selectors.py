"""Read-only queries over wallets and the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from billing_portal.money import ZERO, quantize

from .models import LedgerEntry, Wallet


def ledger_balance(wallet: Wallet) -> Decimal:
    """The balance as the sum of the wallet's ledger entries (the cached
    `Wallet.balance` must always equal it)."""
    total = LedgerEntry.objects.filter(wallet_id=wallet.pk).aggregate(total=Sum("amount"))["total"]
    # SQLite sums decimals as floats (0.0600000000000001): round to cents
    return quantize(total) if total is not None else ZERO

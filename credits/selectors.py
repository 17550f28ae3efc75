"""Read-only queries over wallets and the ledger."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from accounts.models import Customer
from billing_portal.money import ZERO, quantize

from .models import LedgerEntry, Wallet

TOP_UP_REQUESTED = "credit.top_up_requested"  # the audit event of a top-up request


def ledger_balance(wallet: Wallet) -> Decimal:
    """The balance as the sum of the wallet's ledger entries (the cached
    `Wallet.balance` must always equal it)."""
    total = LedgerEntry.objects.filter(wallet_id=wallet.pk).aggregate(total=Sum("amount"))["total"]
    # SQLite sums decimals as floats (0.0600000000000001): round to cents
    return quantize(total) if total is not None else ZERO


def wallet_or_empty(customer: Customer) -> Wallet:
    """The customer's wallet for reading; an unsaved empty one in the customer's
    currency when none exists yet (a page view must not create rows)."""
    wallet = Wallet.objects.filter(customer=customer).first()
    return wallet or Wallet(customer=customer, currency=customer.currency, balance=ZERO)


def recent_entries(wallet: Wallet, limit: int) -> list[LedgerEntry]:
    """The wallet's latest entries, newest first."""
    if wallet.pk is None:
        return []
    return list(wallet.entries.select_related("document").order_by("-created_at", "-pk")[:limit])

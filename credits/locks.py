"""Row locks of the credits app, taken in the order of `billing_portal.lock_order`:
a wallet after the documents it pays or is paid from (and after its customer) and
before their contracts; several wallets in id order.

Every lock is FOR NO KEY UPDATE of the app's own row (a ledger entry inserted for a
locked wallet is not held up)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import Wallet


def lock_wallet(wallet_id: int) -> Wallet:
    """One wallet (`billing_portal.lock_order`: after the document, before the
    contract)."""
    return Wallet.objects.select_for_update(no_key=True, of=("self",)).get(pk=wallet_id)


def lock_wallets_of(customer_ids: Iterable[int]) -> None:
    """The wallets of these customers, in id order, in one statement (the set-based
    auto-charge, after its requests: `billing_portal.lock_order`)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM credits_wallet WHERE customer_id = ANY(%s) ORDER BY id"
            " FOR NO KEY UPDATE",
            [sorted(set(customer_ids))],
        )

"""Row locks of the credits app, taken in the order of `billing_portal.lock_order`:
a wallet after the documents it pays and before their contracts; several wallets in
id order."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection

from .models import Wallet


def lock_wallet(wallet_id: int) -> Wallet:
    return Wallet.objects.select_for_update(no_key=True).get(pk=wallet_id)


def lock_wallets_of(customer_ids: Iterable[int]) -> None:
    """The wallets of these customers, in id order (the set-based auto-charge)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM credits_wallet WHERE customer_id = ANY(%s) ORDER BY id"
            " FOR NO KEY UPDATE",
            [sorted(set(customer_ids))],
        )

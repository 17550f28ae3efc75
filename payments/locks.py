"""Row locks of the payments app, taken in the order of `billing_portal.lock_order`:
bank transactions first (several in pk order), then their payment returns, then what
the payment pays (documents, wallets, contracts: the other apps' `locks.py`).

Every lock is FOR NO KEY UPDATE of the app's own row (an allocation inserted for a
locked payment is not held up); `related` rows are joined and read, not locked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import QuerySet

from .models import BankTransaction, PaymentReturn


def lock_transaction(transaction_id: int) -> BankTransaction:
    """One bank transaction (`billing_portal.lock_order`: the first lock of a staff
    action on a payment)."""
    return BankTransaction.objects.select_for_update(no_key=True, of=("self",)).get(
        pk=transaction_id
    )


def lock_transactions(
    transaction_ids: Iterable[int], *, related: Sequence[str] = ()
) -> dict[int, BankTransaction]:
    """These bank transactions, in pk order, in one statement: {pk: transaction}
    (`billing_portal.lock_order`: before their returns)."""
    return {
        tx.pk: tx
        for tx in BankTransaction.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .filter(pk__in=set(transaction_ids))
        .order_by("pk")
    }


def lock_returns(returns: QuerySet[PaymentReturn]) -> list[PaymentReturn]:
    """The payment returns of this queryset, in pk order, in one statement; lock their
    bank transactions first (`billing_portal.lock_order`)."""
    if returns.model is not PaymentReturn:
        raise TypeError(f"lock_returns takes payment returns, not {returns.model.__name__}")
    return list(returns.select_for_update(no_key=True, of=("self",)).order_by("pk"))

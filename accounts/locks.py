"""Row locks of the accounts app, taken in the order of `billing_portal.lock_order`:
subscriptions before documents; the customer after documents and before the wallet;
contracts after documents and wallets, several in pk order; a contract block after
its contract; an authorized person alone.

Every lock is FOR NO KEY UPDATE of the app's own row; `related` rows are joined and
read, not locked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import QuerySet

from .models import AuthorizedPerson, Contract, ContractBlock, Customer, Subscription


def lock_subscription(subscription_id: int, *, related: Sequence[str] = ()) -> Subscription:
    """One subscription (`billing_portal.lock_order`: before its documents)."""
    return (
        Subscription.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .get(pk=subscription_id)
    )


def lock_subscriptions(subscription_ids: Iterable[int]) -> list[int]:
    """These subscriptions, in pk order, in one statement; returns the pks found
    (`billing_portal.lock_order`: before the documents that extend them)."""
    return list(
        Subscription.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=set(subscription_ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def lock_customer(customer_id: int) -> Customer:
    """One customer (`billing_portal.lock_order`: after documents, before the wallet)."""
    return Customer.objects.select_for_update(no_key=True, of=("self",)).get(pk=customer_id)


def lock_contract(contract_id: int, *, related: Sequence[str] = ()) -> Contract:
    """One contract (`billing_portal.lock_order`: after documents and wallets, before
    its blocks and the number series)."""
    return (
        Contract.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .get(pk=contract_id)
    )


def lock_contracts(
    contracts: Iterable[int] | QuerySet[Contract], *, limit: int | None = None
) -> list[int]:
    """Contracts, given by pks or as a queryset of contracts (the candidates and their
    locks in one statement), at most `limit`, locked in pk order; returns their pks
    (`billing_portal.lock_order`: after documents and wallets)."""
    if isinstance(contracts, QuerySet):
        if contracts.model is not Contract:
            raise TypeError(f"lock_contracts takes contracts, not {contracts.model.__name__}")
        selection = contracts
    else:
        selection = Contract.objects.filter(pk__in={pk for pk in contracts if pk is not None})
    pks = (
        selection.select_for_update(no_key=True, of=("self",))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    return list(pks[:limit] if limit is not None else pks)


def lock_contract_block(block_id: int) -> ContractBlock:
    """One contract block (`billing_portal.lock_order`: after its contract)."""
    return ContractBlock.objects.select_for_update(no_key=True, of=("self",)).get(pk=block_id)


def lock_authorized_person(person_id: int, *, related: Sequence[str] = ()) -> AuthorizedPerson:
    """One authorized person, taken alone (`billing_portal.lock_order`, the last step)."""
    return (
        AuthorizedPerson.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .get(pk=person_id)
    )

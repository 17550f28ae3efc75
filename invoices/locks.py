"""Row locks of the invoices app, taken in the order of `billing_portal.lock_order`:
documents after payments and subscriptions and before customers, wallets and
contracts, several in pk order; the number series last.

Every lock is FOR NO KEY UPDATE of the app's own row (a payment row or a notice
inserted for a locked document is not held up); `related` rows are joined and read,
not locked."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .models import Document, NumberSeries


def lock_document(document_id: int, *, related: Sequence[str] = ()) -> Document:
    """One document (`billing_portal.lock_order`: after its subscriptions, before the
    wallet and the contract)."""
    return (
        Document.objects.select_for_update(no_key=True, of=("self",))
        .select_related(*related)
        .get(pk=document_id)
    )


def lock_documents(document_ids: Iterable[int]) -> dict[int, Document]:
    """These documents, in pk order, in one statement: {pk: document}
    (`billing_portal.lock_order`), so two payments of overlapping documents queue."""
    return {
        document.pk: document
        for document in Document.objects.select_for_update(no_key=True, of=("self",))
        .filter(pk__in=set(document_ids))
        .order_by("pk")
    }


def lock_series(*, kind: str, year: int) -> NumberSeries:
    """The counter row of a document series and year; it must exist
    (`billing_portal.lock_order`: the last row an issuing transaction waits for)."""
    return NumberSeries.objects.select_for_update(no_key=True, of=("self",)).get(
        kind=kind, year=year
    )

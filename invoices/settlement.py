"""The payment state of documents: what the payments and credits apps call when
money is allocated, and what happens once a document is paid."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F

from accounts.services import snapshot, write_audit
from billing_portal.errors import InvalidDocumentState
from billing_portal.kinds import ProductKind
from billing_portal.money import ZERO

from .models import Document, DocumentKind, DocumentStatus

logger = logging.getLogger(__name__)


def apply_payment(*, document: Document, amount: Decimal, paid_on: date) -> Document:
    """Add a (signed) allocated amount to a document locked by the caller.

    amount_paid moves with F() so it always equals the sum of the allocations; the
    status follows it. A document that becomes paid is settled after commit.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_payment must run inside the caller's transaction")
    if document.kind == DocumentKind.CREDIT_NOTE:
        raise InvalidDocumentState(document=document.number)
    if document.status == DocumentStatus.CANCELLED:
        # money may only leave a cancelled document (re-booked elsewhere or returned)
        if amount >= ZERO:
            raise InvalidDocumentState(document=document.number)
        Document.objects.filter(pk=document.pk).update(amount_paid=F("amount_paid") + amount)
        document.refresh_from_db(fields=["amount_paid"])
        if document.amount_paid < ZERO:
            raise InvalidDocumentState(document=document.number)
        return document
    before = snapshot(document)
    Document.objects.filter(pk=document.pk).update(amount_paid=F("amount_paid") + amount)
    document.refresh_from_db(fields=["amount_paid"])
    if document.amount_paid < ZERO or document.amount_paid > document.total_gross:
        raise InvalidDocumentState(document=document.number, amount_paid=str(document.amount_paid))
    was_paid = document.status == DocumentStatus.PAID
    if document.amount_paid == document.total_gross:
        document.status, document.paid_on = DocumentStatus.PAID, document.paid_on or paid_on
    elif document.amount_paid > ZERO:
        document.status, document.paid_on = DocumentStatus.PARTLY_PAID, None
    else:
        document.status, document.paid_on = DocumentStatus.OPEN, None
    document.save(update_fields=["status", "paid_on"])
    write_audit(
        event="document.payment_applied",
        subject=document,
        actor_label="payments",
        before=before,
        after=snapshot(document),
    )
    if document.contract_id is not None:
        from .dunning import schedule_unblock

        schedule_unblock(contract_id=document.contract_id, settled_on=paid_on)
    if document.status == DocumentStatus.PAID and not was_paid:
        from .tasks import settle_paid_document_task

        document_id = document.pk
        transaction.on_commit(lambda: settle_paid_document_task.delay(document_id))
    return document


def settle_paid_document(*, document_id: int) -> None:
    """Once paid: the tax invoice (for a payment request, dated by the payment) and
    the fulfilment registry. Idempotent, so a retried task changes nothing."""
    from .services import fulfil_document, issue_tax_invoice_for_paid_request

    document = Document.objects.get(pk=document_id)
    if document.status != DocumentStatus.PAID:
        return
    # Paid from credit by a customer who is not a VAT payer: the VAT was invoiced at the
    # top-up, so no further tax document (domain.md, "Credit wallet").
    credit_without_tax = document.paid_by_credit and not document.buyer.get("vat_payer")
    # A credit top-up is an advance: documented by the credits app's zero-amount tax
    # invoice (non-VAT-payers), taxed when the credit is spent (VAT payers).
    top_up = document.lines.filter(product_kind=ProductKind.CREDIT_TOPUP).exists()
    if document.kind == DocumentKind.PAYMENT_REQUEST and not credit_without_tax and not top_up:
        try:
            issue_tax_invoice_for_paid_request(payment_request=document, paid_on=document.paid_on)
        except InvalidDocumentState as exc:
            logger.warning("tax invoice for %s left to accounting: %s", document.number, exc)
            write_audit(
                event="tax_invoice.needs_accounting", subject=document, note=str(exc.message)
            )
    first_time = document.fulfilled_at is None
    fulfil_document(document=document, paid_on=document.paid_on)
    if (
        first_time
        and document.kind == DocumentKind.TAX_INVOICE
        and not document.related_document_id
    ):
        from .tasks import send_payment_received_email_task

        transaction.on_commit(lambda: send_payment_received_email_task.delay(document_id))


def settle_paid_documents(*, document_ids: list[int]) -> int:
    """Settle a batch of documents paid together (the set-based auto-charge), each in
    its own transaction; one that fails is handed to its own retried task, so a bad
    document neither stops the batch nor settles the others twice."""
    from .tasks import settle_paid_document_task

    settled = 0
    for document_id in document_ids:
        try:
            with transaction.atomic():
                settle_paid_document(document_id=document_id)
            settled += 1
        except Exception:
            logger.exception("settlement of document %s failed; retried alone", document_id)
            settle_paid_document_task.delay(document_id)
    return settled

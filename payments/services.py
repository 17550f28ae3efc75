"""What staff do with payments: assign or split, re-book, return, discard; and the
job that proposes returns of payments nobody could pair."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.locks import lock_contracts
from accounts.services import job_run, snapshot, write_audit
from billing_portal.errors import BillingError, InvalidDocumentState, ValidationFailed
from billing_portal.money import ZERO, quantize
from invoices.locks import lock_documents
from invoices.models import Document

from .locks import lock_transaction
from .models import Allocation, BankTransaction, PaymentReturn, TransactionStatus
from .pairing import allocate, credit_to_wallet

STAFF_HANDLES = (
    TransactionStatus.REVIEW,
    TransactionStatus.UNPROCESSED,
    TransactionStatus.PAIRED,
    TransactionStatus.RETURN_PROPOSED,
)


def _lock_tx(tx: BankTransaction) -> BankTransaction:
    return lock_transaction(tx.pk)


def _lock_documents(ids: list[int]) -> dict[int, Document]:
    """The documents a payment pays, in pk order, then their contracts in pk order
    (`billing_portal.lock_order`): paying each schedules its contract's unblock, which
    must not lock the contracts in the order of the parts."""
    documents = lock_documents(ids)
    lock_contracts(document.contract_id for document in documents.values())
    return documents


@transaction.atomic
def assign_transaction(
    *, tx: BankTransaction, splits: list[tuple[Document, Decimal]], actor: Any, note: str = ""
) -> list[Allocation]:
    """Staff assign a payment to one document or split it across several; the parts
    must add up to what is still unallocated of the payment."""
    tx = _lock_tx(tx)
    if tx.direction != BankTransaction.Direction.CREDIT or tx.status not in STAFF_HANDLES:
        raise InvalidDocumentState(_("This payment cannot be assigned."), transaction=tx.pk)
    parts = [(document, quantize(amount)) for document, amount in splits]
    if not parts or any(amount <= ZERO for _d, amount in parts):
        raise ValidationFailed(_("Every part must be a positive amount."))
    if sum((amount for _d, amount in parts), ZERO) != tx.unallocated:
        raise ValidationFailed(
            _("The parts must add up to %(amount)s %(currency)s.")
            % {"amount": tx.unallocated, "currency": tx.currency}
        )
    documents = _lock_documents([d.pk for d, _a in parts])
    allocations = []
    for document, amount in parts:
        locked = documents[document.pk]
        if locked.currency != tx.currency:
            raise ValidationFailed(_("A payment pays documents of its own currency only."))
        if not locked.is_payable or amount > locked.amount_due:
            raise ValidationFailed(
                _("Document %(number)s has only %(due)s %(currency)s left to pay.")
                % {"number": locked.number, "due": locked.amount_due, "currency": locked.currency}
            )
        allocations.append(
            allocate(tx=tx, document=locked, amount=amount, rule=Allocation.Rule.MANUAL,
                     actor=actor, note=note)
        )  # fmt: skip
    before = snapshot(tx)
    if tx.status == TransactionStatus.RETURN_PROPOSED:  # assigned instead of returned
        PaymentReturn.objects.filter(transaction=tx, status=PaymentReturn.Status.PROPOSED).update(
            status=PaymentReturn.Status.CANCELLED
        )
    tx.status = TransactionStatus.PAIRED
    tx.processed_at = tx.processed_at or timezone.now()
    tx.save(update_fields=["status", "processed_at"])
    write_audit(event="payment.assigned", subject=tx, actor=actor, before=before,
                after=snapshot(tx), note=note)  # fmt: skip
    return allocations


@transaction.atomic
def credit_payment_to_wallet(
    *, tx: BankTransaction, customer: Any, actor: Any, note: str
) -> Decimal:
    """Staff credit what is unallocated of a payment to a customer's credit wallet (a
    customer topping up without a payment request, a surplus the product did not
    send there). The wallet must be the customer's, active, in the payment's currency."""
    if not note.strip():
        raise ValidationFailed(_("Crediting a payment needs a note."))
    tx = _lock_tx(tx)
    if tx.direction != BankTransaction.Direction.CREDIT or tx.status not in STAFF_HANDLES:
        raise InvalidDocumentState(_("This payment cannot be credited."), transaction=tx.pk)
    amount = tx.unallocated
    if amount <= ZERO:
        raise InvalidDocumentState(_("Nothing of this payment is unallocated."), transaction=tx.pk)
    before = snapshot(tx)
    credited = credit_to_wallet(
        tx=tx,
        customer=customer,
        amount=amount,
        source_key=f"payment:{tx.pk}:{tx.credited_amount}",
        document=None,
        reason=note.strip()[:1000],
        actor=actor,
    )
    if credited != amount:
        raise ValidationFailed(
            _("The customer's credit wallet cannot take this payment (another currency, or "
              "the wallet is not active).")
        )  # fmt: skip
    if tx.status == TransactionStatus.RETURN_PROPOSED:  # credited instead of returned
        PaymentReturn.objects.filter(transaction=tx, status=PaymentReturn.Status.PROPOSED).update(
            status=PaymentReturn.Status.CANCELLED
        )
    tx.status = TransactionStatus.PAIRED
    tx.processed_at = tx.processed_at or timezone.now()
    tx.save(update_fields=["status", "processed_at"])
    write_audit(event="payment.credited_to_wallet", subject=tx, actor=actor, before=before,
                after={**snapshot(tx), "customer": customer.pk}, note=note)  # fmt: skip
    return credited


@transaction.atomic
def rebook_allocation(
    *, allocation: Allocation, to_document: Document, actor: Any, note: str
) -> Allocation:
    """Přeúčtování: move an allocation to another document (a negative row on the old
    document, a positive one on the new); audited, never an update."""
    if not note.strip():
        raise ValidationFailed(_("A re-booking needs a note."))
    tx = _lock_tx(allocation.transaction)
    documents = _lock_documents([allocation.document_id, to_document.pk])
    old, new = documents[allocation.document_id], documents[to_document.pk]
    net = sum((a.amount for a in Allocation.objects.filter(transaction=tx, document=old)), ZERO)
    if net <= ZERO:
        raise InvalidDocumentState(_("This allocation was already re-booked."))
    if old.fulfilled_at is not None:
        raise InvalidDocumentState(
            _("Document %(number)s was already delivered on this payment; correct it with a "
              "credit note first.") % {"number": old.number}
        )  # fmt: skip
    if new.currency != tx.currency or not new.is_payable or new.amount_due < net:
        raise ValidationFailed(
            _("Document %(number)s cannot take %(amount)s %(currency)s.")
            % {"number": new.number, "amount": net, "currency": tx.currency}
        )
    allocate(tx=tx, document=old, amount=-net, rule=Allocation.Rule.REBOOK, actor=actor,
             note=note)  # fmt: skip
    moved = allocate(tx=tx, document=new, amount=net, rule=Allocation.Rule.REBOOK, actor=actor,
                     note=note)  # fmt: skip
    write_audit(
        event="payment.rebooked",
        subject=tx,
        actor=actor,
        before={"document": old.number, "amount": str(net)},
        after={"document": new.number, "amount": str(net)},
        note=note,
    )
    return moved


@transaction.atomic
def mark_for_return(*, tx: BankTransaction, actor: Any, reason: str) -> PaymentReturn:
    """Propose sending the unallocated part of a payment back to the payer."""
    tx = _lock_tx(tx)
    if tx.direction != BankTransaction.Direction.CREDIT or tx.status not in STAFF_HANDLES:
        raise InvalidDocumentState(_("This payment cannot be returned."), transaction=tx.pk)
    if tx.unallocated <= ZERO:
        raise InvalidDocumentState(_("Nothing of this payment is left to return."))
    if not tx.counterparty_account:
        raise ValidationFailed(_("The payer's account is unknown: return it by hand."))
    before = snapshot(tx)
    payment_return, created = PaymentReturn.objects.get_or_create(
        transaction=tx,
        defaults={
            "amount": tx.unallocated,
            "currency": tx.currency,
            "status": PaymentReturn.Status.PROPOSED,
            "reason": reason,
            "end_to_end_id": f"RET{uuid.uuid4().hex[:24].upper()}",
        },
    )
    if not created and payment_return.status == PaymentReturn.Status.CANCELLED:
        payment_return.amount, payment_return.reason = tx.unallocated, reason
        payment_return.status = PaymentReturn.Status.PROPOSED
        payment_return.save(update_fields=["amount", "reason", "status"])
    tx.status = TransactionStatus.RETURN_PROPOSED
    tx.save(update_fields=["status"])
    write_audit(event="payment.return_proposed", subject=tx, actor=actor, before=before,
                after=snapshot(tx), note=reason)  # fmt: skip
    return payment_return


@transaction.atomic
def discard_transaction(*, tx: BankTransaction, actor: Any, note: str) -> BankTransaction:
    """Staff decide a payment needs nothing more (e.g. settled outside the system)."""
    if not note.strip():
        raise ValidationFailed(_("Discarding a payment needs a note."))
    tx = _lock_tx(tx)
    if tx.status not in (TransactionStatus.REVIEW, TransactionStatus.UNPROCESSED):
        raise InvalidDocumentState(_("Only a payment waiting for review can be discarded."))
    before = snapshot(tx)
    tx.status, tx.note = TransactionStatus.DISCARDED, note
    tx.save(update_fields=["status", "note"])
    write_audit(event="payment.discarded", subject=tx, actor=actor, before=before,
                after=snapshot(tx), note=note)  # fmt: skip
    return tx


def propose_returns(*, today: date | None = None, after_days: int | None = None) -> dict:
    """Daily job: payments still unpaired after the set time are proposed for return."""
    today = today or timezone.localdate()
    after_days = after_days or settings.BILLING["UNPAIRED_RETURN_AFTER_DAYS"]
    cutoff = today - timedelta(days=after_days)
    with job_run("propose_returns") as counts:
        counts["proposed"] = 0
        due = BankTransaction.objects.filter(
            status=TransactionStatus.REVIEW,
            direction=BankTransaction.Direction.CREDIT,
            is_reversal=False,  # a bank reversal is not the payer's money to send back
            booking_date__lte=cutoff,
        ).exclude(counterparty_account="")
        for tx in due.order_by("pk"):
            try:
                mark_for_return(
                    tx=tx,
                    actor=None,
                    reason=_("Unpaired for more than %(days)s days.") % {"days": after_days},
                )
            except BillingError as exc:  # staff handled it meanwhile: reported, run goes on
                counts.error(f"bank transaction {tx.pk}", str(exc.message))
                continue
            counts["proposed"] += 1
    return dict(counts)

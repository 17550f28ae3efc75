"""Pairing received payments to documents, rule by rule, every 15 minutes.

Rules, in order (domain.md): the exact VS of an open document in the payment's
currency; a VS written in the message; the specific symbol; the sender's account
history together with the amount. A rule that finds more than one candidate does not
guess: the payment goes to the review queue with the candidates.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.outbox import record_event
from accounts.services import job_run
from billing_portal import hooks
from billing_portal.events import EventType
from billing_portal.money import ZERO
from invoices.locks import lock_document
from invoices.models import Document, DocumentKind, DocumentPayment, DocumentStatus, Product
from invoices.settlement import record_payment

from .account_key import account_keys
from .models import Allocation, BankTransaction, TransactionStatus

logger = logging.getLogger(__name__)

VS_IN_TEXT = re.compile(r"(?<!\d)(\d{6,10})(?!\d)")

# Test hook: called between reading candidates and writing allocations, so tests can
# widen the race window of two concurrent runs. Never set in production.
BEFORE_WRITE: Callable[[BankTransaction], None] | None = None


@dataclass(frozen=True)
class Decision:
    rule: str
    documents: tuple[Document, ...]
    reason: str = ""


def _receivables(tx: BankTransaction) -> QuerySet[Document]:
    return Document.objects.receivable().filter(currency=tx.currency)


def _by_vs(tx: BankTransaction, symbols: set[str]) -> tuple[list[Document], list[Document]]:
    """Open documents with these VS: (same currency, other currency)."""
    found = list(Document.objects.receivable().filter(variable_symbol__in=symbols))
    same = [d for d in found if d.currency == tx.currency]
    return same, [d for d in found if d.currency != tx.currency]


def decide(tx: BankTransaction) -> Decision:
    """Which document(s) the payment belongs to, and by which rule; no writes.

    Payer accounts are compared by `counterparty_key` (payments/account_key.py), the
    shared accounts of the setting by the same key: an IBAN and the domestic number
    of one account are one payer."""
    if tx.counterparty_key in account_keys(settings.BILLING["SHARED_PAYER_ACCOUNTS"]):
        return Decision("", (), gettext_noop("Paid from a shared account (e.g. a post-office "
                                             "deposit): pair it by hand."))  # fmt: skip
    if tx.variable_symbol:
        same, other = _by_vs(tx, {tx.variable_symbol})
        if same:
            return Decision(Allocation.Rule.EXACT_VS, tuple(same))
        if other:
            return Decision(
                "", tuple(other), gettext_noop("The currency differs from the document's.")
            )
        settled = list(
            Document.objects.filter(variable_symbol=tx.variable_symbol, currency=tx.currency)
            .exclude(status=DocumentStatus.CANCELLED)
            .exclude(kind=DocumentKind.CREDIT_NOTE)
        )
        if settled:  # paid twice: never let a later rule guess another document
            return Decision("", tuple(settled), gettext_noop("The document is already paid."))
    in_text = set(VS_IN_TEXT.findall(tx.message)) - {tx.variable_symbol}
    in_text = {s.lstrip("0") for s in in_text}
    if in_text:
        same, other = _by_vs(tx, in_text)
        if same:
            return Decision(Allocation.Rule.VS_IN_MESSAGE, tuple(same))
        if other:
            return Decision(
                "", tuple(other), gettext_noop("The currency differs from the document's.")
            )
    if tx.specific_symbol:
        same = list(_receivables(tx).filter(variable_symbol=tx.specific_symbol))
        if not same:
            same = [
                d
                for d in _receivables(tx).filter(
                    contract__number=f"F{tx.specific_symbol.zfill(10)}"
                )
                if d.amount_due == tx.amount
            ]
        if same:
            return Decision(Allocation.Rule.SPECIFIC_SYMBOL, tuple(same))
    if tx.counterparty_key:
        contracts = set(
            Allocation.objects.filter(
                transaction__counterparty_key=tx.counterparty_key,
                transaction__bank_account__currency=tx.currency,
                amount__gt=0,
            )
            .exclude(transaction=tx)
            .values_list("document__contract_id", flat=True)
        )
        if len(contracts) == 1 and None not in contracts:
            same = [d for d in _receivables(tx).filter(contract_id=contracts.pop())
                    if d.amount_due == tx.amount]  # fmt: skip
            if same:
                return Decision(Allocation.Rule.SENDER_HISTORY, tuple(same))
    return Decision("", (), gettext_noop("No open document matches the payment."))


def allocate(
    *,
    tx: BankTransaction,
    document: Document,
    amount: Decimal,
    rule: str,
    actor: Any = None,
    note: str = "",
) -> Allocation:
    """One allocation row and the payment row it writes on the document (invoices
    settles it); both rows (payment and document) are locked by the caller."""
    if amount == ZERO:
        raise ValueError("zero allocation")
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = user.get_username() if user else "pairing"
    sequence = Allocation.objects.filter(transaction=tx).count() + 1
    payment = record_payment(
        document=document,
        amount=amount,
        source=DocumentPayment.Source.BANK,
        source_key=f"bank:{tx.pk}:{sequence}",
        paid_on=tx.booking_date,
        actor=user,
        actor_label=label,
        note=note,
    )
    allocation = Allocation.objects.create(
        transaction=tx,
        document=document,
        document_payment=payment,
        amount=amount,
        rule=rule,
        actor=user,
        actor_label=label,
        note=note,
    )
    BankTransaction.objects.filter(pk=tx.pk).update(allocated_amount=F("allocated_amount") + amount)
    tx.refresh_from_db(fields=["allocated_amount"])
    return allocation


def credit_surplus(*, tx: BankTransaction, document: Document, amount: Decimal) -> Decimal:
    """Send the overpaid part of a payment to the customer's credit wallet when every
    product on the document says so (`Product.overpayment_policy`) and the credits app
    takes it (a wallet in the payment's currency, active). Otherwise it stays
    unallocated: visible to staff and proposed for return after the set time.

    Called under the payment's and the document's locks, before the allocation, so
    the wallet is locked before the contract (`billing_portal.lock_order`).
    """
    policies = set(
        document.lines.exclude(product=None).values_list("product__overpayment_policy", flat=True)
    )
    if policies - {Product.OverpaymentPolicy.CREDIT}:
        return ZERO
    reason = f"{tx.booking_date.isoformat()} {tx.bank_reference or tx.natural_key}"
    return credit_to_wallet(
        tx=tx,
        customer=document.customer,
        amount=amount,
        source_key=f"surplus:{tx.pk}",
        document=document,
        reason=reason[:200],
    )


def credit_to_wallet(
    *,
    tx: BankTransaction,
    customer: Any,
    amount: Decimal,
    source_key: str,
    document: Document | None,
    reason: str,
    actor: Any = None,
) -> Decimal:
    """Hand `amount` of a locked payment to the credits app (the `credit_payment_surplus`
    hook) and count what it took as credited on the payment; ZERO when nobody took it."""
    credited = hooks.credit_payment_surplus.call(
        customer=customer,
        amount=amount,
        currency=tx.currency,
        source_key=source_key,
        document=document,
        reason=reason,
        actor=actor,
    )
    if credited:
        BankTransaction.objects.filter(pk=tx.pk).update(
            credited_amount=F("credited_amount") + credited
        )
        tx.refresh_from_db(fields=["credited_amount"])
    return credited


def _to_review(tx: BankTransaction) -> str:
    """The payment waits for accounting: saved, and told to the outbox."""
    tx.save(update_fields=["status", "review_reason", "candidates", "processed_at"])
    record_event(
        EventType.PAYMENT_UNMATCHED,
        tx,
        {
            "amount": str(tx.amount),
            "currency": tx.currency,
            "booking_date": tx.booking_date.isoformat(),
            "variable_symbol": tx.variable_symbol,
            "reason": tx.review_reason,
            "candidates": tx.candidates,
        },
    )
    return tx.status


def pair_transaction(tx: BankTransaction) -> str:
    """Pair one locked, unprocessed credit; returns the new status."""
    decision = decide(tx)
    if BEFORE_WRITE is not None:
        BEFORE_WRITE(tx)
    tx.processed_at = timezone.now()
    if not decision.rule or len(decision.documents) != 1:
        tx.status = TransactionStatus.REVIEW
        tx.review_reason = decision.reason or gettext_noop(
            "More than one document matches: choose one."
        )
        tx.candidates = [d.pk for d in decision.documents]
        return _to_review(tx)
    document = lock_document(decision.documents[0].pk)
    due = document.amount_due if document.is_payable else ZERO
    if due == ZERO:
        tx.status = TransactionStatus.REVIEW
        tx.review_reason = gettext_noop("The matching document is already paid.")
        tx.candidates = [document.pk]
        return _to_review(tx)
    amount = min(due, tx.unallocated)
    if tx.unallocated > amount:
        credit_surplus(tx=tx, document=document, amount=tx.unallocated - amount)
    allocate(tx=tx, document=document, amount=amount, rule=decision.rule)
    tx.status = TransactionStatus.PAIRED
    tx.candidates = [document.pk]
    tx.save(update_fields=["status", "candidates", "processed_at"])
    return tx.status


def pair_transactions(*, batch_size: int | None = None) -> dict[str, int]:
    """The periodic job. Unprocessed credits are read in bounded batches; each one is
    then locked with skip_locked and paired in its own short transaction, so
    concurrent runs take disjoint payments, document locks are held for one payment
    only (no deadlock between runs or with staff), and one failure does not stop the
    run."""
    batch_size = batch_size or settings.BILLING["PAIRING_BATCH_SIZE"]
    passed: set[int] = set()  # failed here, or taken by a concurrent run
    waiting = BankTransaction.objects.filter(
        status=TransactionStatus.UNPROCESSED, direction=BankTransaction.Direction.CREDIT
    )
    with job_run("pair_payments") as counts:
        for key in ("paired", "review"):
            counts[key] = 0
        while True:
            ids = list(
                waiting.exclude(pk__in=passed)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            for tx_id in ids:
                try:
                    with transaction.atomic():
                        tx = (
                            waiting.select_for_update(no_key=True, skip_locked=True, of=("self",))
                            .filter(pk=tx_id)
                            .first()
                        )
                        if tx is None:
                            passed.add(tx_id)
                            continue
                        status = pair_transaction(tx)
                    counts["paired" if status == TransactionStatus.PAIRED else "review"] += 1
                except Exception as exc:  # recorded on the JobRun, the run goes on
                    logger.exception("pairing of bank transaction %s failed", tx_id)
                    counts.error(f"bank transaction {tx_id}", str(exc))
                    passed.add(tx_id)
            if len(ids) < batch_size:
                break
    return dict(counts)

"""Every movement of prepaid credit.

All balance changes go through `_post`: it locks the wallet row, is idempotent on the
entry's `source_key`, moves the cached balance with F() and appends the ledger row in
the same transaction. Locks follow `billing_portal.lock_order` (the document, the
customer, then the wallet, then the contract).

Decisions:
- A reversal reverses a top-up (negative) or a charge (positive). A charge whose
  document is still paid is NOT reversed: the request was settled (tax invoice issued,
  subscription extended) and un-paying it cannot be done cleanly here. Give the money
  back with a credit note on the tax invoice and `adjust`/`refund`. A charge whose
  document is no longer paid (accounting moved the payment off it) may be reversed.
  Reversals, refunds, adjustments and surpluses are never reversed; correct them with
  `adjust`.
- `charge_request` charges only an OPEN request with nothing paid on it yet; a partly
  paid one is refused (InvalidDocumentState), since the net/gross split of the rest is
  ambiguous.
- The top-up fulfilment handler credits, once per document, the sum of the net amounts
  of the document's credit_topup lines (a request from `request_top_up` has one line).
"""

from __future__ import annotations

import logging
import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Round
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.locks import lock_customer
from accounts.models import Customer
from accounts.outbox import defer, record_event
from accounts.services import snapshot, write_audit
from billing_portal.errors import (
    CurrencyLocked,
    InsufficientCredit,
    InvalidDocumentState,
    ValidationFailed,
)
from billing_portal.events import EventType
from billing_portal.kinds import NOT_PAYABLE_BY_CREDIT, ProductKind
from billing_portal.money import ZERO, quantize
from invoices.locks import lock_document
from invoices.models import Document, DocumentKind, DocumentPayment, DocumentStatus, Product
from invoices.settlement import record_payment

from . import selectors
from .locks import lock_wallet
from .models import LedgerEntry, Wallet

logger = logging.getLogger(__name__)

Kind = LedgerEntry.Kind
LOW_BALANCE_TASK = "credits.tasks.send_low_balance_email_task"


def _actor_user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def _require_reason(reason: str) -> str:
    if not reason or not reason.strip():
        raise ValidationFailed(_("A reason is required."))
    return reason.strip()


def _positive(amount: Decimal) -> Decimal:
    amount = quantize(Decimal(amount))
    if amount <= ZERO:
        raise ValidationFailed(_("The amount must be positive."), amount=str(amount))
    return amount


def wallet_for(customer: Customer) -> Wallet:
    """The customer's wallet, created in the customer's currency on first use. A
    wallet's currency never changes (nor does the customer's)."""
    wallet, _created = Wallet.objects.get_or_create(
        customer=customer, defaults={"currency": customer.currency}
    )
    return wallet


def _post(wallet_id: int, **kwargs: Any) -> LedgerEntry:
    """Append one entry and move the cached balance, under the wallet's row lock.

    Idempotent: an entry with the same source_key is returned as it is.
    """
    return _post_entry(wallet_id, **kwargs)[0]


def _post_entry(
    wallet_id: int,
    *,
    kind: str,
    amount: Decimal,
    source_key: str,
    document: Document | None = None,
    actor: Any = None,
    reason: str = "",
    reverses: LedgerEntry | None = None,
    document_payment: Any = None,
) -> tuple[LedgerEntry, bool]:
    """`_post`, also telling whether the entry was created now."""
    with transaction.atomic():
        wallet = lock_wallet(wallet_id)
        existing = LedgerEntry.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing, False
        amount = quantize(Decimal(amount))
        if amount == ZERO:
            raise ValidationFailed(_("The amount must not be zero."))
        old_balance = wallet.balance
        new_balance = old_balance + amount
        if new_balance < ZERO:
            # the DB CHECK (balance >= 0) is the backstop
            raise InsufficientCredit(
                balance=str(old_balance), amount=str(-amount), currency=wallet.currency
            )
        # Round(): exact on PostgreSQL; on SQLite (REAL arithmetic) it stops the drift
        # (2.01 - 2.00 - 0.01 < 0) from tripping the CHECK.
        changes: dict[str, Any] = {"balance": Round(F("balance") + amount, 2)}
        alert = False
        threshold = wallet.low_balance_threshold
        if threshold is not None:
            if old_balance >= threshold > new_balance and not wallet.low_balance_alerted:
                changes["low_balance_alerted"] = True
                alert = True
            elif new_balance >= threshold and wallet.low_balance_alerted:
                changes["low_balance_alerted"] = False
        Wallet.objects.filter(pk=wallet_id).update(**changes)
        wallet.refresh_from_db(fields=["balance", "low_balance_alerted"])
        user = _actor_user(actor)
        entry = LedgerEntry.objects.create(
            wallet=wallet,
            kind=kind,
            amount=amount,
            balance_after=wallet.balance,
            source_key=source_key,
            document=document,
            reverses=reverses,
            document_payment=document_payment,
            actor=user,
            actor_label=user.get_username() if user else "system",
            reason=reason,
        )
        if kind == Kind.CHARGE:
            record_event(EventType.CREDIT_CHARGED, wallet, _charged_payload(entry, document))
        if alert:
            alert_low_balance(wallet=wallet)
        return entry, True


def _charged_payload(entry: LedgerEntry, document: Document | None) -> dict[str, Any]:
    """What `credit.charged` carries besides its subject, the wallet (kept small: the
    auto-charge writes 50,000 of them in a run)."""
    return {
        "document": document.number if document is not None else None,
        "amount": str(-entry.amount),
        "balance_after": str(entry.balance_after),
    }


def alert_low_balance(*, wallet: Wallet) -> None:
    """The balance fell below the customer's threshold: an outbox event, and the
    e-mail after commit (in the caller's transaction, which flagged the wallet)."""
    record_event(
        EventType.CREDIT_LOW,
        wallet,
        {
            "customer": wallet.customer_id,
            "balance": str(wallet.balance),
            "threshold": str(wallet.low_balance_threshold),
            "currency": wallet.currency,
        },
    )
    defer(LOW_BALANCE_TASK, wallet.pk, str(wallet.balance))


def send_low_balance_email(*, wallet_id: int, balance: Decimal) -> bool:
    """Tell the customer their balance fell below their threshold (after commit)."""
    wallet = Wallet.objects.select_related("customer").get(pk=wallet_id)
    customer = wallet.customer
    if not customer.email:
        return False
    with translation.override(customer.language):
        context = {
            "wallet": wallet,
            "customer": customer,
            "balance": balance,
            "threshold": wallet.low_balance_threshold,
            "currency": wallet.currency,
            "seller": settings.BILLING["SELLER"],
        }
        message = EmailMultiAlternatives(
            subject=" ".join(render_to_string("email/low_balance_subject.txt", context).split()),
            body=render_to_string("email/low_balance.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[customer.email],
        )
    message.send()
    logger.info("low-balance alert for wallet %s sent to %s", wallet_id, customer.email)
    return True


# --- top-up ----------------------------------------------------------------------------


@transaction.atomic
def credit_top_up(*, document: Document, amount: Decimal, paid_on: date) -> LedgerEntry:
    """Credit a paid top-up document to its customer's wallet, once per document."""
    wallet = wallet_for(document.customer)
    if wallet.currency != document.currency:
        raise CurrencyLocked(wallet_currency=wallet.currency, document_currency=document.currency)
    return _post(
        wallet.pk,
        kind=Kind.TOP_UP,
        amount=_positive(amount),
        source_key=f"top_up:{document.pk}",
        document=document,
        reason=f"paid {paid_on.isoformat()}",
    )


def fulfil_top_up_line(*, line: Any, document: Any, paid_on: date) -> None:
    """Fulfilment handler of product kind credit_topup: credit the NET amount (VAT was
    invoiced on the top-up itself). Every top-up line of the document in one entry."""
    total = sum(
        (
            other.net_amount
            for other in document.lines.all()
            if other.product_kind == ProductKind.CREDIT_TOPUP
        ),
        ZERO,
    )
    credit_top_up(document=document, amount=total or line.net_amount, paid_on=paid_on)


@transaction.atomic
def request_top_up(
    *,
    customer: Customer,
    net_amount: Decimal,
    actor: Any = None,
    contract: Any = None,
) -> Document:
    """Issue a payment request for topping up `net_amount` of credit: gross (with VAT)
    for customers who are not VAT payers, net for VAT payers. (A partner's retried call
    is made safe by the API's idempotency keys, `accounts.idempotency`.)"""
    from invoices.services import LineSpec, issue_payment_request

    net_amount = _positive(net_amount)
    customer = lock_customer(customer.pk)
    product = (
        Product.objects.filter(kind=ProductKind.CREDIT_TOPUP, active=True).order_by("pk").first()
    )
    if product is None:
        raise ValidationFailed(_("No credit top-up product is available."))
    wallet = wallet_for(customer)
    if wallet.currency != customer.currency:
        raise CurrencyLocked(wallet_currency=wallet.currency, currency=customer.currency)
    if not wallet.active:
        raise ValidationFailed(_("The credit wallet is not active."))
    line = LineSpec(
        description=product.name_in(customer.language),
        unit_price=net_amount,
        product=product,
        vat_category=product.vat_category,
        vat_rate=Decimal("0") if customer.vat_payer else None,
    )
    document = issue_payment_request(
        customer=customer, contract=contract, lines=[line], actor=actor
    )
    write_audit(
        event=selectors.TOP_UP_REQUESTED,
        subject=customer,
        actor=actor,
        after={
            "document": document.pk,
            "number": document.number,
            "net_amount": str(net_amount),
        },
    )
    return document


def credit_payment_surplus(
    *,
    customer: Customer,
    amount: Decimal,
    currency: str,
    source_key: str,
    document: Document | None,
    reason: str,
    actor: Any = None,
) -> Decimal:
    """The `credit_payment_surplus` hook (billing_portal.hooks): the overpaid part of a
    payment (with the document it overpaid), or a payment staff credit (without one),
    becomes credit, once per source. Returns what was credited now; ZERO when the
    wallet is in another currency or inactive (the payments app then leaves it
    unallocated)."""
    wallet = wallet_for(customer)
    if wallet.currency != currency or not wallet.active:
        logger.info("surplus %s %s of %s not credited: wallet", amount, currency, document)
        return ZERO
    entry, created = _post_entry(
        wallet.pk,
        kind=Kind.SURPLUS if document is not None else Kind.PAYMENT,
        amount=_positive(amount),
        source_key=source_key,
        document=document,
        reason=reason,
        actor=actor,
    )
    return entry.amount if created else ZERO


# --- charge ----------------------------------------------------------------------------


@transaction.atomic
def charge_request(*, request: Document, actor: Any = None) -> LedgerEntry:
    """Pay an open payment request from the customer's wallet. Idempotent per request.

    Locks in the order of `billing_portal.lock_order`: the request, the wallet, then
    (paying the document) its contract."""
    locked = lock_document(request.pk)
    source_key = f"charge:{locked.pk}"
    existing = LedgerEntry.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    if locked.kind != DocumentKind.PAYMENT_REQUEST:
        raise InvalidDocumentState(
            _("Only a payment request can be paid by credit."), document=locked.number
        )
    if locked.status != DocumentStatus.OPEN or locked.amount_paid != ZERO:
        raise InvalidDocumentState(
            _("Only an unpaid payment request can be paid by credit."), document=locked.number
        )
    wallet = wallet_for(locked.customer)
    if wallet.currency != locked.currency:
        raise CurrencyLocked(wallet_currency=wallet.currency, document_currency=locked.currency)
    kinds = set(locked.lines.values_list("product_kind", flat=True))
    if kinds & set(NOT_PAYABLE_BY_CREDIT):
        raise ValidationFailed(
            _("Dedicated servers and top-ups cannot be paid by credit."), document=locked.number
        )
    if not wallet.active:
        raise ValidationFailed(_("The credit wallet is not active."))
    # VAT payers pay the gross; others the net (their VAT was invoiced at the top-up).
    amount = _positive(locked.amount_due if locked.buyer.get("vat_payer") else locked.total_net)
    wallet = lock_wallet(wallet.pk)
    if wallet.balance < amount:
        raise InsufficientCredit(
            balance=str(wallet.balance), amount=str(amount), currency=wallet.currency
        )
    payment = record_payment(
        document=locked,
        amount=locked.amount_due,
        source=DocumentPayment.Source.CREDIT,
        source_key=source_key,
        paid_on=timezone.localdate(),
        actor=actor,
        actor_label="" if _actor_user(actor) else "credit",
    )
    entry = _post(
        wallet.pk,
        kind=Kind.CHARGE,
        amount=-amount,
        source_key=source_key,
        document=locked,
        actor=actor,
        document_payment=payment,
    )
    write_audit(
        event="credit.charged",
        subject=locked,
        actor=actor,
        after={"entry": entry.pk, "amount": str(entry.amount), "wallet": wallet.pk},
    )
    return entry


# --- staff actions ---------------------------------------------------------------------


@transaction.atomic
def reverse_entry(*, entry: LedgerEntry, actor: Any, reason: str) -> LedgerEntry:
    """Reverse a top-up or a charge (see the module docstring for what is refused)."""
    reason = _require_reason(reason)
    entry = LedgerEntry.objects.get(pk=entry.pk)
    if entry.kind not in (Kind.TOP_UP, Kind.CHARGE):
        raise ValidationFailed(
            _("Only a top-up or a charge can be reversed; use an adjustment."), entry=entry.pk
        )
    document = None
    if entry.document_id is not None:
        document = lock_document(entry.document_id)
        if entry.kind == Kind.CHARGE and document.status == DocumentStatus.PAID:
            raise InvalidDocumentState(
                _(
                    "The charged document is paid; issue a credit note and refund "
                    "or adjust instead."
                ),
                document=document.number,
            )
    reversal, created = _post_entry(
        entry.wallet_id,
        kind=Kind.REVERSAL,
        amount=-entry.amount,
        source_key=f"reversal:{entry.pk}",
        document=document,
        actor=actor,
        reason=reason,
        reverses=entry,
    )
    if not created:
        return reversal
    write_audit(
        event="credit.reversed",
        subject=reversal.wallet,
        actor=actor,
        after=snapshot(reversal),
        note=reason,
    )
    return reversal


def _staff_entry(
    *, wallet: Wallet, kind: str, amount: Decimal, actor: Any, reason: str, event: str
) -> LedgerEntry:
    """A movement staff make by hand: the reason is required, the entry is audited."""
    reason = _require_reason(reason)
    entry = _post(
        wallet.pk,
        kind=kind,
        amount=amount,
        source_key=f"{kind}:{uuid.uuid4()}",
        actor=actor,
        reason=reason,
    )
    write_audit(event=event, subject=entry.wallet, actor=actor, after=snapshot(entry), note=reason)
    return entry


@transaction.atomic
def refund(*, wallet: Wallet, amount: Decimal, actor: Any, reason: str) -> LedgerEntry:
    """Money paid out of the wallet back to the customer."""
    return _staff_entry(
        wallet=wallet,
        kind=Kind.REFUND,
        amount=-_positive(amount),
        actor=actor,
        reason=reason,
        event="credit.refunded",
    )


@transaction.atomic
def adjust(*, wallet: Wallet, amount: Decimal, actor: Any, reason: str) -> LedgerEntry:
    """A signed correction by staff; the reason is required."""
    return _staff_entry(
        wallet=wallet,
        kind=Kind.ADJUSTMENT,
        amount=amount,
        actor=actor,
        reason=reason,
        event="credit.adjusted",
    )


def _set_active(*, wallet: Wallet, active: bool, actor: Any, reason: str) -> Wallet:
    locked = lock_wallet(wallet.pk)
    if locked.active == active:
        return locked
    before = snapshot(locked)
    locked.active = active
    locked.save(update_fields=["active"])
    write_audit(
        event="credit.wallet_activated" if active else "credit.wallet_deactivated",
        subject=locked,
        actor=actor,
        before=before,
        after=snapshot(locked),
        note=reason,
    )
    return locked


@transaction.atomic
def deactivate_wallet(*, wallet: Wallet, actor: Any = None, reason: str = "") -> Wallet:
    """Stop using the wallet for payments; the balance is kept."""
    return _set_active(wallet=wallet, active=False, actor=actor, reason=reason)


@transaction.atomic
def reactivate_wallet(*, wallet: Wallet, actor: Any = None, reason: str = "") -> Wallet:
    return _set_active(wallet=wallet, active=True, actor=actor, reason=reason)


# --- the customer's own settings (portal) ----------------------------------------------


@transaction.atomic
def update_credit_settings(
    *,
    customer: Customer,
    actor: Any,
    auto_pay_by_credit: bool,
    payment_request_emails: bool,
    monthly_statement: bool,
    low_balance_threshold: Decimal | None,
) -> Wallet:
    """The switches a customer sets in the portal: auto-pay, payment-request e-mails,
    the monthly statement and the low-balance threshold. Audited with the person."""
    locked = lock_customer(customer.pk)
    wallet = lock_wallet(wallet_for(locked).pk)
    if low_balance_threshold is not None:
        low_balance_threshold = quantize(Decimal(low_balance_threshold))
        if low_balance_threshold < ZERO:
            raise ValidationFailed(_("The threshold must not be negative."))
    before = {
        "auto_pay_by_credit": locked.auto_pay_by_credit,
        "payment_request_emails": locked.payment_request_emails,
        "monthly_statement": wallet.monthly_statement,
        "low_balance_threshold": wallet.low_balance_threshold,
    }
    after = {
        "auto_pay_by_credit": auto_pay_by_credit,
        "payment_request_emails": payment_request_emails,
        "monthly_statement": monthly_statement,
        "low_balance_threshold": low_balance_threshold,
    }
    if before == after:
        return wallet
    Customer.objects.filter(pk=locked.pk).update(
        auto_pay_by_credit=auto_pay_by_credit, payment_request_emails=payment_request_emails
    )
    changes: dict[str, Any] = {
        "monthly_statement": monthly_statement,
        "low_balance_threshold": low_balance_threshold,
    }
    if low_balance_threshold != wallet.low_balance_threshold:
        # a new threshold starts a new "crossing": alert when the balance is under it
        changes["low_balance_alerted"] = False
    Wallet.objects.filter(pk=wallet.pk).update(**changes)
    write_audit(
        event="customer.credit_settings_changed",
        subject=locked,
        actor=actor,
        before={k: str(v) if isinstance(v, Decimal) else v for k, v in before.items()},
        after={k: str(v) if isinstance(v, Decimal) else v for k, v in after.items()},
    )
    wallet.refresh_from_db()
    return wallet

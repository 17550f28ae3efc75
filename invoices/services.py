"""Every state change of documents: issuing, cancelling, crediting, delivering,
fulfilling, and the daily renewal job."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.locks import lock_contract, lock_subscriptions
from accounts.models import Contract, Customer, Subscription
from accounts.outbox import claim, defer, record_event
from accounts.services import job_run, snapshot, write_audit
from billing_portal import fulfilment
from billing_portal.errors import (
    InvalidDocumentState,
    NoBankAccount,
    NoPriceForCurrency,
    ValidationFailed,
)
from billing_portal.events import EventType
from billing_portal.kinds import ProductKind
from billing_portal.money import ZERO, compute_totals, line_net, quantize, to_decimal
from billing_portal.workdays import business_today

from . import vat
from .delivery import PAYMENT_RECEIVED_EMAIL, schedule_delivery
from .dunning import schedule_unblock
from .locks import lock_document
from .models import (
    BankAccount,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    DocumentVatLine,
    Product,
    VatCategory,
)
from .numbering import take_next_number
from .settlement import SETTLE_TASK, settle_by_credit_note, settle_on_issue

logger = logging.getLogger(__name__)

PAYMENT_RECEIVED_EMAIL_TASK = "invoices.tasks.send_payment_received_email_task"


@dataclass(frozen=True)
class LineSpec:
    """One line to put on a new document; amounts are net, VAT is added by issuing."""

    description: str
    unit_price: Decimal
    quantity: Decimal = Decimal("1")
    product: Product | None = None
    vat_category: str = VatCategory.STANDARD
    subscription: Subscription | None = None
    period_from: date | None = None
    period_to: date | None = None
    applicant_email: str = ""
    unit: str = "ks"
    vat_rate: Decimal | None = None  # fixed rate of a correction; else from the VAT table

    @classmethod
    def for_product(
        cls, product: Product, *, currency: str, language: str, quantity: Decimal = Decimal("1"),
        label: str = "", **extra: Any,
    ) -> LineSpec:  # fmt: skip
        price = product.prices.filter(currency=currency).first()
        if price is None:
            raise NoPriceForCurrency(product=product.code, currency=currency)
        name = product.name_in(language)
        return cls(
            description=f"{name}: {label}" if label else name,
            unit_price=price.net_amount,
            quantity=quantity,
            product=product,
            vat_category=product.vat_category,
            **extra,
        )


def _in(language: str, message: str, **params: Any) -> str:
    """A note printed on a document: in the document's language, not the request's."""
    with translation.override(language):
        return _(message) % params


def seller_snapshot(bank_account: BankAccount | None) -> dict[str, Any]:
    seller = dict(settings.BILLING["SELLER"])
    if bank_account is not None:
        seller["bank_account"] = {
            "name": bank_account.name,
            "iban": bank_account.iban,
            "bic": bank_account.bic,
            "domestic_number": bank_account.domestic_number,
        }
    return seller


def buyer_snapshot(customer: Customer, contract: Contract | None) -> dict[str, Any]:
    return {
        "name": customer.name,
        "kind": customer.kind,
        "ico": customer.ico,
        "dic": customer.dic,
        "vat_payer": customer.vat_payer,
        "street": customer.street,
        "city": customer.city,
        "postal_code": customer.postal_code,
        "country": customer.country,
        "email": customer.email,
        "payment_method": customer.payment_method,
        "contract_number": contract.number if contract else "",
    }


def bank_account_for(currency: str) -> BankAccount:
    account = (
        BankAccount.objects.filter(currency=currency, status=BankAccount.Status.ACTIVE)
        .order_by("pk")
        .first()
    )
    if account is None:
        raise NoBankAccount(currency=currency)
    return account


@transaction.atomic
def issue_document(
    *,
    kind: str,
    customer: Customer,
    lines: list[LineSpec],
    contract: Contract | None = None,
    related_document: Document | None = None,
    issue_date: date | None = None,
    taxable_supply_date: date | None = None,
    due_date: date | None = None,
    note: str = "",
    actor: Any = None,
    order: Any = None,
    vat_regime: str | None = None,
    charge_by_credit: bool = False,
) -> Document:
    """Issue one document: number, VAT per rate, snapshots; deliver after commit."""
    if not lines:
        raise ValidationFailed(_("A document needs at least one line."))
    if contract is not None and contract.customer_id != customer.pk:
        raise ValidationFailed(_("The contract belongs to another customer."))
    issue_date = issue_date or business_today()
    if kind != DocumentKind.PAYMENT_REQUEST:
        taxable_supply_date = taxable_supply_date or issue_date
    due_date = due_date or issue_date + timedelta(days=settings.BILLING["PAYMENT_DUE_DAYS"])
    if due_date < issue_date:
        raise ValidationFailed(_("The due date cannot precede the issue date."))
    rates_on = taxable_supply_date or issue_date
    regime = vat_regime or vat.regime_for(
        seller_country=settings.BILLING["SELLER"]["country"],
        customer_country=customer.country,
        vat_payer=customer.vat_payer,
    )
    priced = []
    for spec in lines:
        rate = spec.vat_rate
        if rate is None:
            rate = vat.line_rate(
                regime=regime,
                customer_country=customer.country,
                category=spec.vat_category,
                on=rates_on,
            )
        priced.append((spec, rate, line_net(spec.quantity, spec.unit_price)))
    totals = compute_totals((net, rate) for _spec, rate, net in priced)
    bank_account = (
        bank_account_for(customer.currency)
        if kind != DocumentKind.CREDIT_NOTE
        else (related_document.bank_account if related_document else None)
    )
    number = take_next_number(kind=kind, year=issue_date.year)
    document = Document.objects.create(
        kind=kind,
        number=number.number,
        year=issue_date.year,
        sequence=number.sequence,
        variable_symbol=number.variable_symbol,
        customer=customer,
        contract=contract,
        order=order,
        related_document=related_document,
        bank_account=bank_account,
        currency=customer.currency,
        language=customer.language,
        issue_date=issue_date,
        taxable_supply_date=taxable_supply_date,
        due_date=due_date,
        vat_regime=regime,
        total_net=totals.net,
        total_vat=totals.vat,
        total_gross=totals.gross,
        seller=seller_snapshot(bank_account),
        buyer=buyer_snapshot(customer, contract),
        note=note,
        charge_by_credit=charge_by_credit,
        issued_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    DocumentLine.objects.bulk_create(
        DocumentLine(
            document=document,
            position=position,
            product=spec.product,
            product_kind=spec.product.kind if spec.product else "",
            subscription=spec.subscription,
            description=spec.description,
            quantity=to_decimal(spec.quantity),
            unit=spec.unit,
            unit_price=quantize(spec.unit_price),
            vat_rate=rate,
            net_amount=net,
            period_from=spec.period_from,
            period_to=spec.period_to,
            applicant_email=spec.applicant_email,
        )
        for position, (spec, rate, net) in enumerate(priced, start=1)
    )
    DocumentVatLine.objects.bulk_create(
        DocumentVatLine(document=document, rate=b.rate, base=b.base, vat=b.vat)
        for b in totals.breakdown
    )
    write_audit(event=f"{kind}.issued", subject=document, actor=actor, after=snapshot(document))
    record_event(
        EventType.DOCUMENT_ISSUED,
        document,
        {
            "number": document.number,
            "kind": kind,
            "currency": document.currency,
            "total": str(document.total_gross),
            "due_date": document.due_date.isoformat(),
            "contract": contract.number if contract else "",
        },
    )
    schedule_delivery(document)
    return document


def issue_payment_request(*, customer: Customer, lines: list[LineSpec], **kwargs: Any) -> Document:
    return issue_document(
        kind=DocumentKind.PAYMENT_REQUEST, customer=customer, lines=lines, **kwargs
    )


def issue_tax_invoice(*, customer: Customer, lines: list[LineSpec], **kwargs: Any) -> Document:
    return issue_document(kind=DocumentKind.TAX_INVOICE, customer=customer, lines=lines, **kwargs)


def _lines_of(document: Document, *, sign: int = 1, keep_rates: bool = True) -> list[LineSpec]:
    """Lines of an issued document as specs: a credit note keeps the exact rates, a
    tax invoice for a paid request takes the rates in force on the payment date."""
    return [
        LineSpec(
            description=line.description,
            unit_price=line.unit_price,
            quantity=line.quantity * sign,
            product=line.product,
            vat_category=line.product.vat_category if line.product else VatCategory.STANDARD,
            vat_rate=line.vat_rate if keep_rates else None,
            subscription=line.subscription,
            period_from=line.period_from,
            period_to=line.period_to,
            applicant_email=line.applicant_email,
            unit=line.unit,
        )
        for line in document.lines.select_related("product")
    ]


@transaction.atomic
def issue_tax_invoice_for_paid_request(
    *, payment_request: Document, paid_on: date, actor: Any = None
) -> Document:
    """Daňový doklad for a paid payment request, dated by the payment (tax point).

    Idempotent: a request that already has its tax invoice returns that one.
    """
    request = lock_document(payment_request.pk)
    if request.kind != DocumentKind.PAYMENT_REQUEST or request.status != DocumentStatus.PAID:
        raise InvalidDocumentState(document=request.number)
    existing = request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).first()
    if existing is not None:
        return existing
    invoice = issue_document(
        kind=DocumentKind.TAX_INVOICE,
        customer=request.customer,
        contract=request.contract,
        lines=_lines_of(request, keep_rates=False),
        vat_regime=request.vat_regime,
        related_document=request,
        issue_date=paid_on,
        taxable_supply_date=paid_on,
        due_date=paid_on,
        actor=actor,
        note=_in(
            request.language,
            gettext_noop("Settles payment request %(number)s."),
            number=request.number,
        ),
    )
    settle_on_issue(document=invoice, paid_on=paid_on, covered_by=request)
    if invoice.total_gross != request.total_gross:
        # The VAT rate changed between the request and the payment (the tax point), so
        # the money received no longer matches: accounting decides; nothing is issued.
        raise InvalidDocumentState(
            _(
                "The VAT rate changed since the payment request was issued; "
                "accounting must issue this tax invoice."
            ),
            document=request.number,
        )
    return invoice


@transaction.atomic
def issue_credit_note(
    *, invoice: Document, reason: str, actor: Any = None, issue_date: date | None = None
) -> Document:
    """Dobropis for the whole of a tax invoice, at the invoice's own VAT rates."""
    if not reason.strip():
        raise ValidationFailed(_("A credit note needs a reason."))
    invoice = lock_document(invoice.pk)
    if invoice.kind != DocumentKind.TAX_INVOICE:
        raise InvalidDocumentState(
            _("Only a tax invoice can be corrected by a credit note."), document=invoice.number
        )
    if invoice.derived_documents.filter(kind=DocumentKind.CREDIT_NOTE).exists():
        raise InvalidDocumentState(
            _("This invoice already has a credit note."), document=invoice.number
        )
    issue_date = issue_date or business_today()
    note = _in(
        invoice.language,
        gettext_noop("Corrects tax invoice %(number)s: %(reason)s"),
        number=invoice.number,
        reason=reason,
    )
    # An unpaid invoice is settled by its credit note; a paid one leaves a refund
    # we owe, so the credit note stays open until the money goes back or to credit.
    unpaid = invoice.amount_paid == ZERO
    settles = invoice.status in (DocumentStatus.OPEN, DocumentStatus.PARTLY_PAID)
    if settles and invoice.contract_id is not None:
        # settling reschedules the contract's unblock: its lock comes before the
        # number series (billing_portal.lock_order)
        lock_contract(invoice.contract_id)
    credit_note = issue_document(
        kind=DocumentKind.CREDIT_NOTE,
        customer=invoice.customer,
        contract=invoice.contract,
        lines=_lines_of(invoice, sign=-1),
        related_document=invoice,
        issue_date=issue_date,
        taxable_supply_date=issue_date,
        due_date=issue_date,
        vat_regime=invoice.vat_regime,
        note=note,
        actor=actor,
    )
    if unpaid:  # nothing to give back: the credit note is settled by the invoice
        settle_on_issue(document=credit_note, paid_on=issue_date)
    if settles:
        settle_by_credit_note(invoice=invoice, credit_note=credit_note, actor=actor)
        _reconsider_block(invoice)
    return credit_note


@transaction.atomic
def cancel_payment_request(*, document: Document, actor: Any = None, reason: str = "") -> Document:
    """Cancel an unpaid payment request (it is not a tax document, so no credit note)."""
    request = lock_document(document.pk)
    if request.kind != DocumentKind.PAYMENT_REQUEST:
        raise InvalidDocumentState(
            _("Only a payment request can be cancelled; correct an invoice with a credit note."),
            document=request.number,
        )
    if request.status != DocumentStatus.OPEN or request.amount_paid != ZERO:
        raise InvalidDocumentState(
            _("Only an unpaid payment request can be cancelled."), document=request.number
        )
    before = snapshot(request)
    request.status = DocumentStatus.CANCELLED
    request.cancelled_at = timezone.now()
    request.save(update_fields=["status", "cancelled_at"])
    write_audit(
        event="payment_request.cancelled",
        subject=request,
        actor=actor,
        before=before,
        after=snapshot(request),
        note=reason,
    )
    _reconsider_block(request)
    return request


def _reconsider_block(document: Document) -> None:
    """A cancelled or credited document may have been the last overdue one."""
    if document.contract_id is not None:
        schedule_unblock(contract_id=document.contract_id, settled_on=business_today())


@transaction.atomic
def resend_document(*, document: Document, actor: Any = None) -> None:
    """Another copy by the customer's channel (e-mail again, or back to the print list)."""
    document = lock_document(document.pk, related=("customer",))
    if document.status == DocumentStatus.CANCELLED:
        raise InvalidDocumentState(
            _("A cancelled document is not sent again."), document=document.number
        )
    write_audit(event="document.resend_requested", subject=document, actor=actor)
    schedule_delivery(document, resend=True)


@transaction.atomic
def mark_printed(*, document: Document, actor: Any = None) -> Document:
    document = lock_document(document.pk)
    if not document.to_print:
        return document
    before = snapshot(document)
    document.to_print = False
    document.printed_at = timezone.now()
    document.save(update_fields=["to_print", "printed_at"])
    write_audit(
        event="document.printed",
        subject=document,
        actor=actor,
        before=before,
        after=snapshot(document),
    )
    return document


@transaction.atomic
def fulfil_document(*, document: Document, paid_on: date) -> int:
    """Run the fulfilment registry for each line of a paid document, once.

    Returns the number of lines a handler took; a second call does nothing.
    """
    if not (document.kind == DocumentKind.TAX_INVOICE and document.related_document_id):
        # the subscriptions its lines extend (the accounts handler) before the document
        lock_subscriptions(_subscriptions_of(document.pk))
    document = lock_document(document.pk)
    if document.status != DocumentStatus.PAID or document.kind == DocumentKind.CREDIT_NOTE:
        raise InvalidDocumentState(
            _("Only a paid document is fulfilled."), document=document.number
        )
    if document.kind == DocumentKind.TAX_INVOICE and document.related_document_id is not None:
        return 0  # its payment request was the one fulfilled
    if document.fulfilled_at is not None:
        return 0
    handled = 0
    for line in document.lines.select_related("product"):
        if fulfilment.fulfil(line=line, document=document, paid_on=paid_on):
            handled += 1
    document.fulfilled_at = timezone.now()
    document.save(update_fields=["fulfilled_at"])
    write_audit(
        event="document.fulfilled",
        subject=document,
        actor_label="fulfilment",
        after={"lines_handled": handled},
    )
    return handled


def _subscriptions_of(document_id: int) -> list[int]:
    """The subscriptions the lines of a document extend once it is paid; fulfilment
    locks them before the document (`billing_portal.lock_order`)."""
    return list(
        DocumentLine.objects.filter(
            document_id=document_id, subscription__isnull=False
        ).values_list("subscription_id", flat=True)
    )


def renewal_period(subscription: Subscription) -> tuple[date, date]:
    """The next period: from the day after valid_until, whole months, inclusive end
    (31 Jan -> 1 Feb..28 Feb -> 1 Mar..31 Mar: no drift at month ends)."""
    start = subscription.valid_until + timedelta(days=1)
    end = start + relativedelta(months=subscription.billing_period_months) - timedelta(days=1)
    return start, end


def issue_renewal_requests(*, today: date | None = None, days_ahead: int | None = None) -> dict:
    """Daily job: a renewal payment request `days_ahead` days before valid_until.

    Due subscriptions are taken in bounded batches with skip_locked, each in its own
    transaction; `renewal_requested_for` makes a second run (or a concurrent one)
    issue nothing twice. A cancelled subscription (ends_on) gets none past its last day.
    """
    today = today or business_today()
    days_ahead = settings.BILLING["RENEWAL_DAYS_AHEAD"] if days_ahead is None else days_ahead
    horizon = today + timedelta(days=days_ahead)
    batch = settings.BILLING["JOB_BATCH_SIZE"]
    passed: set[int] = set()  # failed here, or locked by a concurrent run
    due = Subscription.objects.filter(
        status=Subscription.Status.ACTIVE,
        valid_until__isnull=False,
        valid_until__lte=horizon,
        contract__status=Contract.Status.ACTIVE,
    ).exclude(renewal_requested_for=F("valid_until"))
    # a cancelled service: no renewal for a period that starts after its last day
    due = due.exclude(ends_on__isnull=False, ends_on__lte=F("valid_until"))
    with job_run("issue_renewal_requests") as counts:
        counts["issued"] = 0
        while True:
            ids = list(
                due.exclude(pk__in=passed).order_by("pk").values_list("pk", flat=True)[:batch]
            )
            for subscription_id in ids:
                try:
                    with transaction.atomic():
                        subscription = (
                            due.select_for_update(no_key=True, skip_locked=True, of=("self",))
                            .select_related("contract__customer", "product")
                            .filter(pk=subscription_id)
                            .first()
                        )
                        if subscription is None:  # another run has it, or it is done
                            passed.add(subscription_id)
                            continue
                        _issue_renewal(subscription)
                    counts["issued"] += 1
                except Exception as exc:  # one bad subscription must not stop the job
                    logger.exception("renewal of subscription %s failed", subscription_id)
                    counts.error(f"subscription {subscription_id}", str(exc))
                    passed.add(subscription_id)
            if len(ids) < batch:
                break
    return dict(counts)


def _issue_renewal(subscription: Subscription) -> Document:
    customer = subscription.contract.customer
    start, end = renewal_period(subscription)
    spec = LineSpec.for_product(
        subscription.product,
        currency=customer.currency,
        language=customer.language,
        label=f"{subscription.label} ({start:%d.%m.%Y}–{end:%d.%m.%Y})",
        subscription=subscription,
        period_from=start,
        period_to=end,
    )
    document = issue_payment_request(
        customer=customer,
        contract=subscription.contract,
        lines=[spec],
        due_date=max(subscription.valid_until, business_today()),
        charge_by_credit=customer.auto_pay_by_credit and subscription.product.payable_by_credit,
    )
    Subscription.objects.filter(pk=subscription.pk).update(
        renewal_requested_for=subscription.valid_until
    )
    return document


# --- once a document is paid ------------------------------------------------------


def settle_paid_document(*, document_id: int) -> None:
    """Once paid: the tax invoice (for a payment request, dated by the payment) and
    the fulfilment registry. Idempotent, so a retried or re-queued task changes
    nothing."""
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
    with transaction.atomic():
        first_time = document.fulfilled_at is None
        fulfil_document(document=document, paid_on=document.paid_on)
        if (
            first_time
            and document.kind == DocumentKind.TAX_INVOICE
            and not document.related_document_id
            and claim(PAYMENT_RECEIVED_EMAIL, f"document:{document_id}")
        ):
            defer(PAYMENT_RECEIVED_EMAIL_TASK, document_id)


def settle_paid_documents(*, document_ids: list[int]) -> int:
    """Settle a batch of documents paid together (the set-based auto-charge), each in
    its own transaction; one that fails is deferred alone, so a bad document neither
    stops the batch nor settles the others twice."""
    settled = 0
    for document_id in document_ids:
        try:
            with transaction.atomic():
                # one transaction locks the request, its tax invoice's number series and
                # (fulfilling) its subscriptions: those first (billing_portal.lock_order)
                lock_subscriptions(_subscriptions_of(document_id))
                settle_paid_document(document_id=document_id)
            settled += 1
        except Exception:
            logger.exception("settlement of document %s failed; retried alone", document_id)
            with transaction.atomic():
                defer(SETTLE_TASK, document_id)
    return settled

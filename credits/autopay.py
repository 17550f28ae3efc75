"""Auto-pay from the credit wallet, and the zero-amount tax invoice of a top-up
(domain.md, "Credit wallet").

- `charge_due_requests`: the daily job that charges renewal payment requests marked
  "automatically by credit" on day 10 after their issue date (or later, if the job
  missed days), unless the customer opted out of that one request;
- `opt_out_of_auto_charge`: the customer's one-time "do not charge automatically";
- `issue_zero_top_up_invoices`: the daily job that documents a paid top-up of a
  customer who is not a VAT payer by a zero-amount tax invoice.

The charging itself (locks, ledger, payment state) belongs to
`credits.services.charge_request`; this module only selects, spreads and reports.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.models import AuditLog
from accounts.services import job_run, snapshot, write_audit
from billing_portal.errors import (
    CurrencyLocked,
    InsufficientCredit,
    InvalidDocumentState,
    ValidationFailed,
)
from billing_portal.kinds import NOT_PAYABLE_BY_CREDIT, ProductKind
from billing_portal.money import ZERO
from invoices.models import Document, DocumentKind, DocumentLine, DocumentStatus

logger = logging.getLogger(__name__)

CHARGE_AFTER_DAYS = 10  # charged on day 10 after the issue date
TOP_UP_INVOICE_DAYS = 15  # the tax document of a received top-up, within 15 days
INSUFFICIENT_EVENT = "credit.insufficient"  # claimed once per request, before e-mailing
INSUFFICIENT_EMAILED_EVENT = "credit.insufficient_emailed"
NOT_PAYABLE_KINDS = tuple(str(kind) for kind in NOT_PAYABLE_BY_CREDIT)


def _today() -> date:
    return timezone.localdate()  # Europe/Prague, read at call time


def due_requests(today: date) -> QuerySet[Document]:
    """Payment requests to charge today: marked for auto-pay, not opted out, nothing
    paid yet, issued at least 10 days ago, and no line of a kind credit cannot pay."""
    not_payable = DocumentLine.objects.filter(
        document=OuterRef("pk"), product_kind__in=NOT_PAYABLE_KINDS
    )
    return Document.objects.filter(
        kind=DocumentKind.PAYMENT_REQUEST,
        charge_by_credit=True,
        credit_opt_out=False,
        status=DocumentStatus.OPEN,
        amount_paid=ZERO,
        issue_date__lte=today - timedelta(days=CHARGE_AFTER_DAYS),
    ).filter(~Exists(not_payable))


def charge_due_requests(*, today: date | None = None, batch_size: int = 500) -> dict:
    """Daily job: charge every due request from its customer's wallet.

    Ids are read set-based in bounded batches (keyset on pk, so a request left open
    is not read again in the same run); each request is then charged in its own
    transaction. The row is first taken with SKIP LOCKED, so two concurrent runs
    spread the work instead of queueing behind each other; `charge_request` locks
    the request and the wallet again and is idempotent on the request.

    Short balance: the request stays open (it is tried again the next days) and the
    customer is told once per request (an audit row claimed under the request's lock,
    the e-mail after commit). Another currency, an inactive wallet or a product that
    credit cannot pay: skipped.
    """
    from .services import charge_request  # written in parallel; imported lazily

    today = today or _today()
    due = due_requests(today)
    with job_run("charge_due_requests") as counts:
        counts["charged"] = counts["insufficient"] = counts["skipped"] = 0
        last_id = 0
        while True:
            ids = list(
                due.filter(pk__gt=last_id).order_by("pk").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            last_id = ids[-1]
            for request_id in ids:
                try:
                    with transaction.atomic():
                        request = (
                            due.select_for_update(no_key=True, skip_locked=True)
                            .filter(pk=request_id)
                            .first()
                        )
                        if request is None:  # another run has it, or it is no longer due
                            counts["skipped"] += 1
                            continue
                        charge_request(request=request)
                    counts["charged"] += 1
                except InsufficientCredit:
                    counts["insufficient"] += 1
                    try:
                        _claim_insufficient_notice(request_id)
                    except Exception as exc:  # the notice must not stop the job
                        logger.exception("insufficient-credit notice of %s failed", request_id)
                        counts.error(f"document {request_id}", str(exc))
                except (ValidationFailed, CurrencyLocked, InvalidDocumentState) as exc:
                    logger.info("auto-charge of document %s skipped: %s", request_id, exc)
                    counts["skipped"] += 1
                except Exception as exc:  # one bad request must not stop the job
                    logger.exception("auto-charge of document %s failed", request_id)
                    counts.error(f"document {request_id}", str(exc))
            if len(ids) < batch_size:
                break
    return dict(counts)


def _claim_insufficient_notice(request_id: int) -> bool:
    """Record the short balance once per request and e-mail it after commit.

    The request's row lock serialises concurrent runs; the audit row is the claim.
    """
    from .tasks import send_insufficient_credit_email_task

    with transaction.atomic():
        request = (
            Document.objects.select_for_update(no_key=True)
            .select_related("customer")
            .get(pk=request_id)
        )
        if _has_audit(request, INSUFFICIENT_EVENT):
            return False
        wallet = getattr(request.customer, "wallet", None)
        emails_on = wallet is None or wallet.request_emails
        write_audit(
            event=INSUFFICIENT_EVENT,
            subject=request,
            actor_label="charge_due_requests",
            after={
                "amount_due": str(request.amount_due),
                "balance": str(wallet.balance) if wallet is not None else None,
                "email": emails_on,
            },
        )
        if emails_on:  # the wallet's "payment-request e-mails" switch also mutes notices
            transaction.on_commit(partial(send_insufficient_credit_email_task.delay, request.pk))
    return True


def _has_audit(document: Document, event: str) -> bool:
    return AuditLog.objects.filter(
        subject_type=ContentType.objects.get_for_model(document),
        subject_id=str(document.pk),
        event=event,
    ).exists()


def send_insufficient_credit_email(*, document_id: int) -> bool:
    """The "your credit is not sufficient" e-mail, in the customer's language; sent at
    most once per request (a retried task finds the audit row and sends nothing), and
    not at all once the request is no longer open."""
    with transaction.atomic():
        request = (
            Document.objects.select_for_update(no_key=True, of=("self",))
            .select_related("customer")
            .get(pk=document_id)
        )
        if request.status != DocumentStatus.OPEN or _has_audit(request, INSUFFICIENT_EMAILED_EVENT):
            return False
        customer = request.customer
        wallet = getattr(customer, "wallet", None)
        with translation.override(customer.language):
            context = {
                "document": request,
                "balance": wallet.balance if wallet is not None else ZERO,
                "seller": settings.BILLING["SELLER"],
            }
            subject = render_to_string("email/credit_insufficient_subject.txt", context)
            message = EmailMessage(
                subject=" ".join(subject.split()),
                body=render_to_string("email/credit_insufficient.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[customer.email],
            )
        message.send()
        write_audit(
            event=INSUFFICIENT_EMAILED_EVENT,
            subject=request,
            actor_label="charge_due_requests",
            after={"to": [customer.email]},
        )
    return True


@transaction.atomic
def opt_out_of_auto_charge(*, request: Document, actor: Any = None) -> Document:
    """The customer's one-time "do not charge automatically" on one request.

    Only an open request marked for auto-pay; a second click changes nothing.
    """
    locked = Document.objects.select_for_update(no_key=True).get(pk=request.pk)
    if locked.kind != DocumentKind.PAYMENT_REQUEST or not locked.charge_by_credit:
        raise InvalidDocumentState(
            _("This payment request is not charged automatically by credit."),
            document=locked.number,
        )
    if locked.status != DocumentStatus.OPEN:
        raise InvalidDocumentState(
            _("Only an unpaid payment request can be excluded from the automatic charge."),
            document=locked.number,
        )
    if locked.credit_opt_out:
        return locked
    before = snapshot(locked)
    Document.objects.filter(pk=locked.pk).update(credit_opt_out=True)
    locked.credit_opt_out = True
    write_audit(
        event="payment_request.credit_opt_out",
        subject=locked,
        actor=actor,
        actor_label=None if getattr(actor, "is_authenticated", False) else "customer",
        before=before,
        after=snapshot(locked),
    )
    return locked


def _top_ups_without_invoice() -> QuerySet[Document]:
    top_up_line = DocumentLine.objects.filter(
        document=OuterRef("pk"), product_kind=ProductKind.CREDIT_TOPUP
    )
    tax_invoice = Document.objects.filter(
        related_document=OuterRef("pk"), kind=DocumentKind.TAX_INVOICE
    )
    return Document.objects.filter(
        Exists(top_up_line),
        ~Exists(tax_invoice),
        Q(buyer__vat_payer=False),
        kind=DocumentKind.PAYMENT_REQUEST,
        status=DocumentStatus.PAID,
        paid_on__isnull=False,
    )


def issue_zero_top_up_invoices(*, today: date | None = None) -> dict:
    """Daily job: the zero-amount tax invoice of a paid top-up (customer not a VAT
    payer; the buyer snapshot of the request decides, as it decided the gross price).

    The approach: the tax invoice is dated by the payment (taxable supply = paid_on,
    issued on the first run after it, so within the 15 days) and has two lines at the
    top-up's own VAT rate: the top-up's net amount, and "Received advance payment"
    of minus the same amount. Its totals are zero (nothing more is owed); it documents
    the received payment and its VAT rate. related_document is the request; one per
    request (the request's row lock and a re-check inside it, as for the ordinary tax
    invoice, so settlement and this job never both issue one).

    A request paid more than 15 days ago is past the deadline: it is counted as
    `late` and left to accounting rather than back-dated in bulk.
    """
    from invoices.services import LineSpec, issue_tax_invoice

    today = today or _today()
    earliest = today - timedelta(days=TOP_UP_INVOICE_DAYS)
    candidates = _top_ups_without_invoice().filter(paid_on__lte=today)
    with job_run("issue_zero_top_up_invoices") as counts:
        counts["issued"] = 0
        counts["late"] = candidates.filter(paid_on__lt=earliest).count()
        ids = list(
            candidates.filter(paid_on__gte=earliest).order_by("pk").values_list("pk", flat=True)
        )
        for request_id in ids:
            try:
                with transaction.atomic():
                    request = (
                        _top_ups_without_invoice()
                        .select_for_update(no_key=True, skip_locked=True, of=("self",))
                        .select_related("customer", "contract")
                        .filter(pk=request_id)
                        .first()
                    )
                    if request is None:  # done meanwhile, or another run has it
                        continue
                    lines = []
                    for line in request.lines.select_related("product").order_by("position"):
                        common = {
                            "quantity": line.quantity,
                            "vat_rate": line.vat_rate,
                            "unit": line.unit,
                        }
                        lines.append(
                            LineSpec(
                                description=line.description,
                                unit_price=line.unit_price,
                                product=line.product,
                                **common,
                            )
                        )
                        lines.append(
                            LineSpec(
                                description=_in(
                                    request.language, gettext_noop("Received advance payment")
                                ),
                                unit_price=-line.unit_price,
                                **common,
                            )
                        )
                    issue_tax_invoice(
                        customer=request.customer,
                        contract=request.contract,
                        lines=lines,
                        vat_regime=request.vat_regime,
                        related_document=request,
                        issue_date=today,
                        taxable_supply_date=request.paid_on,
                        due_date=today,
                        status=DocumentStatus.PAID,
                        paid_on=request.paid_on,
                        note=_in(
                            request.language,
                            gettext_noop("Documents the credit top-up paid by %(number)s."),
                            number=request.number,
                        ),
                    )
                counts["issued"] += 1
            except Exception as exc:  # one bad request must not stop the job
                logger.exception("zero top-up invoice of document %s failed", request_id)
                counts.error(f"document {request_id}", str(exc))
    return dict(counts)


def _in(language: str, message: str, **params: Any) -> str:
    with translation.override(language):
        text = _(message)
    return text % params if params else text

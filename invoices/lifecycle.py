"""The end of a subscription's life: expiry of an unpaid renewal, and cancellation.

Expiry (daily job). An active subscription whose valid_until has passed and whose
renewal (the payment request line for the period from valid_until + 1 day) is not
paid expires (a domain is not renewed) and the customer is e-mailed once. A
subscription with a cancellation whose last day (`ends_on`) has passed becomes
cancelled instead, without an e-mail.

Late payment. A payment for the renewal of an expired subscription reactivates it:
the fulfilment handler (`accounts.services.extend_subscription_for_line`) moves it
back to active and extends valid_until to the renewal's period end. Every product
kind may be reactivated for now; a product that cannot be (its surplus left as
credit) needs the credits app.

Cancellation. The request must arrive at least CANCELLATION_NOTICE_MONTHS before the
next billing period starts; then the service ends with the current period, otherwise
with the following one. Renewal payment requests for periods after the last day are
withdrawn: an unpaid one is cancelled, a paid one gets a credit note of its tax
invoice, and a partly paid one stops the cancellation for staff to settle by hand.

"Current period" means the period running on the request date. valid_until is its
end unless the customer has already paid renewals for periods that have not begun;
those prepaid periods (found by their paid renewal payment requests) are stepped
back over, so an on-time cancellation credits a renewal paid in advance instead of
silently turning into a cancellation a year later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Cast
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.locks import lock_contracts, lock_subscription
from accounts.models import Subscription
from accounts.outbox import claim, defer, mark_claim_done
from accounts.services import job_run, snapshot, write_audit
from billing_portal.errors import InvalidDocumentState, ValidationFailed
from billing_portal.money import ZERO

from .locks import lock_documents
from .models import OPEN_STATUSES, Document, DocumentKind, DocumentLine, DocumentStatus
from .services import business_today, cancel_payment_request, issue_credit_note, renewal_period

logger = logging.getLogger(__name__)

EXPIRED_EMAIL_EVENT = "subscription.expiry_emailed"  # an audit event and a claim
EXPIRED_EMAIL_TASK = "invoices.tasks.send_subscription_expired_email_task"
CANCELLATION_REASON = gettext_noop("cancelled by the customer")


# --- expiry -------------------------------------------------------------------------


def _paid_renewal() -> Exists:
    """A paid renewal of the subscription in the outer query: a line for the period
    that starts the day after its valid_until, on a paid (not credit) document. It is
    paid but not yet fulfilled only while its settlement is still running."""
    next_start = Cast(OuterRef("valid_until") + timedelta(days=1), output_field=DateField())
    return Exists(
        DocumentLine.objects.filter(
            subscription=OuterRef("pk"),
            period_from=next_start,
            document__status=DocumentStatus.PAID,
        ).exclude(document__kind=DocumentKind.CREDIT_NOTE)
    )


def subscriptions_to_end(today: date) -> QuerySet[Subscription]:
    """Cancelled services past their last day."""
    return Subscription.objects.filter(
        status__in=(Subscription.Status.ACTIVE, Subscription.Status.EXPIRED),
        ends_on__isnull=False,
        ends_on__lt=today,
    )


def subscriptions_to_expire(today: date) -> QuerySet[Subscription]:
    """Active services past valid_until whose renewal is not paid (open, partly paid,
    cancelled or never issued)."""
    return Subscription.objects.filter(
        Q(ends_on__isnull=True) | Q(ends_on__gte=today),
        status=Subscription.Status.ACTIVE,
        valid_until__isnull=False,
        valid_until__lt=today,
    ).filter(~_paid_renewal())


def expire_unpaid_subscriptions(*, today: date | None = None) -> dict:
    """Daily job: cancel services past their last day, expire unpaid ones.

    Each bounded batch is one transaction that locks its rows with skip_locked, so a
    concurrent run takes other rows; a changed row no longer matches, so a second run
    changes nothing. The expiry e-mail is scheduled after commit.
    """
    today = today or business_today()
    with job_run("expire_subscriptions") as counts:
        counts["cancelled"] = _in_batches(
            subscriptions_to_end(today), status=Subscription.Status.CANCELLED, record=_ended
        )
        counts["expired"] = _in_batches(
            subscriptions_to_expire(today), status=Subscription.Status.EXPIRED, record=_expired
        )
    return dict(counts)


def _in_batches(
    due: QuerySet[Subscription],
    *,
    status: str,
    record: Callable[[Subscription, dict[str, Any] | None], None],
) -> int:
    """Set `status` on every row of `due`, a locked batch per transaction."""
    batch = settings.BILLING["JOB_BATCH_SIZE"]
    done = 0
    while True:
        with transaction.atomic():
            rows = list(
                due.select_for_update(no_key=True, skip_locked=True, of=("self",)).order_by("pk")[
                    :batch
                ]
            )
            Subscription.objects.filter(pk__in=[row.pk for row in rows]).update(status=status)
            for row in rows:
                before = snapshot(row)
                row.status = status
                record(row, before)
        done += len(rows)
        if len(rows) < batch:
            return done


def _ended(subscription: Subscription, before: dict[str, Any] | None) -> None:
    write_audit(
        event="subscription.cancelled",
        subject=subscription,
        actor_label="expire_subscriptions",
        before=before,
        after=snapshot(subscription),
        note=f"last day of service {subscription.ends_on.isoformat()}",
    )


def _expired(subscription: Subscription, before: dict[str, Any] | None) -> None:
    write_audit(
        event="subscription.expired",
        subject=subscription,
        actor_label="expire_subscriptions",
        before=before,
        after=snapshot(subscription),
        note=f"renewal unpaid at {subscription.valid_until.isoformat()}",
    )
    defer(EXPIRED_EMAIL_TASK, subscription.pk)


def open_renewal_of(subscription: Subscription) -> Document | None:
    """The unpaid renewal payment request for the period after valid_until."""
    return (
        Document.objects.filter(
            kind=DocumentKind.PAYMENT_REQUEST,
            status__in=OPEN_STATUSES,
            lines__subscription=subscription,
            lines__period_from=subscription.valid_until + timedelta(days=1),
        )
        .order_by("-pk")
        .first()
    )


def send_subscription_expired_email(*, subscription_id: int) -> bool:
    """Tell the customer the service expired (and which document renews it), once per
    expiry: the subscription row lock and a claim keyed by valid_until, taken in the
    sending transaction, keep two workers or a retry from sending it twice; nothing is
    sent once it is paid again."""
    with transaction.atomic():
        subscription = lock_subscription(subscription_id, related=("contract__customer", "product"))
        if subscription.status != Subscription.Status.EXPIRED:
            return False
        valid_until = subscription.valid_until.isoformat()
        claim_key = f"subscription:{subscription.pk}:{valid_until}"
        if not claim(EXPIRED_EMAIL_EVENT, claim_key):
            return False  # sent already (the claim is taken with the e-mail, under the lock)
        customer = subscription.contract.customer
        renewal = open_renewal_of(subscription)
        with translation.override(customer.language):
            context = {
                "subscription": subscription,
                "product_name": subscription.product.name_in(customer.language),
                "renewal": renewal,
                "seller": settings.BILLING["SELLER"],
            }
            subject = render_to_string("email/subscription_expired_subject.txt", context)
            message = EmailMessage(
                subject=" ".join(subject.split()),
                body=render_to_string("email/subscription_expired.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[customer.email],
            )
        message.send()
        mark_claim_done(EXPIRED_EMAIL_EVENT, claim_key)
        write_audit(
            event=EXPIRED_EMAIL_EVENT,
            subject=subscription,
            actor_label="expire_subscriptions",
            after={
                "valid_until": valid_until,
                "to": [customer.email],
                "renewal": renewal.number if renewal else None,
            },
        )
    logger.info("expiry of subscription %s e-mailed to %s", subscription.pk, customer.email)
    return True


# --- cancellation -------------------------------------------------------------------


def current_period_end(subscription: Subscription, on: date) -> date:
    """The end of the period running on `on`: valid_until, stepped back over periods
    paid in advance that begin after `on` (each found by its paid renewal request)."""
    end = subscription.valid_until
    while True:
        prepaid = (
            DocumentLine.objects.filter(
                subscription=subscription,
                period_to=end,
                period_from__gt=on,
                document__kind=DocumentKind.PAYMENT_REQUEST,
                document__status=DocumentStatus.PAID,
            )
            .order_by("period_from")
            .values_list("period_from", flat=True)
            .first()
        )
        if prepaid is None:
            return end
        end = prepaid - timedelta(days=1)


def cancellation_end(subscription: Subscription, requested_on: date) -> date:
    """The last day of service for a cancellation requested on `requested_on`."""
    current_end = current_period_end(subscription, requested_on)
    next_start = current_end + timedelta(days=1)
    notice = relativedelta(months=settings.BILLING["CANCELLATION_NOTICE_MONTHS"])
    if requested_on <= next_start - notice:
        return current_end
    following = Subscription(
        valid_until=current_end, billing_period_months=subscription.billing_period_months
    )
    return renewal_period(following)[1]


@transaction.atomic
def request_cancellation(
    *, subscription: Subscription, requested_on: date | None = None, actor: Any = None
) -> date:
    """Record the customer's cancellation; returns the last day of service (ends_on).

    A repeated request never moves the last day later; one that gives an earlier last
    day (a letter that arrived earlier, entered late with its real date) replaces it.
    Renewal payment requests for periods after the last day are withdrawn each time
    (idempotent). A partly paid one raises InvalidDocumentState and nothing is saved.
    """
    requested_on = requested_on or business_today()
    subscription = lock_subscription(subscription.pk)
    if subscription.status == Subscription.Status.CANCELLED and subscription.ends_on:
        return subscription.ends_on
    if subscription.status not in (Subscription.Status.ACTIVE, Subscription.Status.EXPIRED) or (
        subscription.valid_until is None
    ):
        raise ValidationFailed(
            _(
                "Only a running or expired service can be cancelled; cancel the payment "
                "request of a service that has not started."
            ),
            subscription=subscription.pk,
        )
    before = snapshot(subscription)
    ends_on = cancellation_end(subscription, requested_on)
    if subscription.ends_on is None or ends_on < subscription.ends_on:
        subscription.ends_on = ends_on
        subscription.cancellation_requested_on = requested_on
    withdrawn = _withdraw_renewals_after(subscription, actor=actor)
    if subscription.valid_until > subscription.ends_on:
        # the periods paid in advance beyond the last day were credited above
        subscription.valid_until = subscription.ends_on
    after = snapshot(subscription)
    if after != before or withdrawn:
        subscription.save(update_fields=["ends_on", "cancellation_requested_on", "valid_until"])
        write_audit(
            event="subscription.cancellation_requested",
            subject=subscription,
            actor=actor,
            before=before,
            after=after,
            note=f"requested on {requested_on.isoformat()}; " + (", ".join(withdrawn) or "-"),
        )
    return subscription.ends_on


def _withdraw_renewals_after(subscription: Subscription, *, actor: Any) -> list[str]:
    """Cancel or credit the renewal payment requests for periods after ends_on;
    returns what was done, e.g. ["cancelled 2026000012", "credited 2026000013"]."""
    requests = Document.objects.filter(
        kind=DocumentKind.PAYMENT_REQUEST,
        pk__in=DocumentLine.objects.filter(
            subscription=subscription, period_from__gt=subscription.ends_on
        ).values("document"),
    ).order_by("pk")
    # every document this may cancel or credit (the requests and their tax invoices)
    # in pk order, then their contracts, before the first credit note takes a number
    # (billing_portal.lock_order); each request is then re-read under its lock
    ids = list(requests.values_list("pk", flat=True))
    invoices = Document.objects.filter(kind=DocumentKind.TAX_INVOICE, related_document_id__in=ids)
    locked = lock_documents([*ids, *invoices.values_list("pk", flat=True)])
    lock_contracts(document.contract_id for document in locked.values())
    done = []
    for request in requests:
        if request.status == DocumentStatus.CANCELLED:
            continue
        if request.lines.exclude(subscription=subscription).exists():
            raise InvalidDocumentState(
                _("Payment request %(number)s also bills other items; correct it by hand.")
                % {"number": request.number},
                document=request.number,
            )
        if request.status == DocumentStatus.OPEN and request.amount_paid == ZERO:
            cancel_payment_request(document=request, actor=actor, reason=CANCELLATION_REASON)
            done.append(f"cancelled {request.number}")
        elif request.status == DocumentStatus.PAID:
            credit_note = _credit_paid_request(request, actor=actor)
            if credit_note is not None:
                done.append(f"credited {request.number} by {credit_note.number}")
        else:
            raise InvalidDocumentState(
                _(
                    "Payment request %(number)s is partly paid; return or re-book the "
                    "payment by hand, then repeat the cancellation."
                )
                % {"number": request.number},
                document=request.number,
            )
    return done


def _credit_paid_request(request: Document, *, actor: Any) -> Document | None:
    invoice = request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).first()
    if invoice is None or request.fulfilled_at is None:
        raise InvalidDocumentState(
            _(
                "Payment request %(number)s is paid but not yet settled (no tax invoice "
                "or not fulfilled); repeat the cancellation once it is."
            )
            % {"number": request.number},
            document=request.number,
        )
    if invoice.derived_documents.filter(kind=DocumentKind.CREDIT_NOTE).exists():
        return None  # credited by an earlier request
    with translation.override(invoice.language):
        reason = _(CANCELLATION_REASON)
    return issue_credit_note(invoice=invoice, reason=reason, actor=actor)

"""Expiry of unpaid subscriptions, reactivation by a late payment, and cancellation."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core import mail
from django.db import connection, connections
from django.utils import translation

from accounts.models import AuditLog, JobRun, Subscription
from billing_portal.errors import InvalidDocumentState, ValidationFailed
from invoices.lifecycle import (
    expire_unpaid_subscriptions,
    request_cancellation,
    send_subscription_expired_email,
)
from invoices.models import CreditNote, Document, DocumentKind, DocumentStatus, PaymentRequest
from invoices.services import issue_renewal_requests, settle_paid_document
from tests.factories import ContractFactory, CustomerFactory, ProductFactory, SubscriptionFactory
from tests.invoices.helpers import pay

D = date


def _domain(**kwargs) -> Subscription:
    product = ProductFactory(
        code="domain-cz",
        kind="domain",
        name="Domain .cz",
        names={"cs": "Doména .cz"},
        billing_period_months=12,
        prices={"CZK": "250.00"},
    )
    kwargs.setdefault("valid_until", D(2026, 12, 31))
    kwargs.setdefault("label", "pekarna.cz")
    return SubscriptionFactory(product=product, **kwargs)


def _renewal(subscription: Subscription, *, today: date, days_ahead: int = 30) -> Document:
    assert issue_renewal_requests(today=today, days_ahead=days_ahead)["issued"] == 1
    return PaymentRequest.objects.filter(lines__subscription=subscription).latest("pk")


def _paid(document: Document, on: date) -> Document:
    """The full payment, recorded through the settlement service."""
    pay(document, on=on)
    document.refresh_from_db()
    return document


def _settled(document: Document, on: date) -> Document:
    """Paid and settled: its tax invoice issued and the subscription extended."""
    _paid(document, on)
    with time_machine.travel(on):
        settle_paid_document(document_id=document.pk)
    document.refresh_from_db()
    return document


# --- expiry -------------------------------------------------------------------------


@pytest.mark.django_db
def test_unpaid_renewal_expires_the_day_after_valid_until_and_emails_once_in_czech(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="cs", email="jednatel@pekarna.cz")
    subscription = _domain(contract=ContractFactory(customer=customer))
    renewal = _renewal(subscription, today=D(2026, 12, 1))

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert expire_unpaid_subscriptions(today=D(2026, 12, 31)) == {
            "cancelled": 0,
            "expired": 0,
        }
    assert callbacks == []
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE  # the last day is still valid

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert expire_unpaid_subscriptions(today=D(2027, 1, 1))["expired"] == 1
    assert len(callbacks) == 1  # the e-mail task, after commit
    subscription.refresh_from_db()
    assert (subscription.status, subscription.valid_until) == (
        Subscription.Status.EXPIRED,
        D(2026, 12, 31),
    )
    audit = AuditLog.objects.get(event="subscription.expired")
    assert (audit.before["status"], audit.after["status"]) == ("active", "expired")

    assert send_subscription_expired_email(subscription_id=subscription.pk) is True
    assert send_subscription_expired_email(subscription_id=subscription.pk) is False  # once
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jednatel@pekarna.cz"]
    with translation.override("cs"):
        sentence = translation.gettext(
            "%(label)s (%(product)s) expired on %(date)s; pay %(number)s to renew it."
        ) % {
            "label": "pekarna.cz",
            "product": "Doména .cz",
            "date": "31.12.2026",
            "number": renewal.number,
        }
        subject = translation.gettext("%(label)s has expired") % {"label": "pekarna.cz"}
    assert message.subject.startswith(subject)
    assert message.body.startswith("Vážený zákazníku,")
    assert sentence in message.body
    assert "K úhradě: 302,50 CZK" in message.body  # Czech words and number format
    assert f"Variabilní symbol: {renewal.variable_symbol}" in message.body

    # A second run (the same day or later) changes nothing and schedules nothing.
    audit_rows = AuditLog.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert expire_unpaid_subscriptions(today=D(2027, 1, 1)) == {"cancelled": 0, "expired": 0}
        assert expire_unpaid_subscriptions(today=D(2027, 1, 2)) == {"cancelled": 0, "expired": 0}
    assert callbacks == []
    assert AuditLog.objects.count() == audit_rows
    runs = JobRun.objects.filter(job_name="expire_subscriptions")
    assert runs.count() == 4
    assert all(run.status == JobRun.Status.SUCCEEDED for run in runs)


@pytest.mark.django_db
def test_without_any_renewal_it_expires_with_a_plain_notice(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="en")
    subscription = _domain(contract=ContractFactory(customer=customer), label="old.cz")
    with django_capture_on_commit_callbacks(execute=False):
        assert expire_unpaid_subscriptions(today=D(2027, 1, 1))["expired"] == 1
    assert send_subscription_expired_email(subscription_id=subscription.pk) is True
    body = mail.outbox[0].body
    assert "old.cz (Domain .cz) expired on 31.12.2026.\n" in body
    assert "pay" not in body


@pytest.mark.django_db
def test_a_paid_renewal_keeps_it_active_even_before_its_settlement(bank_accounts):
    subscription = _domain()
    renewal = _paid(_renewal(subscription, today=D(2026, 12, 1)), D(2026, 12, 20))
    # paid, the settlement task not yet run: valid_until is still the old one
    assert expire_unpaid_subscriptions(today=D(2027, 1, 1))["expired"] == 0
    _settled(renewal, D(2026, 12, 20))
    subscription.refresh_from_db()
    assert (subscription.status, subscription.valid_until) == (
        Subscription.Status.ACTIVE,
        D(2027, 12, 31),
    )
    assert expire_unpaid_subscriptions(today=D(2027, 1, 1))["expired"] == 0
    assert not AuditLog.objects.filter(event="subscription.expired").exists()


@pytest.mark.django_db
def test_a_cancelled_renewal_request_does_not_keep_it_active(bank_accounts):
    from invoices.services import cancel_payment_request

    subscription = _domain()
    cancel_payment_request(document=_renewal(subscription, today=D(2026, 12, 1)))
    assert expire_unpaid_subscriptions(today=D(2027, 1, 1))["expired"] == 1


@pytest.mark.django_db
def test_a_late_payment_of_the_expired_renewal_reactivates_it(
    bank_accounts, django_capture_on_commit_callbacks
):
    """Every product kind is reactivated for now (no product that refuses it yet)."""
    subscription = _domain()
    renewal = _renewal(subscription, today=D(2026, 12, 1))
    with django_capture_on_commit_callbacks(execute=False):
        expire_unpaid_subscriptions(today=D(2027, 1, 1))
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.EXPIRED

    _settled(renewal, D(2027, 1, 15))
    subscription.refresh_from_db()
    line = renewal.lines.get()
    assert (subscription.status, subscription.valid_until) == (
        Subscription.Status.ACTIVE,
        line.period_to,
    )
    assert subscription.valid_until == D(2027, 12, 31)
    assert renewal.derived_documents.get().kind == DocumentKind.TAX_INVOICE
    # paid again before the e-mail went out: no expiry notice any more
    assert send_subscription_expired_email(subscription_id=subscription.pk) is False
    assert mail.outbox == []
    assert expire_unpaid_subscriptions(today=D(2027, 1, 16)) == {"cancelled": 0, "expired": 0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_expiry_runs_at_once_expire_each_subscription_once(bank_accounts):
    product = ProductFactory(code="hosting-x", kind="hosting", prices={"CZK": "100.00"})
    for _ in range(40):
        SubscriptionFactory(product=product, valid_until=D(2026, 12, 31))
    barrier = threading.Barrier(3)
    results: list[dict] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(expire_unpaid_subscriptions(today=D(2027, 1, 1)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sum(result["expired"] for result in results) == 40
    assert Subscription.objects.filter(status=Subscription.Status.EXPIRED).count() == 40
    assert AuditLog.objects.filter(event="subscription.expired").count() == 40


# --- cancellation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "valid_until", "requested_on", "ends_on"),
    [
        # yearly, the next period starts on 1 Jan 2027: notice by 1 Dec 2026
        (12, D(2026, 12, 31), D(2026, 11, 30), D(2026, 12, 31)),
        (12, D(2026, 12, 31), D(2026, 12, 1), D(2026, 12, 31)),  # exactly one month
        (12, D(2026, 12, 31), D(2026, 12, 2), D(2027, 12, 31)),
        # monthly
        (1, D(2026, 12, 31), D(2026, 11, 30), D(2026, 12, 31)),
        (1, D(2026, 12, 31), D(2026, 12, 2), D(2027, 1, 31)),
        # month ends: 28 Feb (next period 1 Mar, notice by 1 Feb)
        (1, D(2027, 2, 28), D(2027, 2, 1), D(2027, 2, 28)),
        (1, D(2027, 2, 28), D(2027, 2, 2), D(2027, 3, 31)),
        (12, D(2027, 2, 28), D(2027, 2, 2), D(2028, 2, 29)),
        (1, D(2027, 1, 31), D(2026, 12, 31), D(2027, 1, 31)),
        (1, D(2027, 1, 31), D(2027, 1, 2), D(2027, 2, 28)),
    ],
)
@pytest.mark.django_db
def test_cancellation_takes_effect_with_the_notice_period(
    months, valid_until, requested_on, ends_on
):
    subscription = _domain(valid_until=valid_until, billing_period_months=months)
    assert request_cancellation(subscription=subscription, requested_on=requested_on) == ends_on
    subscription.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (
        ends_on,
        requested_on,
    )
    assert subscription.valid_until == valid_until
    assert subscription.status == Subscription.Status.ACTIVE  # until the last day passes
    audit = AuditLog.objects.get(event="subscription.cancellation_requested")
    assert audit.after["ends_on"] == ends_on.isoformat()


@pytest.mark.django_db
def test_on_time_cancellation_cancels_the_unpaid_renewal_and_ends_the_service(
    bank_accounts, django_capture_on_commit_callbacks
):
    subscription = _domain()
    renewal = _renewal(subscription, today=D(2026, 12, 1))
    with time_machine.travel(D(2026, 12, 1)):
        assert request_cancellation(subscription=subscription) == D(2026, 12, 31)
    renewal.refresh_from_db()
    assert renewal.status == DocumentStatus.CANCELLED
    cancelled = AuditLog.objects.get(event="payment_request.cancelled")
    assert cancelled.note == "cancelled by the customer"
    assert CreditNote.objects.count() == 0  # a payment request is not a tax document

    # A repeated request (later) keeps the last day and writes nothing.
    rows = AuditLog.objects.count()
    assert request_cancellation(subscription=subscription, requested_on=D(2026, 12, 20)) == D(
        2026, 12, 31
    )
    assert AuditLog.objects.count() == rows

    # No renewal beyond the last day; the service ends after it, without an e-mail.
    assert issue_renewal_requests(today=D(2026, 12, 20))["issued"] == 0
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert expire_unpaid_subscriptions(today=D(2026, 12, 31)) == {
            "cancelled": 0,
            "expired": 0,
        }
        assert expire_unpaid_subscriptions(today=D(2027, 1, 1)) == {"cancelled": 1, "expired": 0}
        assert expire_unpaid_subscriptions(today=D(2027, 1, 2)) == {"cancelled": 0, "expired": 0}
    assert callbacks == []
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.CANCELLED
    assert request_cancellation(subscription=subscription) == D(2026, 12, 31)


@pytest.mark.django_db
def test_on_time_cancellation_credits_a_renewal_paid_in_advance(bank_accounts):
    subscription = _domain()
    renewal = _settled(
        _renewal(subscription, today=D(2026, 11, 20), days_ahead=45), D(2026, 11, 25)
    )
    invoice = renewal.derived_documents.get(kind=DocumentKind.TAX_INVOICE)
    subscription.refresh_from_db()
    assert subscription.valid_until == D(2027, 12, 31)  # 2027 prepaid

    with time_machine.travel(D(2026, 11, 30)):
        assert request_cancellation(subscription=subscription) == D(2026, 12, 31)
    credit_note = CreditNote.objects.get()
    assert credit_note.related_document == invoice
    assert credit_note.total_gross == -invoice.total_gross == Decimal("-302.50")
    assert credit_note.issue_date == D(2026, 11, 30)
    with translation.override(invoice.language):
        assert translation.gettext("cancelled by the customer") in credit_note.note
    assert credit_note.status == DocumentStatus.OPEN  # a refund we owe
    subscription.refresh_from_db()
    assert (subscription.ends_on, subscription.valid_until) == (D(2026, 12, 31), D(2026, 12, 31))
    audit = AuditLog.objects.get(event="subscription.cancellation_requested")
    assert credit_note.number in audit.note

    # Repeated: no second credit note.
    assert request_cancellation(subscription=subscription, requested_on=D(2026, 12, 5)) == D(
        2026, 12, 31
    )
    assert CreditNote.objects.count() == 1
    assert issue_renewal_requests(today=D(2026, 12, 20))["issued"] == 0
    assert expire_unpaid_subscriptions(today=D(2027, 1, 1)) == {"cancelled": 1, "expired": 0}


@pytest.mark.django_db
def test_late_cancellation_keeps_the_following_period_and_issues_nothing_beyond(
    bank_accounts, django_capture_on_commit_callbacks
):
    subscription = _domain(billing_period_months=1)
    january = _renewal(subscription, today=D(2026, 12, 1))
    assert request_cancellation(subscription=subscription, requested_on=D(2026, 12, 2)) == D(
        2027, 1, 31
    )
    january.refresh_from_db()
    assert january.status == DocumentStatus.OPEN  # January is still owed
    _settled(january, D(2026, 12, 28))
    subscription.refresh_from_db()
    assert subscription.valid_until == D(2027, 1, 31)
    for today in (D(2027, 1, 1), D(2027, 1, 5), D(2027, 1, 31)):
        assert issue_renewal_requests(today=today)["issued"] == 0
    assert PaymentRequest.objects.count() == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert expire_unpaid_subscriptions(today=D(2027, 1, 31))["cancelled"] == 0
        assert expire_unpaid_subscriptions(today=D(2027, 2, 1)) == {"cancelled": 1, "expired": 0}
    assert callbacks == []


@pytest.mark.django_db
def test_an_earlier_request_replaces_a_later_last_day(bank_accounts):
    subscription = _domain()
    renewal = _renewal(subscription, today=D(2026, 12, 1))
    assert request_cancellation(subscription=subscription, requested_on=D(2026, 12, 2)) == D(
        2027, 12, 31
    )
    renewal.refresh_from_db()
    assert renewal.status == DocumentStatus.OPEN
    # the letter had arrived on 30 Nov and is entered with its real date
    assert request_cancellation(subscription=subscription, requested_on=D(2026, 11, 30)) == D(
        2026, 12, 31
    )
    renewal.refresh_from_db()
    assert renewal.status == DocumentStatus.CANCELLED
    subscription.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (
        D(2026, 12, 31),
        D(2026, 11, 30),
    )


@pytest.mark.django_db
def test_a_partly_paid_renewal_stops_the_cancellation_for_staff(bank_accounts):
    subscription = _domain()
    renewal = _renewal(subscription, today=D(2026, 12, 1))
    pay(renewal, Decimal("100.00"))
    with translation.override("en"), pytest.raises(InvalidDocumentState) as error:
        request_cancellation(subscription=subscription, requested_on=D(2026, 11, 30))
    with translation.override("en"):
        assert renewal.number in str(error.value.message)
        assert "partly paid" in str(error.value.message)
    subscription.refresh_from_db()
    renewal.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (None, None)
    assert renewal.status == DocumentStatus.PARTLY_PAID
    assert not AuditLog.objects.filter(event__startswith="subscription.").exists()


@pytest.mark.django_db
def test_a_paid_but_unsettled_renewal_stops_the_cancellation(bank_accounts):
    subscription = _domain()
    renewal = _paid(_renewal(subscription, today=D(2026, 11, 20), days_ahead=45), D(2026, 11, 25))
    with pytest.raises(InvalidDocumentState):
        request_cancellation(subscription=subscription, requested_on=D(2026, 11, 30))
    subscription.refresh_from_db()
    assert subscription.ends_on is None
    assert CreditNote.objects.count() == 0
    renewal.refresh_from_db()
    assert renewal.status == DocumentStatus.PAID


@pytest.mark.django_db
def test_a_service_that_has_not_started_is_not_cancelled_here():
    subscription = _domain(valid_until=None, status=Subscription.Status.PENDING)
    with pytest.raises(ValidationFailed):
        request_cancellation(subscription=subscription, requested_on=D(2026, 11, 30))
    subscription.refresh_from_db()
    assert subscription.ends_on is None

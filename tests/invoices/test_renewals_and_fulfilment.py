"""The daily renewal job and the fulfilment registry."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.db import connection, connections

from accounts.models import JobRun, Subscription
from billing_portal import fulfilment
from billing_portal.errors import InvalidDocumentState
from invoices.models import Document, PaymentRequest
from invoices.services import (
    LineSpec,
    fulfil_document,
    issue_payment_request,
    issue_renewal_requests,
)
from tests.factories import ContractFactory, ProductFactory, SubscriptionFactory
from tests.invoices.helpers import pay


def _paid(document: Document, on: date) -> Document:
    """The full payment, recorded through the settlement service."""
    pay(document, on=on)
    document.refresh_from_db()
    return document


@pytest.mark.django_db
def test_renewal_request_is_issued_thirty_days_ahead_once(bank_accounts):
    product = ProductFactory(code="domain-cz", kind="domain", prices={"CZK": "250.00"})
    due = SubscriptionFactory(product=product, label="pekarna.cz", valid_until=date(2026, 12, 24))
    later = SubscriptionFactory(product=product, label="later.cz", valid_until=date(2026, 12, 25))
    SubscriptionFactory(
        product=product, valid_until=date(2026, 12, 1), status=Subscription.Status.CANCELLED
    )
    counts = issue_renewal_requests(today=date(2026, 11, 24))
    assert counts["issued"] == 1
    request = PaymentRequest.objects.get()
    line = request.lines.get()
    assert line.subscription == due
    assert (line.period_from, line.period_to) == (date(2026, 12, 25), date(2027, 12, 24))
    assert "pekarna.cz" in line.description
    assert request.due_date == date(2026, 12, 24)
    assert request.total_gross == Decimal("302.50")
    # A second run the same day, and the next day, issue nothing new for `due`.
    assert issue_renewal_requests(today=date(2026, 11, 24))["issued"] == 0
    assert issue_renewal_requests(today=date(2026, 11, 25))["issued"] == 1
    assert PaymentRequest.objects.filter(lines__subscription=later).count() == 1
    assert PaymentRequest.objects.count() == 2
    runs = JobRun.objects.filter(job_name="issue_renewal_requests")
    assert runs.count() == 3
    assert all(run.status == JobRun.Status.SUCCEEDED and run.finished_at for run in runs)


@pytest.mark.django_db
def test_renewal_without_a_price_in_the_currency_is_reported_not_fatal(bank_accounts):
    eur_only = ProductFactory(code="eur-only", kind="hosting", prices={"EUR": "9.00"})
    ok = ProductFactory(code="ok", kind="hosting", prices={"CZK": "100.00"})
    SubscriptionFactory(product=eur_only, valid_until=date(2026, 12, 1))
    SubscriptionFactory(product=ok, valid_until=date(2026, 12, 1))
    counts = issue_renewal_requests(today=date(2026, 11, 24))
    assert (counts["issued"], counts["errors"]) == (1, 1)
    run = JobRun.objects.get()
    assert run.errors[0]["message"]
    assert PaymentRequest.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_renewal_runs_at_once_issue_each_request_once(bank_accounts):
    product = ProductFactory(code="hosting-y", kind="hosting", prices={"CZK": "1200.00"})
    for _ in range(40):
        SubscriptionFactory(product=product, valid_until=date(2026, 12, 10))
    barrier = threading.Barrier(3)

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            issue_renewal_requests(today=date(2026, 11, 24))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert PaymentRequest.objects.count() == 40
    assert Subscription.objects.filter(renewal_requested_for=date(2026, 12, 10)).count() == 40


@pytest.mark.django_db
def test_paid_renewal_extends_the_subscription_once(bank_accounts):
    product = ProductFactory(code="hosting-m", kind="hosting", prices={"CZK": "100.00"})
    subscription = SubscriptionFactory(
        product=product, valid_until=date(2026, 12, 31), billing_period_months=1
    )
    issue_renewal_requests(today=date(2026, 12, 5))
    request = _paid(PaymentRequest.objects.get(), date(2026, 12, 10))
    assert fulfil_document(document=request, paid_on=date(2026, 12, 10)) == 1
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 1, 31)
    assert fulfil_document(document=request, paid_on=date(2026, 12, 10)) == 0
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 1, 31)


@pytest.mark.django_db
def test_new_subscription_is_activated_from_the_payment_date(bank_accounts):
    product = ProductFactory(code="ssl-dv", kind="ssl_certificate", prices={"CZK": "990.00"})
    subscription = SubscriptionFactory(
        product=product, valid_until=None, status=Subscription.Status.PENDING
    )
    customer = subscription.contract.customer
    spec = LineSpec.for_product(
        product, currency="CZK", language="cs", label="www.example.cz", subscription=subscription
    )
    request = issue_payment_request(customer=customer, contract=subscription.contract, lines=[spec])
    with time_machine.travel(date(2026, 2, 28)):
        fulfil_document(document=_paid(request, date(2026, 2, 28)), paid_on=date(2026, 2, 28))
    subscription.refresh_from_db()
    assert subscription.status == Subscription.Status.ACTIVE
    assert subscription.valid_until == date(2027, 2, 27)  # a year, the last day inclusive


@pytest.mark.django_db
def test_an_unpaid_document_is_not_fulfilled(bank_accounts):
    request = issue_payment_request(
        customer=ContractFactory().customer,
        lines=[LineSpec(description="x", unit_price=Decimal("1"))],
    )
    with pytest.raises(InvalidDocumentState):
        fulfil_document(document=request, paid_on=date(2026, 1, 1))


def test_accounts_registers_the_subscription_kinds():
    kinds = fulfilment.registered_kinds()
    for kind in ("domain", "hosting", "email", "ssl_certificate", "qualified_certificate"):
        assert kinds[kind] == "accounts"
    assert kinds["credit_topup"] == "credits"


def test_one_owner_per_kind():
    def other_handler(**kwargs):
        return None

    with pytest.raises(fulfilment.DuplicateHandler):
        fulfilment.register("domain", other_handler, owner="someone-else")


@pytest.mark.django_db
def test_registry_calls_the_handler_of_each_line_kind(bank_accounts):
    calls = []

    def voucher_handler(*, line, document, paid_on):
        calls.append((line.description, document.number, paid_on))

    fulfilment.register("voucher", voucher_handler, owner="tests")
    try:
        product = ProductFactory(code="voucher-1y", kind="voucher", prices={"CZK": "290.00"})
        customer = ContractFactory().customer
        request = issue_payment_request(
            customer=customer,
            lines=[
                LineSpec.for_product(product, currency="CZK", language="cs"),
                LineSpec(description="bez produktu", unit_price=Decimal("5")),
            ],
        )
        handled = fulfil_document(
            document=_paid(request, date(2026, 3, 1)), paid_on=date(2026, 3, 1)
        )
    finally:
        fulfilment.unregister("voucher")
    assert handled == 1
    assert calls == [(product.name, request.number, date(2026, 3, 1))]


@pytest.mark.django_db
def test_monthly_periods_do_not_drift_at_month_ends(bank_accounts):
    product = ProductFactory(code="hosting-month", kind="hosting", prices={"CZK": "99.00"})
    subscription = SubscriptionFactory(
        product=product, valid_until=date(2027, 1, 31), billing_period_months=1
    )
    periods = []
    for today in (date(2027, 1, 20), date(2027, 2, 20), date(2027, 3, 20)):
        issue_renewal_requests(today=today)
        request = PaymentRequest.objects.order_by("-pk").first()
        line = request.lines.get()
        periods.append((line.period_from, line.period_to))
        fulfil_document(document=_paid(request, today), paid_on=today)
    assert periods == [
        (date(2027, 2, 1), date(2027, 2, 28)),
        (date(2027, 3, 1), date(2027, 3, 31)),
        (date(2027, 4, 1), date(2027, 4, 30)),
    ]
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 4, 30)


@pytest.mark.django_db
def test_a_credit_note_or_a_settling_invoice_is_never_fulfilled_again(bank_accounts):
    from invoices.services import issue_credit_note, issue_tax_invoice_for_paid_request

    product = ProductFactory(code="hosting-c", kind="hosting", prices={"CZK": "100.00"})
    subscription = SubscriptionFactory(product=product, valid_until=date(2026, 12, 31))
    issue_renewal_requests(today=date(2026, 12, 5))
    request = _paid(PaymentRequest.objects.get(), date(2026, 12, 10))
    fulfil_document(document=request, paid_on=date(2026, 12, 10))
    invoice = issue_tax_invoice_for_paid_request(
        payment_request=request, paid_on=date(2026, 12, 10)
    )
    assert fulfil_document(document=invoice, paid_on=date(2026, 12, 10)) == 0
    note = issue_credit_note(invoice=invoice, reason="test")
    with pytest.raises(InvalidDocumentState):
        fulfil_document(document=_paid(note, date(2026, 12, 11)), paid_on=date(2026, 12, 11))
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 12, 31)

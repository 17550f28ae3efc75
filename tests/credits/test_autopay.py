"""Auto-pay by credit on day 10, the one-time opt-out, the insufficient-credit notice,
and the zero-amount tax invoice of a non-VAT-payer's top-up."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import AuditLog
from credits import autopay
from credits.models import LedgerEntry
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services import LineSpec, issue_payment_request
from tests.factories import CustomerFactory, PersonCustomerFactory, ProductFactory

D = date

# both paths of the job: set-based (PostgreSQL) and one by one (as on SQLite)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("job_path")]


def _fund(customer, amount: str):
    from credits.services import adjust, wallet_for

    wallet = wallet_for(customer)
    adjust(wallet=wallet, amount=Decimal(amount), actor=None, reason="test funding")
    wallet.refresh_from_db()
    return wallet


def _request(customer, *, issued: date, kind: str = "hosting", charge: bool = True) -> Document:
    product = ProductFactory(code=f"p-{kind}", kind=kind)
    return issue_payment_request(
        customer=customer,
        lines=[LineSpec.for_product(product, currency="CZK", language=customer.language)],
        issue_date=issued,
        charge_by_credit=charge,
    )


def _charges(document: Document):
    return LedgerEntry.objects.filter(document=document, kind=LedgerEntry.Kind.CHARGE)


@pytest.mark.parametrize(
    ("issued", "day_before", "day_ten"),
    [
        (D(2026, 1, 25), D(2026, 2, 3), D(2026, 2, 4)),  # across a month end
        (D(2026, 12, 20), D(2026, 12, 29), D(2026, 12, 30)),
        (D(2026, 2, 25), D(2026, 3, 6), D(2026, 3, 7)),  # across February
    ],
)
def test_charged_on_day_ten_after_issue_not_before(bank_accounts, issued, day_before, day_ten):
    customer = CustomerFactory()
    _fund(customer, "5000")
    request = _request(customer, issued=issued)

    assert autopay.charge_due_requests(today=day_before)["charged"] == 0
    request.refresh_from_db()
    assert request.status == DocumentStatus.OPEN
    assert not _charges(request).exists()

    assert autopay.charge_due_requests(today=day_ten)["charged"] == 1
    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    assert request.paid_by_credit
    assert _charges(request).count() == 1

    # a second run (or a later day) charges nothing twice
    assert autopay.charge_due_requests(today=day_ten)["charged"] == 0
    assert _charges(request).count() == 1


def test_a_missed_day_is_caught_up_later(bank_accounts):
    customer = CustomerFactory()
    _fund(customer, "5000")
    request = _request(customer, issued=D(2026, 1, 25))
    assert autopay.charge_due_requests(today=D(2026, 2, 20))["charged"] == 1
    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID


def test_not_marked_or_opted_out_is_never_charged(bank_accounts):
    customer = CustomerFactory()
    wallet = _fund(customer, "5000")
    manual = _request(customer, issued=D(2026, 1, 25), charge=False)
    opted = _request(customer, issued=D(2026, 1, 25))

    autopay.opt_out_of_auto_charge(request=opted)
    autopay.opt_out_of_auto_charge(request=opted)  # a second click changes nothing
    opted.refresh_from_db()
    assert opted.credit_opt_out
    assert (
        AuditLog.objects.filter(
            event="payment_request.credit_opt_out", subject_id=str(opted.pk)
        ).count()
        == 1
    )

    result = autopay.charge_due_requests(today=D(2026, 2, 10))
    assert result["charged"] == 0
    for document in (manual, opted):
        document.refresh_from_db()
        assert document.status == DocumentStatus.OPEN
        assert not _charges(document).exists()
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("5000.00")


def test_opt_out_only_of_an_open_auto_charged_request(bank_accounts):
    from billing_portal.errors import InvalidDocumentState

    customer = CustomerFactory()
    manual = _request(customer, issued=D(2026, 1, 25), charge=False)
    with pytest.raises(InvalidDocumentState):
        autopay.opt_out_of_auto_charge(request=manual)


@pytest.mark.parametrize("kind", ["dedicated_server", "credit_topup"])
def test_kinds_not_payable_by_credit_are_never_charged(bank_accounts, kind):
    customer = CustomerFactory()
    wallet = _fund(customer, "50000")
    request = _request(customer, issued=D(2026, 1, 25), kind=kind)  # marked by mistake

    result = autopay.charge_due_requests(today=D(2026, 2, 10))
    assert result["charged"] == 0
    request.refresh_from_db()
    assert request.status == DocumentStatus.OPEN
    assert not _charges(request).exists()
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("50000.00")


def test_vat_payer_is_charged_gross_and_gets_a_tax_invoice(
    bank_accounts, django_capture_on_commit_callbacks
):
    from invoices.services import settle_paid_document

    customer = CustomerFactory(vat_payer=True)
    wallet = _fund(customer, "5000")
    request = _request(customer, issued=D(2026, 1, 25))
    assert request.total_gross == Decimal("1210.00")

    with django_capture_on_commit_callbacks(execute=False):
        assert autopay.charge_due_requests(today=D(2026, 2, 4))["charged"] == 1
    settle_paid_document(document_id=request.pk)

    assert _charges(request).get().amount == Decimal("-1210.00")
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("3790.00")
    assert request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).count() == 1


def test_non_vat_payer_is_charged_net_and_gets_no_tax_invoice(
    bank_accounts, django_capture_on_commit_callbacks
):
    from invoices.services import settle_paid_document

    customer = PersonCustomerFactory()
    wallet = _fund(customer, "5000")
    request = _request(customer, issued=D(2026, 1, 25))
    assert request.total_net == Decimal("1000.00")
    assert request.total_gross == Decimal("1210.00")

    with django_capture_on_commit_callbacks(execute=False):
        assert autopay.charge_due_requests(today=D(2026, 2, 4))["charged"] == 1
    settle_paid_document(document_id=request.pk)

    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    assert _charges(request).get().amount == Decimal("-1000.00")
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("4000.00")
    assert not request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).exists()


def test_insufficient_credit_leaves_the_request_open_and_tells_the_customer_once(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="en")
    wallet = _fund(customer, "100")
    request = _request(customer, issued=D(2026, 1, 25))

    with django_capture_on_commit_callbacks(execute=False) as first:
        result = autopay.charge_due_requests(today=D(2026, 2, 4))
    assert result["insufficient"] == 1 and result["charged"] == 0
    assert len(first) == 1  # the e-mail task, after commit
    assert autopay.send_insufficient_credit_email(document_id=request.pk) is True

    with django_capture_on_commit_callbacks(execute=False) as second:
        result = autopay.charge_due_requests(today=D(2026, 2, 5))
    assert result["insufficient"] == 1
    assert second == []  # already told
    assert autopay.send_insufficient_credit_email(document_id=request.pk) is False  # a retry

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert request.number in message.subject
    assert "1210.00" in message.body and "100.00" in message.body
    assert "&" not in message.body  # autoescape off
    request.refresh_from_db()
    assert request.status == DocumentStatus.OPEN
    assert request.amount_paid == Decimal("0.00")
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("100.00")
    assert (
        AuditLog.objects.filter(
            event=autopay.INSUFFICIENT_EVENT, subject_id=str(request.pk)
        ).count()
        == 1
    )

    # topped up meanwhile: the next run charges it
    _fund(customer, "2000")
    with django_capture_on_commit_callbacks(execute=False):
        assert autopay.charge_due_requests(today=D(2026, 2, 6))["charged"] == 1


def test_insufficient_notice_in_the_customers_language(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="cs")
    _fund(customer, "1")
    request = _request(customer, issued=D(2026, 1, 25))
    with django_capture_on_commit_callbacks(execute=False):
        autopay.charge_due_requests(today=D(2026, 2, 4))
    assert autopay.send_insufficient_credit_email(document_id=request.pk) is True
    assert mail.outbox[0].to == [customer.email]


def _paid_top_up(customer, *, paid_on: date, django_capture_on_commit_callbacks) -> Document:
    """A top-up request paid by transfer; settlement (which would run after commit) is
    not run, so it has no derived tax invoice."""
    from credits.services import request_top_up
    from tests.invoices.helpers import pay

    ProductFactory(code="credit-topup", kind="credit_topup", prices={"CZK": "1.00"})
    request = request_top_up(customer=customer, net_amount=Decimal("1000"))
    with django_capture_on_commit_callbacks(execute=False):
        pay(request, on=paid_on)
    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    return request


def test_zero_amount_tax_invoice_of_a_non_vat_payers_top_up_once(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = PersonCustomerFactory()
    request = _paid_top_up(
        customer,
        paid_on=D(2026, 3, 2),
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    assert request.total_gross == Decimal("1210.00")

    result = autopay.issue_zero_top_up_invoices(today=D(2026, 3, 3))
    assert result["issued"] == 1
    invoice = request.derived_documents.get(kind=DocumentKind.TAX_INVOICE)
    assert invoice.total_net == invoice.total_vat == invoice.total_gross == Decimal("0.00")
    assert invoice.taxable_supply_date == D(2026, 3, 2)
    assert invoice.issue_date == D(2026, 3, 3)
    assert invoice.status == DocumentStatus.PAID
    lines = list(invoice.lines.order_by("position"))
    assert [line.net_amount for line in lines] == [Decimal("1000.00"), Decimal("-1000.00")]
    assert {line.vat_rate for line in lines} == {Decimal("21.00")}

    assert autopay.issue_zero_top_up_invoices(today=D(2026, 3, 4))["issued"] == 0
    assert request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).count() == 1


def test_no_zero_invoice_for_a_vat_payer_or_past_the_deadline(
    bank_accounts, django_capture_on_commit_callbacks
):
    payer = _paid_top_up(
        CustomerFactory(vat_payer=True),
        paid_on=D(2026, 3, 2),
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    late = _paid_top_up(
        PersonCustomerFactory(),
        paid_on=D(2026, 1, 2),
        django_capture_on_commit_callbacks=django_capture_on_commit_callbacks,
    )
    result = autopay.issue_zero_top_up_invoices(today=D(2026, 3, 3))
    assert result["issued"] == 0 and result["late"] == 1
    for request in (payer, late):
        assert not request.derived_documents.exists()

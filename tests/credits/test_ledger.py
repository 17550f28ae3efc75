"""The credit wallet: top-ups, charges, reversals, refunds, alerts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail

from accounts.models import AuditLog
from billing_portal.errors import (
    CurrencyLocked,
    InsufficientCredit,
    InvalidDocumentState,
    ValidationFailed,
)
from credits import services
from credits.models import LedgerEntry, Wallet
from credits.selectors import ledger_balance
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services import LineSpec, business_today, issue_payment_request, settle_paid_document
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PersonCustomerFactory,
    ProductFactory,
    SlovakCustomerFactory,
)
from tests.invoices.helpers import pay

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.fixture
def topup_product(db):
    return ProductFactory(code="credit-topup", kind="credit_topup", name="Credit top-up")


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="staff", is_staff=True)


def _pay(document: Document) -> Document:
    """Stand-in for the payments app: the full amount arrives, then settlement runs."""
    pay(document, on=business_today())
    settle_paid_document(document_id=document.pk)
    document.refresh_from_db()
    return document


def _request(customer, net: str = "100.00", kind: str = "hosting") -> Document:
    product = ProductFactory(code=f"p-{kind}", kind=kind)
    return issue_payment_request(
        customer=customer,
        lines=[LineSpec(description="Service", unit_price=D(net), product=product)],
    )


def _funded(customer, amount: str) -> Wallet:
    wallet = services.wallet_for(customer)
    doc = issue_payment_request(
        customer=customer, lines=[LineSpec(description="x", unit_price=D("1"))]
    )
    services.credit_top_up(document=doc, amount=D(amount), paid_on=business_today())
    wallet.refresh_from_db()
    return wallet


def _consistent(wallet: Wallet) -> None:
    wallet.refresh_from_db()
    assert wallet.balance == ledger_balance(wallet)
    assert wallet.balance >= 0


def test_wallet_is_created_in_the_customers_currency():
    customer = SlovakCustomerFactory()
    wallet = services.wallet_for(customer)
    assert wallet.currency == "EUR"
    assert services.wallet_for(customer).pk == wallet.pk


def test_top_up_request_is_gross_for_a_non_vat_payer_and_credits_the_net(
    bank_accounts, topup_product
):
    customer = PersonCustomerFactory()
    request = services.request_top_up(customer=customer, net_amount=D("1000"))
    assert request.kind == DocumentKind.PAYMENT_REQUEST
    assert request.total_net == D("1000.00")
    assert request.total_gross == D("1210.00")
    _pay(request)
    wallet = services.wallet_for(customer)
    assert wallet.balance == D("1000.00")
    entry = wallet.entries.get()
    assert (entry.kind, entry.source_key) == ("top_up", f"top_up:{request.pk}")
    # settling again (a retried task) credits nothing more
    settle_paid_document(document_id=request.pk)
    services.credit_top_up(document=request, amount=D("1000"), paid_on=business_today())
    assert wallet.entries.count() == 1
    _consistent(wallet)


def test_top_up_request_is_net_for_a_vat_payer(bank_accounts, topup_product):
    customer = CustomerFactory()
    request = services.request_top_up(customer=customer, net_amount=D("500"))
    assert request.total_gross == request.total_net == D("500.00")
    _pay(request)
    assert services.wallet_for(customer).balance == D("500.00")


def test_top_up_request_needs_a_top_up_product(bank_accounts):
    with pytest.raises(ValidationFailed):
        services.request_top_up(customer=CustomerFactory(), net_amount=D("100"))


def test_top_up_in_another_currency_is_refused(bank_accounts):
    customer = CustomerFactory()
    services.wallet_for(customer)
    Wallet.objects.filter(customer=customer).update(currency="EUR")
    doc = issue_payment_request(
        customer=customer, lines=[LineSpec(description="x", unit_price=D("1"))]
    )
    with pytest.raises(CurrencyLocked):
        services.credit_top_up(document=doc, amount=D("10"), paid_on=business_today())


def test_non_vat_payer_is_charged_the_net_and_gets_no_tax_invoice(bank_accounts):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "500.00")
    request = _request(customer, "100.00")
    entry = services.charge_request(request=request)
    assert entry.amount == D("-100.00")
    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    assert request.paid_by_credit
    assert request.amount_paid == request.total_gross == D("121.00")
    settle_paid_document(document_id=request.pk)
    assert not request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).exists()
    wallet.refresh_from_db()
    assert wallet.balance == D("400.00")
    _consistent(wallet)


def test_vat_payer_is_charged_the_gross_and_gets_a_tax_invoice(bank_accounts):
    customer = CustomerFactory()
    wallet = _funded(customer, "500.00")
    request = _request(customer, "100.00")
    entry = services.charge_request(request=request)
    assert entry.amount == D("-121.00")
    settle_paid_document(document_id=request.pk)
    assert request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).count() == 1
    wallet.refresh_from_db()
    assert wallet.balance == D("379.00")


def test_charge_is_idempotent(bank_accounts):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "500.00")
    request = _request(customer)
    first = services.charge_request(request=request)
    second = services.charge_request(request=request)
    assert first.pk == second.pk
    wallet.refresh_from_db()
    assert wallet.balance == D("400.00")
    assert LedgerEntry.objects.filter(kind="charge").count() == 1


def test_other_currency_is_refused(bank_accounts):
    customer = PersonCustomerFactory()
    _funded(customer, "500.00")
    Wallet.objects.filter(customer=customer).update(currency="EUR")
    request = _request(customer)
    with pytest.raises(CurrencyLocked):
        services.charge_request(request=request)
    request.refresh_from_db()
    assert request.status == DocumentStatus.OPEN


@pytest.mark.parametrize("kind", ["dedicated_server", "credit_topup"])
def test_dedicated_server_and_top_up_cannot_be_paid_by_credit(bank_accounts, kind):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "5000.00")
    request = _request(customer, kind=kind)
    with pytest.raises(ValidationFailed):
        services.charge_request(request=request)
    wallet.refresh_from_db()
    assert wallet.balance == D("5000.00")


def test_cancelled_or_paid_requests_are_refused(bank_accounts):
    from invoices.services import cancel_payment_request

    customer = PersonCustomerFactory()
    _funded(customer, "5000.00")
    cancelled = cancel_payment_request(document=_request(customer))
    with pytest.raises(InvalidDocumentState):
        services.charge_request(request=cancelled)
    paid = _pay(_request(customer))
    with pytest.raises(InvalidDocumentState):
        services.charge_request(request=paid)


def test_insufficient_credit_leaves_the_request_open_and_the_balance_unchanged(bank_accounts):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "50.00")
    request = _request(customer, "100.00")
    with pytest.raises(InsufficientCredit):
        services.charge_request(request=request)
    request.refresh_from_db()
    wallet.refresh_from_db()
    assert request.status == DocumentStatus.OPEN
    assert not request.paid_by_credit
    assert request.amount_paid == 0
    assert wallet.balance == D("50.00")
    assert not wallet.entries.filter(kind="charge").exists()


def test_inactive_wallet_cannot_pay_and_deactivation_keeps_the_balance(bank_accounts, staff):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "300.00")
    wallet = services.deactivate_wallet(wallet=wallet, actor=staff, reason="customer asked")
    assert not wallet.active
    assert wallet.balance == D("300.00")
    with pytest.raises(ValidationFailed):
        services.charge_request(request=_request(customer))
    wallet = services.reactivate_wallet(wallet=wallet, actor=staff)
    assert wallet.active and wallet.balance == D("300.00")
    assert AuditLog.objects.filter(event="credit.wallet_deactivated").count() == 1


def test_charge_extends_the_subscription(bank_accounts):
    from tests.factories import SubscriptionFactory

    contract = ContractFactory(customer=PersonCustomerFactory())
    subscription = SubscriptionFactory(contract=contract)
    _funded(contract.customer, "5000.00")
    request = issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[
            LineSpec.for_product(
                subscription.product, currency="CZK", language="cs", subscription=subscription
            )
        ],
    )
    assert subscription.valid_until is None
    services.charge_request(request=request)
    settle_paid_document(document_id=request.pk)
    subscription.refresh_from_db()
    assert subscription.valid_until is not None


def test_low_balance_alert_once_per_crossing(bank_accounts, django_capture_on_commit_callbacks):
    customer = PersonCustomerFactory(language="en")
    wallet = _funded(customer, "300.00")
    Wallet.objects.filter(pk=wallet.pk).update(low_balance_threshold=D("100.00"))

    def alerts_after(amount: str) -> list:
        """The low-balance e-mail tasks queued after commit by one adjustment."""
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.adjust(wallet=wallet, amount=D(amount), actor=None, reason="x")
        return [c for c in callbacks if "send_low_balance_email_task" in repr(c)]

    assert alerts_after("-150") == []  # 150
    crossed = alerts_after("-60")  # 90: alert
    assert len(crossed) == 1 and crossed[0].args == (wallet.pk, "90.00")
    assert alerts_after("-40") == []  # 50: already told
    # what the queued task does
    assert services.send_low_balance_email(wallet_id=wallet.pk, balance=D("90.00"))
    message = mail.outbox[0]
    assert message.to == [customer.email]
    assert "90.00 CZK" in message.body
    assert "100.00 CZK" in message.body
    wallet.refresh_from_db()
    assert wallet.low_balance_alerted
    assert alerts_after("100") == []  # 150: reset
    wallet.refresh_from_db()
    assert not wallet.low_balance_alerted
    assert len(alerts_after("-100")) == 1  # 50: alert again


def test_reversal_of_a_top_up_and_refusal_for_a_paid_charge(bank_accounts, staff):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "300.00")
    top_up = wallet.entries.get(kind="top_up")
    charge = services.charge_request(request=_request(customer, "100.00"))
    with pytest.raises(InvalidDocumentState):
        services.reverse_entry(entry=charge, actor=staff, reason="mistake")
    with pytest.raises(InsufficientCredit):
        services.reverse_entry(entry=top_up, actor=staff, reason="bounced")
    with pytest.raises(ValidationFailed):
        services.reverse_entry(entry=top_up, actor=staff, reason=" ")
    services.adjust(wallet=wallet, amount=D("100"), actor=staff, reason="goodwill")
    reversal = services.reverse_entry(entry=top_up, actor=staff, reason="bounced")
    assert reversal.amount == D("-300.00") and reversal.reverses_id == top_up.pk
    again = services.reverse_entry(entry=top_up, actor=staff, reason="bounced")
    assert again.pk == reversal.pk
    wallet.refresh_from_db()
    assert wallet.balance == D("0.00")
    assert AuditLog.objects.filter(event="credit.reversed").count() == 1
    _consistent(wallet)


def test_refund_and_adjustment_need_a_reason_and_are_audited(bank_accounts, staff):
    customer = PersonCustomerFactory()
    wallet = _funded(customer, "300.00")
    with pytest.raises(ValidationFailed):
        services.refund(wallet=wallet, amount=D("10"), actor=staff, reason="")
    with pytest.raises(ValidationFailed):
        services.adjust(wallet=wallet, amount=D("10"), actor=staff, reason="")
    entry = services.refund(wallet=wallet, amount=D("100"), actor=staff, reason="closing")
    assert entry.amount == D("-100.00") and entry.actor == staff
    with pytest.raises(InsufficientCredit):
        services.refund(wallet=wallet, amount=D("201"), actor=staff, reason="too much")
    wallet.refresh_from_db()
    assert wallet.balance == D("200.00")
    assert AuditLog.objects.filter(event="credit.refunded").count() == 1
    _consistent(wallet)


def test_credits_registers_the_top_up_fulfilment():
    from billing_portal import fulfilment

    assert fulfilment.registered_kinds()["credit_topup"] == "credits"

"""`manage.py seed_demo`: realistic demo data, built once, logins printed every time."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum
from schwifty import IBAN

from accounts.models import AuditLog, AuthorizedPerson, Contract, Customer, Subscription
from accounts.portal_login import authenticate_portal_user
from billing_portal.demo.bank import pay_by_bank_transfer
from billing_portal.kinds import ProductKind
from invoices.models import (
    OPEN_STATUSES,
    BankAccount,
    Document,
    DocumentKind,
    DocumentLine,
    DocumentStatus,
    NumberSeries,
    Product,
    ProductPrice,
)
from invoices.services import LineSpec, business_today, issue_payment_request
from payments.models import Allocation, BankTransaction, StatementImport
from tests.factories import ContractFactory, SubscriptionFactory

PORTAL_LINE = re.compile(
    r"^Portal: (?P<url>\S+)\s+contract (?P<contract>F\d{10})\s+e-mail (?P<email>\S+)"
    r"\s+password (?P<password>\S+)$",
    re.MULTILINE,
)
ADMIN_LINE = re.compile(r"^Admin: (?P<url>\S+)\s+user (?P<user>\S+)\s+password (?P<password>\S+)$")

MODELS = (
    Customer,
    Contract,
    AuthorizedPerson,
    Subscription,
    Document,
    DocumentLine,
    Product,
    ProductPrice,
    BankAccount,
    NumberSeries,
    AuditLog,
    get_user_model(),
)


@pytest.fixture(autouse=True)
def _demo_settings(settings):
    settings.DEBUG = True
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db) -> str:
    return seed()


def counts() -> dict[str, int]:
    return {model.__name__: model.objects.count() for model in MODELS}


def test_customers_from_every_country_kind_and_vat_status(seeded):
    customers = list(Customer.objects.all())
    assert {c.country for c in customers} == {"CZ", "SK", "FI"}
    for country in ("CZ", "SK", "FI"):
        of_country = [c for c in customers if c.country == country]
        assert {c.kind for c in of_country} == {"company", "person"}, country
        assert {c.vat_payer for c in of_country} == {True, False}, country
    for customer in customers:
        customer.full_clean()  # IČO/DIČ valid per python-stdnum
        assert customer.email.endswith(".example")
    deliveries = {c.invoice_delivery for c in customers}
    assert {Customer.Delivery.POST, Customer.Delivery.EINVOICE} <= deliveries
    einvoiced = Customer.objects.get(invoice_delivery=Customer.Delivery.EINVOICE)
    assert einvoiced.country == "FI"
    assert einvoiced.einvoice_address and einvoiced.einvoice_operator
    assert Customer.objects.filter(payment_method=Customer.PaymentMethod.CASH).count() == 1


def test_contracts_have_one_to_three_authorized_persons(seeded):
    for contract in Contract.objects.all():
        assert re.fullmatch(r"F\d{10}", contract.number)
        assert 1 <= contract.authorized_persons.count() <= 3
    assert AuthorizedPerson.objects.filter(active=False).exists()


def test_catalogue_and_bank_accounts(seeded):
    assert {p.kind for p in Product.objects.all()} == set(ProductKind.values)
    for product in Product.objects.all():
        assert set(product.prices.values_list("currency", flat=True)) == {"CZK", "EUR", "GBP"}
        assert set(product.names) == {"cs", "sk", "fi", "en"}
    domains = Product.objects.filter(kind=ProductKind.DOMAIN).values_list("code", flat=True)
    assert {code.split("-")[1] for code in domains} == {"cz", "sk", "fi"}
    countries = {}
    for account in BankAccount.objects.filter(status=BankAccount.Status.ACTIVE):
        countries[account.currency] = IBAN(account.iban).country_code  # raises if invalid
    assert countries == {"CZK": "CZ", "EUR": "SK", "GBP": "GB"}


def test_subscriptions_expire_around_today(seeded):
    today = business_today()
    valid_until = list(
        Subscription.objects.exclude(valid_until=None).values_list("valid_until", flat=True)
    )
    assert any(day < today for day in valid_until)
    assert any(today <= day <= date.fromordinal(today.toordinal() + 30) for day in valid_until)
    assert any(day > date.fromordinal(today.toordinal() + 180) for day in valid_until)
    kinds = set(Subscription.objects.values_list("product__kind", flat=True))
    assert {ProductKind.DOMAIN, ProductKind.HOSTING, ProductKind.SSL_CERTIFICATE} <= kinds


def test_documents_in_every_state(seeded):
    today = business_today()
    statuses = set(Document.objects.values_list("status", flat=True))
    assert {"open", "partly_paid", "paid", "cancelled"} <= statuses
    payable = Document.objects.exclude(kind=DocumentKind.CREDIT_NOTE)
    overdue = payable.filter(status__in=OPEN_STATUSES, due_date__lt=today)
    assert overdue.exists()
    assert any((today - d.due_date).days > 30 for d in overdue)
    assert payable.filter(status=DocumentStatus.OPEN, due_date__gte=today).exists()
    assert Document.objects.filter(kind=DocumentKind.CREDIT_NOTE).exists()
    cancelled = Document.objects.get(status=DocumentStatus.CANCELLED)
    assert cancelled.kind == DocumentKind.PAYMENT_REQUEST
    partly = Document.objects.get(status=DocumentStatus.PARTLY_PAID)
    assert Decimal("0") < partly.amount_paid < partly.total_gross
    assert partly.paid_on is None
    assert all(d.issue_date <= today for d in Document.objects.all())


def test_paid_requests_have_their_tax_invoice_and_are_fulfilled(seeded):
    paid = Document.objects.filter(kind=DocumentKind.PAYMENT_REQUEST, status=DocumentStatus.PAID)
    assert paid.count() >= 3
    for request in paid:
        assert request.amount_paid == request.total_gross
        assert request.fulfilled_at is not None
        invoice = request.derived_documents.get(kind=DocumentKind.TAX_INVOICE)
        assert invoice.issue_date == invoice.taxable_supply_date == request.paid_on
        assert invoice.total_gross == request.total_gross


def test_every_documents_totals_equal_its_vat_lines(seeded):
    for document in Document.objects.all():
        sums = document.vat_lines.aggregate(base=Sum("base"), vat=Sum("vat"))
        assert document.total_net == sums["base"], document.number
        assert document.total_vat == sums["vat"], document.number
        assert document.total_gross == document.total_net + document.total_vat
        lines = document.lines.aggregate(net=Sum("net_amount"))["net"]
        assert lines == document.total_net, document.number


def test_numbers_follow_issue_dates_in_every_series(seeded):
    for kind in DocumentKind.values:
        dates = list(
            Document.objects.filter(kind=kind)
            .order_by("number")
            .values_list("issue_date", flat=True)
        )
        assert dates == sorted(dates), kind


def test_second_run_creates_nothing_and_still_prints_the_logins(seeded):
    before = counts()
    output = seed()
    assert counts() == before
    assert "nothing was created" in output
    assert PORTAL_LINE.findall(output) == PORTAL_LINE.findall(seeded)
    assert ADMIN_LINE.search(output.splitlines()[1])


def test_printed_logins_work(seeded):
    portal_logins = list(PORTAL_LINE.finditer(seeded))
    assert len(portal_logins) == Contract.objects.count()
    for login in portal_logins:
        assert login["url"] == "http://127.0.0.1:8000/portal/"
        user = authenticate_portal_user(
            contract_number=login["contract"], email=login["email"], password=login["password"]
        )
        assert user is not None
        assert user.authorized_person.contract.number == login["contract"]
        assert not user.is_staff
    admin = ADMIN_LINE.search(seeded.splitlines()[1])
    assert admin["url"] == "http://127.0.0.1:8000/admin/"
    user = authenticate(username=admin["user"], password=admin["password"])
    assert user is not None and user.is_superuser


def test_an_existing_admin_keeps_its_password(db):
    get_user_model().objects.create_superuser("admin", "a@example.com", "Own-password-1")
    output = seed()
    assert "password not changed" in output
    assert get_user_model().objects.get(username="admin").check_password("Own-password-1")


def test_refuses_without_debug_unless_forced(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert Customer.objects.count() == 0
    assert get_user_model().objects.count() == 0
    assert "Demo data created." in seed("--force")


def test_base_url_option(db):
    output = seed("--base-url", "http://localhost:8001/")
    assert "http://localhost:8001/portal/" in output
    assert "http://localhost:8001/admin/" in output


# --- demo payments: a bank statement, imported and paired ------------------------------


@pytest.fixture
def request_for_subscription(bank_accounts):
    subscription = SubscriptionFactory(contract=ContractFactory(), valid_until=date(2026, 1, 31))
    line = LineSpec(
        description="Hosting",
        unit_price=Decimal("100.00"),
        product=subscription.product,
        subscription=subscription,
        period_from=date(2026, 2, 1),
        period_to=date(2027, 1, 31),
    )
    return issue_payment_request(
        customer=subscription.contract.customer,
        contract=subscription.contract,
        lines=[line],
        issue_date=date(2026, 1, 10),
    )


def test_demo_payment_partly_then_fully(request_for_subscription):
    request = request_for_subscription  # 100 + 21 % VAT = 121.00
    partly = pay_by_bank_transfer(request, Decimal("21.00"), date(2026, 1, 12))
    assert (partly.status, partly.amount_paid, partly.paid_on) == ("partly_paid", 21, None)
    assert not request.derived_documents.exists()

    paid = pay_by_bank_transfer(request, Decimal("100.00"), date(2026, 1, 15))
    assert (paid.status, paid.amount_paid, paid.paid_on) == ("paid", 121, date(2026, 1, 15))
    assert paid.fulfilled_at is not None
    invoice = paid.derived_documents.get(kind=DocumentKind.TAX_INVOICE)
    assert invoice.issue_date == date(2026, 1, 15)
    subscription = request.lines.get().subscription
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 1, 31)
    # two statements as received, two payments paired by the variable symbol
    assert StatementImport.objects.filter(status="accepted").count() == 2
    payments = BankTransaction.objects.order_by("booking_date")
    assert [(p.amount, p.variable_symbol, p.status) for p in payments] == [
        (Decimal("21.00"), request.variable_symbol, "paired"),
        (Decimal("100.00"), request.variable_symbol, "paired"),
    ]
    assert list(Allocation.objects.values_list("rule", flat=True)) == ["exact_vs", "exact_vs"]


def test_demo_payment_refuses_an_overpayment(request_for_subscription):
    with pytest.raises(ValueError, match="does not fit"):
        pay_by_bank_transfer(request_for_subscription, Decimal("121.01"), date(2026, 1, 12))
    request_for_subscription.refresh_from_db()
    assert request_for_subscription.status == DocumentStatus.OPEN
    assert request_for_subscription.amount_paid == 0
    assert not StatementImport.objects.exists()
    assert not BankTransaction.objects.exists()


def test_the_seeded_payments_came_through_the_bank(seeded):
    """Every amount paid on a demo payment request is a paired bank payment (its tax
    invoice is settled by the request), none written directly."""
    paid = Document.objects.filter(kind=DocumentKind.PAYMENT_REQUEST).exclude(amount_paid=0)
    assert paid.count() >= 3
    for document in paid:
        allocated = Allocation.objects.filter(document=document).aggregate(s=Sum("amount"))["s"]
        assert allocated == document.amount_paid, document.number
    assert not BankTransaction.objects.exclude(status="paired").exists()

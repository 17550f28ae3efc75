"""The portal's credit page (balance, entries, CSV, the customer's switches) and the
one-time "do not charge automatically" on a payment request."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from accounts.models import AuditLog
from credits.models import Wallet
from credits.services import adjust, wallet_for
from invoices.services import LineSpec, issue_payment_request
from tests.factories import AuthorizedPersonFactory, ContractFactory, PersonCustomerFactory

CREDIT_URL = reverse("portal:credit")


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    cache.clear()


@pytest.fixture
def person(db):
    from accounts.portal_login import create_portal_login

    contract = ContractFactory(customer=PersonCustomerFactory())
    person = AuthorizedPersonFactory(contract=contract)
    create_portal_login(person=person, password="Correct-Horse-42")
    person.refresh_from_db()
    return person


def test_credit_page_shows_the_balance_and_the_entries(client, person):
    wallet = wallet_for(person.contract.customer)
    adjust(wallet=wallet, amount=Decimal("1234.50"), actor=None, reason="welcome")
    other = wallet_for(PersonCustomerFactory())
    adjust(wallet=other, amount=Decimal("999.00"), actor=None, reason="someone else")
    client.force_login(person.user)
    response = client.get(CREDIT_URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "1234.50 CZK" in content
    assert "999.00" not in content
    assert [e.pk for e in response.context["entries"]] == [wallet.entries.get().pk]


def test_customer_switches_are_saved_and_audited(client, person):
    client.force_login(person.user)
    response = client.post(
        CREDIT_URL,
        {"auto_pay_by_credit": "on", "monthly_statement": "on", "low_balance_threshold": "500"},
    )
    assert response.status_code == 302
    customer = person.contract.customer
    customer.refresh_from_db()
    wallet = Wallet.objects.get(customer=customer)
    assert customer.auto_pay_by_credit is True
    assert customer.payment_request_emails is False  # unchecked
    assert (wallet.monthly_statement, wallet.low_balance_threshold) == (True, Decimal("500.00"))
    audit = AuditLog.objects.get(event="customer.credit_settings_changed")
    assert audit.actor == person.user
    assert audit.after["payment_request_emails"] is False

    bad = client.post(CREDIT_URL, {"low_balance_threshold": "-5"})
    assert bad.status_code == 200 and bad.context["form"].errors
    wallet.refresh_from_db()
    assert wallet.low_balance_threshold == Decimal("500.00")


def test_entries_csv_of_the_own_wallet_only(client, person):
    wallet = wallet_for(person.contract.customer)
    entry = adjust(wallet=wallet, amount=Decimal("10"), actor=None, reason="x")
    adjust(wallet=wallet_for(PersonCustomerFactory()), amount=Decimal("77"), actor=None, reason="y")
    client.force_login(person.user)
    day = entry.created_at.date().isoformat()
    response = client.get(reverse("portal:credit_csv"), {"date_from": day, "date_to": day})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["amount"] for r in rows] == ["10.00"]
    broken = client.get(reverse("portal:credit_csv"), {"date_from": "yesterday"})
    assert broken.status_code == 302  # back to the page with an error message


def test_do_not_charge_automatically_once_per_request(client, person, bank_accounts):
    contract = person.contract
    request = issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Hosting", unit_price=Decimal("100.00"))],
        issue_date=date(2026, 1, 25),
        charge_by_credit=True,
    )
    foreign = ContractFactory()
    other = issue_payment_request(
        customer=foreign.customer,
        contract=foreign,
        lines=[LineSpec(description="Hosting", unit_price=Decimal("100.00"))],
        charge_by_credit=True,
    )
    client.force_login(person.user)
    assert "Do not charge automatically" in client.get(reverse("portal:documents")).content.decode()

    url = reverse("portal:document_opt_out", args=[request.number])
    assert client.post(url).status_code == 302
    request.refresh_from_db()
    assert request.credit_opt_out is True
    assert (
        "You pay this one by transfer." in client.get(reverse("portal:documents")).content.decode()
    )

    assert client.get(url).status_code == 405  # only by POST
    response = client.post(reverse("portal:document_opt_out", args=[other.number]))
    assert response.status_code == 404  # another contract's request
    other.refresh_from_db()
    assert other.credit_opt_out is False


def test_top_up_from_the_portal_issues_a_payment_request(client, person, bank_accounts):
    from tests.factories import ProductFactory

    ProductFactory(code="credit-topup", kind="credit_topup", prices={"CZK": "1.00"})
    client.force_login(person.user)
    refused = client.post(reverse("portal:credit_top_up"), {"net_amount": "0"})
    assert refused.status_code == 302
    assert not person.contract.customer.documents.exists()

    response = client.post(reverse("portal:credit_top_up"), {"net_amount": "1000"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:documents")
    request = person.contract.customer.documents.get()
    assert (request.contract, request.total_net, request.total_gross) == (
        person.contract,
        Decimal("1000.00"),
        Decimal("1210.00"),  # not a VAT payer: with VAT
    )
    page = client.get(reverse("portal:documents")).content.decode()
    assert request.number in page and request.variable_symbol in page


def test_reading_creates_no_wallet_and_the_statement_pdf_downloads(client, person):
    client.force_login(person.user)
    assert client.get(CREDIT_URL).status_code == 200
    assert not Wallet.objects.exists()  # a page view creates nothing
    response = client.get(
        reverse("portal:credit_pdf"), {"date_from": "2026-11-01", "date_to": "2026-11-30"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "credit-statement-2026-11-01-2026-11-30.pdf" in response["Content-Disposition"]
    assert not Wallet.objects.exists()

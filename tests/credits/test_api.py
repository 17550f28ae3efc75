"""The partner API of the credit wallet: balance and entries, top-up requests with an
idempotency key, errors in the one error shape, staff only."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from accounts.models import AuditLog, IdempotencyRecord
from credits.models import Wallet
from credits.services import adjust, wallet_for
from invoices.models import Document
from tests.factories import ContractFactory, CustomerFactory, PersonCustomerFactory, ProductFactory

D = Decimal


def _credit_url(number: str) -> str:
    return reverse("api-contract-credit", args=[number])


def _top_up_url(number: str) -> str:
    return reverse("api-contract-credit-top-up", args=[number])


@pytest.fixture
def top_up_product(db):
    return ProductFactory(code="credit-topup", kind="credit_topup", prices={"CZK": "1.00"})


@pytest.mark.django_db
def test_wallet_of_the_contracts_customer(admin_client):
    contract = ContractFactory(customer=PersonCustomerFactory())
    adjust(wallet=wallet_for(contract.customer), amount=D("120.50"), actor=None, reason="x")
    response = admin_client.get(_credit_url(contract.number))
    assert response.status_code == 200
    body = response.json()
    assert (body["contract"], body["currency"], body["balance"]) == (
        contract.number,
        "CZK",
        "120.50",
    )
    assert [(e["kind"], e["amount"], e["balance_after"]) for e in body["entries"]] == [
        ("adjustment", "120.50", "120.50")
    ]


@pytest.mark.django_db
def test_top_up_request_gross_for_a_non_vat_payer_and_once_per_key(
    admin_client, bank_accounts, top_up_product
):
    contract = ContractFactory(customer=PersonCustomerFactory())
    headers = {"HTTP_IDEMPOTENCY_KEY": "order-2026-11-24-1"}
    first = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "1000"}, content_type="application/json",
        **headers,
    )  # fmt: skip
    assert first.status_code == 201, first.json()
    body = first.json()
    assert (body["total_net"], body["total_gross"], body["currency"]) == (
        "1000.00",
        "1210.00",
        "CZK",
    )
    again = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "1000"}, content_type="application/json",
        **headers,
    )  # fmt: skip
    # the stored answer again, marked as a replay; nothing issued
    assert (again.status_code, again.json()) == (201, body)
    assert again["Idempotent-Replayed"] == "true"
    other_key = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "1000"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="order-2026-11-24-2",
    )  # fmt: skip
    assert other_key.status_code == 201 and other_key.json()["number"] != body["number"]
    assert Document.objects.filter(customer=contract.customer).count() == 2
    document = Document.objects.get(number=body["number"])
    assert document.contract == contract


@pytest.mark.django_db
def test_top_up_request_net_for_a_vat_payer(admin_client, bank_accounts, top_up_product):
    contract = ContractFactory(customer=CustomerFactory(vat_payer=True))
    response = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "500.00"}, content_type="application/json"
    )
    assert response.status_code == 201
    assert (response.json()["total_net"], response.json()["total_gross"]) == ("500.00", "500.00")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [{}, {"net_amount": "abc"}, {"net_amount": "0"}, {"net_amount": "-5"},
     {"net_amount": "1.234"}, {"net_amount": "99999999"}, ["1000"]],
)  # fmt: skip
def test_hostile_top_up_calls_get_the_error_shape_and_issue_nothing(
    admin_client, bank_accounts, top_up_product, payload
):
    contract = ContractFactory()
    response = admin_client.post(
        _top_up_url(contract.number), payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"code", "message", "details"}
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_inactive_wallet_unknown_contract_and_long_key(admin_client, bank_accounts, top_up_product):
    contract = ContractFactory()
    Wallet.objects.filter(pk=wallet_for(contract.customer).pk).update(active=False)
    refused = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "100"}, content_type="application/json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "validation_failed"
    missing = admin_client.get(_credit_url("F0000000000"))
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    long_key = admin_client.post(
        _top_up_url(contract.number), {"net_amount": "100"}, content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="x" * 101,
    )  # fmt: skip
    assert long_key.status_code == 400
    assert not Document.objects.exists()


@pytest.mark.django_db
def test_credit_api_is_for_staff_only(client):
    contract = ContractFactory()
    assert client.get(_credit_url(contract.number)).status_code == 403
    assert client.post(_top_up_url(contract.number), {"net_amount": "1"}).status_code == 403


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_ten_calls_with_one_key_at_once_issue_one_request_and_answer_alike(
    admin_user, bank_accounts, top_up_product
):
    contract = ContractFactory()
    answers: list[tuple[int, dict]] = []
    barrier = threading.Barrier(10)

    def call() -> None:
        try:
            client = Client()
            client.force_login(admin_user)
            barrier.wait(timeout=30)
            response = client.post(
                _top_up_url(contract.number), {"net_amount": "100"},
                content_type="application/json", HTTP_IDEMPOTENCY_KEY="same",
            )  # fmt: skip
            answers.append((response.status_code, response.json()))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=call) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == 10
    assert [status for status, _body in answers] == [201] * 10
    assert all(body == answers[0][1] for _status, body in answers)
    assert Document.objects.filter(customer=contract.customer).count() == 1
    assert IdempotencyRecord.objects.get(key="same").response_body == answers[0][1]


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused_and_does_nothing(
    admin_client, bank_accounts, top_up_product
):
    contract = ContractFactory(customer=PersonCustomerFactory())
    url, key = _top_up_url(contract.number), {"HTTP_IDEMPOTENCY_KEY": "order-7"}
    first = admin_client.post(url, {"net_amount": "100"}, content_type="application/json", **key)
    assert first.status_code == 201
    audit_rows = AuditLog.objects.count()
    other = admin_client.post(url, {"net_amount": "999"}, content_type="application/json", **key)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert other.json()["details"] == {"key": "order-7"}
    assert Document.objects.filter(customer=contract.customer).count() == 1
    assert AuditLog.objects.count() == audit_rows
    elsewhere = ContractFactory(customer=contract.customer)  # another contract: another body
    assert admin_client.post(
        _top_up_url(elsewhere.number), {"net_amount": "100"}, content_type="application/json",
        **key,
    ).status_code == 422  # fmt: skip


@pytest.mark.django_db
def test_reading_the_wallet_creates_none(admin_client):
    contract = ContractFactory()
    body = admin_client.get(_credit_url(contract.number)).json()
    assert (body["balance"], body["entries"]) == ("0.00", [])
    assert not Wallet.objects.exists()

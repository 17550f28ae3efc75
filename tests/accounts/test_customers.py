"""Customer identity validation, the fixed currency, and the audit helpers."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import AuditLog, Customer, JobRun
from accounts.services import create_customer, job_run
from billing_portal.errors import CurrencyLocked
from tests.factories import CustomerFactory

BASE = {
    "kind": "company",
    "name": "Alfa s.r.o.",
    "street": "Hlavní 1",
    "city": "Brno",
    "postal_code": "602 00",
    "email": "fakturace@alfa.cz",
    "language": "cs",
    "currency": "CZK",
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "ico", "dic"),
    [
        ("CZ", "25596641", "CZ25596641"),
        ("CZ", "255 96 641", "cz 25596641"),
        ("SK", "35697270", "SK2020317068"),
        ("FI", "0112038-9", "FI01120389"),
    ],
)
def test_valid_identity_numbers_are_accepted_and_compacted(country, ico, dic):
    customer = create_customer(**BASE, country=country, ico=ico, dic=dic, vat_payer=True)
    assert " " not in customer.ico
    assert customer.dic.startswith(country)
    assert AuditLog.objects.filter(event="customer.created", subject_id=str(customer.pk)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("country", "ico", "dic", "field"),
    [
        ("CZ", "25596642", "", "ico"),  # bad check digit
        ("CZ", "25596641", "CZ25596642", "dic"),
        ("SK", "35697270", "SK2020317069", "dic"),
        ("FI", "0112038-8", "", "ico"),
        ("CZ", "", "", "ico"),  # a company needs its IČO
    ],
)
def test_invalid_identity_numbers_are_refused(country, ico, dic, field):
    with pytest.raises(ValidationError) as error:
        create_customer(**BASE, country=country, ico=ico, dic=dic)
    assert field in error.value.message_dict
    assert Customer.objects.count() == 0


@pytest.mark.django_db
def test_vat_payer_needs_a_vat_id_and_einvoice_needs_an_address():
    with pytest.raises(ValidationError) as error:
        create_customer(**BASE, country="CZ", ico="25596641", dic="", vat_payer=True)
    assert "dic" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        create_customer(
            **{**BASE, "currency": "EUR", "language": "fi"},
            country="FI",
            ico="0112038-9",
            invoice_delivery="einvoice",
        )
    assert "einvoice_address" in error.value.message_dict


@pytest.mark.django_db
def test_currency_is_fixed_at_creation():
    customer = CustomerFactory(currency="CZK")
    customer.currency = "EUR"
    with pytest.raises(CurrencyLocked):
        customer.save()
    assert Customer.objects.get(pk=customer.pk).currency == "CZK"


@pytest.mark.django_db
def test_job_run_records_counts_and_failures():
    with job_run("demo_job") as counts:
        counts["done"] += 3
    with pytest.raises(ZeroDivisionError), job_run("demo_job"):
        1 / 0  # noqa: B018
    ok, failed = JobRun.objects.order_by("pk")
    assert (ok.status, ok.counts, ok.finished_at is not None) == ("succeeded", {"done": 3}, True)
    assert failed.status == "failed"
    assert "ZeroDivisionError" in failed.errors[0]["message"]

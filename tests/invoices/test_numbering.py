"""Gap-free numbering per series and year, also with 50 concurrent issuers."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections, transaction

from invoices.models import Document, DocumentKind, NumberSeries
from invoices.numbering import format_number, take_next_number
from invoices.services import issue_payment_request, issue_tax_invoice
from tests.factories import CustomerFactory
from tests.invoices.helpers import line

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks are only real on PostgreSQL"
)


def test_number_and_variable_symbol_format():
    number = format_number(DocumentKind.TAX_INVOICE, 2026, 123)
    assert number.number == "FV2026000123"
    assert number.variable_symbol == "226000123"
    assert format_number(DocumentKind.PAYMENT_REQUEST, 2027, 999_999).variable_symbol == (
        "127999999"
    )


@pytest.mark.django_db
def test_series_per_kind_and_year(bank_accounts):
    customer = CustomerFactory()
    a = issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2025, 12, 31))
    b = issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2026, 1, 1))
    c = issue_payment_request(customer=customer, lines=[line("1")], issue_date=date(2026, 1, 1))
    d = issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2026, 1, 2))
    assert [a.number, b.number, c.number, d.number] == [
        "FV2025000001",
        "FV2026000001",
        "ZF2026000001",
        "FV2026000002",
    ]
    assert c.variable_symbol == "126000001"


@pytest.mark.django_db
def test_a_rolled_back_issue_leaves_no_gap(bank_accounts):
    customer = CustomerFactory()
    first = issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2026, 5, 1))

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2026, 5, 1))
        raise Boom
    second = issue_tax_invoice(customer=customer, lines=[line("1")], issue_date=date(2026, 5, 1))
    assert (first.sequence, second.sequence) == (1, 2)
    assert NumberSeries.objects.get(kind="tax_invoice", year=2026).last_number == 2


@pytest.mark.django_db(transaction=True)
def test_taking_a_number_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        take_next_number(kind=DocumentKind.TAX_INVOICE, year=2026)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_issuers_get_fifty_contiguous_numbers(bank_accounts):
    customer = CustomerFactory()
    workers = 50
    barrier = threading.Barrier(workers)
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def issue() -> None:
        try:
            barrier.wait(timeout=30)
            document = issue_tax_invoice(
                customer=customer, lines=[line("10.00")], issue_date=date(2026, 6, 1)
            )
            with lock:
                numbers.append(document.number)
        except BaseException as exc:  # reported below, the thread must not die silently
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    expected = [f"FV2026{n:06d}" for n in range(1, workers + 1)]
    assert sorted(numbers) == expected
    stored = Document.objects.filter(kind="tax_invoice", year=2026)
    assert sorted(stored.values_list("sequence", flat=True)) == list(range(1, workers + 1))
    assert NumberSeries.objects.get(kind="tax_invoice", year=2026).last_number == workers

"""Many charges against one wallet at once (PostgreSQL row locks; skipped on SQLite)."""

from __future__ import annotations

import queue
import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from billing_portal.errors import InsufficientCredit
from credits import services
from credits.models import LedgerEntry, Wallet
from credits.selectors import ledger_balance
from invoices.models import Document, DocumentStatus
from invoices.services import LineSpec, business_today, issue_payment_request
from tests.factories import PersonCustomerFactory, ProductFactory

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
    pytest.mark.django_db(transaction=True),
]


def _setup(*, requests: int, balance: str) -> tuple[Wallet, list[Document]]:
    customer = PersonCustomerFactory()  # not a VAT payer: charged the net 10.00
    product = ProductFactory(code="hosting-c", kind="hosting")
    top_up = issue_payment_request(
        customer=customer, lines=[LineSpec(description="x", unit_price=Decimal("1"))]
    )
    services.credit_top_up(document=top_up, amount=Decimal(balance), paid_on=business_today())
    due = [
        issue_payment_request(
            customer=customer,
            lines=[LineSpec(description="Hosting", unit_price=Decimal("10.00"), product=product)],
        )
        for _ in range(requests)
    ]
    return services.wallet_for(customer), due


def _run(workers: list) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def wrap(work) -> None:
        try:
            barrier.wait(timeout=30)
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def _check(wallet: Wallet) -> None:
    wallet.refresh_from_db()
    assert wallet.balance == ledger_balance(wallet)
    last = wallet.entries.order_by("-pk").first()
    assert last is not None
    assert sum(e.amount for e in wallet.entries.all()) == wallet.balance


def test_eight_threads_charge_exactly_what_the_wallet_holds(bank_accounts):
    wallet, due = _setup(requests=100, balance="300.00")
    todo: queue.Queue[Document] = queue.Queue()
    for request in due:
        todo.put(request)
    refused: list[int] = []

    def work() -> None:
        while True:
            try:
                request = todo.get_nowait()
            except queue.Empty:
                return
            try:
                services.charge_request(request=request)
            except InsufficientCredit:
                refused.append(request.pk)

    errors = _run([work] * 8)
    assert errors == []
    wallet.refresh_from_db()
    charges = LedgerEntry.objects.filter(wallet=wallet, kind="charge")
    assert charges.count() == 30
    assert len(refused) == 70
    assert wallet.balance == Decimal("0.00")
    paid = Document.objects.filter(pk__in=[r.pk for r in due], status=DocumentStatus.PAID)
    assert paid.count() == 30
    assert set(paid.values_list("pk", flat=True)) == set(
        charges.values_list("document_id", flat=True)
    )
    assert not Document.objects.filter(pk__in=refused, paid_by_credit=True).exists()
    _check(wallet)


def test_the_same_list_charged_by_two_threads_charges_each_request_once(bank_accounts):
    wallet, due = _setup(requests=40, balance="1000.00")

    def work() -> None:
        for request in due:
            services.charge_request(request=request)

    errors = _run([work, work])
    assert errors == []
    charges = LedgerEntry.objects.filter(wallet=wallet, kind="charge")
    assert charges.count() == 40
    assert charges.values("document_id").distinct().count() == 40
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("600.00")
    assert Document.objects.filter(pk__in=[r.pk for r in due], status="paid").count() == 40
    _check(wallet)


def _auto_charged(*, requests: int, balance: str) -> tuple[Wallet, list[Document]]:
    """Requests marked "automatically by credit", issued 10 days before today."""
    from datetime import timedelta

    customer = PersonCustomerFactory()
    wallet = services.wallet_for(customer)
    services.adjust(wallet=wallet, amount=Decimal(balance), actor=None, reason="funding")
    product = ProductFactory(code=f"hosting-{customer.pk}", kind="hosting")
    issued = business_today() - timedelta(days=10)
    due = [
        issue_payment_request(
            customer=customer,
            lines=[LineSpec(description="Hosting", unit_price=Decimal("10.00"), product=product)],
            issue_date=issued,
            charge_by_credit=True,
        )
        for _ in range(requests)
    ]
    return wallet, due


def test_eight_charge_jobs_at_once_charge_exactly_what_the_wallet_holds(bank_accounts):
    from credits.autopay import charge_due_requests

    wallet, due = _auto_charged(requests=100, balance="300.00")
    results: list[dict] = []
    errors = _run([lambda: results.append(charge_due_requests(batch_size=7))] * 8)
    assert errors == []
    assert sum(r["charged"] for r in results) == 30
    charges = LedgerEntry.objects.filter(wallet=wallet, kind="charge")
    assert charges.count() == charges.values("document_id").distinct().count() == 30
    wallet.refresh_from_db()
    assert wallet.balance == Decimal("0.00")
    assert Document.objects.filter(pk__in=[r.pk for r in due], status="paid").count() == 30
    _check(wallet)


def test_the_charge_job_started_twice_at_once_charges_each_request_once(bank_accounts):
    from credits.autopay import charge_due_requests

    funded = [_auto_charged(requests=15, balance="1000.00") for _ in range(6)]
    short = [_auto_charged(requests=15, balance="75.00") for _ in range(2)]
    results: list[dict] = []
    errors = _run([lambda: results.append(charge_due_requests(batch_size=20))] * 2)
    assert errors == []
    assert sum(r["charged"] for r in results) == 6 * 15 + 2 * 7
    for wallet, _due in funded + short:
        charges = LedgerEntry.objects.filter(wallet=wallet, kind="charge")
        assert charges.count() == charges.values("document_id").distinct().count()
        _check(wallet)
    for wallet, _due in funded:
        wallet.refresh_from_db()
        assert wallet.balance == Decimal("850.00")
    for wallet, _due in short:
        wallet.refresh_from_db()
        assert wallet.balance == Decimal("5.00")

"""Pairing rules, partial and over-payments, the review queue, and concurrent runs."""

from __future__ import annotations

import threading
import time
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, connections
from django.db.models import Sum

from accounts.models import JobRun
from invoices.models import Document, DocumentStatus, TaxInvoice
from invoices.services import LineSpec, issue_payment_request, settle_paid_document
from payments import pairing
from payments.models import Allocation, BankTransaction, TransactionStatus
from payments.pairing import pair_transactions
from tests.factories import (
    BankTransactionFactory,
    ContractFactory,
    ProductFactory,
    SubscriptionFactory,
)


def _request(amount="1000.00", *, contract=None, **kwargs) -> Document:
    contract = contract or ContractFactory()
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Webhosting", unit_price=Decimal(amount))],
        issue_date=date(2026, 11, 1),
        **kwargs,
    )


def _pay(document: Document, amount: str, **fields) -> BankTransaction:
    fields.setdefault("variable_symbol", document.variable_symbol)
    return BankTransactionFactory(amount=Decimal(amount), **fields)


@pytest.mark.django_db
def test_exact_vs_pays_the_document_and_settles_it_after_commit(
    bank_accounts, django_capture_on_commit_callbacks
):
    product = ProductFactory(code="hosting-pair", kind="hosting", prices={"CZK": "1000.00"})
    subscription = SubscriptionFactory(product=product, valid_until=date(2026, 12, 31))
    spec = LineSpec.for_product(
        product, currency="CZK", language="cs", subscription=subscription,
        period_from=date(2027, 1, 1), period_to=date(2027, 12, 31),
    )  # fmt: skip
    request = issue_payment_request(
        customer=subscription.contract.customer, contract=subscription.contract, lines=[spec]
    )
    tx = _pay(request, "1210.00", booking_date=date(2026, 11, 20))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        counts = pair_transactions()
    assert (counts["paired"], counts["review"]) == (1, 0)
    assert not TaxInvoice.objects.exists()  # settling waits for the commit
    assert len(callbacks) == 1
    settle_paid_document(document_id=request.pk)  # what the queued task runs
    settle_paid_document(document_id=request.pk)  # a retried task changes nothing
    request.refresh_from_db()
    tx.refresh_from_db()
    assert (request.status, request.amount_paid, request.paid_on) == (
        DocumentStatus.PAID, Decimal("1210.00"), date(2026, 11, 20)
    )  # fmt: skip
    allocation = Allocation.objects.get()
    assert (allocation.rule, allocation.amount, allocation.document) == (
        "exact_vs", Decimal("1210.00"), request
    )  # fmt: skip
    assert tx.status == TransactionStatus.PAIRED and tx.unallocated == Decimal("0.00")
    invoice = TaxInvoice.objects.get(related_document=request)
    assert (invoice.taxable_supply_date, invoice.total_gross) == (
        date(2026, 11, 20), Decimal("1210.00")
    )  # fmt: skip
    subscription.refresh_from_db()
    assert subscription.valid_until == date(2027, 12, 31)
    assert JobRun.objects.get(job_name="pair_payments").counts["paired"] == 1


@pytest.mark.django_db
def test_underpayments_add_up(bank_accounts):
    request = _request("1000.00")  # 1210.00 gross
    _pay(request, "1000.00")
    pair_transactions()
    request.refresh_from_db()
    assert (request.status, request.amount_paid) == (DocumentStatus.PARTLY_PAID, Decimal("1000.00"))
    _pay(request, "210.00", natural_key="ref:second")
    pair_transactions()
    request.refresh_from_db()
    assert (request.status, request.amount_paid) == (DocumentStatus.PAID, Decimal("1210.00"))
    assert request.allocations.aggregate(s=Sum("amount"))["s"] == Decimal("1210.00")


@pytest.mark.django_db
def test_overpayment_surplus_goes_to_the_credit_wallet_once(bank_accounts):
    from credits.models import LedgerEntry

    request = _request("100.00")  # 121.00; no product: the default policy, credit
    tx = _pay(request, "150.00")
    pair_transactions()
    pair_transactions()  # a second run changes nothing
    request.refresh_from_db()
    tx.refresh_from_db()
    assert request.status == DocumentStatus.PAID and request.amount_paid == Decimal("121.00")
    assert (tx.allocated_amount, tx.credited_amount, tx.unallocated) == (
        Decimal("121.00"),
        Decimal("29.00"),
        Decimal("0.00"),
    )
    entry = LedgerEntry.objects.get(kind="surplus")
    assert (entry.amount, entry.document, entry.source_key) == (
        Decimal("29.00"),
        request,
        f"surplus:{tx.pk}",
    )
    assert request.customer.wallet.balance == Decimal("29.00")


@pytest.mark.django_db
def test_overpayment_stays_unallocated_when_the_product_or_the_wallet_says_no(bank_accounts):
    from credits.models import LedgerEntry
    from credits.services import deactivate_wallet, wallet_for

    prorata = ProductFactory(code="vps-prorata", kind="hosting", overpayment_policy="prorata")
    by_product = _request("100.00")
    by_product = issue_payment_request(
        customer=by_product.customer,
        lines=[LineSpec(description="VPS", unit_price=Decimal("100.00"), product=prorata)],
    )
    inactive = _request("100.00")
    deactivate_wallet(wallet=wallet_for(inactive.customer), reason="closed")
    for document in (by_product, inactive):
        _pay(document, "150.00")
    pair_transactions()
    for tx in BankTransaction.objects.all():
        assert (tx.status, tx.allocated_amount, tx.credited_amount, tx.unallocated) == (
            TransactionStatus.PAIRED,
            Decimal("121.00"),
            Decimal("0.00"),
            Decimal("29.00"),  # shown to staff, proposed for return later
        )
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_vs_written_in_the_message(bank_accounts):
    request = _request()
    _pay(request, "1210.00", variable_symbol="", message=f"faktura {request.variable_symbol} dík")
    pair_transactions()
    assert Allocation.objects.get().rule == "vs_in_message"


@pytest.mark.django_db
def test_specific_symbol(bank_accounts):
    request = _request()
    _pay(request, "1210.00", variable_symbol="999", specific_symbol=request.variable_symbol)
    pair_transactions()
    assert Allocation.objects.get().rule == "specific_symbol"


@pytest.mark.django_db
def test_sender_history_with_the_amount(bank_accounts):
    contract = ContractFactory()
    first = _request("100.00", contract=contract)
    _pay(first, "121.00", counterparty_account="19-123457/0100")
    pair_transactions()
    second = _request("200.00", contract=contract)  # 242.00
    _request("300.00", contract=contract)  # another open document, other amount
    _pay(second, "242.00", variable_symbol="", counterparty_account="19-123457/0100",
         natural_key="ref:hist")  # fmt: skip
    pair_transactions()
    allocation = Allocation.objects.get(document=second)
    assert allocation.rule == "sender_history"


@pytest.mark.django_db
def test_two_candidates_go_to_review_without_guessing(bank_accounts):
    contract = ContractFactory()
    first = _request("100.00", contract=contract)
    _pay(first, "121.00", counterparty_account="19-123457/0100")
    pair_transactions()
    a = _request("100.00", contract=contract)
    b = _request("100.00", contract=contract)
    tx = _pay(a, "121.00", variable_symbol="", counterparty_account="19-123457/0100",
              natural_key="ref:amb")  # fmt: skip
    pair_transactions()
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.REVIEW
    assert sorted(tx.candidates) == sorted([a.pk, b.pk])
    assert not Allocation.objects.filter(transaction=tx).exists()


@pytest.mark.django_db
def test_other_currency_never_pairs_automatically(bank_accounts):
    request = _request()
    tx = _pay(request, "50.00", bank_account=bank_accounts["EUR"])
    pair_transactions()
    tx.refresh_from_db()
    request.refresh_from_db()
    assert tx.status == TransactionStatus.REVIEW and tx.candidates == [request.pk]
    assert request.amount_paid == Decimal("0.00")


@pytest.mark.django_db
def test_unknown_vs_goes_to_review(bank_accounts):
    tx = BankTransactionFactory(variable_symbol="12345", amount=Decimal("10.00"))
    pair_transactions()
    tx.refresh_from_db()
    assert (tx.status, tx.candidates) == (TransactionStatus.REVIEW, [])
    assert tx.review_reason


@pytest.mark.django_db
def test_debits_are_never_paired(bank_accounts):
    request = _request()
    tx = _pay(request, "1210.00", direction="debit", status=TransactionStatus.NOT_APPLICABLE)
    pair_transactions()
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.NOT_APPLICABLE
    assert not Allocation.objects.exists()


@pytest.mark.django_db
def test_a_second_run_changes_nothing(bank_accounts):
    for amount in ("100.00", "200.00"):
        request = _request(amount)
        _pay(request, str(Decimal(amount) * Decimal("1.21")))
    BankTransactionFactory(variable_symbol="1", natural_key="ref:nomatch")
    first = pair_transactions()
    snapshot = list(BankTransaction.objects.order_by("pk").values("status", "allocated_amount"))
    allocations = Allocation.objects.count()
    second = pair_transactions()
    assert (first["paired"], first["review"]) == (2, 1)
    assert (second["paired"], second["review"]) == (0, 0)
    assert Allocation.objects.count() == allocations
    assert list(BankTransaction.objects.order_by("pk").values("status", "allocated_amount")) == (
        snapshot
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_allocate_every_payment_at_most_once(bank_accounts, monkeypatch):
    documents = [_request("100.00") for _ in range(12)]
    for document in documents:  # two payments per document: one pays it, one is surplus
        _pay(document, "121.00")
        _pay(document, "121.00")
    monkeypatch.setattr(pairing, "BEFORE_WRITE", lambda tx: time.sleep(0.01))
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            pair_transactions(batch_size=5)
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for tx in BankTransaction.objects.all():
        total = tx.allocations.aggregate(s=Sum("amount"))["s"] or Decimal("0.00")
        assert total == tx.allocated_amount <= tx.amount
    for document in Document.objects.filter(pk__in=[d.pk for d in documents]):
        total = document.allocations.aggregate(s=Sum("amount"))["s"]
        assert document.amount_paid == total == Decimal("121.00")
        assert document.status == DocumentStatus.PAID
    assert BankTransaction.objects.filter(status=TransactionStatus.PAIRED).count() == 12
    assert BankTransaction.objects.filter(status=TransactionStatus.REVIEW).count() == 12
    assert not BankTransaction.objects.filter(status=TransactionStatus.UNPROCESSED).exists()


@pytest.mark.django_db
def test_a_paid_invoice_gets_a_payment_received_email(
    bank_accounts, django_capture_on_commit_callbacks
):
    from django.core import mail

    from invoices.delivery import send_payment_received_email
    from invoices.services import issue_tax_invoice

    contract = ContractFactory()
    invoice = issue_tax_invoice(
        customer=contract.customer, contract=contract,
        lines=[LineSpec(description="Server", unit_price=Decimal("100.00"))],
    )  # fmt: skip
    _pay(invoice, "121.00")
    pair_transactions()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        settle_paid_document(document_id=invoice.pk)
    assert len(callbacks) == 1
    assert send_payment_received_email(document_id=invoice.pk) is True
    assert invoice.number in mail.outbox[-1].subject
    assert "121,00 CZK" in mail.outbox[-1].body  # Czech number format
    with django_capture_on_commit_callbacks(execute=False) as again:
        settle_paid_document(document_id=invoice.pk)
    assert again == []  # a retried settlement does not e-mail twice


@pytest.mark.django_db
def test_a_second_payment_of_a_paid_document_is_not_guessed_elsewhere(bank_accounts):
    contract = ContractFactory()
    paid = _request("100.00", contract=contract)
    _pay(paid, "121.00", counterparty_account="19-123457/0100")
    pair_transactions()
    _request("100.00", contract=contract)  # next month's invoice, same amount
    twice = _pay(paid, "121.00", counterparty_account="19-123457/0100", natural_key="ref:2x")
    pair_transactions()
    twice.refresh_from_db()
    assert (twice.status, twice.candidates) == (TransactionStatus.REVIEW, [paid.pk])
    assert not twice.allocations.exists()


@pytest.mark.django_db
def test_post_office_deposits_always_wait_for_staff(bank_accounts, settings):
    settings.BILLING = {**settings.BILLING, "SHARED_PAYER_ACCOUNTS": ["19-2000000000/0300"]}
    request = _request()
    tx = _pay(request, "1210.00", counterparty_account="19-2000000000/0300")
    pair_transactions()
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.REVIEW

"""Every path that pays a document leaves it consistent: `amount_paid` equals the sum
of its DocumentPayment rows, and its status follows the amount (on PostgreSQL, where
the auto-charge runs set-based)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.db.models import Sum

from credits import autopay
from credits.models import LedgerEntry
from credits.services import adjust, charge_request, wallet_for
from invoices.models import Document, DocumentKind, DocumentPayment, DocumentStatus
from invoices.services import (
    LineSpec,
    issue_credit_note,
    issue_payment_request,
    issue_tax_invoice,
    settle_paid_document,
    settle_paid_documents,
)
from payments.models import Allocation, TransactionStatus
from payments.pairing import pair_transactions
from payments.services import assign_transaction, rebook_allocation
from tests.factories import BankTransactionFactory, ContractFactory, PersonCustomerFactory
from tests.invoices.helpers import pay

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the set-based paths"),
]

D = Decimal
PRAGUE = ZoneInfo("Europe/Prague")
ISSUED = date(2026, 1, 25)


def _request(customer, net: str, **kwargs) -> Document:
    return issue_payment_request(
        customer=customer,
        lines=[LineSpec(description="Hosting", unit_price=D(net))],
        issue_date=ISSUED,
        **kwargs,
    )


def _funded(amount: str):
    customer = PersonCustomerFactory()
    adjust(wallet=wallet_for(customer), amount=D(amount), actor=None, reason="funding")
    return customer


def _assert_consistent() -> int:
    """Every document: amount_paid == the sum of its rows; the status follows it."""
    sums = dict(
        DocumentPayment.objects.values("document")
        .annotate(total=Sum("amount"))
        .values_list("document", "total")
    )
    checked = 0
    for document in Document.objects.all():
        total = sums.get(document.pk, D("0.00"))
        assert document.amount_paid == total, (document.number, document.amount_paid, total)
        if document.kind == DocumentKind.CREDIT_NOTE:
            assert total == 0 and document.status in (DocumentStatus.OPEN, DocumentStatus.PAID)
        elif document.status == DocumentStatus.CANCELLED:
            assert 0 <= document.amount_paid <= document.total_gross, document.number
        elif document.amount_paid == document.total_gross:
            assert document.status == DocumentStatus.PAID and document.paid_on, document.number
        elif document.amount_paid > 0:
            assert document.status == DocumentStatus.PARTLY_PAID, document.number
            assert document.paid_on is None
        else:
            assert document.status == DocumentStatus.OPEN, document.number
        checked += 1
    for allocation in Allocation.objects.select_related("document_payment"):
        row = allocation.document_payment
        assert (row.document_id, row.amount) == (allocation.document_id, allocation.amount)
    for charge in LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGE):
        assert charge.document_payment.document_id == charge.document_id
    return checked


def test_every_path_that_pays_a_document_keeps_amount_paid_equal_to_its_rows(
    bank_accounts, admin_user, django_capture_on_commit_callbacks
):
    # pairing by exact VS: one payment in two parts, then the rest
    contract = ContractFactory()
    paired = _request(contract.customer, "1000.00", contract=contract)  # 1210.00
    BankTransactionFactory(variable_symbol=paired.variable_symbol, amount=D("500.00"))
    BankTransactionFactory(variable_symbol=paired.variable_symbol, amount=D("710.00"))
    # overpaid: the surplus goes to the wallet, the document gets what it was owed
    overpaid = _request(contract.customer, "100.00", contract=contract)  # 121.00
    BankTransactionFactory(variable_symbol=overpaid.variable_symbol, amount=D("200.00"))
    assert pair_transactions()["paired"] == 3

    # split by staff across two documents, then re-booked from one to a third
    a, b, c = (_request(contract.customer, net, contract=contract) for net in ("100", "200", "200"))
    split = BankTransactionFactory(amount=D("363.00"), status=TransactionStatus.REVIEW)
    assign_transaction(tx=split, splits=[(a, D("121.00")), (b, D("242.00"))], actor=admin_user)
    rebook_allocation(
        allocation=Allocation.objects.get(transaction=split, document=b),
        to_document=c,
        actor=admin_user,
        note="wrong VS",
    )

    # credit: one by one, and the day-10 job set-based
    one = _funded("5000")
    charge_request(request=_request(one, "100", charge_by_credit=True))
    many = _funded("50000")
    for _ in range(5):
        _request(many, "1000", charge_by_credit=True)
    with time_machine.travel(datetime(2026, 2, 4, 9, tzinfo=PRAGUE), tick=False):
        assert autopay.charge_due_requests()["charged"] == 5

    # credit notes: of a partly paid invoice (settles the rest) and of an unpaid one
    partly = pay(issue_tax_invoice(customer=contract.customer, lines=_lines("1000")), "400.00")
    issue_credit_note(invoice=partly, reason="cancelled service")
    issue_credit_note(
        invoice=issue_tax_invoice(customer=contract.customer, lines=_lines("50")), reason="x"
    )
    # a staff entry, and one taken back
    staff = pay(_request(contract.customer, "10"), "5.00")
    pay(staff, "-5.00")

    # settlement of everything paid: tax invoices of paid requests are paid by them
    paid = list(
        Document.objects.filter(kind=DocumentKind.PAYMENT_REQUEST, status=DocumentStatus.PAID)
    )
    settle_paid_documents(document_ids=[d.pk for d in paid])
    settle_paid_document(document_id=paired.pk)  # a retried task changes nothing

    assert _assert_consistent() == 20
    sources = set(DocumentPayment.objects.values_list("source", flat=True))
    assert sources == {"bank", "credit", "credit_note", "request", "staff"}
    paired.refresh_from_db()
    assert list(paired.payments.values_list("amount", "source")) == [
        (D("500.00"), "bank"),
        (D("710.00"), "bank"),
    ]  # partial payments are visible as rows
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.SURPLUS).get().amount == D("79.00")
    invoice = paired.derived_documents.get(kind=DocumentKind.TAX_INVOICE)
    assert (invoice.status, invoice.amount_paid) == (DocumentStatus.PAID, D("1210.00"))
    partly.refresh_from_db()
    assert (partly.status, partly.amount_paid) == (DocumentStatus.CANCELLED, D("1210.00"))


def _lines(net: str) -> list[LineSpec]:
    return [LineSpec(description="Hosting", unit_price=D(net))]

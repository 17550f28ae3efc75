"""What accounting does with payments the machine could not pair."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from billing_portal.errors import ValidationFailed
from invoices.models import DocumentStatus
from invoices.services import LineSpec, issue_payment_request
from payments.models import Allocation, PaymentReturn, TransactionStatus
from payments.services import (
    assign_transaction,
    discard_transaction,
    mark_for_return,
    propose_returns,
    rebook_allocation,
)
from tests.factories import BankTransactionFactory, ContractFactory


def _request(amount: str):
    contract = ContractFactory()
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Doména", unit_price=Decimal(amount))],
    )


@pytest.mark.django_db
def test_split_across_two_documents_must_add_up(bank_accounts, admin_user):
    a, b = _request("100.00"), _request("200.00")  # 121.00 and 242.00
    tx = BankTransactionFactory(amount=Decimal("363.00"), status=TransactionStatus.REVIEW)
    with pytest.raises(ValidationFailed):
        assign_transaction(tx=tx, splits=[(a, Decimal("121.00")), (b, Decimal("200.00"))],
                           actor=admin_user)  # fmt: skip
    assert not Allocation.objects.exists()
    assign_transaction(tx=tx, splits=[(a, Decimal("121.00")), (b, Decimal("242.00"))],
                       actor=admin_user)  # fmt: skip
    a.refresh_from_db()
    b.refresh_from_db()
    tx.refresh_from_db()
    assert (a.status, b.status, tx.status) == ("paid", "paid", "paired")
    assert set(Allocation.objects.values_list("rule", "actor_label")) == {("manual", "admin")}


@pytest.mark.django_db
def test_rebooking_moves_the_money(bank_accounts, admin_user):
    wrong, right = _request("100.00"), _request("100.00")
    tx = BankTransactionFactory(amount=Decimal("121.00"), status=TransactionStatus.REVIEW)
    assign_transaction(tx=tx, splits=[(wrong, Decimal("121.00"))], actor=admin_user)
    rebook_allocation(allocation=Allocation.objects.get(), to_document=right, actor=admin_user,
                      note="Zákazník uvedl špatný VS")  # fmt: skip
    wrong.refresh_from_db()
    right.refresh_from_db()
    assert (wrong.status, wrong.amount_paid) == (DocumentStatus.OPEN, Decimal("0.00"))
    assert (right.status, right.amount_paid) == (DocumentStatus.PAID, Decimal("121.00"))
    assert sorted(Allocation.objects.values_list("amount", flat=True)) == [
        Decimal("-121.00"), Decimal("121.00"), Decimal("121.00")
    ]  # fmt: skip


@pytest.mark.django_db
def test_a_proposed_return_is_cancelled_when_staff_assign_the_payment(bank_accounts, admin_user):
    document = _request("100.00")
    tx = BankTransactionFactory(amount=Decimal("121.00"), status=TransactionStatus.REVIEW,
                                counterparty_account="19-123457/0100")  # fmt: skip
    mark_for_return(tx=tx, actor=admin_user, reason="neznámý plátce")
    assign_transaction(tx=tx, splits=[(document, Decimal("121.00"))], actor=admin_user)
    assert PaymentReturn.objects.get().status == PaymentReturn.Status.CANCELLED


@pytest.mark.django_db
def test_unpaired_payments_are_proposed_for_return_after_thirty_days(bank_accounts):
    old = BankTransactionFactory(status=TransactionStatus.REVIEW, booking_date=date(2026, 10, 1),
                                 counterparty_account="19-123457/0100")  # fmt: skip
    recent = BankTransactionFactory(status=TransactionStatus.REVIEW,
                                    booking_date=date(2026, 11, 20),
                                    counterparty_account="19-123457/0100")  # fmt: skip
    assert propose_returns(today=date(2026, 11, 24))["proposed"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("return_proposed", "review")
    assert PaymentReturn.objects.get().amount == old.amount


@pytest.mark.django_db
def test_discard_needs_a_note(bank_accounts, admin_user):
    tx = BankTransactionFactory(status=TransactionStatus.REVIEW)
    with pytest.raises(ValidationFailed):
        discard_transaction(tx=tx, actor=admin_user, note=" ")
    discard_transaction(tx=tx, actor=admin_user, note="Vráceno pokladnou")
    tx.refresh_from_db()
    assert tx.status == TransactionStatus.DISCARDED

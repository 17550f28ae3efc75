"""The customer's "e-mail payment requests" switch: off, no payment request, reminder
or credit notice is e-mailed (they remain in the portal); tax documents and the block
notice still are."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from accounts.models import AuditLog
from credits import autopay
from invoices.dunning import block_overdue_contracts
from invoices.models import DunningNotice
from invoices.notices import send_reminders
from invoices.services import LineSpec, issue_payment_request, issue_tax_invoice
from tests.factories import ContractFactory, PersonCustomerFactory

pytestmark = pytest.mark.django_db


def _lines() -> list[LineSpec]:
    return [LineSpec(description="Hosting", unit_price=Decimal("100.00"))]


def _e_mails(callbacks) -> int:
    """The document e-mails queued after commit (`schedule_delivery`'s callback)."""
    return sum("send_document_email_task" in repr(c) for c in callbacks)


@pytest.mark.parametrize("on", [True, False])
def test_payment_requests_are_e_mailed_only_when_the_customer_wants(
    bank_accounts, django_capture_on_commit_callbacks, on
):
    contract = ContractFactory(customer=PersonCustomerFactory(payment_request_emails=on))
    customer = contract.customer
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = issue_payment_request(customer=customer, contract=contract, lines=_lines())
    assert _e_mails(callbacks) == (1 if on else 0)
    assert request.customer.documents.filter(pk=request.pk).exists()  # in the portal

    # a tax document is always delivered
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        issue_tax_invoice(customer=customer, contract=contract, lines=_lines())
    assert _e_mails(callbacks) == 1


def test_no_reminders_but_the_block_notice_when_switched_off(bank_accounts):
    muted = ContractFactory(customer=PersonCustomerFactory(payment_request_emails=False))
    heard = ContractFactory(customer=PersonCustomerFactory())
    for contract in (muted, heard):
        issue_payment_request(
            customer=contract.customer,
            contract=contract,
            lines=_lines(),
            issue_date=date(2026, 10, 1),
            due_date=date(2026, 10, 15),
        )
    send_reminders(today=date(2026, 10, 8))  # 7 days before the due date
    send_reminders(today=date(2026, 10, 16))  # 1 day after
    levels = set(
        DunningNotice.objects.filter(document__contract=heard).values_list("level", flat=True)
    )
    assert levels == {"before_due", "overdue_1"}
    assert not DunningNotice.objects.filter(document__contract=muted).exists()

    assert block_overdue_contracts(today=date(2026, 11, 20))["blocked"] == 2
    assert DunningNotice.objects.filter(document__contract=muted, level="block").count() == 1


def test_no_insufficient_credit_e_mail_when_switched_off(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = PersonCustomerFactory(payment_request_emails=False)
    request = issue_payment_request(
        customer=customer, lines=_lines(), issue_date=date(2026, 1, 25), charge_by_credit=True
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = autopay.charge_due_requests(today=date(2026, 2, 4))
    assert result["insufficient"] == 1
    assert callbacks == []
    audit = AuditLog.objects.get(event=autopay.INSUFFICIENT_EVENT, subject_id=str(request.pk))
    assert audit.after["email"] is False

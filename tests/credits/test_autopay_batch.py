"""The day-10 run charging in batches: on PostgreSQL the wallets that cover their
requests are charged set-based and the rest one by one; both must give what charging
each request alone gives (amounts, order, ledger, paid state, alerts, unblocking)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from accounts.models import AuditLog, ContractBlock
from accounts.selectors import contract_blocking
from credits import autopay
from credits.models import LedgerEntry, Wallet
from credits.selectors import ledger_balance
from credits.services import adjust, deactivate_wallet, send_low_balance_email, wallet_for
from invoices.dunning import block_overdue_contracts
from invoices.models import Document, DocumentKind, DocumentStatus
from invoices.services import LineSpec, issue_payment_request, settle_paid_documents
from tests.factories import ContractFactory, CustomerFactory, PersonCustomerFactory

# both paths of the job: set-based (PostgreSQL) and one by one (as on SQLite)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("job_path")]

PRAGUE = ZoneInfo("Europe/Prague")
D = Decimal
ISSUED = date(2026, 1, 25)
DAY_TEN = datetime(2026, 2, 4, 9, tzinfo=PRAGUE)


def _fund(customer, amount: str) -> Wallet:
    wallet = wallet_for(customer)
    adjust(wallet=wallet, amount=D(amount), actor=None, reason="test funding")
    wallet.refresh_from_db()
    return wallet


def _request(
    customer, net: str, *, contract=None, issued: date = ISSUED, due: date | None = None
) -> Document:
    extra = {"due_date": due} if due else {}
    return issue_payment_request(
        customer=customer,
        contract=contract,
        lines=[LineSpec(description="Hosting", unit_price=D(net))],
        issue_date=issued,
        charge_by_credit=True,
        **extra,
    )


def _run_on(when: datetime, capture, **kwargs) -> tuple[dict, list]:
    """The job at `when` (Prague), its after-commit callbacks captured, not run."""
    with time_machine.travel(when, tick=False), capture(execute=False) as callbacks:
        result = autopay.charge_due_requests(**kwargs)
    return result, callbacks


def _charge(document: Document) -> LedgerEntry | None:
    return LedgerEntry.objects.filter(document=document, kind="charge").first()


def test_one_run_charges_covered_wallets_whole_and_short_ones_in_issue_order(
    bank_accounts, django_capture_on_commit_callbacks
):
    person = PersonCustomerFactory(language="en")  # not a VAT payer: charged the net
    company = CustomerFactory(vat_payer=True)  # a VAT payer: charged the gross
    short = PersonCustomerFactory(language="en")
    inactive = PersonCustomerFactory()
    person_wallet, company_wallet = _fund(person, "5000"), _fund(company, "2420")
    short_wallet, inactive_wallet = _fund(short, "1000"), _fund(inactive, "5000")
    deactivate_wallet(wallet=inactive_wallet, reason="closing")
    person_requests = [_request(person, "1000") for _ in range(3)]
    company_requests = [_request(company, "1000") for _ in range(2)]
    too_big, fits = _request(short, "1000.01"), _request(short, "800")
    not_charged = _request(inactive, "100")

    result, callbacks = _run_on(DAY_TEN, django_capture_on_commit_callbacks, batch_size=4)
    assert (result["charged"], result["insufficient"], result["skipped"]) == (6, 1, 1)

    # the person: the net amounts, balance after each charge in issue order
    entries = [_charge(r) for r in person_requests]
    assert [e.amount for e in entries] == [D("-1000.00")] * 3
    assert [e.balance_after for e in entries] == [D("4000.00"), D("3000.00"), D("2000.00")]
    assert [_charge(r).amount for r in company_requests] == [D("-1210.00")] * 2
    # the short wallet: the first request does not fit, the next one does
    assert _charge(too_big) is None and _charge(fits).amount == D("-800.00")
    assert _charge(not_charged) is None
    for wallet, balance in [
        (person_wallet, "2000.00"),
        (company_wallet, "0.00"),
        (short_wallet, "200.00"),
        (inactive_wallet, "5000.00"),
    ]:
        wallet.refresh_from_db()
        assert wallet.balance == D(balance) == ledger_balance(wallet)

    paid = [*person_requests, *company_requests, fits]
    for request in paid:
        request.refresh_from_db()
        assert request.status == DocumentStatus.PAID
        assert request.amount_paid == request.total_gross  # the document is settled whole
        assert request.paid_on == date(2026, 2, 4) and request.paid_by_credit
        assert AuditLog.objects.filter(event="credit.charged", subject_id=str(request.pk)).exists()
    for request in (too_big, not_charged):
        request.refresh_from_db()
        assert request.status == DocumentStatus.OPEN and not request.paid_by_credit
    assert AuditLog.objects.filter(
        event=autopay.INSUFFICIENT_EVENT, subject_id=str(too_big.pk)
    ).exists()
    assert len(callbacks) >= 2  # settlement tasks and the insufficient-credit e-mail

    # settlement after commit: a tax invoice for the VAT payer only
    settle_paid_documents(document_ids=[r.pk for r in paid])
    for request in company_requests:
        assert request.derived_documents.filter(kind=DocumentKind.TAX_INVOICE).count() == 1
    for request in [*person_requests, fits]:
        assert not request.derived_documents.exists()

    # a second run charges nothing again
    again, _callbacks = _run_on(DAY_TEN, django_capture_on_commit_callbacks, batch_size=4)
    assert again["charged"] == 0
    assert LedgerEntry.objects.filter(kind="charge").count() == 6


def test_low_balance_alert_when_a_run_crosses_the_threshold_once(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = PersonCustomerFactory(language="en")
    wallet = _fund(customer, "5000")
    Wallet.objects.filter(pk=wallet.pk).update(low_balance_threshold=D("2500.00"))
    for _ in range(3):
        _request(customer, "1000")

    result, callbacks = _run_on(DAY_TEN, django_capture_on_commit_callbacks)
    assert result["charged"] == 3
    wallet.refresh_from_db()
    assert wallet.balance == D("2000.00") and wallet.low_balance_alerted
    alerts = [c for c in callbacks if "low_balance" in repr(c)]
    assert len(alerts) == 1
    # what the queued task does: the e-mail with the balance after the run
    assert send_low_balance_email(wallet_id=wallet.pk, balance=D("2000.00"))
    assert "2000.00 CZK" in mail.outbox[0].body

    # further charges below the threshold alert no more
    _request(customer, "500")
    next_day = datetime(2026, 2, 5, 9, tzinfo=PRAGUE)
    result, callbacks = _run_on(next_day, django_capture_on_commit_callbacks)
    assert result["charged"] == 1
    assert not [c for c in callbacks if "low_balance" in repr(c)]


def test_charging_a_blocked_contracts_last_overdue_request_schedules_the_unblock(
    bank_accounts, django_capture_on_commit_callbacks
):
    contract = ContractFactory(customer=PersonCustomerFactory())
    request = _request(
        contract.customer, "300", contract=contract, issued=date(2026, 1, 1), due=date(2026, 1, 10)
    )
    assert block_overdue_contracts(today=date(2026, 2, 20))["blocked"] == 1
    _fund(contract.customer, "1000")

    # paid on Saturday 21 Feb: unblocked on the second working day of the next week
    saturday = datetime(2026, 2, 21, 9, tzinfo=PRAGUE)
    assert _run_on(saturday, django_capture_on_commit_callbacks)[0]["charged"] == 1
    request.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    block = ContractBlock.objects.get(contract=contract, lifted_at=None)
    assert block.unblock_on == date(2026, 2, 24)
    assert contract_blocking(contract).expected_unblock_on == date(2026, 2, 24)


def test_a_reversed_charge_is_not_charged_again(
    bank_accounts, admin_user, django_capture_on_commit_callbacks
):

    from credits.services import reverse_entry
    from tests.invoices.helpers import pay

    customer = PersonCustomerFactory()
    wallet = _fund(customer, "1000")
    request = _request(customer, "100")
    assert _run_on(DAY_TEN, django_capture_on_commit_callbacks)[0]["charged"] == 1
    # accounting takes the payment off the request and gives the credit back
    with django_capture_on_commit_callbacks(execute=False):
        request.refresh_from_db()
        pay(request, -request.amount_paid, on=date(2026, 2, 4))
    reverse_entry(entry=_charge(request), actor=admin_user, reason="charged by mistake")
    request.refresh_from_db()
    assert request.status == DocumentStatus.OPEN

    next_day = datetime(2026, 2, 5, 9, tzinfo=PRAGUE)
    assert _run_on(next_day, django_capture_on_commit_callbacks)[0]["charged"] == 0
    wallet.refresh_from_db()
    assert wallet.balance == D("1000.00") == ledger_balance(wallet)


def test_a_failing_set_based_batch_is_charged_one_by_one(
    bank_accounts, django_capture_on_commit_callbacks, monkeypatch
):
    from django.db import DatabaseError

    def broken(locked):
        raise DatabaseError("simulated failure of the batch statement")

    monkeypatch.setattr(autopay, "_charge_batch_sql", broken)
    customer = PersonCustomerFactory()
    wallet = _fund(customer, "1000")
    requests = [_request(customer, "100") for _ in range(3)]
    result, _callbacks = _run_on(DAY_TEN, django_capture_on_commit_callbacks)
    from billing_portal import db

    if db.set_based_sql():  # the set-based path exists only there (and in job_path's run)
        assert result["errors"] == 1
    assert result["charged"] == 3
    assert all(_charge(r) is not None for r in requests)
    wallet.refresh_from_db()
    assert wallet.balance == D("700.00") == ledger_balance(wallet)

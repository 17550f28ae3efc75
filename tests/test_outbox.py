"""The transactional outbox and the work after commit: an event exists exactly when
its change committed; recorded work is done once, and waits (is not lost) while the
broker is unreachable."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from accounts.models import DomainEvent, PendingTask
from accounts.outbox import celery_task, defer, mark_pending_done, requeue_pending_tasks
from accounts.services import block_contract, lift_block
from credits.models import Wallet
from credits.services import adjust, charge_request, wallet_for
from invoices.models import Document
from invoices.services import LineSpec, issue_payment_request
from payments.pairing import pair_transactions
from tests.factories import BankTransactionFactory, ContractFactory, PersonCustomerFactory
from tests.invoices.helpers import pay

pytestmark = pytest.mark.django_db
D = Decimal


def _request(customer, net="100.00", **kwargs) -> Document:
    return issue_payment_request(
        customer=customer, lines=[LineSpec(description="Hosting", unit_price=D(net))], **kwargs
    )


def _events(event_type: str) -> list[DomainEvent]:
    return list(DomainEvent.objects.filter(type=event_type).order_by("pk"))


def test_every_change_the_world_hears_about_writes_its_event(bank_accounts, admin_user):
    contract = ContractFactory()
    request = _request(contract.customer, contract=contract)
    [issued] = _events("document.issued")
    assert (issued.subject_type, issued.subject_id) == ("invoices.document", str(request.pk))
    assert issued.payload["number"] == request.number
    assert issued.payload["total"] == "121.00"

    pay(request, "21.00")
    assert _events("document.paid") == []  # partly paid: nothing to tell yet
    pay(request)
    [paid] = _events("document.paid")
    assert (paid.subject_id, paid.payload["number"]) == (str(request.pk), request.number)

    BankTransactionFactory(variable_symbol="999999999", amount=D("10.00"))
    pair_transactions()
    [unmatched] = _events("payment.unmatched")
    assert unmatched.payload["variable_symbol"] == "999999999"
    assert unmatched.payload["reason"] == "No open document matches the payment."

    block = block_contract(contract=contract, reason="manual", actor=admin_user, note="fraud")
    lift_block(block=block, actor=admin_user, note="cleared")
    [blocked], [unblocked] = _events("contract.blocked"), _events("contract.unblocked")
    assert blocked.payload == {
        "contract": contract.number,
        "reason": "manual",
        "blocked_on": str(block.blocked_on),
    }
    assert unblocked.payload == {"contract": contract.number, "reason": "manual"}

    customer = PersonCustomerFactory()
    wallet = wallet_for(customer)
    adjust(wallet=wallet, amount=D("150.00"), actor=None, reason="funding")
    Wallet.objects.filter(pk=wallet.pk).update(low_balance_threshold=D("100.00"))
    charge_request(request=_request(customer, charge_by_credit=True))
    [charged], [low] = _events("credit.charged"), _events("credit.low")
    assert (charged.subject_type, charged.payload["amount"]) == ("credits.wallet", "100.00")
    assert (low.payload["balance"], low.payload["threshold"]) == ("50.00", "100.00")
    assert len(_events("document.paid")) == 2


def test_a_change_rolled_back_leaves_no_event_and_no_work(bank_accounts):
    customer = PersonCustomerFactory()
    events, tasks = DomainEvent.objects.count(), PendingTask.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        _request(customer)
        raise RuntimeError("the caller fails after issuing")
    assert (DomainEvent.objects.count(), PendingTask.objects.count()) == (events, tasks)


def test_events_are_append_only(bank_accounts):
    _request(PersonCustomerFactory())
    event = DomainEvent.objects.get()
    with pytest.raises(ValueError):
        event.save()


def test_work_is_recorded_with_its_cause_and_queued_after_commit(
    bank_accounts, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        request = _request(PersonCustomerFactory())
    pending = PendingTask.objects.get()
    assert (pending.task, pending.args) == ("invoices.tasks.send_document_email_task",
                                            [request.pk, False])  # fmt: skip
    assert pending.done_at is None
    assert len(callbacks) == 1 and "send_document_email_task" in repr(callbacks[0])


def test_a_succeeded_task_marks_its_pending_rows_done_and_others_stay(monkeypatch):
    with transaction.atomic():
        one = defer("invoices.tasks.send_notices_task", "claim-1")
        again = defer("invoices.tasks.send_notices_task", "claim-1")
        other = defer("invoices.tasks.send_notices_task", "claim-2")
    assert mark_pending_done("invoices.tasks.send_notices_task", ["claim-1"]) == 2
    done = set(PendingTask.objects.filter(done_at__isnull=False).values_list("pk", flat=True))
    assert done == {one.pk, again.pk} and other.pk not in done


def test_a_task_that_succeeds_marks_its_row_through_the_signal(monkeypatch):
    """Celery's task_success (eager here) completes the row of the same call."""
    with transaction.atomic():
        pending = defer("accounts.tasks.requeue_pending_tasks_task")
    celery_task("accounts.tasks.requeue_pending_tasks_task").apply()
    pending.refresh_from_db()
    assert pending.done_at is not None


def test_the_sweeper_queues_again_only_what_waited_too_long(monkeypatch):
    queued = []
    monkeypatch.setattr(
        celery_task("invoices.tasks.send_notices_task"), "delay", lambda *a: queued.append(a)
    )
    with transaction.atomic():
        stale = defer("invoices.tasks.send_notices_task", "old")
        defer("invoices.tasks.send_notices_task", "fresh")
        done = defer("invoices.tasks.send_notices_task", "done")
    PendingTask.objects.filter(pk__in=[stale.pk, done.pk]).update(
        created_at=timezone.now() - timedelta(minutes=30)
    )
    mark_pending_done("invoices.tasks.send_notices_task", ["done"])
    result = requeue_pending_tasks()
    assert queued == [("old",)]
    assert (result["requeued"], result["not_queued"]) == (1, 0)
    assert requeue_pending_tasks()["requeued"] == 0  # queued again just now: not yet stale
    stale.refresh_from_db()
    assert stale.attempts == 1 and stale.done_at is None


def test_the_sweeper_leaves_the_row_when_the_broker_is_still_down(monkeypatch):
    def refused(*_args):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(celery_task("invoices.tasks.send_notices_task"), "delay", refused)
    with transaction.atomic():
        pending = defer("invoices.tasks.send_notices_task", "x")
    PendingTask.objects.filter(pk=pending.pk).update(created_at=timezone.now() - timedelta(hours=1))
    result = requeue_pending_tasks()
    assert (result["requeued"], result["not_queued"]) == (0, 1)
    pending.refresh_from_db()
    assert pending.done_at is None and pending.attempts == 0

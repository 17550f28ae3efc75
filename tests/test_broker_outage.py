"""A broker outage delays the work that follows a commit and never loses it.

Pairing pays a renewal payment request while Redis refuses connections: the payment
is booked, and settling it (the tax invoice, the fulfilment, the tax invoice's
e-mail) waits as undone `PendingTask` rows. Once Redis is back, the sweeper queues
them, a real worker does the work exactly once, and sweeping again (even with every
row marked undone once more, as if the workers' acknowledgements were lost) sends
nothing twice.

Runs on PostgreSQL with the real Redis of `make test` and an in-process worker (the
solo pool runs tasks in a thread of this process, so the locmem outbox is shared).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import transaction

from accounts.models import JobRun, PendingTask
from accounts.outbox import defer, requeue_pending_tasks
from billing_portal.workdays import business_today
from invoices.delivery import SEND_DOCUMENT_TASK
from invoices.models import Document, DocumentKind, DocumentStatus, TaxInvoice
from invoices.services import issue_renewal_requests
from invoices.settlement import SETTLE_TASK
from payments.models import TransactionStatus
from payments.pairing import pair_transactions
from tests.factories import (
    BankTransactionFactory,
    ContractFactory,
    CustomerFactory,
    ProductFactory,
    SubscriptionFactory,
)

pytestmark = [
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis; `make test` starts it"),
    pytest.mark.django_db(transaction=True),
]

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: refused at once
DEADLINE = 60  # seconds for the worker to do what the sweeper queued


def _reset_broker_pools(app) -> None:
    """Drop every pooled broker connection, so the next publish connects anew to
    whatever `broker_url` says now (kombu keeps its pools per URL, Celery caches them)."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@contextmanager
def broker_unreachable() -> Iterator[None]:
    """Redis refuses connections: the Celery app publishes to a closed port until the
    block ends; then the real broker and fresh connection pools are restored."""
    from billing_portal.celery import app

    real = app.conf.broker_url
    assert real == settings.REDIS_URL
    app.conf.broker_url = UNREACHABLE_BROKER
    _reset_broker_pools(app)
    try:
        yield
    finally:
        app.conf.broker_url = real
        _reset_broker_pools(app)
    assert app.connection_for_write().as_uri(include_password=True) == real


@contextmanager
def worker() -> Iterator[None]:
    from celery.contrib.testing.worker import start_worker

    from billing_portal.celery import app

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        yield


def wait_until(condition: Callable[[], bool], what: str) -> None:
    """Poll `condition` until it holds; fail after DEADLINE seconds."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {DEADLINE} s: {what}")
        time.sleep(0.2)


def _purge_stale_messages() -> None:
    """Messages left in Redis by earlier tests name rows that are gone; drop them, so
    the worker below runs only what this test queues."""
    from billing_portal.celery import app

    app.control.purge()


def _undone() -> list[PendingTask]:
    return list(PendingTask.objects.filter(done_at__isnull=True))


@pytest.fixture
def not_queued() -> Iterator[list[logging.LogRecord]]:
    """The outbox's "not queued" warnings, caught on its own logger at its own level:
    a handler on the root logger (caplog's) is dropped when Django's logging is
    configured once more, as the first import of the tasks modules in a process does
    (django.setup()), and a test worker leaves the root logger at ERROR."""

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if "not queued; the sweeper will" in record.getMessage():
                records.append(record)

    records: list[logging.LogRecord] = []
    handler = Collect(logging.WARNING)
    logger = logging.getLogger("accounts.outbox")
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _refused(record: logging.LogRecord) -> bool:
    """The publish failed because the broker refused the connection (not, say, an
    unregistered task name, which `queue_now` swallows the same way)."""
    from kombu.exceptions import OperationalError

    return record.exc_info is not None and isinstance(record.exc_info[1], OperationalError)


def _emails_of(document: Document) -> list[mail.EmailMessage]:
    return [m for m in mail.outbox if any(a[0] == f"{document.number}.pdf" for a in m.attachments)]


def test_payment_paired_while_the_broker_is_down_is_settled_once_after_it_is_back(
    bank_accounts, not_queued
):
    _purge_stale_messages()
    customer = CustomerFactory(email="ucetni@firma.cz")
    product = ProductFactory(code="hosting-outage", kind="hosting", prices={"CZK": "1000.00"})
    valid_until = business_today() + timedelta(days=10)
    subscription = SubscriptionFactory(
        contract=ContractFactory(customer=customer), product=product, valid_until=valid_until
    )
    assert issue_renewal_requests()["issued"] == 1
    request = Document.objects.get(
        kind=DocumentKind.PAYMENT_REQUEST, contract=subscription.contract
    )
    line = request.lines.get()
    assert line.subscription_id == subscription.pk and line.period_to > valid_until
    tx = BankTransactionFactory(
        amount=request.total_gross,
        variable_symbol=request.variable_symbol,
        booking_date=business_today(),
    )
    assert not not_queued  # the request's e-mail was queued: the broker is up

    started = time.monotonic()
    with broker_unreachable():
        counts = pair_transactions()
    assert time.monotonic() - started < 10  # a refused publish gives up at once

    request.refresh_from_db()
    tx.refresh_from_db()
    assert (request.status, request.amount_paid) == (DocumentStatus.PAID, request.total_gross)
    assert tx.status == TransactionStatus.PAIRED
    assert (counts["paired"], counts["review"], counts.get("errors", 0)) == (1, 0, 0)
    run = JobRun.objects.get(job_name="pair_payments")
    assert (run.status, run.counts["paired"], run.errors) == (JobRun.Status.SUCCEEDED, 1, [])
    assert not TaxInvoice.objects.filter(related_document=request).exists()
    assert request.fulfilled_at is None
    subscription.refresh_from_db()
    assert subscription.valid_until == valid_until
    assert [(p.task, p.args, p.attempts) for p in _undone() if p.task == SETTLE_TASK] == [
        (SETTLE_TASK, [request.pk], 0)
    ]
    assert [(_refused(r), r.args[0]) for r in not_queued] == [(True, SETTLE_TASK)]

    with worker():
        swept = requeue_pending_tasks(stale_after=timedelta(0))
        # the settling; and the request's e-mail unless the worker has just done it
        assert swept["requeued"] in (1, 2) and swept["not_queued"] == 0
        settle = PendingTask.objects.get(task=SETTLE_TASK)
        assert settle.attempts == 1 and settle.queued_at is not None

        def settled() -> bool:
            invoice = TaxInvoice.objects.filter(related_document=request).first()
            return (
                invoice is not None
                and invoice.sent_at is not None
                and Document.objects.get(pk=request.pk).fulfilled_at is not None
                and not PendingTask.objects.filter(done_at__isnull=True).exists()
            )

        wait_until(settled, "the tax invoice issued, e-mailed and every task done")

        # The sweeper again: nothing is left to queue.
        again = requeue_pending_tasks(stale_after=timedelta(0))
        assert (again["requeued"], again["not_queued"]) == (0, 0)

        # Every acknowledgement lost (task_success could not mark the rows done): the
        # sweeper queues everything once more, and the idempotent tasks do nothing new.
        invoice = TaxInvoice.objects.get(related_document=request)
        request.refresh_from_db()
        fulfilled_at, sent = request.fulfilled_at, len(mail.outbox)
        assert [(p.task, p.args) for p in PendingTask.objects.order_by("pk")] == [
            (SEND_DOCUMENT_TASK, [request.pk, False]),
            (SETTLE_TASK, [request.pk]),
            (SEND_DOCUMENT_TASK, [invoice.pk, False]),
        ]
        assert PendingTask.objects.update(done_at=None) == 3
        assert requeue_pending_tasks(stale_after=timedelta(0))["requeued"] == 3
        wait_until(
            lambda: not PendingTask.objects.filter(done_at__isnull=True).exists(),
            "the tasks queued once more done",
        )

    request.refresh_from_db()
    subscription.refresh_from_db()
    assert list(TaxInvoice.objects.filter(related_document=request)) == [invoice]
    assert invoice.total_gross == request.total_gross
    assert invoice.taxable_supply_date == tx.booking_date
    assert request.fulfilled_at == fulfilled_at is not None
    assert subscription.valid_until == line.period_to
    assert len(mail.outbox) == sent == 2  # the request when issued, then its tax invoice
    assert [m.to for m in _emails_of(invoice)] == [["ucetni@firma.cz"]]
    assert [m.to for m in _emails_of(request)] == [["ucetni@firma.cz"]]
    assert not _undone() and PendingTask.objects.count() == 3


def test_defer_while_the_broker_is_down_leaves_the_row_for_the_sweeper(not_queued):
    with broker_unreachable():
        with transaction.atomic():  # the caller's transaction commits; nothing raises
            pending = defer(SEND_DOCUMENT_TASK, 2**31, False)
        swept = requeue_pending_tasks(stale_after=timedelta(0))

    pending.refresh_from_db()
    assert (pending.done_at, pending.queued_at, pending.attempts) == (None, None, 0)
    assert (swept["requeued"], swept["not_queued"]) == (0, 1)
    run = JobRun.objects.get(job_name="requeue_pending_tasks")
    assert (run.status, run.errors) == (JobRun.Status.SUCCEEDED, [])
    # after the commit, then by the sweeper; both times the broker refused
    assert [(_refused(r), r.args[0]) for r in not_queued] == [(True, SEND_DOCUMENT_TASK)] * 2

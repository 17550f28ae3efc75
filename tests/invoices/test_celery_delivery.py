"""A real Celery worker against Redis delivers an issued document by e-mail."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django.core import mail

from invoices.models import Document
from invoices.services import issue_payment_request
from tests.factories import CustomerFactory
from tests.invoices.helpers import line


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis; `make test` starts it")
@pytest.mark.django_db(transaction=True)
def test_worker_sends_the_document_after_commit(bank_accounts):
    from celery.contrib.testing.worker import start_worker

    from billing_portal.celery import app

    customer = CustomerFactory(email="ucetni@firma.cz")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        document = issue_payment_request(customer=customer, lines=[line("1000")])
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if Document.objects.get(pk=document.pk).sent_at is not None:
                break
            time.sleep(0.2)
    document.refresh_from_db()
    assert document.sent_at is not None
    assert [m.to for m in mail.outbox] == [["ucetni@firma.cz"]]
    assert mail.outbox[0].attachments[0][1][:5] == b"%PDF-"

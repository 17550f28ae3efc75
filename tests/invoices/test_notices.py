"""Dunning notices: levels by due date, claim-once, delivery in the customer's language."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from smtplib import SMTPException

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection, connections, transaction

from accounts.models import AuditLog, JobRun
from invoices import tasks
from invoices.models import Document, DunningNotice
from invoices.notices import claim_notices, levels_for, send_notices, send_reminders
from invoices.services import LineSpec, issue_payment_request, issue_tax_invoice
from tests.factories import (
    AuthorizedPersonFactory,
    ContractFactory,
    CustomerFactory,
    ProductFactory,
)
from tests.invoices.helpers import line, pay

D = date
LEVELS = ("before_due", "overdue_1", "overdue_14")


def _request(*, due: date, issued: date | None = None, contract=None, lines=None) -> Document:
    contract = contract or ContractFactory()
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=lines or [line("1000")],
        issue_date=issued or due - timedelta(days=14),
        due_date=due,
    )


def _paid(document: Document) -> None:
    pay(document, on=document.due_date)


def _claimed(counts: dict) -> dict:
    """The levels a run claimed something at."""
    assert not counts.get("errors"), counts
    return {level: n for level, n in counts.items() if level != "errors" and n}


def _send_pending() -> int:
    """What the task would do after commit (no worker under `make test`)."""
    claims = DunningNotice.objects.filter(sent_at__isnull=True).values_list("claim", flat=True)
    return sum(send_notices(claim=str(claim)) for claim in sorted(set(claims)))


# --- levels -------------------------------------------------------------------------


@pytest.mark.django_db
def test_levels_default_and_per_kind_override_sorted_by_days(bank_accounts, settings):
    settings.BILLING = {
        **settings.BILLING,
        "DUNNING_LEVELS_BY_KIND": {"ssl_certificate": [("late", 5), ("early", -3)]},
    }
    hosting = ProductFactory(code="hosting", kind="hosting")
    ssl = ProductFactory(code="ssl", kind="ssl_certificate")
    spec = {"currency": "CZK", "language": "cs"}
    plain = _request(due=D(2026, 5, 1))
    mixed = _request(
        due=D(2026, 5, 1),
        lines=[LineSpec.for_product(hosting, **spec), LineSpec.for_product(ssl, **spec)],
    )
    assert levels_for(plain) == [("before_due", -7), ("overdue_1", 1), ("overdue_14", 14)]
    assert levels_for(mixed) == [("early", -3), ("late", 5)]


# --- which day which level ----------------------------------------------------------


@pytest.mark.parametrize(
    ("due", "expected"),
    [
        (
            D(2026, 5, 20),
            {
                D(2026, 5, 13): "before_due",
                D(2026, 5, 21): "overdue_1",
                D(2026, 6, 3): "overdue_14",
            },
        ),
        # across a month end: due 31 Jan -> 1 Feb, 14 Feb
        (
            D(2027, 1, 31),
            {
                D(2027, 1, 24): "before_due",
                D(2027, 2, 1): "overdue_1",
                D(2027, 2, 14): "overdue_14",
            },
        ),
    ],
)
@pytest.mark.django_db
def test_each_level_fires_once_on_its_day_and_on_no_other(bank_accounts, due, expected):
    document = _request(due=due, issued=due - timedelta(days=14))
    fired = {}
    day = document.issue_date
    while day <= due + timedelta(days=40):
        claimed = _claimed(send_reminders(today=day))
        if claimed:
            fired[day] = claimed
        day += timedelta(days=1)
    assert fired == {day: {level: 1} for day, level in expected.items()}
    assert sorted(DunningNotice.objects.values_list("level", flat=True)) == sorted(LEVELS)
    assert JobRun.objects.filter(job_name="send_reminders", status="succeeded").count() == 55


@pytest.mark.django_db
def test_today_is_the_prague_date_not_utc(bank_accounts):
    _request(due=D(2027, 1, 31))
    # 23:30 UTC on 31 Jan is already 1 Feb in Prague: one day overdue.
    with time_machine.travel(datetime(2027, 1, 31, 23, 30, tzinfo=UTC), tick=False):
        assert _claimed(send_reminders()) == {"overdue_1": 1}


@pytest.mark.django_db
def test_overdue_counts_from_the_due_date_not_the_issue_date(bank_accounts):
    # Issued 40 days before it falls due: nothing is overdue until after the due date.
    document = _request(due=D(2026, 6, 30), issued=D(2026, 5, 21))
    assert _claimed(send_reminders(today=D(2026, 6, 22))) == {}
    assert _claimed(send_reminders(today=D(2026, 6, 23))) == {"before_due": 1}
    assert _claimed(send_reminders(today=D(2026, 6, 30))) == {}
    assert _claimed(send_reminders(today=D(2026, 7, 1))) == {"overdue_1": 1}
    assert document.notices.count() == 2


@pytest.mark.django_db
def test_a_job_that_did_not_run_sends_only_the_current_stage(bank_accounts):
    late = _request(due=D(2026, 5, 20))
    later = _request(due=D(2026, 5, 1))
    # The job last ran long before; on 5 June `late` is 16 days and `later` 35 days overdue.
    assert _claimed(send_reminders(today=D(2026, 6, 5))) == {"overdue_14": 1}
    assert list(late.notices.values_list("level", flat=True)) == ["overdue_14"]
    assert not later.notices.exists()  # past the last stage: the block notice takes over
    # A week without runs, then the next stage is not repeated and older ones never come.
    assert _claimed(send_reminders(today=D(2026, 6, 12))) == {}
    assert DunningNotice.objects.count() == 1


@pytest.mark.django_db
def test_a_reminder_is_not_sent_on_or_before_the_issue_date(bank_accounts):
    # Issued 5 days before its due date: the document itself is the reminder.
    short = _request(due=D(2026, 5, 20), issued=D(2026, 5, 15))
    for day in range(13, 21):
        assert _claimed(send_reminders(today=D(2026, 5, day))) == {}
    assert _claimed(send_reminders(today=D(2026, 5, 21))) == {"overdue_1": 1}
    assert list(short.notices.values_list("level", flat=True)) == ["overdue_1"]


@pytest.mark.django_db
def test_per_kind_levels_replace_the_default_ones(bank_accounts, settings):
    settings.BILLING = {
        **settings.BILLING,
        "DUNNING_LEVELS_BY_KIND": {"ssl_certificate": [("overdue_3", 3)], "credit_topup": []},
    }
    ssl = ProductFactory(code="ssl", kind="ssl_certificate")
    topup = ProductFactory(code="topup", kind="credit_topup")
    spec = {"currency": "CZK", "language": "cs"}
    certificate = _request(due=D(2026, 5, 20), lines=[LineSpec.for_product(ssl, **spec)])
    top_up = _request(due=D(2026, 5, 20), lines=[LineSpec.for_product(topup, **spec)])
    hosting = _request(due=D(2026, 5, 20))
    fired = {}
    for offset in range(-10, 35):
        day = D(2026, 5, 20) + timedelta(days=offset)
        claimed = _claimed(send_reminders(today=day))
        if claimed:
            fired[offset] = claimed
    assert fired == {
        -7: {"before_due": 1},
        1: {"overdue_1": 1},
        3: {"overdue_3": 1},
        14: {"overdue_14": 1},
    }
    assert list(certificate.notices.values_list("level", flat=True)) == ["overdue_3"]
    assert not top_up.notices.exists()
    assert hosting.notices.count() == 3


@pytest.mark.django_db
def test_only_open_payment_requests_and_tax_invoices_of_a_contract_are_dunned(bank_accounts):
    due = D(2026, 5, 20)
    paid = _request(due=due)
    _paid(paid)
    invoice = issue_tax_invoice(
        customer=(contract := ContractFactory()).customer,
        contract=contract,
        lines=[line("100")],
        issue_date=due - timedelta(days=14),
        due_date=due,
    )
    issue_payment_request(  # no contract
        customer=CustomerFactory(),
        lines=[line("100")],
        issue_date=due - timedelta(days=14),
        due_date=due,
    )
    assert _claimed(send_reminders(today=due + timedelta(days=1))) == {"overdue_1": 1}
    assert DunningNotice.objects.get().document == invoice
    assert not paid.notices.exists()


# --- claim once, send once ----------------------------------------------------------


@pytest.mark.django_db
def test_a_second_run_the_same_day_claims_and_sends_nothing(
    bank_accounts, django_capture_on_commit_callbacks
):
    contract = ContractFactory()
    AuthorizedPersonFactory(contract=contract, email="jana@firma.cz")
    _request(due=D(2026, 5, 20), contract=contract)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert send_reminders(today=D(2026, 5, 21))["overdue_1"] == 1
    assert len(callbacks) == 1
    notice = DunningNotice.objects.get()
    assert send_notices(claim=str(notice.claim)) == 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert send_reminders(today=D(2026, 5, 21))["overdue_1"] == 0
    assert callbacks == []  # nothing claimed, no task
    assert send_notices(claim=str(notice.claim)) == 0
    assert [m.to for m in mail.outbox] == [["jana@firma.cz"]]


@pytest.mark.django_db
def test_claim_notices_claims_each_document_once_and_schedules_one_task(
    bank_accounts, django_capture_on_commit_callbacks, monkeypatch
):
    first, second = _request(due=D(2026, 5, 1)), _request(due=D(2026, 5, 1))
    delayed = []
    monkeypatch.setattr(tasks.send_notices_task, "delay", delayed.append)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            claim = claim_notices(document_ids=[first.pk], level="block")
        with transaction.atomic():
            again = claim_notices(document_ids=[first.pk, second.pk, second.pk], level="block")
        with transaction.atomic():
            none = claim_notices(document_ids=[first.pk, second.pk], level="block")
    assert claim is not None and again is not None and claim != again
    assert none is None
    assert delayed == [str(claim), str(again)]
    assert DunningNotice.objects.get(document=first).claim == claim
    assert DunningNotice.objects.get(document=second).claim == again


@pytest.mark.django_db(transaction=True)
def test_claim_notices_refuses_to_run_outside_a_transaction():
    with pytest.raises(RuntimeError):
        claim_notices(document_ids=[1], level="block")
    assert not DunningNotice.objects.exists()


@pytest.mark.django_db
def test_a_document_paid_after_the_claim_gets_no_reminder(bank_accounts):
    document = _request(due=D(2026, 5, 20))
    send_reminders(today=D(2026, 5, 21))
    _paid(document)
    assert _send_pending() == 0
    assert mail.outbox == []
    assert DunningNotice.objects.get().sent_at is None


@pytest.mark.django_db
def test_the_claim_survives_a_failing_send_and_a_retry_sends_it_once(bank_accounts, monkeypatch):
    contract = ContractFactory()
    AuthorizedPersonFactory(contract=contract, email="jana@firma.cz")
    _request(due=D(2026, 5, 20), contract=contract)
    send_reminders(today=D(2026, 6, 3))
    notice = DunningNotice.objects.get()

    def refuse(self, messages):
        raise SMTPException("421 try again later")

    with monkeypatch.context() as patch:
        patch.setattr(EmailBackend, "send_messages", refuse)
        with pytest.raises(SMTPException):
            send_notices(claim=str(notice.claim))
    notice.refresh_from_db()
    assert (notice.sent_at, notice.recipients, mail.outbox) == (None, [], [])
    assert send_notices(claim=str(notice.claim)) == 1  # the task's retry
    assert send_notices(claim=str(notice.claim)) == 0
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert notice.recipients == ["jana@firma.cz"]
    assert len(mail.outbox) == 1
    assert AuditLog.objects.filter(event="dunning_notice.sent").count() == 1


# --- the e-mail ---------------------------------------------------------------------


@pytest.mark.django_db
def test_notice_goes_to_the_active_authorized_persons_in_the_customer_language(bank_accounts):
    contract = ContractFactory(number="F2112000371")
    AuthorizedPersonFactory(contract=contract, email="jana@firma.cz")
    AuthorizedPersonFactory(contract=contract, email="petr@firma.cz")
    AuthorizedPersonFactory(contract=contract, email="byvaly@firma.cz", active=False)
    document = _request(due=D(2026, 5, 20), contract=contract)
    send_reminders(today=D(2026, 5, 13))
    assert _send_pending() == 1
    [message] = mail.outbox
    assert message.to == ["jana@firma.cz", "petr@firma.cz"]
    # the new wording awaits its catalogue entries; the document kind is translated
    assert f"Výzva k platbě {document.number}" in message.subject
    assert "20.05.2026" in message.subject
    assert message.body.startswith("Vážený zákazníku,")
    for text in (
        "Číslo smlouvy: F2112000371",
        "K úhradě: 1210,00 CZK",  # 1000 + 21 % VAT, Czech decimal comma
        "Datum splatnosti: 20.05.2026",
        "CZ6508000000192000145399",
        f"Variabilní symbol: {document.variable_symbol}",
    ):
        assert text in message.body, text
    html = message.alternatives[0][0]
    assert "F2112000371" in html and document.variable_symbol in html
    assert message.attachments[0][0] == f"{document.number}.pdf"
    assert message.attachments[0][1][:5] == b"%PDF-"
    assert DunningNotice.objects.get().recipients == ["jana@firma.cz", "petr@firma.cz"]


@pytest.mark.django_db
def test_without_authorized_persons_the_billing_email_gets_the_notice(bank_accounts):
    customer = CustomerFactory(email="ucetni@firma.cz", language="en")
    document = _request(due=D(2026, 5, 20), contract=ContractFactory(customer=customer))
    send_reminders(today=D(2026, 6, 3))
    assert _send_pending() == 1
    [message] = mail.outbox
    assert message.to == ["ucetni@firma.cz"]
    assert message.subject.startswith(
        f"Second reminder of an overdue payment – Payment request {document.number} – "
    )
    assert "more than 30 days overdue" in message.body
    assert "certificates cannot be issued or renewed" in message.body


@pytest.mark.django_db
def test_block_notice_also_goes_to_the_certificate_applicants(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(language="en")
    contract = ContractFactory(customer=customer, number="F2112000999")
    AuthorizedPersonFactory(contract=contract, email="jana@firma.cz")
    certificate = ProductFactory(code="qcert", kind="qualified_certificate")
    spec = {"currency": "CZK", "language": "en"}
    document = _request(
        due=D(2026, 4, 1),
        contract=contract,
        lines=[
            LineSpec.for_product(certificate, applicant_email="karel@firma.cz", **spec),
            LineSpec.for_product(certificate, applicant_email="Jana@firma.cz", **spec),
            LineSpec.for_product(certificate, applicant_email="karel@firma.cz", **spec),
            LineSpec(description="Support", unit_price=Decimal("10")),
        ],
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        claim = claim_notices(document_ids=[document.pk], level="block")
    assert len(callbacks) == 1
    assert send_notices(claim=str(claim)) == 1
    [message] = mail.outbox
    assert message.to == ["jana@firma.cz", "karel@firma.cz"]
    assert message.subject.startswith("Contract F2112000999 blocked")
    assert "has been blocked" in message.body
    assert "second working day of the week after your payment is credited" in message.body
    assert DunningNotice.objects.get().recipients == ["jana@firma.cz", "karel@firma.cz"]
    _paid(document)  # a block notice still goes out: the block happened
    assert send_notices(claim=str(claim)) == 0


# --- concurrency --------------------------------------------------------------------


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_runs_claim_each_notice_once(bank_accounts, monkeypatch):
    monkeypatch.setattr(tasks.send_document_email_task, "delay", lambda *a, **k: None)
    delayed = []
    monkeypatch.setattr(tasks.send_notices_task, "delay", delayed.append)
    for _ in range(30):
        _request(due=D(2026, 5, 20))
    for _ in range(30):
        _request(due=D(2026, 5, 6))
    barrier = threading.Barrier(3)
    results = []

    def run() -> None:
        try:
            barrier.wait(timeout=30)
            results.append(send_reminders(today=D(2026, 5, 20) + timedelta(days=1)))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(results) == 3
    assert sum(r["overdue_1"] for r in results) == 30
    assert sum(r["overdue_14"] for r in results) == 30
    assert DunningNotice.objects.filter(level="overdue_1").count() == 30
    assert DunningNotice.objects.filter(level="overdue_14").count() == 30
    claims = set(DunningNotice.objects.values_list("claim", flat=True))
    assert sorted(delayed) == sorted(str(claim) for claim in claims)
    assert _send_pending() == 60
    assert _send_pending() == 0
    assert len(mail.outbox) == 60


@pytest.mark.django_db
def test_a_lost_send_task_is_swept_up_and_sends_once(
    bank_accounts, django_capture_on_commit_callbacks, monkeypatch
):
    from invoices.notices import resend_stale_claims

    contract = ContractFactory()
    AuthorizedPersonFactory(contract=contract)
    document = _request(due=D(2026, 11, 20), contract=contract)
    with django_capture_on_commit_callbacks(execute=False):  # the task never reaches a worker
        send_reminders(today=D(2026, 11, 21))
    notice = DunningNotice.objects.get(document=document)
    queued: list[str] = []
    monkeypatch.setattr(tasks.send_notices_task, "delay", queued.append)
    assert resend_stale_claims(now=notice.claimed_at + timedelta(minutes=30)) == 0  # too fresh
    assert resend_stale_claims(now=notice.claimed_at + timedelta(hours=2)) == 1
    assert queued == [str(notice.claim)]
    send_notices(claim=queued[0])
    send_notices(claim=queued[0])
    notice.refresh_from_db()
    assert notice.sent_at is not None
    assert len(mail.outbox) == 1
    assert resend_stale_claims(now=notice.claimed_at + timedelta(hours=2)) == 0  # sent now

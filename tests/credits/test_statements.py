"""Monthly statements (PDF by e-mail, once per wallet and month), the CSV export of
entries for a period, and the wallet admin that accounting works in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.admin import helpers
from django.core import mail
from django.urls import reverse

from accounts.models import AuditLog
from credits import statements
from credits.models import LedgerEntry, MonthlyStatement, Wallet
from credits.services import adjust, wallet_for
from tests.factories import PersonCustomerFactory

pytestmark = pytest.mark.django_db
D = Decimal


def _entry_at(when: datetime, wallet: Wallet, amount: str, reason: str = "test") -> LedgerEntry:
    with time_machine.travel(when, tick=False):
        return adjust(wallet=wallet, amount=D(amount), actor=None, reason=reason)


def _wallet(**customer) -> Wallet:
    return wallet_for(PersonCustomerFactory(**customer))


def test_statement_of_a_month_in_prague_days():
    wallet = _wallet()
    _entry_at(datetime(2026, 10, 5, 10, tzinfo=UTC), wallet, "500")
    # 23:30 UTC on 31 Oct is 00:30 on 1 Nov in Prague: a November entry
    _entry_at(datetime(2026, 10, 31, 23, 30, tzinfo=UTC), wallet, "-120.50")
    _entry_at(datetime(2026, 11, 30, 22, 59, tzinfo=UTC), wallet, "1000")  # 23:59 Prague
    _entry_at(datetime(2026, 11, 30, 23, 0, tzinfo=UTC), wallet, "7")  # 1 Dec in Prague

    november = statements.wallet_statement(wallet, date(2026, 11, 1), date(2026, 11, 30))
    assert november.opening == D("500.00")
    assert [e.amount for e in november.entries] == [D("-120.50"), D("1000.00")]
    assert november.closing == D("1379.50")
    assert [e.balance_after for e in november.entries] == [D("379.50"), D("1379.50")]


def test_monthly_statement_claimed_once_and_e_mailed_with_the_pdf(
    django_capture_on_commit_callbacks,
):
    active = _wallet(language="en")
    _entry_at(datetime(2026, 11, 10, 9, tzinfo=UTC), active, "250")
    idle_with_balance = _wallet(language="cs")
    _entry_at(datetime(2026, 9, 10, 9, tzinfo=UTC), idle_with_balance, "40")
    emptied = _wallet()
    _entry_at(datetime(2026, 9, 10, 9, tzinfo=UTC), emptied, "40")
    _entry_at(datetime(2026, 9, 11, 9, tzinfo=UTC), emptied, "-40")
    unwanted = _wallet()
    _entry_at(datetime(2026, 11, 10, 9, tzinfo=UTC), unwanted, "10")
    Wallet.objects.filter(pk=unwanted.pk).update(monthly_statement=False)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        result = statements.send_monthly_statements(today=date(2026, 12, 1))
    assert result["claimed"] == 2
    claimed = set(MonthlyStatement.objects.values_list("wallet_id", "period_start"))
    assert claimed == {(active.pk, date(2026, 11, 1)), (idle_with_balance.pk, date(2026, 11, 1))}
    assert len(callbacks) == 2  # one e-mail task per statement, after commit

    for claim in MonthlyStatement.objects.all():
        assert statements.send_monthly_statement(statement_id=claim.pk) is True
        assert statements.send_monthly_statement(statement_id=claim.pk) is False  # a retry
    assert len(mail.outbox) == 2
    message = next(m for m in mail.outbox if m.to == [active.customer.email])
    assert "11/2026" in message.subject or "November 2026" in message.subject
    assert "250.00" in message.body
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    assert "2026-11" in name

    # a later day only catches up: nothing new is claimed, nothing is sent twice
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        again = statements.send_monthly_statements(today=date(2026, 12, 2))
    assert again["claimed"] == 0 and callbacks == []


def test_csv_export_of_a_period():
    wallet = _wallet(name="Jana Nováková")
    _entry_at(datetime(2026, 11, 2, 8, tzinfo=UTC), wallet, "100", reason='goodwill; "x"')
    _entry_at(datetime(2026, 11, 3, 8, tzinfo=UTC), wallet, "-30.5")
    _entry_at(datetime(2026, 12, 3, 8, tzinfo=UTC), wallet, "1")  # outside the period

    content = statements.entries_csv(
        statements.entries_between(date(2026, 11, 1), date(2026, 11, 30))
    )
    rows = list(csv.DictReader(io.StringIO(content)))
    assert list(rows[0]) == list(statements.CSV_COLUMNS)
    assert [(r["time"], r["amount"], r["balance_after"]) for r in rows] == [
        ("2026-11-02T09:00:00+01:00", "100.00", "100.00"),
        ("2026-11-03T09:00:00+01:00", "-30.50", "69.50"),
    ]
    assert rows[0]["customer"] == "Jana Nováková"
    assert rows[0]["reason"] == 'goodwill; "x"' and rows[0]["kind"] == "adjustment"


def _post_action(client, url: str, action: str, pks: list[int], **data):
    payload = {"action": action, helpers.ACTION_CHECKBOX_NAME: pks, "post": "yes", **data}
    return client.post(url, payload)


def test_admin_adjusts_with_a_reason_and_exports_csv(admin_client, admin_user):
    wallet = _wallet()
    url = reverse("admin:credits_wallet_changelist")

    page = client_page = admin_client.post(
        url, {"action": "adjust_balance", helpers.ACTION_CHECKBOX_NAME: [wallet.pk]}
    )
    assert client_page.status_code == 200 and "reason" in page.content.decode()
    missing = _post_action(admin_client, url, "adjust_balance", [wallet.pk], amount="50")
    assert missing.status_code == 200  # the form again: the reason is required
    assert not LedgerEntry.objects.exists()

    done = _post_action(
        admin_client, url, "adjust_balance", [wallet.pk], amount="50", reason="goodwill"
    )
    assert done.status_code == 302
    entry = LedgerEntry.objects.get()
    assert (entry.amount, entry.reason, entry.actor) == (D("50.00"), "goodwill", admin_user)
    assert AuditLog.objects.filter(event="credit.adjusted", actor=admin_user).count() == 1

    refused = _post_action(
        admin_client, url, "refund_credit", [wallet.pk], amount="80", reason="closing"
    )
    assert refused.status_code == 302
    wallet.refresh_from_db()
    assert wallet.balance == D("50.00")  # not enough credit: refused, nothing moved

    today = entry.created_at.date().isoformat()
    export = _post_action(
        admin_client, url, "export_entries", [wallet.pk], date_from=today, date_to=today
    )
    assert export["Content-Type"].startswith("text/csv")
    text = export.content.decode("utf-8-sig")
    assert "goodwill" in text and "50.00" in text


def test_admin_cannot_edit_a_balance_or_a_ledger_entry(admin_client):
    wallet = _wallet()
    adjust(wallet=wallet, amount=D("10"), actor=None, reason="x")
    change = admin_client.post(
        reverse("admin:credits_wallet_change", args=[wallet.pk]),
        {"balance": "99999", "low_balance_threshold": "5", "monthly_statement": "on"},
    )
    assert change.status_code == 302
    wallet.refresh_from_db()
    assert wallet.balance == D("10.00") and wallet.low_balance_threshold == D("5.00")
    entry = LedgerEntry.objects.get()
    response = admin_client.post(
        reverse("admin:credits_ledgerentry_change", args=[entry.pk]), {"amount": "1"}
    )
    assert response.status_code == 403


def test_admin_deactivates_with_a_reason_and_issues_a_top_up_request(
    admin_client, admin_user, bank_accounts
):
    from tests.factories import ProductFactory

    ProductFactory(code="credit-topup", kind="credit_topup", prices={"CZK": "1.00"})
    wallet = _wallet()
    url = reverse("admin:credits_wallet_changelist")
    assert _post_action(admin_client, url, "deactivate", [wallet.pk], reason="fraud check")
    wallet.refresh_from_db()
    assert wallet.active is False
    assert AuditLog.objects.get(event="credit.wallet_deactivated").note == "fraud check"

    # an inactive wallet takes no top-up: refused with a message, nothing issued
    _post_action(admin_client, url, "request_top_up", [wallet.pk], net_amount="500")
    assert not wallet.customer.documents.exists()
    _post_action(admin_client, url, "reactivate", [wallet.pk], reason="cleared")
    _post_action(admin_client, url, "request_top_up", [wallet.pk], net_amount="500")
    request = wallet.customer.documents.get()
    assert (request.total_net, request.total_gross) == (D("500.00"), D("605.00"))


def test_admin_downloads_the_statement_of_one_wallet(admin_client):
    wallet = _wallet()
    entry = _entry_at(datetime(2026, 11, 10, 9, tzinfo=UTC), wallet, "42")
    url = reverse("admin:credits_wallet_changelist")
    two = _post_action(admin_client, url, "download_statement", [wallet.pk, _wallet().pk])
    assert two.status_code == 302  # one wallet at a time
    response = _post_action(
        admin_client, url, "download_statement", [wallet.pk],
        date_from="2026-11-01", date_to="2026-11-30",
    )  # fmt: skip
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and entry.pk


def test_a_statement_whose_e_mail_was_lost_is_queued_again_after_an_hour(
    django_capture_on_commit_callbacks,
):
    wallet = _wallet()
    _entry_at(datetime(2026, 11, 10, 9, tzinfo=UTC), wallet, "5")

    def run_at(when: datetime) -> tuple[int, list]:
        with (
            time_machine.travel(when, tick=False),
            django_capture_on_commit_callbacks(execute=False) as callbacks,
        ):
            queued = statements.send_monthly_statements()["queued"]
        return queued, callbacks

    queued, first = run_at(datetime(2026, 12, 1, 5, tzinfo=UTC))
    assert queued == len(first) == 1  # and the task is lost: never run
    assert run_at(datetime(2026, 12, 1, 5, 30, tzinfo=UTC)) == (0, [])  # it may still run
    queued, next_day = run_at(datetime(2026, 12, 2, 5, tzinfo=UTC))
    assert queued == len(next_day) == 1
    assert MonthlyStatement.objects.count() == 1

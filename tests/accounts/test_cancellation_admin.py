"""The subscription admin's "Request cancellation" action and the cancellation columns.

The rules themselves (notice period, withdrawn renewals) are tested with
`invoices.lifecycle` in tests/invoices/test_lifecycle.py; here staff enter the date a
written request arrived and read the last day of service, or the refusal, as a message.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format

from accounts.models import AuditLog, Subscription
from invoices.models import DocumentStatus, PaymentRequest
from invoices.services import issue_renewal_requests
from tests.factories import ProductFactory, SubscriptionFactory
from tests.invoices.helpers import pay

pytestmark = pytest.mark.django_db

D = date
SUBSCRIPTIONS_URL = reverse("admin:accounts_subscription_changelist")
ACTION_TEMPLATE = "admin/action_form.html"
# 1 Dec 2026 23:30 UTC is already 2 Dec in Prague: the business day is 2 Dec.
NOW = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
TODAY = D(2026, 12, 2)


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted by their English msgids, whatever the default language."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture(autouse=True)
def _now():
    """A fixed moment, set before admin_client logs in (autouse fixtures come first)."""
    with time_machine.travel(NOW, tick=False):
        yield


def _domain(**kwargs) -> Subscription:
    product = ProductFactory(
        code="domain-cz",
        kind="domain",
        name="Domain .cz",
        billing_period_months=12,
        prices={"CZK": "250.00"},
    )
    kwargs.setdefault("valid_until", D(2026, 12, 31))
    kwargs.setdefault("label", "pekarna.cz")
    return SubscriptionFactory(product=product, **kwargs)


def _action(*subscriptions: Subscription, **form) -> dict:
    data = {"action": "request_cancellations", "_selected_action": [s.pk for s in subscriptions]}
    if form:
        data.update({"post": "yes", **form})
    return data


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_the_action_asks_for_the_date_with_today_in_prague_as_default(admin_client):
    subscription = _domain()
    response = admin_client.post(SUBSCRIPTIONS_URL, _action(subscription))
    assert response.status_code == 200
    assert ACTION_TEMPLATE in [t.name for t in response.templates]
    form = response.context["form"]
    assert form["requested_on"].value() == TODAY  # not 1 Dec, the date in UTC
    assert [pk for pk, _cells in response.context["rows"]] == [subscription.pk]
    assert b"pekarna.cz" in response.content
    subscription.refresh_from_db()
    assert subscription.ends_on is None  # nothing happens before the form is confirmed


def test_an_on_time_request_ends_the_service_at_valid_until(admin_client, admin_user):
    subscription = _domain()
    response = admin_client.post(
        SUBSCRIPTIONS_URL,
        _action(subscription, requested_on="2026-11-30", note="Letter of 30 Nov, ref. 17/2026"),
    )
    assert response.status_code == 302
    assert messages_of(response) == [("success", "pekarna.cz: service ends on 31.12.2026")]
    subscription.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (
        subscription.valid_until,
        D(2026, 11, 30),
    )
    assert subscription.status == Subscription.Status.ACTIVE  # until the last day passes
    audit = AuditLog.objects.get(event="subscription.cancellation_requested")
    assert audit.actor == admin_user
    assert audit.after["ends_on"] == "2026-12-31"
    note = AuditLog.objects.get(event="subscription.cancellation_note")
    assert (note.actor, note.note) == (admin_user, "Letter of 30 Nov, ref. 17/2026")


def test_a_late_request_ends_the_service_with_the_following_period(admin_client):
    subscription = _domain()
    # today's default, 2 Dec: less than a month before the next period (1 Jan)
    response = admin_client.post(
        SUBSCRIPTIONS_URL, _action(subscription, requested_on=TODAY.isoformat(), note="")
    )
    assert response.status_code == 302
    assert messages_of(response) == [("success", "pekarna.cz: service ends on 31.12.2027")]
    subscription.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (
        D(2027, 12, 31),
        TODAY,
    )
    assert subscription.valid_until == D(2026, 12, 31)
    assert not AuditLog.objects.filter(event="subscription.cancellation_note").exists()


def test_a_refused_cancellation_is_an_error_message_and_changes_nothing(
    admin_client, bank_accounts
):
    subscription = _domain()
    assert issue_renewal_requests(today=D(2026, 12, 1), days_ahead=30)["issued"] == 1
    renewal = PaymentRequest.objects.get(lines__subscription=subscription)
    pay(renewal, Decimal("100.00"))
    audit_rows = AuditLog.objects.count()

    response = admin_client.post(
        SUBSCRIPTIONS_URL, _action(subscription, requested_on="2026-11-30", note="Letter")
    )
    assert response.status_code == 302
    with translation.override("en"):
        refusal = translation.gettext(
            "Payment request %(number)s is partly paid; return or re-book the "
            "payment by hand, then repeat the cancellation."
        ) % {"number": renewal.number}
    assert messages_of(response) == [("error", f"pekarna.cz: {refusal}")]
    subscription.refresh_from_db()
    renewal.refresh_from_db()
    assert (subscription.ends_on, subscription.cancellation_requested_on) == (None, None)
    assert subscription.valid_until == D(2026, 12, 31)
    assert renewal.status == DocumentStatus.PARTLY_PAID
    assert AuditLog.objects.count() == audit_rows  # not even the note


def test_each_selected_subscription_gets_its_own_message(admin_client):
    pending = _domain(label="nova.cz", valid_until=None, status=Subscription.Status.PENDING)
    running = _domain(label="pekarna.cz")
    response = admin_client.post(
        SUBSCRIPTIONS_URL, _action(pending, running, requested_on="2026-11-30", note="")
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        (
            "error",
            "nova.cz: Only a running or expired service can be cancelled; cancel the "
            "payment request of a service that has not started.",
        ),
        ("success", "pekarna.cz: service ends on 31.12.2026"),
    ]
    pending.refresh_from_db()
    running.refresh_from_db()
    assert (pending.ends_on, running.ends_on) == (None, D(2026, 12, 31))


def test_a_date_in_the_future_is_refused_by_the_form(admin_client):
    subscription = _domain()
    response = admin_client.post(
        SUBSCRIPTIONS_URL, _action(subscription, requested_on="2026-12-03", note="")
    )
    assert response.status_code == 200
    assert "requested_on" in response.context["form"].errors
    subscription.refresh_from_db()
    assert subscription.ends_on is None
    assert not AuditLog.objects.exists()


def test_list_and_change_page_show_the_cancellation_read_only(admin_client):
    subscription = _domain()
    Subscription.objects.filter(pk=subscription.pk).update(
        cancellation_requested_on=D(2026, 11, 30), ends_on=D(2026, 12, 31)
    )
    response = admin_client.get(SUBSCRIPTIONS_URL)
    assert response.status_code == 200
    assert {"cancellation_requested_on", "ends_on"} <= set(response.context["cl"].list_display)
    with translation.override("en"):
        shown = [date_format(D(2026, 11, 30)), date_format(D(2026, 12, 31))]
    text = response.content.decode()
    assert all(value in text for value in shown)

    page_url = reverse("admin:accounts_subscription_change", args=[subscription.pk])
    response = admin_client.get(page_url)
    assert response.status_code == 200
    form = response.context["adminform"]
    assert {"cancellation_requested_on", "ends_on"} <= set(form.readonly_fields)
    assert not {"cancellation_requested_on", "ends_on"} & set(form.form.fields)
    text = response.content.decode()
    assert all(value in text for value in shown)

"""Contract blocking at the interfaces: the block admin and its "Lift block" action,
the contract admin's "Block contract" action and blocking line, the dunning notice
admin, the customer portal banner and the eligibility API."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Contract, ContractBlock
from accounts.portal_login import create_portal_login
from accounts.services import block_contract
from invoices.models import DunningNotice
from invoices.services import LineSpec, cancel_payment_request, issue_payment_request
from tests.factories import AuthorizedPersonFactory, ContractFactory, CustomerFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Correct-Horse-42"
BLOCKS_URL = reverse("admin:accounts_contractblock_changelist")
CONTRACTS_URL = reverse("admin:accounts_contract_changelist")
ACTION_TEMPLATE = "admin/action_form.html"


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted by their English msgids, whatever the default language."""
    settings.LANGUAGE_CODE = "en"


def today() -> date:
    return timezone.localdate()


def overdue_block(contract: Contract, *, unblock_on: date | None = None, **fields):
    return ContractBlock.objects.create(
        contract=contract,
        reason=ContractBlock.Reason.OVERDUE,
        blocked_on=fields.pop("blocked_on", today() - timedelta(days=5)),
        unblock_on=unblock_on,
        **fields,
    )


def issue_overdue(contract: Contract, *, days: int = 40, description: str = "Webhosting"):
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description=description, unit_price=Decimal("100.00"))],
        issue_date=today() - timedelta(days=days + 14),
        due_date=today() - timedelta(days=days),
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def changelist(response) -> set[str]:
    return {str(obj.contract) for obj in response.context["cl"].result_list}


def action_choices(response) -> set[str]:
    form = response.context["action_form"]
    return {name for name, _label in form.fields["action"].choices if name} if form else set()


@pytest.fixture
def staff_without_unblock(django_user_model, client):
    """Staff who may see blocks and contracts, but not lift a block."""
    user = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="accounts",
            codename__in=["view_contractblock", "view_contract", "change_contract"],
        )
    )
    client.force_login(user)
    return user


@pytest.fixture
def blocks(db):
    """An active overdue block with a scheduled unblock, an active legal block and a
    lifted manual block, on three contracts of three customers."""
    active = overdue_block(
        ContractFactory(number="F2112000371", customer=CustomerFactory(name="Alfa s.r.o.")),
        unblock_on=date(2026, 12, 8),
    )
    legal = ContractBlock.objects.create(
        contract=ContractFactory(
            number="F2112000372",
            customer=CustomerFactory(
                name="Beta a.s.", ico="35697270", dic="SK2020317068", country="SK"
            ),
        ),
        reason=ContractBlock.Reason.LEGAL,
        blocked_on=date(2026, 10, 1),
        note="Court order",
    )
    lifted = ContractBlock.objects.create(
        contract=ContractFactory(number="F2112000373", customer=CustomerFactory(name="Gama")),
        reason=ContractBlock.Reason.MANUAL,
        blocked_on=date(2026, 9, 1),
        lifted_at=timezone.now(),
        lifted_by_label="admin",
    )
    return {"active": active, "legal": legal, "lifted": lifted}


# --- the block admin -------------------------------------------------------------------


def test_block_list_shows_every_block_and_the_view_page_renders(admin_client, blocks):
    response = admin_client.get(BLOCKS_URL)
    assert response.status_code == 200
    assert changelist(response) == {"F2112000371", "F2112000372", "F2112000373"}
    page = admin_client.get(
        reverse("admin:accounts_contractblock_change", args=[blocks["legal"].pk])
    )
    assert page.status_code == 200
    assert b"Court order" in page.content
    add = admin_client.get(reverse("admin:accounts_contractblock_add"))
    assert add.status_code == 403
    delete = admin_client.post(
        reverse("admin:accounts_contractblock_delete", args=[blocks["legal"].pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    assert ContractBlock.objects.count() == 3


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"state": "active"}, {"F2112000371", "F2112000372"}),
        ({"state": "lifted"}, {"F2112000373"}),
        ({"reason": "legal"}, {"F2112000372"}),
        ({"unblock_scheduled": "yes"}, {"F2112000371"}),
        ({"unblock_scheduled": "no"}, {"F2112000372", "F2112000373"}),
        ({"q": "F2112000372"}, {"F2112000372"}),
        ({"q": "Alfa"}, {"F2112000371"}),
        ({"q": "35697270"}, {"F2112000372"}),
    ],
)
def test_block_list_filters_and_search(admin_client, blocks, params, expected):
    response = admin_client.get(BLOCKS_URL, params)
    assert response.status_code == 200
    assert changelist(response) == expected


def test_lift_action_asks_for_a_reason_then_lifts_and_audits(admin_client, admin_user, blocks):
    block = blocks["legal"]
    data = {"action": "lift_blocks", "_selected_action": [block.pk]}
    response = admin_client.post(BLOCKS_URL, data)
    assert response.status_code == 200
    assert ACTION_TEMPLATE in [t.name for t in response.templates]
    empty = admin_client.post(BLOCKS_URL, {**data, "post": "yes", "note": " "})
    assert empty.status_code == 200 and empty.context["form"].errors
    assert ContractBlock.objects.get(pk=block.pk).lifted_at is None

    response = admin_client.post(
        BLOCKS_URL, {**data, "post": "yes", "note": "Court order withdrawn"}
    )
    assert response.status_code == 302
    block.refresh_from_db()
    assert block.lifted_at is not None
    assert (block.lift_note, block.lifted_by_label) == ("Court order withdrawn", "admin")
    entry = AuditLog.objects.get(event="contract.unblocked")
    assert (entry.actor, entry.subject, entry.note) == (
        admin_user,
        block.contract,
        "Court order withdrawn",
    )
    assert messages_of(response) == ["1 block lifted."]


def test_lift_action_is_not_offered_without_the_permission(client, staff_without_unblock, blocks):
    response = client.get(BLOCKS_URL)
    assert response.status_code == 200
    assert "lift_blocks" not in action_choices(response)
    posted = client.post(
        BLOCKS_URL,
        {
            "action": "lift_blocks",
            "_selected_action": [blocks["legal"].pk],
            "post": "yes",
            "note": "Please",
        },
    )
    assert posted.status_code == 200
    assert ContractBlock.objects.get(pk=blocks["legal"].pk).lifted_at is None
    assert not AuditLog.objects.filter(event="contract.unblocked").exists()


def test_lift_action_reports_a_refusal_as_a_message(staff_without_unblock, blocks):
    """Reached however the action is invoked: the service refuses, the admin says so."""
    request = RequestFactory().post(BLOCKS_URL, {"post": "yes", "note": "Please"})
    request.user = staff_without_unblock
    request.session = {}
    request._messages = FallbackStorage(request)
    model_admin = admin.site._registry[ContractBlock]
    queryset = ContractBlock.objects.filter(pk=blocks["legal"].pk)
    assert model_admin.lift_blocks(request, queryset) is None
    assert [str(m) for m in request._messages] == ["You may not lift contract blocks."]
    assert ContractBlock.objects.get(pk=blocks["legal"].pk).lifted_at is None
    assert not AuditLog.objects.filter(event="contract.unblocked").exists()


def test_lift_action_is_offered_with_the_permission(client, staff_without_unblock, blocks):
    staff_without_unblock.user_permissions.add(
        Permission.objects.get(content_type__app_label="accounts", codename="unblock_contract")
    )
    response = client.get(BLOCKS_URL)
    assert "lift_blocks" in action_choices(response)


# --- the contract admin ----------------------------------------------------------------


def test_block_contract_action_creates_a_manual_or_legal_block(admin_client, admin_user):
    contract = ContractFactory(number="F2112000371")
    data = {"action": "block_contracts", "_selected_action": [contract.pk]}
    response = admin_client.post(CONTRACTS_URL, data)
    assert response.status_code == 200
    assert ACTION_TEMPLATE in [t.name for t in response.templates]
    refused = admin_client.post(
        CONTRACTS_URL, {**data, "post": "yes", "reason": "overdue", "note": "x"}
    )
    assert refused.status_code == 200 and "reason" in refused.context["form"].errors
    assert not ContractBlock.objects.exists()

    response = admin_client.post(
        CONTRACTS_URL, {**data, "post": "yes", "reason": "legal", "note": "Police request"}
    )
    assert response.status_code == 302
    block = ContractBlock.objects.get(contract=contract)
    assert (block.reason, block.note, block.set_by, block.lifted_at) == (
        "legal",
        "Police request",
        admin_user,
        None,
    )
    assert block.blocked_on == today()
    assert AuditLog.objects.get(event="contract.blocked").actor == admin_user
    assert messages_of(response) == ["1 contract blocked."]
    admin_client.get(CONTRACTS_URL)  # the messages are shown

    again = admin_client.post(
        CONTRACTS_URL, {**data, "post": "yes", "reason": "legal", "note": "Again"}
    )
    assert messages_of(again) == ["F2112000371 is already blocked for this reason."]
    assert ContractBlock.objects.count() == 1


def test_contract_page_shows_the_blocking_state_and_the_blocks(admin_client):
    contract = ContractFactory(number="F2112000371")
    page_url = reverse("admin:accounts_contract_change", args=[contract.pk])
    response = admin_client.get(page_url)
    assert b"Not blocked" in response.content

    overdue_block(contract, blocked_on=date(2026, 11, 20), unblock_on=date(2026, 12, 8))
    response = admin_client.get(page_url)
    text = response.content.decode()
    assert "Blocked since 11/20/2026 (Overdue payment); unblock on 12/08/2026" in text
    inline = next(
        f for f in response.context["inline_admin_formsets"] if f.opts.model is ContractBlock
    )
    assert [form.original.reason for form in inline] == ["overdue"]

    block_contract(contract=contract, reason="manual", actor=None, note="Fraud check")
    text = admin_client.get(page_url).content.decode()
    assert "(Set by staff, Overdue payment); no unblocking scheduled" in text
    assert "Fraud check" in text


def test_contract_can_still_be_saved_with_blocks_shown(admin_client):
    contract = ContractFactory(number="F2112000371")
    overdue_block(contract)
    data = {
        "number": contract.number,
        "customer": contract.customer_id,
        "status": "terminated",
        "signed_on": "",
        "authorized_persons-TOTAL_FORMS": "0",
        "authorized_persons-INITIAL_FORMS": "0",
    }
    response = admin_client.post(
        reverse("admin:accounts_contract_change", args=[contract.pk]), data
    )
    assert response.status_code == 302
    contract.refresh_from_db()
    assert contract.status == "terminated"
    assert ContractBlock.objects.filter(contract=contract, lifted_at=None).count() == 1


# --- the dunning notice admin ----------------------------------------------------------


def test_dunning_notice_list_filters_and_search(admin_client, bank_accounts):
    first = issue_overdue(ContractFactory(number="F2112000371"))
    second = issue_overdue(ContractFactory(number="F2112000372"))
    DunningNotice.objects.create(
        document=first,
        level="block",
        claim="00000000-0000-0000-0000-000000000001",
        sent_at=timezone.now(),
        recipients=["jana@example.cz"],
    )
    DunningNotice.objects.create(
        document=second, level="reminder", claim="00000000-0000-0000-0000-000000000002"
    )
    notices_url = reverse("admin:invoices_dunningnotice_changelist")

    def listed(params=None):
        response = admin_client.get(notices_url, params or {})
        assert response.status_code == 200
        return {str(n.document) for n in response.context["cl"].result_list}

    assert listed() == {first.number, second.number}
    assert listed({"sent": "yes"}) == {first.number}
    assert listed({"sent": "no"}) == {second.number}
    assert listed({"level": "reminder"}) == {second.number}
    assert listed({"q": "F2112000372"}) == {second.number}
    assert listed({"q": first.variable_symbol}) == {first.number}
    assert listed({"q": first.number}) == {first.number}
    assert admin_client.get(reverse("admin:invoices_dunningnotice_add")).status_code == 403


# --- the portal ------------------------------------------------------------------------


@pytest.fixture
def portal(client, db):
    person = AuthorizedPersonFactory(contract=ContractFactory(number="F2112000371"))
    create_portal_login(person=person, password=PASSWORD)
    person.refresh_from_db()
    client.force_login(person.user)
    return person


def test_portal_shows_no_banner_for_an_unblocked_contract(client, portal):
    response = client.get(reverse("portal:documents"))
    assert response.status_code == 200
    assert response.context["blocking"] is None
    assert b"Your contract is blocked" not in response.content


def test_portal_banner_shows_the_message_and_the_overdue_documents(client, portal, bank_accounts):
    document = issue_overdue(portal.contract)
    overdue_block(portal.contract, documents=[document.number])
    response = client.get(reverse("portal:documents"))
    text = response.content.decode()
    assert "Your contract is blocked" in text
    assert "The contract is blocked for non-payment of an overdue invoice." in text
    assert response.context["overdue_documents"] == [document]
    assert reverse("portal:document_pdf", args=[document.number]) in text
    pdf = client.get(reverse("portal:document_pdf", args=[document.number]))
    assert (pdf.status_code, pdf["Content-Type"]) == (200, "application/pdf")


def test_portal_banner_shows_the_unblock_date(client, portal):
    overdue_block(portal.contract, unblock_on=date(2026, 12, 8))
    text = client.get(reverse("portal:documents")).content.decode()
    assert "The contract is blocked for non-payment; it will be unblocked on 08.12.2026." in text


def test_portal_lists_unpaid_documents_first_when_blocked(client, portal, bank_accounts):
    unpaid = issue_overdue(portal.contract, days=60, description="Older, unpaid")
    cancelled = issue_overdue(portal.contract, days=10, description="Newer, cancelled")
    cancel_payment_request(document=cancelled, reason="Ordered by mistake")

    def listed() -> list[str]:
        response = client.get(reverse("portal:documents"))
        return [d.number for d in response.context["page"].object_list]

    assert listed() == [cancelled.number, unpaid.number]  # newest first
    overdue_block(portal.contract, documents=[unpaid.number])
    assert listed() == [unpaid.number, cancelled.number]


# --- the API ---------------------------------------------------------------------------


def eligibility_url(number: str) -> str:
    return reverse("api-contract-eligibility", args=[number])


def test_api_eligible_when_not_blocked(admin_client):
    ContractFactory(number="F2112000371")
    response = admin_client.get(eligibility_url("F2112000371"))
    assert response.status_code == 200
    assert response.json() == {
        "contract": "F2112000371",
        "blocked": False,
        "can_issue_certificates": True,
    }


def test_api_blocked_contract_is_the_domain_error(admin_client):
    contract = ContractFactory(number="F2112000371")
    overdue_block(contract, blocked_on=date(2026, 11, 20), unblock_on=date(2026, 12, 8))
    response = admin_client.get(eligibility_url("F2112000371"))
    assert response.status_code == 403
    assert response.json() == {
        "code": "contract_blocked",
        "message": "The contract is blocked for non-payment; it will be unblocked on 08.12.2026.",
        "details": {
            "reasons": ["overdue"],
            "since": "2026-11-20",
            "expected_unblock_on": "2026-12-08",
        },
    }


def test_api_manual_block_has_no_unblock_date(admin_client):
    contract = ContractFactory(number="F2112000371")
    block_contract(contract=contract, reason="manual", actor=None, note="Fraud check")
    body = admin_client.get(eligibility_url("F2112000371")).json()
    assert body["code"] == "contract_blocked"
    assert body["details"]["reasons"] == ["manual"]
    assert body["details"]["expected_unblock_on"] is None


def test_api_unknown_contract_is_404_in_the_error_shape(admin_client):
    response = admin_client.get(eligibility_url("F2112999999"))
    assert response.status_code == 404
    body = response.json()
    assert set(body) == {"code", "message", "details"}
    assert (body["code"], body["message"]) == ("not_found", "No contract with this number exists.")


def test_api_is_for_staff_only(client, portal):
    response = client.get(eligibility_url("F2112000371"))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_api_schema_documents_the_eligibility_endpoint(client):
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/contracts/{number}/eligibility/" in text
    assert "ContractBlockedError" in text

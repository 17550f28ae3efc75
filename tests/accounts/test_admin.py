"""Admin of customers, contracts, persons, subscriptions, the audit log and job runs."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import AuditLog, AuthorizedPerson, Contract, Customer, JobRun
from accounts.services import write_audit
from billing_portal.errors import CurrencyLocked
from tests.factories import (
    AuthorizedPersonFactory,
    ContractFactory,
    CustomerFactory,
    SubscriptionFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted by their English msgids, whatever the default language."""
    settings.LANGUAGE_CODE = "en"


CUSTOMER_FIELDS = (
    "kind",
    "name",
    "ico",
    "dic",
    "country",
    "language",
    "street",
    "city",
    "postal_code",
    "email",
    "invoice_delivery",
    "einvoice_address",
    "einvoice_operator",
    "payment_method",
)


def customer_form(customer: Customer, **changes) -> dict:
    data = {name: getattr(customer, name) for name in CUSTOMER_FIELDS}
    for switch in ("vat_payer", "payment_request_emails", "auto_pay_by_credit"):
        if getattr(customer, switch):  # a checked box is posted as "on", else left out
            data[switch] = "on"
    data.update(changes)
    return data


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def changelist_numbers(response) -> set[str]:
    return {str(obj) for obj in response.context["cl"].result_list}


@pytest.fixture
def data(db):
    subscription = SubscriptionFactory(label="alfa.cz")
    AuthorizedPersonFactory(contract=subscription.contract)
    write_audit(event="customer.created", subject=subscription.contract.customer)
    JobRun.objects.create(job_name="issue_renewal_requests", counts={"issued": 1})
    return subscription


@pytest.mark.parametrize(
    "name",
    ["customer", "contract", "authorizedperson", "subscription", "auditlog", "jobrun"],
)
def test_changelists_change_and_add_pages_render(admin_client, data, name):
    response = admin_client.get(reverse(f"admin:accounts_{name}_changelist"))
    assert response.status_code == 200
    obj = response.context["cl"].result_list[0]
    response = admin_client.get(reverse(f"admin:accounts_{name}_change", args=[obj.pk]))
    assert response.status_code == 200
    add = admin_client.get(reverse(f"admin:accounts_{name}_add"))
    assert add.status_code == (403 if name in ("auditlog", "jobrun") else 200)


@pytest.mark.parametrize("query", ["Alfa Beta", "25596641", "CZ25596641", "fakturace@alfa.cz"])
def test_customer_search_by_name_ico_dic_and_email(admin_client, query):
    CustomerFactory(name="Alfa Beta s.r.o.", email="fakturace@alfa.cz")
    CustomerFactory(name="Gama a.s.", ico="35697270", dic="SK2020317068", country="SK")
    response = admin_client.get(url(Customer, "changelist"), {"q": query})
    assert changelist_numbers(response) == {"Alfa Beta s.r.o."}


@pytest.mark.parametrize("query", ["F2112000371", "Alfa", "25596641"])
def test_contract_search_by_number_customer_name_and_ico(admin_client, query):
    ContractFactory(number="F2112000371", customer=CustomerFactory(name="Alfa s.r.o."))
    ContractFactory(
        number="F2112000999",
        customer=CustomerFactory(name="Gama a.s.", ico="35697270", dic="SK2020317068"),
    )
    response = admin_client.get(url(Contract, "changelist"), {"q": query})
    assert changelist_numbers(response) == {"F2112000371"}


@pytest.mark.parametrize("query", ["alfa.cz", "F2112000371"])
def test_subscription_search_by_label_and_contract_number(admin_client, query):
    SubscriptionFactory(label="alfa.cz", contract=ContractFactory(number="F2112000371"))
    SubscriptionFactory(label="gama.sk", contract=ContractFactory(number="F2112000999"))
    response = admin_client.get(reverse("admin:accounts_subscription_changelist"), {"q": query})
    assert changelist_numbers(response) == {"alfa.cz (F2112000371)"}


def test_editing_a_customer_writes_an_audit_row_with_before_and_after(admin_client, admin_user):
    customer = CustomerFactory(name="Alfa s.r.o.", city="Praha")
    response = admin_client.post(
        url(Customer, "change", customer.pk),
        customer_form(customer, name="Alfa Beta s.r.o.", city="Brno"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.city) == ("Alfa Beta s.r.o.", "Brno")
    entry = AuditLog.objects.get(event="customer.changed")
    assert entry.actor == admin_user
    assert entry.actor_label == admin_user.username
    assert entry.subject == customer
    assert (entry.before["name"], entry.before["city"]) == ("Alfa s.r.o.", "Praha")
    assert (entry.after["name"], entry.after["city"]) == ("Alfa Beta s.r.o.", "Brno")


def test_saving_a_customer_without_changes_writes_no_audit_row(admin_client):
    customer = CustomerFactory()
    response = admin_client.post(url(Customer, "change", customer.pk), customer_form(customer))
    assert response.status_code == 302
    assert not AuditLog.objects.exists()


def test_a_domain_error_on_save_is_shown_as_a_message_and_rolled_back(admin_client, monkeypatch):
    customer = CustomerFactory(name="Alfa s.r.o.")

    def refuse(self, *args, **kwargs):
        raise CurrencyLocked(customer=self.pk)

    monkeypatch.setattr(Customer, "save", refuse)
    response = admin_client.post(
        url(Customer, "change", customer.pk), customer_form(customer, name="Beta s.r.o.")
    )
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "A customer's currency is fixed when the account is created."
    ]
    assert Customer.objects.get(pk=customer.pk).name == "Alfa s.r.o."
    assert not AuditLog.objects.exists()


def test_creating_a_customer_in_admin_writes_a_created_audit_row(admin_client, admin_user):
    template = CustomerFactory.build(name="Nová s.r.o.", email="nova@example.cz")
    data = customer_form(template, currency="EUR")
    response = admin_client.post(url(Customer, "add"), data)
    assert response.status_code == 302
    customer = Customer.objects.get(name="Nová s.r.o.")
    assert customer.currency == "EUR"
    entry = AuditLog.objects.get(event="customer.created")
    assert (entry.actor, entry.before, entry.after["currency"]) == (admin_user, None, "EUR")


def test_customer_currency_cannot_be_changed_in_admin(admin_client):
    customer = CustomerFactory(currency="CZK")
    page = admin_client.get(url(Customer, "change", customer.pk))
    assert "currency" not in page.context["adminform"].form.fields
    assert 'name="currency"' not in page.content.decode()

    response = admin_client.post(
        url(Customer, "change", customer.pk),
        customer_form(customer, currency="EUR", city="Brno"),
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.currency, customer.city) == ("CZK", "Brno")
    entry = AuditLog.objects.get(event="customer.changed")
    assert entry.before["currency"] == entry.after["currency"] == "CZK"


def test_inline_authorized_person_changes_are_audited(admin_client, admin_user):
    contract = ContractFactory()
    person = AuthorizedPersonFactory(contract=contract, name="Jan Novák")
    prefix = "authorized_persons"
    data = {
        "number": contract.number,
        "customer": contract.customer_id,
        "status": contract.status,
        "signed_on": "",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": person.pk,
        f"{prefix}-0-contract": contract.pk,
        f"{prefix}-0-name": "Jan Nováček",
        f"{prefix}-0-email": person.email,
        f"{prefix}-0-active": "on",
        f"{prefix}-1-contract": contract.pk,
        f"{prefix}-1-name": "Eva Malá",
        f"{prefix}-1-email": "eva@example.cz",
        f"{prefix}-1-active": "on",
    }
    response = admin_client.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = AuditLog.objects.get(event="authorizedperson.changed")
    assert (changed.actor, changed.before["name"], changed.after["name"]) == (
        admin_user,
        "Jan Novák",
        "Jan Nováček",
    )
    created = AuditLog.objects.get(event="authorizedperson.created")
    assert created.subject == AuthorizedPerson.objects.get(email="eva@example.cz")
    assert not AuditLog.objects.filter(event="contract.changed").exists()

    data[f"{prefix}-0-DELETE"] = "on"
    data[f"{prefix}-0-name"] = "Jan Nováček"
    data[f"{prefix}-TOTAL_FORMS"] = "1"
    response = admin_client.post(url(Contract, "change", contract.pk), data)
    assert response.status_code == 302
    deleted = AuditLog.objects.get(event="authorizedperson.deleted")
    assert (deleted.subject_id, deleted.before["name"]) == (str(person.pk), "Jan Nováček")
    assert not AuthorizedPerson.objects.filter(pk=person.pk).exists()


def test_deleting_in_admin_writes_a_deleted_audit_row(admin_client, admin_user):
    contract = ContractFactory(number="F2112000371")
    pk = contract.pk
    response = admin_client.post(url(Contract, "delete", pk), {"post": "yes"})
    assert response.status_code == 302
    assert not Contract.objects.filter(pk=pk).exists()
    entry = AuditLog.objects.get(event="contract.deleted")
    assert (entry.actor, entry.subject_id, entry.before["number"]) == (
        admin_user,
        str(pk),
        "F2112000371",
    )
    assert entry.subject_type == ContentType.objects.get_for_model(Contract)


def test_bulk_delete_writes_one_audit_row_per_object(admin_client):
    people = AuthorizedPersonFactory.create_batch(2)
    response = admin_client.post(
        url(AuthorizedPerson, "changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in people], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AuthorizedPerson.objects.exists()
    assert sorted(
        AuditLog.objects.filter(event="authorizedperson.deleted").values_list(
            "subject_id", flat=True
        )
    ) == sorted(str(p.pk) for p in people)


def test_deleting_a_protected_customer_is_refused_and_writes_nothing(admin_client):
    contract = ContractFactory()
    response = admin_client.post(url(Customer, "delete", contract.customer_id), {"post": "yes"})
    assert response.status_code == 200  # the "cannot delete, protected objects" page
    assert Customer.objects.filter(pk=contract.customer_id).exists()
    assert not AuditLog.objects.exists()


@pytest.mark.parametrize("model", [AuditLog, JobRun])
def test_audit_log_and_job_runs_are_read_only(admin_client, data, model):
    obj = model.objects.first()
    before = model.objects.filter(pk=obj.pk).values().get()
    assert admin_client.get(url(model, "add")).status_code == 403
    assert admin_client.post(url(model, "change", obj.pk), {"note": "x"}).status_code == 403
    assert admin_client.get(url(model, "delete", obj.pk)).status_code == 403
    assert admin_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
    changelist = admin_client.get(url(model, "changelist"))
    assert changelist.context["action_form"] is None  # no actions at all, no bulk delete
    assert model.objects.filter(pk=obj.pk).values().get() == before


def test_audit_log_links_to_its_subject(admin_client, data):
    entry = AuditLog.objects.get()
    response = admin_client.get(url(AuditLog, "change", entry.pk))
    customer = data.contract.customer
    assert url(Customer, "change", customer.pk) in response.content.decode()

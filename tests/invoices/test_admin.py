"""Admin of the catalogue, orders and documents: read-only documents, search and
filters, and the actions that call the services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditLog, Customer
from invoices import services
from invoices.models import (
    BankAccount,
    CreditNote,
    Document,
    DocumentKind,
    DocumentStatus,
    NumberSeries,
    Order,
    OrderLine,
    PaymentRequest,
    Product,
    ProductPrice,
    TaxInvoice,
)
from tests.factories import ContractFactory, CustomerFactory, ProductFactory
from tests.invoices.helpers import pay

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Messages are asserted by their English msgids, whatever the default language."""
    settings.LANGUAGE_CODE = "en"


GROSS = Decimal("1210.00")  # 1000 net + 21 % VAT for a Czech VAT payer


@pytest.fixture
def issue(bank_accounts, django_capture_on_commit_callbacks):
    """Issue a document through the service (and pay `amount_paid` of it through the
    settlement service); the e-mail callbacks are captured, not run."""

    def _issue(kind=DocumentKind.PAYMENT_REQUEST, *, customer=None, contract=None, **kwargs):
        customer = customer or CustomerFactory()
        contract = contract or ContractFactory(customer=customer)
        spec = services.LineSpec(description="Webhosting", unit_price=Decimal("1000.00"))
        kwargs.pop("status", None)
        amount_paid, paid_on = kwargs.pop("amount_paid", None), kwargs.pop("paid_on", None)
        with django_capture_on_commit_callbacks():
            document = services.issue_document(
                kind=kind, customer=customer, contract=contract, lines=[spec], **kwargs
            )
            if amount_paid:
                pay(document, amount_paid, on=paid_on)
        return document

    return _issue


def paid(**kwargs) -> dict:
    return {
        "status": DocumentStatus.PAID,
        "amount_paid": GROSS,
        "paid_on": timezone.localdate(),
        **kwargs,
    }


def url(model, view: str, *args) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def listed(response) -> set[str]:
    return {obj.number for obj in response.context["cl"].result_list}


def messages_of(response) -> list[tuple[str, str]]:
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def state(document: Document) -> dict:
    return Document.objects.filter(pk=document.pk).values().get()


def run_action(client, model, action: str, documents, **extra):
    return client.post(
        url(model, "changelist"),
        {"action": action, "_selected_action": [d.pk for d in documents], **extra},
    )


# --- pages ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [Product, BankAccount, Order, NumberSeries, Document, PaymentRequest, TaxInvoice, CreditNote],
)
def test_changelists_and_change_pages_render(admin_client, issue, model):
    invoice = issue(DocumentKind.TAX_INVOICE, **paid())
    services.issue_credit_note(invoice=invoice, reason="Storno")
    issue(DocumentKind.PAYMENT_REQUEST)
    order = Order.objects.create(number="OBJ-1", customer=invoice.customer)
    OrderLine.objects.create(order=order, product=ProductFactory(), unit_price=Decimal("10"))

    response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200
    obj = response.context["cl"].result_list[0]
    response = admin_client.get(url(model, "change", obj.pk))
    assert response.status_code == 200


def test_each_document_admin_lists_only_its_kind(admin_client, issue):
    request = issue(DocumentKind.PAYMENT_REQUEST)
    invoice = issue(DocumentKind.TAX_INVOICE, **paid())
    note = services.issue_credit_note(invoice=invoice, reason="Storno")
    assert listed(admin_client.get(url(PaymentRequest, "changelist"))) == {request.number}
    assert listed(admin_client.get(url(TaxInvoice, "changelist"))) == {invoice.number}
    assert listed(admin_client.get(url(CreditNote, "changelist"))) == {note.number}
    assert listed(admin_client.get(url(Document, "changelist"))) == {
        request.number,
        invoice.number,
        note.number,
    }


def test_document_change_page_shows_lines_and_vat_recapitulation(admin_client, issue):
    document = issue()
    page = admin_client.get(url(PaymentRequest, "change", document.pk)).content.decode()
    assert "Webhosting" in page
    assert "1000" in page and "210" in page
    assert url(PaymentRequest, "pdf", document.pk) in page


def test_document_change_page_lists_the_payments_behind_its_amount_paid(admin_client, issue):
    document = issue()
    pay(document, Decimal("200.00"), on=date(2026, 3, 2))
    pay(document, Decimal("1010.00"), on=date(2026, 3, 9))
    response = admin_client.get(url(PaymentRequest, "change", document.pk))
    rows = response.context["inline_admin_formsets"][-1].formset.queryset
    assert [(row.paid_on, row.amount, row.source) for row in rows] == [
        (date(2026, 3, 2), Decimal("200.00"), "staff"),
        (date(2026, 3, 9), Decimal("1010.00"), "staff"),
    ]
    assert "test payment" in response.content.decode()


# --- search and filters --------------------------------------------------------------


@pytest.fixture
def two_requests(issue):
    alfa = CustomerFactory(name="Alfa s.r.o.", ico="25596641", dic="CZ25596641")
    beta = CustomerFactory(name="Beta a.s.", ico="27082440", dic="CZ27082440")
    first = issue(customer=alfa, contract=ContractFactory(customer=alfa, number="F2112000371"))
    second = issue(customer=beta, contract=ContractFactory(customer=beta, number="F2112000999"))
    return first, second


@pytest.mark.parametrize("model", [PaymentRequest, Document])
@pytest.mark.parametrize("field", ["vs", "number", "ico", "contract", "name"])
def test_search_finds_the_document(admin_client, two_requests, model, field):
    first, _second = two_requests
    query = {
        "vs": first.variable_symbol,
        "number": first.number,
        "ico": "25596641",
        "contract": "F2112000371",
        "name": "Alfa",
    }[field]
    response = admin_client.get(url(model, "changelist"), {"q": query})
    assert listed(response) == {first.number}


def test_overdue_filter_lists_only_open_documents_past_due(admin_client, issue):
    today = timezone.localdate()
    past = {"issue_date": today - timedelta(days=30), "due_date": today - timedelta(days=1)}
    overdue = issue(**past)
    partly = issue(**past, status=DocumentStatus.PARTLY_PAID, amount_paid=Decimal("100.00"))
    issue(issue_date=today - timedelta(days=30), due_date=today)  # due today: not yet
    issue(issue_date=today)  # due in 14 days
    issue(**past, **paid())
    invoice = issue(DocumentKind.TAX_INVOICE, **past, **paid())
    services.issue_credit_note(invoice=invoice, reason="Storno", issue_date=past["issue_date"])

    response = admin_client.get(url(Document, "changelist"), {"overdue": "yes"})
    assert listed(response) == {overdue.number, partly.number}
    assert all(
        response.context["cl"].model_admin.overdue(d) for d in response.context["cl"].result_list
    )
    not_overdue = admin_client.get(url(Document, "changelist"), {"overdue": "no"})
    assert len(listed(not_overdue)) == 5
    assert listed(not_overdue).isdisjoint({overdue.number, partly.number})


def test_list_filters_by_status_currency_country_kind_and_to_print(admin_client, issue):
    czech = issue()
    slovak = issue(customer=CustomerFactory(
        ico="35697270", dic="SK2020317068", country="SK", currency="EUR", language="sk"
    ))  # fmt: skip
    postal = issue(customer=CustomerFactory(invoice_delivery=Customer.Delivery.POST))
    changelist = url(Document, "changelist")
    assert listed(admin_client.get(changelist, {"currency__exact": "EUR"})) == {slovak.number}
    assert listed(admin_client.get(changelist, {"customer__country": "SK"})) == {slovak.number}
    assert listed(admin_client.get(changelist, {"to_print__exact": "1"})) == {postal.number}
    assert listed(admin_client.get(changelist, {"status__exact": "open"})) == {
        czech.number,
        slovak.number,
        postal.number,
    }
    assert listed(admin_client.get(changelist, {"kind__exact": "tax_invoice"})) == set()


def test_changelist_queries_do_not_grow_with_documents(
    admin_client, issue, django_assert_max_num_queries
):
    for _ in range(5):
        issue()
    with django_assert_max_num_queries(12):
        response = admin_client.get(url(Document, "changelist"))
    assert len(listed(response)) == 5


# --- immutability ------------------------------------------------------------------


@pytest.mark.parametrize("model", [PaymentRequest, Document])
def test_a_document_cannot_be_changed_deleted_or_added_from_admin(admin_client, issue, model):
    document = issue()
    before = state(document)
    response = admin_client.post(
        url(model, "change", document.pk),
        {"variable_symbol": "999", "total_gross": "1.00", "status": "paid", "note": "x"},
    )
    assert response.status_code == 403
    assert admin_client.get(url(model, "delete", document.pk)).status_code == 403
    assert admin_client.post(url(model, "delete", document.pk), {"post": "yes"}).status_code == 403
    assert admin_client.get(url(model, "add")).status_code == 403
    assert state(document) == before
    assert not AuditLog.objects.exclude(event="payment_request.issued").exists()


def test_the_change_page_is_a_view_page_without_save_and_delete(admin_client, issue):
    document = issue()
    response = admin_client.get(url(PaymentRequest, "change", document.pk))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="_save"' not in page
    assert url(PaymentRequest, "delete", document.pk) not in page


@pytest.mark.parametrize("model", [Document, PaymentRequest, TaxInvoice, CreditNote])
def test_bulk_delete_is_not_offered_and_refused(admin_client, issue, model):
    document = issue()
    choices = admin_client.get(url(model, "changelist")).context["action_form"].fields["action"]
    assert "delete_selected" not in dict(choices.choices)
    run_action(admin_client, model, "delete_selected", [document], post="yes")
    assert Document.objects.filter(pk=document.pk).exists()


# --- actions -------------------------------------------------------------------------


def test_resend_action_calls_the_service_and_audits_the_staff_user(
    admin_client, admin_user, issue, django_capture_on_commit_callbacks
):
    document = issue()
    with django_capture_on_commit_callbacks() as callbacks:
        response = run_action(admin_client, PaymentRequest, "resend", [document])
    assert response.status_code == 302
    assert len(callbacks) == 1  # the e-mail task, queued after commit
    entry = AuditLog.objects.get(event="document.resend_requested")
    assert (entry.actor, entry.subject_id) == (admin_user, str(document.pk))
    assert messages_of(response) == [("success", "1 document queued for delivery again.")]


def test_credit_note_action_asks_for_a_reason_then_issues_it(admin_client, admin_user, issue):
    invoice = issue(DocumentKind.TAX_INVOICE, **paid())
    response = run_action(admin_client, TaxInvoice, "issue_credit_note", [invoice])
    assert response.status_code == 200
    assert "admin/action_form.html" in [t.name for t in response.templates]
    assert invoice.number in response.content.decode()
    assert not CreditNote.objects.exists()

    empty = run_action(admin_client, TaxInvoice, "issue_credit_note", [invoice], post="yes")
    assert empty.status_code == 200
    assert empty.context["form"].errors["reason"]
    assert not CreditNote.objects.exists()

    response = run_action(
        admin_client,
        TaxInvoice,
        "issue_credit_note",
        [invoice],
        post="yes",
        reason="Služba zrušena písemně",
    )
    assert response.status_code == 302
    note = CreditNote.objects.get()
    assert note.related_document_id == invoice.pk
    assert note.total_gross == -GROSS
    assert "Služba zrušena písemně" in note.note
    entry = AuditLog.objects.get(event="credit_note.issued")
    assert (entry.actor, entry.subject_id) == (admin_user, str(note.pk))
    assert ("success", "1 credit note issued.") in messages_of(response)


def test_credit_note_action_reports_an_already_credited_invoice(admin_client, issue):
    invoice = issue(DocumentKind.TAX_INVOICE, **paid())
    request = issue()
    services.issue_credit_note(invoice=invoice, reason="Storno")
    audit_rows = AuditLog.objects.count()
    response = run_action(
        admin_client, Document, "issue_credit_note", [invoice, request], post="yes", reason="x"
    )
    assert response.status_code == 302
    assert CreditNote.objects.count() == 1
    assert AuditLog.objects.count() == audit_rows
    assert sorted(messages_of(response)) == sorted(
        [
            ("error", f"{invoice.number}: This invoice already has a credit note."),
            ("error", f"{request.number}: Only a tax invoice can be corrected by a credit note."),
        ]
    )


def test_cancel_action_cancels_an_unpaid_request_with_the_reason(admin_client, admin_user, issue):
    document = issue()
    response = run_action(
        admin_client,
        PaymentRequest,
        "cancel_payment_request",
        [document],
        post="yes",
        reason="Zákazník objednávku stornoval",
    )
    assert response.status_code == 302
    document.refresh_from_db()
    assert document.status == DocumentStatus.CANCELLED
    assert document.cancelled_at is not None
    entry = AuditLog.objects.get(event="payment_request.cancelled")
    assert (entry.actor, entry.note) == (admin_user, "Zákazník objednávku stornoval")
    assert (entry.before["status"], entry.after["status"]) == ("open", "cancelled")
    assert messages_of(response) == [("success", "1 payment request cancelled.")]


def test_cancel_action_refuses_paid_requests_and_invoices_and_changes_nothing(admin_client, issue):
    paid_request = issue(**paid())
    invoice = issue(DocumentKind.TAX_INVOICE, **paid())
    open_request = issue()
    before = {d.pk: state(d) for d in (paid_request, invoice)}
    audit_rows = AuditLog.objects.count()
    response = run_action(
        admin_client,
        Document,
        "cancel_payment_request",
        [paid_request, invoice, open_request],
        post="yes",
        reason="Omyl",
    )
    assert response.status_code == 302
    assert {d.pk: state(d) for d in (paid_request, invoice)} == before
    open_request.refresh_from_db()
    assert open_request.status == DocumentStatus.CANCELLED  # the valid one still goes through
    assert AuditLog.objects.count() == audit_rows + 1
    assert sorted(messages_of(response)) == sorted(
        [
            ("error", f"{paid_request.number}: Only an unpaid payment request can be cancelled."),
            (
                "error",
                f"{invoice.number}: Only a payment request can be cancelled; correct an "
                "invoice with a credit note.",
            ),
            ("success", "1 payment request cancelled."),
        ]
    )


def test_a_failing_action_alone_changes_nothing(admin_client, issue):
    paid_request = issue(**paid())
    before = state(paid_request)
    audit_rows = AuditLog.objects.count()
    response = run_action(
        admin_client,
        PaymentRequest,
        "cancel_payment_request",
        [paid_request],
        post="yes",
        reason="Omyl",
    )
    assert response.status_code == 302
    assert state(paid_request) == before
    assert AuditLog.objects.count() == audit_rows
    assert [level for level, _text in messages_of(response)] == ["error"]


def test_to_print_list_and_mark_as_printed_action(admin_client, admin_user, issue):
    postal = CustomerFactory(invoice_delivery=Customer.Delivery.POST)
    to_print = issue(customer=postal)
    emailed = issue()
    assert to_print.to_print and not emailed.to_print
    to_print_list = admin_client.get(url(Document, "changelist"), {"to_print__exact": "1"})
    assert listed(to_print_list) == {to_print.number}

    response = run_action(
        admin_client, Document, "mark_printed", [to_print, emailed], to_print__exact="1"
    )
    assert response.status_code == 302
    to_print.refresh_from_db()
    assert not to_print.to_print
    assert to_print.printed_at is not None
    entry = AuditLog.objects.get(event="document.printed")
    assert (entry.actor, entry.subject_id) == (admin_user, str(to_print.pk))
    assert messages_of(response) == [("success", "1 document marked as printed.")]
    assert listed(admin_client.get(url(Document, "changelist"), {"to_print__exact": "1"})) == set()


def test_actions_are_offered_per_kind(admin_client, issue):
    issue()

    def offered(model):
        form = admin_client.get(url(model, "changelist")).context["action_form"]
        return {name for name, _label in form.fields["action"].choices if name}

    assert offered(PaymentRequest) == {"resend", "cancel_payment_request", "mark_printed"}
    assert offered(TaxInvoice) == {"resend", "issue_credit_note", "mark_printed"}
    assert offered(CreditNote) == {"resend", "mark_printed"}
    assert offered(Document) == {
        "resend",
        "issue_credit_note",
        "cancel_payment_request",
        "mark_printed",
    }


def test_actions_need_the_change_permission(client, django_user_model, issue):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_paymentrequest"))
    client.force_login(viewer)
    document = issue()
    response = client.get(url(PaymentRequest, "changelist"))
    assert response.status_code == 200
    assert response.context["action_form"] is None
    run_action(client, PaymentRequest, "cancel_payment_request", [document], post="yes", reason="x")
    document.refresh_from_db()
    assert document.status == DocumentStatus.OPEN


# --- PDF -----------------------------------------------------------------------------


def test_pdf_view_returns_the_document_pdf(admin_client, issue):
    pytest.importorskip("weasyprint")
    document = issue()
    response = admin_client.get(url(PaymentRequest, "pdf", document.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{document.number}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")


def test_pdf_view_is_for_staff_only(client, issue):
    document = issue()
    response = client.get(url(PaymentRequest, "pdf", document.pk))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- audited catalogue -----------------------------------------------------------------


def test_product_price_inline_changes_are_audited(admin_client, admin_user):
    product = ProductFactory(code="hosting-basic", name="Hosting Basic", prices={"CZK": "100.00"})
    price = ProductPrice.objects.get(product=product)
    prefix = "prices"
    data = {
        "code": product.code,
        "kind": product.kind,
        "name": product.name,
        "names": "{}",
        "billing_period_months": "12",
        "vat_category": product.vat_category,
        "overpayment_policy": product.overpayment_policy,
        "active": "on",
        f"{prefix}-TOTAL_FORMS": "2",
        f"{prefix}-INITIAL_FORMS": "1",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
        f"{prefix}-0-id": price.pk,
        f"{prefix}-0-product": product.pk,
        f"{prefix}-0-currency": "CZK",
        f"{prefix}-0-net_amount": "120.00",
        f"{prefix}-1-product": product.pk,
        f"{prefix}-1-currency": "EUR",
        f"{prefix}-1-net_amount": "5.00",
    }
    response = admin_client.post(url(Product, "change", product.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    changed = AuditLog.objects.get(event="productprice.changed")
    assert (changed.actor, changed.before["net_amount"], changed.after["net_amount"]) == (
        admin_user,
        "100.00",
        "120.00",
    )
    created = AuditLog.objects.get(event="productprice.created")
    assert created.after["currency"] == "EUR"
    assert not AuditLog.objects.filter(event="product.changed").exists()

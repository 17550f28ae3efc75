"""Issuing, immutability, credit notes, cancelling, snapshots and delivery."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from accounts.models import AuditLog
from billing_portal.errors import ImmutableDocument, InvalidDocumentState, ValidationFailed
from invoices.models import CreditNote, Document, DocumentLine, DocumentStatus
from invoices.services import (
    cancel_payment_request,
    issue_credit_note,
    issue_payment_request,
    issue_tax_invoice,
    mark_printed,
)
from tests.factories import (
    ContractFactory,
    CustomerFactory,
    PersonCustomerFactory,
    SlovakCustomerFactory,
)
from tests.invoices.helpers import line, pay


@pytest.mark.django_db
def test_issued_document_snapshots_both_parties_and_our_bank_account(bank_accounts):
    customer = CustomerFactory(name="Alfa s.r.o.")
    contract = ContractFactory(customer=customer, number="F2112000371")
    document = issue_payment_request(
        customer=customer, contract=contract, lines=[line("500")], issue_date=date(2026, 4, 1)
    )
    customer.name = "Beta s.r.o."
    customer.save()
    document.refresh_from_db()
    assert document.buyer["name"] == "Alfa s.r.o."
    assert document.buyer["contract_number"] == "F2112000371"
    assert document.seller["bank_account"]["iban"] == "CZ6508000000192000145399"
    assert document.seller["dic"]
    assert document.due_date == date(2026, 4, 15)
    assert document.taxable_supply_date is None  # a payment request is not a tax document
    assert AuditLog.objects.filter(event="payment_request.issued", subject_id=str(document.pk))


@pytest.mark.django_db
def test_issued_document_cannot_be_edited_or_deleted(bank_accounts):
    document = issue_tax_invoice(customer=CustomerFactory(), lines=[line("100")])
    document.total_gross = Decimal("1.00")
    with pytest.raises(ImmutableDocument):
        document.save()
    with pytest.raises(ImmutableDocument):
        document.save(update_fields=["total_gross", "status"])
    with pytest.raises(ImmutableDocument):
        Document.objects.filter(pk=document.pk).update(total_net=Decimal("0"))
    with pytest.raises(ImmutableDocument):
        document.delete()
    with pytest.raises(ImmutableDocument):
        Document.objects.filter(pk=document.pk).delete()
    first_line = document.lines.get()
    first_line.unit_price = Decimal("1")
    with pytest.raises(ImmutableDocument):
        first_line.save()
    with pytest.raises(ImmutableDocument):
        DocumentLine.objects.filter(document=document).update(unit_price=Decimal("1"))
    with pytest.raises(ImmutableDocument):
        first_line.delete()
    stored = Document.objects.get(pk=document.pk)
    assert stored.total_gross == Decimal("121.00")
    assert stored.lines.get().unit_price == Decimal("100.00")


@pytest.mark.django_db
def test_only_state_fields_change_after_issue(bank_accounts):
    document = issue_payment_request(customer=CustomerFactory(), lines=[line("100")])
    pay(document, Decimal("50.00"))
    document.refresh_from_db()
    assert document.amount_due == Decimal("71.00")


@pytest.mark.django_db
def test_variable_symbol_is_unique_among_open_documents(bank_accounts):
    document = issue_payment_request(customer=CustomerFactory(), lines=[line("100")])
    duplicate = Document.objects.values().get(pk=document.pk)
    duplicate.update(id=None, number="ZF2099000001", year=2099, sequence=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(**duplicate)


@pytest.mark.django_db
def test_credit_note_reverses_the_invoice_at_its_own_rates(bank_accounts):
    customer = CustomerFactory()
    invoice = issue_tax_invoice(
        customer=customer,
        lines=[line("100.00", category="reduced"), line("10.00", qty="3")],
        issue_date=date(2023, 12, 20),
    )
    note = issue_credit_note(invoice=invoice, reason="Duplicitní fakturace")
    assert isinstance(CreditNote.objects.get(pk=note.pk), CreditNote)
    assert note.number.startswith("DB")
    assert note.related_document == invoice
    assert (note.total_net, note.total_vat, note.total_gross) == (
        -invoice.total_net,
        -invoice.total_vat,
        -invoice.total_gross,
    )
    assert sorted(note.vat_lines.values_list("rate", flat=True)) == [Decimal("15"), Decimal("21")]
    with pytest.raises(InvalidDocumentState):
        issue_credit_note(invoice=invoice, reason="again")
    with pytest.raises(ValidationFailed):
        issue_credit_note(invoice=note, reason=" ")


@pytest.mark.django_db
def test_a_payment_request_is_cancelled_not_credited(bank_accounts):
    request = issue_payment_request(customer=CustomerFactory(), lines=[line("100")])
    with pytest.raises(InvalidDocumentState):
        issue_credit_note(invoice=request, reason="wrong")
    cancel_payment_request(document=request, reason="Zákazník zrušil objednávku")
    request.refresh_from_db()
    assert request.status == DocumentStatus.CANCELLED
    assert AuditLog.objects.filter(event="payment_request.cancelled").count() == 1
    with pytest.raises(InvalidDocumentState):
        cancel_payment_request(document=request)


@pytest.mark.django_db
def test_a_partly_paid_request_cannot_be_cancelled(bank_accounts):
    request = issue_payment_request(customer=CustomerFactory(), lines=[line("100")])
    pay(request, Decimal("10"))
    with pytest.raises(InvalidDocumentState):
        cancel_payment_request(document=request)
    request.refresh_from_db()
    assert request.status == DocumentStatus.PARTLY_PAID


@pytest.mark.django_db
def test_document_without_lines_or_with_foreign_contract_is_refused(bank_accounts):
    customer = CustomerFactory()
    with pytest.raises(ValidationFailed):
        issue_tax_invoice(customer=customer, lines=[])
    with pytest.raises(ValidationFailed):
        issue_tax_invoice(customer=customer, contract=ContractFactory(), lines=[line("1")])
    assert Document.objects.count() == 0


@pytest.mark.django_db
def test_email_goes_after_commit_with_the_pdf(bank_accounts, django_capture_on_commit_callbacks):
    customer = PersonCustomerFactory(email="jana@example.cz", language="cs")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = issue_payment_request(customer=customer, lines=[line("100")])
    assert mail.outbox == []  # nothing leaves before the commit
    assert len(callbacks) == 1
    from invoices.delivery import send_document_email

    assert send_document_email(document_id=document.pk) is True
    assert send_document_email(document_id=document.pk) is False  # once
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jana@example.cz"]
    assert document.number in message.subject
    assert message.attachments[0][0] == f"{document.number}.pdf"
    assert message.attachments[0][1][:5] == b"%PDF-"
    document.refresh_from_db()
    assert document.sent_at is not None


@pytest.mark.django_db
def test_post_delivery_puts_the_document_on_the_print_list(
    bank_accounts, django_capture_on_commit_callbacks
):
    customer = CustomerFactory(invoice_delivery="post")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = issue_tax_invoice(customer=customer, lines=[line("100")])
    assert callbacks == []
    document.refresh_from_db()
    assert document.to_print is True
    mark_printed(document=document)
    document.refresh_from_db()
    assert (document.to_print, document.printed_at is not None) == (False, True)
    assert AuditLog.objects.filter(event="document.printed").count() == 1


@pytest.mark.skipif(
    __import__("django.db").db.connection.vendor != "postgresql",
    reason="the database trigger exists on PostgreSQL only",
)
@pytest.mark.django_db
def test_the_database_refuses_raw_sql_changes_to_an_issued_document(bank_accounts):
    from django.db import connection

    document = issue_tax_invoice(customer=CustomerFactory(), lines=[line("100")])
    statements = [
        ("UPDATE invoices_document SET total_gross = 1 WHERE id = %s", [document.pk]),
        ("DELETE FROM invoices_document WHERE id = %s", [document.pk]),
        ("UPDATE invoices_documentline SET unit_price = 1 WHERE document_id = %s", [document.pk]),
        ("DELETE FROM invoices_documentvatline WHERE document_id = %s", [document.pk]),
    ]
    for sql, params in statements:
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    with connection.cursor() as cursor:  # state columns may change
        cursor.execute("UPDATE invoices_document SET to_print = true WHERE id = %s", [document.pk])
    document.refresh_from_db()
    assert (document.total_gross, document.to_print) == (Decimal("121.00"), True)


@pytest.mark.django_db
def test_credit_note_of_an_unpaid_invoice_settles_it(bank_accounts):
    from datetime import timedelta

    invoice = issue_tax_invoice(
        customer=CustomerFactory(), lines=[line("100")], issue_date=date(2026, 1, 5)
    )
    note = issue_credit_note(
        invoice=invoice, reason="Chybná fakturace", issue_date=date(2026, 1, 6)
    )
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.CANCELLED
    assert note.status == DocumentStatus.PAID
    later = date(2026, 1, 6) + timedelta(days=400)
    assert list(Document.objects.overdue(later)) == []


@pytest.mark.django_db
def test_credit_note_of_a_paid_invoice_is_a_refund_we_owe(bank_accounts):
    invoice = issue_tax_invoice(customer=CustomerFactory(), lines=[line("100")])
    pay(invoice)
    note = issue_credit_note(invoice=invoice, reason="Reklamace")
    invoice.refresh_from_db()
    assert (invoice.status, note.status) == (DocumentStatus.PAID, DocumentStatus.OPEN)
    assert note not in Document.objects.receivable()


@pytest.mark.django_db
def test_a_cancelled_request_is_not_resent(bank_accounts):
    from invoices.services import resend_document

    request = issue_payment_request(customer=CustomerFactory(), lines=[line("100")])
    cancel_payment_request(document=request)
    with pytest.raises(InvalidDocumentState):
        resend_document(document=request)


@pytest.mark.django_db
def test_credit_note_of_a_partly_paid_invoice_stops_dunning_and_leaves_a_refund(bank_accounts):
    invoice = issue_tax_invoice(customer=CustomerFactory(), lines=[line("1000")])
    pay(invoice, Decimal("400.00"))
    note = issue_credit_note(invoice=invoice, reason="Zrušená služba")
    invoice.refresh_from_db()
    assert invoice.status == DocumentStatus.CANCELLED
    assert note.status == DocumentStatus.OPEN  # the 400.00 received is owed back
    assert invoice not in Document.objects.receivable()


@pytest.mark.django_db
def test_tax_invoice_for_a_paid_request_keeps_its_regime_and_dates(bank_accounts):
    from invoices.services import issue_tax_invoice_for_paid_request

    customer = SlovakCustomerFactory(kind="person", ico="", dic="", vat_payer=False)
    request = issue_payment_request(
        customer=customer, lines=[line("100")], issue_date=date(2025, 3, 1)
    )
    pay(request)
    customer.vat_payer, customer.dic, customer.kind = True, "SK2020317068", "company"
    customer.ico = "35697270"
    customer.save()  # became a VAT payer after the request: the sale is still the request's
    invoice = issue_tax_invoice_for_paid_request(payment_request=request, paid_on=date(2025, 3, 9))
    assert (invoice.vat_regime, invoice.total_gross) == (request.vat_regime, Decimal("123.00"))
    assert (invoice.taxable_supply_date, invoice.status) == (date(2025, 3, 9), DocumentStatus.PAID)
    assert issue_tax_invoice_for_paid_request(
        payment_request=request, paid_on=date(2025, 3, 9)
    ) == (invoice)


@pytest.mark.django_db
def test_a_rate_change_between_request_and_payment_goes_to_accounting(bank_accounts):
    from invoices.models import TaxInvoice
    from invoices.services import issue_tax_invoice_for_paid_request

    customer = SlovakCustomerFactory(kind="person", ico="", dic="", vat_payer=False)
    request = issue_payment_request(
        customer=customer, lines=[line("100")], issue_date=date(2024, 12, 20)
    )
    pay(request)
    with pytest.raises(InvalidDocumentState):  # paid 120.00 at 20 %, the tax point has 23 %
        issue_tax_invoice_for_paid_request(payment_request=request, paid_on=date(2025, 1, 5))
    assert TaxInvoice.objects.count() == 0

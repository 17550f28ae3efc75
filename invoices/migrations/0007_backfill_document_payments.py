"""amount_paid becomes the cached sum of DocumentPayment rows. The payments and
credits apps backfill their rows first (run_before); here: the tax invoices of paid
requests, credit notes settling invoices, and whatever amount is left without a row
(a payment entered before the rows existed) as one staff row per document."""

from decimal import Decimal

from django.db import migrations
from django.db.models import Sum

ZERO = Decimal("0.00")


def forwards(apps, schema_editor):
    Document = apps.get_model("invoices", "Document")
    DocumentPayment = apps.get_model("invoices", "DocumentPayment")
    for document in Document.objects.exclude(kind="credit_note").order_by("pk").iterator():
        rows = DocumentPayment.objects.filter(document=document)
        paid = rows.aggregate(total=Sum("amount"))["total"] or ZERO
        missing = document.amount_paid - paid
        on = document.paid_on or document.issue_date
        if missing and document.kind == "tax_invoice" and document.related_document_id:
            DocumentPayment.objects.create(
                document=document, amount=missing, currency=document.currency,
                source="request", source_key=f"request:{document.related_document_id}:{document.pk}",
                paid_on=on, actor_label="settlement",
            )  # fmt: skip
        elif missing:
            DocumentPayment.objects.create(
                document=document, amount=missing, currency=document.currency,
                source="staff", source_key=f"migrated:{document.pk}", paid_on=on,
                actor_label="migration", note="paid before document payments were recorded",
            )  # fmt: skip
        credit_note = document.derived_documents.filter(kind="credit_note").first()
        rest = document.total_gross - document.amount_paid
        if document.status == "cancelled" and credit_note is not None and rest > ZERO:
            DocumentPayment.objects.create(
                document=document, amount=rest, currency=document.currency,
                source="credit_note", source_key=f"credit_note:{credit_note.pk}",
                paid_on=credit_note.issue_date, actor_label="system", note=credit_note.number,
            )  # fmt: skip
            Document.objects.filter(pk=document.pk).update(amount_paid=document.total_gross)


class Migration(migrations.Migration):
    dependencies = [("invoices", "0006_document_payments")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

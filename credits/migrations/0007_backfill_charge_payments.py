"""Every existing credit charge gets the DocumentPayment row it would write today
(the document's full gross: a charge pays a request with nothing paid on it)."""

from django.db import migrations


def forwards(apps, schema_editor):
    LedgerEntry = apps.get_model("credits", "LedgerEntry")
    DocumentPayment = apps.get_model("invoices", "DocumentPayment")
    charges = LedgerEntry.objects.filter(
        kind="charge", document__isnull=False, document_payment__isnull=True
    ).select_related("document")
    for entry in charges.order_by("pk").iterator():
        payment = DocumentPayment.objects.create(
            document_id=entry.document_id,
            amount=entry.document.total_gross,
            currency=entry.document.currency,
            source="credit",
            source_key=f"charge:{entry.document_id}",
            paid_on=entry.document.paid_on or entry.created_at.date(),
            actor_id=entry.actor_id,
            actor_label=entry.actor_label,
            created_at=entry.created_at,
        )
        LedgerEntry.objects.filter(pk=entry.pk).update(document_payment=payment)
        reversed_ = LedgerEntry.objects.filter(reverses_id=entry.pk).first()
        if reversed_ is not None:  # the charge was reversed after its payment moved off
            DocumentPayment.objects.create(
                document_id=entry.document_id,
                amount=-entry.document.total_gross,
                currency=entry.document.currency,
                source="credit",
                source_key=f"charge-reversed:{entry.document_id}",
                paid_on=reversed_.created_at.date(),
                actor_label=reversed_.actor_label,
                created_at=reversed_.created_at,
            )


class Migration(migrations.Migration):
    dependencies = [("credits", "0006_ledger_document_payment")]
    run_before = [("invoices", "0007_backfill_document_payments")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

"""Every existing allocation gets the DocumentPayment row it would write today."""

from django.db import migrations


def forwards(apps, schema_editor):
    Allocation = apps.get_model("payments", "Allocation")
    DocumentPayment = apps.get_model("invoices", "DocumentPayment")
    sequence: dict[int, int] = {}
    for allocation in (
        Allocation.objects.select_related("transaction", "document").order_by("pk").iterator()
    ):
        seq = sequence[allocation.transaction_id] = sequence.get(allocation.transaction_id, 0) + 1
        if allocation.document_payment_id is not None:
            continue
        payment = DocumentPayment.objects.create(
            document_id=allocation.document_id,
            amount=allocation.amount,
            currency=allocation.document.currency,
            source="bank",
            source_key=f"bank:{allocation.transaction_id}:{seq}",
            paid_on=allocation.transaction.booking_date,
            actor_id=allocation.actor_id,
            actor_label=allocation.actor_label,
            note=allocation.note,
            created_at=allocation.created_at,
        )
        Allocation.objects.filter(pk=allocation.pk).update(document_payment=payment)


class Migration(migrations.Migration):
    dependencies = [("payments", "0005_allocation_document_payment")]
    run_before = [("invoices", "0007_backfill_document_payments")]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]

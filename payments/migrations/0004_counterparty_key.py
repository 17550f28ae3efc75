"""The payer's account as compared: `BankTransaction.counterparty_key`
(payments/account_key.py), indexed in place of the account as written, and filled for
the rows imported before it, in batches by primary key."""

from django.db import migrations, models

BATCH_SIZE = 2000


def backfill_counterparty_keys(apps, schema_editor) -> None:
    # The one key function, imported, not copied: a key computed here must equal the
    # key the import computes, or a payer's old payments would not count as theirs.
    from payments.account_key import account_key

    BankTransaction = apps.get_model("payments", "BankTransaction")
    rows = BankTransaction.objects.exclude(counterparty_account="").order_by("pk")
    last = 0
    while True:
        batch = list(
            rows.filter(pk__gt=last).only(
                "pk", "counterparty_account", "counterparty_bank", "counterparty_key"
            )[:BATCH_SIZE]
        )
        if not batch:
            return
        changed = []
        for row in batch:
            key = account_key(row.counterparty_account, row.counterparty_bank)
            if row.counterparty_key != key:
                row.counterparty_key = key
                changed.append(row)
        BankTransaction.objects.bulk_update(changed, ["counterparty_key"], batch_size=BATCH_SIZE)
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0003_credited_surplus"),
    ]

    operations = [
        migrations.AddField(
            model_name="banktransaction",
            name="counterparty_key",
            field=models.CharField(
                blank=True,
                default="",
                editable=False,
                max_length=50,
                verbose_name="counterparty account key",
            ),
            preserve_default=False,
        ),
        migrations.RemoveIndex(
            model_name="banktransaction",
            name="payments_ba_counter_0701de_idx",
        ),
        migrations.AddIndex(
            model_name="banktransaction",
            index=models.Index(fields=["counterparty_key"], name="bank_tx_counterparty_key"),
        ),
        # last: PostgreSQL refuses schema changes of a table with pending trigger events
        migrations.RunPython(backfill_counterparty_keys, migrations.RunPython.noop, elidable=True),
    ]

"""On PostgreSQL, the database itself refuses to change or delete an issued
document, its lines or its VAT recapitulation: raw SQL cannot bypass the rule the
models enforce. Only the state columns (payment and delivery state) may change."""

from django.db import migrations

IMMUTABLE_COLUMNS = (
    "kind", "number", "year", "sequence", "variable_symbol", "customer_id", "contract_id",
    "order_id", "related_document_id", "bank_account_id", "currency", "language", "issue_date",
    "taxable_supply_date", "due_date", "vat_regime", "total_net", "total_vat", "total_gross",
    "seller", "buyer", "note", "issued_at", "issued_by_id",
)  # fmt: skip

_new = ", ".join(f"NEW.{c}" for c in IMMUTABLE_COLUMNS)
_old = ", ".join(f"OLD.{c}" for c in IMMUTABLE_COLUMNS)

CREATE = f"""
CREATE OR REPLACE FUNCTION invoices_document_immutable() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'issued document % cannot be deleted', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF ROW({_new}) IS DISTINCT FROM ROW({_old}) THEN
        RAISE EXCEPTION 'issued document % cannot be changed; issue a credit note', OLD.number
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION invoices_document_part_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'lines of an issued document cannot be changed or deleted'
        USING ERRCODE = 'integrity_constraint_violation';
END $$ LANGUAGE plpgsql;

CREATE TRIGGER invoices_document_immutable BEFORE UPDATE OR DELETE ON invoices_document
    FOR EACH ROW EXECUTE FUNCTION invoices_document_immutable();
CREATE TRIGGER invoices_documentline_immutable BEFORE UPDATE OR DELETE ON invoices_documentline
    FOR EACH ROW EXECUTE FUNCTION invoices_document_part_immutable();
CREATE TRIGGER invoices_documentvatline_immutable BEFORE UPDATE OR DELETE
    ON invoices_documentvatline
    FOR EACH ROW EXECUTE FUNCTION invoices_document_part_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS invoices_documentvatline_immutable ON invoices_documentvatline;
DROP TRIGGER IF EXISTS invoices_documentline_immutable ON invoices_documentline;
DROP TRIGGER IF EXISTS invoices_document_immutable ON invoices_document;
DROP FUNCTION IF EXISTS invoices_document_part_immutable();
DROP FUNCTION IF EXISTS invoices_document_immutable();
"""


def _run(sql):
    def apply(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            with schema_editor.connection.cursor() as cursor:
                cursor.execute(sql)  # no params: the "%" of RAISE must stay literal

    return apply


class Migration(migrations.Migration):
    dependencies = [("invoices", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP))]

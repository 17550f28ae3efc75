"""The one writer of a document's money.

Every amount that reaches a document — a bank payment's allocation, a credit charge,
a re-booking, a credit note settling an invoice, the payment request a tax invoice
documents, a staff entry — is an append-only `DocumentPayment` row written here, and
only here are `amount_paid`, the paid status, `paid_on` and `paid_by_credit` moved:
`amount_paid` is the cached sum of the document's rows, the status follows it.
(tests/test_money_writers.py holds every other module to that.)

- `record_payment`: one amount on a document locked by the caller (payments, credits);
- `record_credit_charges`: the set-based form for the day-10 auto-charge, one
  statement per batch for the rows, the paid state, the audit trail and the events;
- `settle_on_issue`: a document born settled (a tax invoice of a paid request, a
  zero-amount invoice, a credit note that settles its invoice);
- `settle_by_credit_note`: an unpaid or partly paid invoice cancelled by its credit
  note (the rest of it is settled by the credit note);
- `record_staff_payment`: accounting enters a payment by hand.

A document that becomes paid records `document.paid` in the outbox and defers its
settlement (tax invoice, fulfilment: `invoices.services.settle_paid_document`) in
the same transaction, so a broker outage delays it and never loses it.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.outbox import defer, record_event
from accounts.services import snapshot, write_audit
from billing_portal.db import pg_array, require_transaction
from billing_portal.errors import InvalidDocumentState, ValidationFailed
from billing_portal.events import EventType
from billing_portal.money import ZERO, quantize

from .dunning import schedule_unblock
from .locks import lock_document
from .models import Document, DocumentKind, DocumentPayment, DocumentStatus

Source = DocumentPayment.Source
SETTLE_TASK = "invoices.tasks.settle_paid_document_task"
SETTLE_BATCH_TASK = "invoices.tasks.settle_paid_documents_task"


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "is_authenticated", False) else None


def record_payment(
    *,
    document: Document,
    amount: Decimal,
    source: str,
    source_key: str,
    paid_on: date,
    actor: Any = None,
    actor_label: str = "",
    note: str = "",
) -> DocumentPayment:
    """Add a (signed) amount to a document locked by the caller, as one row.

    Idempotent on `source_key`. Money may only leave a cancelled document (re-booked
    elsewhere or returned). A document that becomes paid is settled after commit.
    """
    require_transaction("record_payment")
    existing = DocumentPayment.objects.filter(source_key=source_key).first()
    if existing is not None:
        return existing
    amount = quantize(amount)
    if amount == ZERO:
        raise ValueError("a zero payment")
    if document.kind == DocumentKind.CREDIT_NOTE:
        raise InvalidDocumentState(document=document.number)
    if document.status == DocumentStatus.CANCELLED and amount >= ZERO:
        raise InvalidDocumentState(document=document.number)
    user = _user(actor)
    row = DocumentPayment.objects.create(
        document=document,
        amount=amount,
        currency=document.currency,
        source=source,
        source_key=source_key,
        paid_on=paid_on,
        actor=user,
        actor_label=actor_label or (user.get_username() if user else "system"),
        note=note,
    )
    before = snapshot(document)
    changes: dict[str, Any] = {"amount_paid": F("amount_paid") + amount}
    if source == Source.CREDIT:
        changes["paid_by_credit"] = True
    Document.objects.filter(pk=document.pk).update(**changes)
    document.refresh_from_db(fields=["amount_paid", "paid_by_credit"])
    if document.status == DocumentStatus.CANCELLED:
        if document.amount_paid < ZERO:
            raise InvalidDocumentState(document=document.number)
        return row
    if document.amount_paid < ZERO or document.amount_paid > document.total_gross:
        raise InvalidDocumentState(document=document.number, amount_paid=str(document.amount_paid))
    was_paid = document.status == DocumentStatus.PAID
    if document.amount_paid == document.total_gross:
        document.status, document.paid_on = DocumentStatus.PAID, document.paid_on or paid_on
    elif document.amount_paid > ZERO:
        document.status, document.paid_on = DocumentStatus.PARTLY_PAID, None
    else:
        document.status, document.paid_on = DocumentStatus.OPEN, None
    document.save(update_fields=["status", "paid_on"])
    write_audit(
        event="document.payment_applied",
        subject=document,
        actor=user,
        actor_label=row.actor_label,
        before=before,
        after=snapshot(document),
        note=f"{source} {source_key}",
    )
    if document.contract_id is not None:
        schedule_unblock(contract_id=document.contract_id, settled_on=paid_on)
    if document.status == DocumentStatus.PAID and not was_paid:
        record_event(EventType.DOCUMENT_PAID, document, _paid_payload(document))
        defer(SETTLE_TASK, document.pk)
    return row


def _paid_payload(document: Document) -> dict[str, Any]:
    """What `document.paid` carries besides its subject (kept small: the auto-charge
    writes 50,000 of them in a run; the rest is read from the subject)."""
    return {
        "number": document.number,
        "total": str(document.total_gross),
        "currency": document.currency,
        "paid_on": document.paid_on.isoformat() if document.paid_on else None,
    }


@transaction.atomic
def record_staff_payment(
    *, document: Document, amount: Decimal, paid_on: date, actor: Any, note: str
) -> DocumentPayment:
    """Accounting records a payment by hand (received outside our bank accounts);
    a negative amount takes a staff entry back. The note (the reason) is required."""
    if not note or not note.strip():
        raise ValidationFailed(_("A reason is required."))
    locked = lock_document(document.pk)
    return record_payment(
        document=locked,
        amount=amount,
        source=Source.STAFF,
        source_key=f"staff:{uuid.uuid4()}",
        paid_on=paid_on,
        actor=actor,
        note=note.strip(),
    )


def settle_on_issue(
    *, document: Document, paid_on: date, covered_by: Document | None = None
) -> None:
    """A document born settled, in its issuing transaction: a tax invoice documenting
    a paid payment request (`covered_by`: the request's payments pay it, one row), a
    zero-amount invoice, or a credit note that settles its invoice (no money moves)."""
    require_transaction("settle_on_issue")
    amount = ZERO
    if covered_by is not None:
        amount = document.total_gross
        DocumentPayment.objects.create(
            document=document,
            amount=amount,
            currency=document.currency,
            source=Source.REQUEST,
            source_key=f"request:{covered_by.pk}:{document.pk}",
            paid_on=paid_on,
            actor_label="settlement",
            note=covered_by.number,
        )
    elif document.kind != DocumentKind.CREDIT_NOTE and document.total_gross != ZERO:
        raise InvalidDocumentState(document=document.number)
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.PAID, amount_paid=amount, paid_on=paid_on
    )
    document.status, document.amount_paid, document.paid_on = DocumentStatus.PAID, amount, paid_on


def settle_by_credit_note(*, invoice: Document, credit_note: Document, actor: Any = None) -> None:
    """An open or partly paid invoice (locked by the caller) is cancelled by its credit
    note: what was left to pay is settled by the credit note, as one row."""
    require_transaction("settle_by_credit_note")
    before = snapshot(invoice)
    rest = invoice.total_gross - invoice.amount_paid
    if rest > ZERO:
        user = _user(actor)
        DocumentPayment.objects.create(
            document=invoice,
            amount=rest,
            currency=invoice.currency,
            source=Source.CREDIT_NOTE,
            source_key=f"credit_note:{credit_note.pk}",
            paid_on=credit_note.issue_date,
            actor=user,
            actor_label=user.get_username() if user else "system",
            note=credit_note.number,
        )
    Document.objects.filter(pk=invoice.pk).update(
        amount_paid=F("amount_paid") + rest,
        status=DocumentStatus.CANCELLED,
        cancelled_at=timezone.now(),
    )
    invoice.refresh_from_db(fields=["amount_paid", "status", "cancelled_at"])
    write_audit(
        event="tax_invoice.credited",
        subject=invoice,
        actor=actor,
        before=before,
        after=snapshot(invoice),
        note=credit_note.number,
    )


# --- set-based: the day-10 auto-charge ---------------------------------------------


@dataclass(frozen=True)
class CreditCharge:
    """One request the auto-charge pays in full from credit (`charged`: what the
    wallet gave, net for a customer who is not a VAT payer)."""

    document_id: int
    charged: Decimal


# One statement per batch: the rows (each document's full gross, source "credit"),
# the paid state, one audit row and one `document.paid` event per document. Only open
# documents with nothing paid take part; the caller holds their row locks.
_CHARGES_SQL = """
WITH c AS (
    SELECT * FROM unnest(%(ids)s::bigint[], %(charged)s::numeric[]) AS c(id, charged)
), docs AS (
    SELECT d.id, d.number, d.kind, d.currency, d.total_gross, d.contract_id,
           d.buyer ->> 'contract_number' AS contract_number, c.charged
    FROM invoices_document d JOIN c ON c.id = d.id
    WHERE d.id = ANY(%(ids)s::bigint[])  -- by the primary key, not a scan of the table
      AND d.status = 'open' AND d.amount_paid = 0 AND d.total_gross > 0
), rows AS (
    INSERT INTO invoices_documentpayment (document_id, amount, currency, source, source_key,
        paid_on, actor_label, note, created_at)
    SELECT id, total_gross, currency, 'credit', 'charge:' || id, %(paid_on)s, %(actor)s, '',
           %(now)s
    FROM docs ORDER BY id
    RETURNING id, document_id
), paid AS (
    UPDATE invoices_document d
    SET status = 'paid', amount_paid = d.total_gross, paid_on = %(paid_on)s,
        paid_by_credit = true
    FROM docs WHERE d.id = docs.id AND d.id = ANY(%(ids)s::bigint[])
    RETURNING d.id
), audit AS (
    INSERT INTO accounts_auditlog (created_at, actor_label, subject_type_id, subject_id,
        subject_repr, event, after, note)
    SELECT %(now)s, %(actor)s, %(document_type)s, docs.id::text, docs.number,
           'credit.charged',
           jsonb_build_object('amount', (-docs.charged)::text, 'status', 'paid',
               'amount_paid', docs.total_gross::text, 'paid_on', %(paid_on)s::text),
           'charge:' || docs.id  -- the document payment's source key
    FROM docs
), events AS (
    INSERT INTO accounts_domainevent (type, subject_type, subject_id, payload, created_at)
    SELECT 'document.paid', 'invoices.document', docs.id::text,
           jsonb_build_object('number', docs.number, 'total', docs.total_gross::text,
               'currency', docs.currency, 'paid_on', %(paid_on)s::text),
           %(now)s
    FROM docs
)
SELECT
    (SELECT COALESCE(jsonb_agg(jsonb_build_array(document_id, id)), '[]') FROM rows),
    (SELECT COALESCE(array_agg(DISTINCT docs.contract_id), '{}') FROM docs
     WHERE EXISTS (SELECT 1 FROM accounts_contractblock b WHERE b.contract_id = docs.contract_id
                   AND b.reason = 'overdue' AND b.lifted_at IS NULL))
"""


def record_credit_charges(
    *, charges: list[CreditCharge], paid_on: date, actor_label: str
) -> dict[int, int]:
    """Pay, set-based, requests locked by the caller in full from credit (PostgreSQL).

    Returns {document id: DocumentPayment id} of the documents paid now (a document
    that is no longer open with nothing paid is left out). Unblocking is scheduled
    for contracts with an overdue block; settlement is deferred, one task per batch.
    """
    require_transaction("record_credit_charges")
    if not charges:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            _CHARGES_SQL,
            {
                "ids": pg_array(c.document_id for c in charges),
                "charged": pg_array(c.charged for c in charges),
                "paid_on": paid_on,
                "now": timezone.now(),
                "actor": actor_label,
                "document_type": ContentType.objects.get_for_model(Document).pk,
            },
        )
        rows, blocked_contracts = cursor.fetchone()
    paid = {int(document_id): int(payment_id) for document_id, payment_id in json.loads(rows)}
    for contract_id in sorted(blocked_contracts):
        schedule_unblock(contract_id=contract_id, settled_on=paid_on)
    if paid:
        defer(SETTLE_BATCH_TASK, sorted(paid))
    return paid

"""Delivering issued documents as the customer's contract says: e-mail with the PDF
attached (after commit, through Celery), or the "to print" list for the post."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import Customer
from accounts.outbox import claimed, defer, mark_claim_done

from .locks import lock_document
from .models import Document, DocumentKind

logger = logging.getLogger(__name__)

SEND_DOCUMENT_TASK = "invoices.tasks.send_document_email_task"
PAYMENT_RECEIVED_EMAIL = "document.payment_received_email"  # claimed at settlement


def schedule_delivery(document: Document, *, resend: bool = False) -> None:
    """Called inside the issuing transaction; nothing leaves before it commits.

    A payment request of a customer who switched payment-request e-mails off is not
    e-mailed (it stays in the portal) unless staff resend it."""
    customer = document.customer
    muted = document.kind == DocumentKind.PAYMENT_REQUEST and not customer.payment_request_emails
    if muted and not resend:
        return
    if customer.invoice_delivery == Customer.Delivery.POST:
        Document.objects.filter(pk=document.pk).update(to_print=True)
        document.to_print = True
        return
    defer(SEND_DOCUMENT_TASK, document.pk, resend)


def document_email(document: Document) -> EmailMultiAlternatives:
    """The e-mail of a document in the customer's language, with its PDF attached."""
    from .pdf import pdf_filename, render_document_pdf

    with translation.override(document.language):
        context = {"document": document, "seller": document.seller, "buyer": document.buyer}
        subject = render_to_string("email/document_issued_subject.txt", context).strip()
        body = render_to_string("email/document_issued.txt", context)
        html = render_to_string("email/document_issued.html", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[document.customer.email],
        )
        message.attach_alternative(html, "text/html")
        message.attach(pdf_filename(document), render_document_pdf(document), "application/pdf")
    return message


def send_document_email(*, document_id: int, resend: bool = False) -> bool:
    """Send once. The PDF is rendered before any lock; the row lock and `sent_at` then
    keep two workers or a retry from sending the same document twice, and the lock is
    held only for the SMTP exchange (bounded by EMAIL_TIMEOUT). `resend` is staff
    asking for another copy."""
    document = Document.objects.select_related("customer").get(pk=document_id)
    if document.sent_at is not None and not resend:
        return False
    message = document_email(document)
    with transaction.atomic():
        locked = lock_document(document_id)
        if locked.sent_at is not None and not resend:
            return False
        message.send()
        locked.sent_at = timezone.now()
        locked.save(update_fields=["sent_at"])
    logger.info("document %s e-mailed to %s", document.number, document.customer.email)
    return True


def send_payment_received_email(*, document_id: int) -> bool:
    """Tell the customer their payment of an invoice arrived (a paid payment request
    gets its tax invoice instead, which says the same and more)."""
    with transaction.atomic():
        document = lock_document(document_id, related=("customer",))
        if document.status != "paid" or document.kind != "tax_invoice":
            return False
        if claimed(PAYMENT_RECEIVED_EMAIL, f"document:{document_id}", done=True):
            return False  # a re-queued task: sent already
        with translation.override(document.language):
            context = {"document": document, "seller": document.seller}
            message = EmailMultiAlternatives(
                subject=" ".join(
                    render_to_string("email/payment_received_subject.txt", context).split()
                ),
                body=render_to_string("email/payment_received.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[document.customer.email],
            )
        message.send()
        mark_claim_done(PAYMENT_RECEIVED_EMAIL, f"document:{document_id}")
    return True

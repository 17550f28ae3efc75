"""Celery tasks: take ids, call one service, own the retries."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from . import delivery, services


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_document_email_task(document_id: int, resend: bool = False) -> bool:
    return delivery.send_document_email(document_id=document_id, resend=resend)


@shared_task
def issue_renewal_requests_task() -> dict:
    return services.issue_renewal_requests()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=8)
def settle_paid_document_task(document_id: int) -> None:
    from .settlement import settle_paid_document

    settle_paid_document(document_id=document_id)


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_payment_received_email_task(document_id: int) -> bool:
    return delivery.send_payment_received_email(document_id=document_id)

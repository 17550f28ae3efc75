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
    services.settle_paid_document(document_id=document_id)


@shared_task
def settle_paid_documents_task(document_ids: list[int]) -> int:
    return services.settle_paid_documents(document_ids=document_ids)


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_payment_received_email_task(document_id: int) -> bool:
    return delivery.send_payment_received_email(document_id=document_id)


@shared_task
def send_reminders_task() -> dict:
    from .notices import send_reminders

    return send_reminders()


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_notices_task(claim: str) -> int:
    from .notices import send_notices

    return send_notices(claim=claim)


@shared_task
def expire_subscriptions_task() -> dict:
    from .lifecycle import expire_unpaid_subscriptions

    return expire_unpaid_subscriptions()


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_subscription_expired_email_task(subscription_id: int) -> bool:
    from .lifecycle import send_subscription_expired_email

    return send_subscription_expired_email(subscription_id=subscription_id)


@shared_task
def daily_dunning_task() -> dict:
    """Once a day, in this order: lift the blocks whose date has come, block what is
    more than 30 days overdue, revoke after long non-payment."""
    from . import dunning, notices

    return {
        "lifted": dunning.lift_due_blocks(),
        "blocked": dunning.block_overdue_contracts(),
        "revoked": dunning.revoke_long_unpaid(),
        "notices_resent": notices.resend_stale_claims(),
    }

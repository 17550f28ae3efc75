"""Celery tasks of the credit wallet: take ids, call one service, own the retries."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task


@shared_task
def charge_due_requests_task() -> dict:
    from .autopay import charge_due_requests

    return charge_due_requests()


@shared_task
def issue_zero_top_up_invoices_task() -> dict:
    from .autopay import issue_zero_top_up_invoices

    return issue_zero_top_up_invoices()


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_insufficient_credit_email_task(document_id: int) -> bool:
    from .autopay import send_insufficient_credit_email

    return send_insufficient_credit_email(document_id=document_id)


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_low_balance_email_task(wallet_id: int, balance: str) -> bool:
    from decimal import Decimal

    from .services import send_low_balance_email

    return send_low_balance_email(wallet_id=wallet_id, balance=Decimal(balance))


@shared_task
def send_monthly_statements_task() -> dict:
    from .statements import send_monthly_statements

    return send_monthly_statements()


@shared_task(
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=8,
)
def send_monthly_statement_task(statement_id: int) -> bool:
    from .statements import send_monthly_statement

    return send_monthly_statement(statement_id=statement_id)

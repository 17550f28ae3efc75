"""Celery tasks of the payments app."""

from __future__ import annotations

from celery import shared_task

from .pairing import pair_transactions


@shared_task
def pair_payments_task() -> dict:
    return pair_transactions()

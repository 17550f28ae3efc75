"""Celery tasks of the payments app."""

from __future__ import annotations

from celery import shared_task

from .fio_sync import fetch_fio_statements
from .pairing import pair_transactions
from .services import propose_returns


@shared_task
def pair_payments_task() -> dict:
    """Every 15 minutes: fetch what Fio has, then pair everything unprocessed."""
    fetch_fio_statements()
    return pair_transactions()


@shared_task
def propose_returns_task() -> dict:
    return propose_returns()

"""Celery tasks of the outbox: sweep up work recorded after a commit that never ran."""

from __future__ import annotations

from celery import shared_task

from . import outbox


@shared_task
def requeue_pending_tasks_task() -> dict:
    return outbox.requeue_pending_tasks()

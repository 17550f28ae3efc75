"""What a committed change sets off, kept in the database with the change itself.

- `record_event` / `record_events`: the transactional outbox (`DomainEvent`), written
  in the caller's transaction; the partner webhooks deliver from it.
- `defer`: work that must follow the commit (settling a paid document, an e-mail) is
  a `PendingTask` row of the same transaction; the task itself is queued to Celery
  after commit, and its success marks the row done (`mark_pending_done`). When the
  broker is down the row simply waits: `requeue_pending_tasks` (beat, every few
  minutes) queues again whatever has waited too long, so an outage delays the work
  and never loses it. Every deferred task is idempotent, so a task queued twice
  (a slow worker and the sweeper) does its work once.
- `claim` / `claimed` / `mark_claim_done`: "done once" state in its own table.

Tasks are named, not imported ("invoices.tasks.settle_paid_document_task"), so a
service can defer a task of its own app without importing its tasks module.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Model
from django.db.models.functions import Coalesce
from django.utils import timezone

from billing_portal.db import require_transaction
from billing_portal.events import EventType

from .jobs import job_run
from .models import Claim, DomainEvent, PendingTask

logger = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # queued this long ago and not done: queue again
KEEP_DONE = timedelta(days=30)


def subject_label(subject: Model) -> str:
    return subject._meta.label_lower


# --- the outbox ---------------------------------------------------------------------


def record_event(event_type: EventType, subject: Model, payload: dict[str, Any]) -> DomainEvent:
    """One domain event, in the caller's transaction (so it exists iff the change does)."""
    require_transaction("record_event")
    return DomainEvent.objects.create(
        type=str(event_type),
        subject_type=subject_label(subject),
        subject_id=str(subject.pk),
        payload=payload,
    )


def record_events(
    event_type: EventType, subject_type: str, rows: Iterable[tuple[Any, dict[str, Any]]]
) -> int:
    """Many events of one type at once: rows of (subject id, payload)."""
    require_transaction("record_events")
    events = [
        DomainEvent(
            type=str(event_type),
            subject_type=subject_type,
            subject_id=str(subject_id),
            payload=payload,
        )
        for subject_id, payload in rows
    ]
    DomainEvent.objects.bulk_create(events, batch_size=2000)
    return len(events)


# --- work after commit --------------------------------------------------------------


def defer(task_name: str, *args: Any) -> PendingTask:
    """Record `task_name(*args)` in the caller's transaction and queue it after commit."""
    require_transaction("defer")
    pending = PendingTask.objects.create(task=task_name, args=list(args))
    transaction.on_commit(_QueueAfterCommit(task_name, args))
    return pending


@dataclass(frozen=True)
class _QueueAfterCommit:
    """The on-commit callback of `defer`; its repr names the task (for logs, tests)."""

    task_name: str
    args: tuple[Any, ...]

    def __call__(self) -> None:
        queue_now(self.task_name, self.args)


def celery_task(task_name: str) -> Any:
    """The registered Celery task of this name; the apps' tasks modules are imported
    on first use (a web process has not imported them; a worker has)."""
    from billing_portal.celery import app

    if task_name not in app.tasks:  # registers it, without Celery's Django re-setup
        import_module(task_name.rpartition(".")[0])
    return app.tasks[task_name]


def queue_now(task_name: str, args: tuple[Any, ...] | list[Any]) -> bool:
    """Queue a task now (after commit, or from a sweeper); False when the broker is
    unreachable, which is logged and left to the sweeper."""
    try:
        celery_task(task_name).delay(*args)
    except Exception:  # the broker is unreachable: the row waits for the sweeper
        logger.warning("%s%r not queued; the sweeper will", task_name, tuple(args), exc_info=True)
        return False
    return True


def mark_pending_done(task_name: str, args: tuple[Any, ...] | list[Any]) -> int:
    """A task ran to its end (Celery's task_success, connected in AccountsConfig): every
    pending row of that task with those arguments is done, since the task is
    idempotent — one successful run covers them all."""
    return PendingTask.objects.filter(task=task_name, args=list(args), done_at__isnull=True).update(
        done_at=timezone.now()
    )


def requeue_pending_tasks(*, stale_after: timedelta = STALE_AFTER, batch_size: int = 1000) -> dict:
    """The sweeper: queue again every pending task that waited longer than
    `stale_after` (never queued because the broker was down, or lost by a worker), and
    forget tasks done long ago."""
    now = timezone.now()
    with job_run("requeue_pending_tasks") as counts:
        counts["requeued"] = counts["not_queued"] = 0
        stale = PendingTask.objects.annotate(last=Coalesce("queued_at", "created_at")).filter(
            done_at__isnull=True, last__lt=now - stale_after
        )
        for pending in stale.order_by("pk")[:batch_size]:
            if not queue_now(pending.task, pending.args):
                # the broker is still down: the rest waits for the next sweep, instead
                # of each publish timing out in turn
                counts["not_queued"] = stale.count()
                break
            PendingTask.objects.filter(pk=pending.pk).update(
                queued_at=timezone.now(), attempts=F("attempts") + 1
            )
            counts["requeued"] += 1
        counts["forgotten"] = PendingTask.objects.filter(done_at__lt=now - KEEP_DONE).delete()[0]
    return dict(counts)


# --- claims ---------------------------------------------------------------------------


def claim(name: str, key: str) -> bool:
    """Take the claim (name, key); False when it was taken before. Call it under the
    subject's row lock, inside the transaction that does or schedules the work."""
    require_transaction("claim")
    try:
        with transaction.atomic():
            Claim.objects.create(name=name, key=key)
    except IntegrityError:
        return False
    return True


def claimed(name: str, key: str, *, done: bool = False) -> bool:
    claims = Claim.objects.filter(name=name, key=key)
    return claims.filter(done_at__isnull=False).exists() if done else claims.exists()


def mark_claim_done(name: str, key: str) -> None:
    """The claimed work went out (creates the claim if the work was not claimed first)."""
    updated = Claim.objects.filter(name=name, key=key).update(done_at=timezone.now())
    if not updated:
        Claim.objects.create(name=name, key=key, done_at=timezone.now())

"""State changes of customers, contracts and subscriptions; the audit trail; job runs."""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing_portal.errors import ValidationFailed
from billing_portal.events import EventType
from billing_portal.kinds import SUBSCRIPTION_KINDS

from .jobs import job_run as job_run  # the import path the apps' jobs use
from .locks import lock_contract, lock_contract_block, lock_subscription
from .models import AuditLog, Customer, Subscription
from .outbox import record_event

logger = logging.getLogger(__name__)

SUBSCRIPTION_PRODUCT_KINDS = tuple(str(kind) for kind in SUBSCRIPTION_KINDS)

_json = DjangoJSONEncoder()


def snapshot(instance: models.Model | None) -> dict[str, Any] | None:
    """JSON-safe dict of a model's concrete fields, for the audit log's before/after."""
    if instance is None:
        return None
    return {
        field.attname: _jsonable(getattr(instance, field.attname))
        for field in instance._meta.concrete_fields
    }


def _jsonable(value: Any) -> Any:
    if isinstance(value, str | int | bool | type(None)):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, models.Model):
        return value.pk
    return _json.default(value) if not isinstance(value, dict) else value


def write_audit(
    *,
    event: str,
    subject: models.Model | None = None,
    actor: Any = None,
    actor_label: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditLog:
    """Append one audit row; `actor` is a staff user, None means the system."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    label = actor_label or (user.get_username() if user else "system")
    return AuditLog.objects.create(
        actor=user,
        actor_label=label,
        subject_type=ContentType.objects.get_for_model(subject) if subject is not None else None,
        subject_id=str(subject.pk) if subject is not None else "",
        subject_repr=str(subject)[:200] if subject is not None else "",
        event=event,
        before=before,
        after=after,
        note=note,
    )


@transaction.atomic
def create_customer(*, actor: Any = None, **fields: Any) -> Customer:
    customer = Customer(**fields)
    customer.full_clean()
    customer.save()
    write_audit(event="customer.created", subject=customer, actor=actor, after=snapshot(customer))
    return customer


def extend_subscription_for_line(*, line: Any, document: Any, paid_on: date) -> None:
    """Fulfilment handler: a paid line extends its subscription to the paid period's end.

    Idempotent: extending to a date the subscription already reaches changes nothing.
    """
    if line.subscription_id is None:
        return
    with transaction.atomic():
        subscription = lock_subscription(line.subscription_id)
        before = snapshot(subscription)
        if line.period_to is not None:
            new_until = line.period_to
        else:
            # a new (or lapsed) service runs from the payment date, whole months, inclusive
            start = (
                max(subscription.valid_until + timedelta(days=1), paid_on)
                if (subscription.valid_until)
                else paid_on
            )
            new_until = (
                start + relativedelta(months=subscription.billing_period_months) - timedelta(days=1)
            )
        changed = False
        if subscription.valid_until is None or new_until > subscription.valid_until:
            subscription.valid_until = new_until
            changed = True
        if subscription.status in (Subscription.Status.PENDING, Subscription.Status.EXPIRED):
            subscription.status = Subscription.Status.ACTIVE
            changed = True
        if not changed:
            return
        subscription.save(update_fields=["valid_until", "status"])
        write_audit(
            event="subscription.extended",
            subject=subscription,
            actor_label="fulfilment",
            before=before,
            after=snapshot(subscription),
            note=f"document {document.number}",
        )


@transaction.atomic
def block_contract(*, contract: Any, reason: str, actor: Any, note: str) -> Any:
    """Staff block a contract by hand (manual or legal reasons); it stays blocked until
    staff lift it: payments never lift such a block."""
    from .models import ContractBlock

    if reason not in (ContractBlock.Reason.MANUAL, ContractBlock.Reason.LEGAL):
        raise ValidationFailed(_("Only manual and legal blocks are set by hand."))
    if not note.strip():
        raise ValidationFailed(_("A block needs a reason."))
    locked = lock_contract(contract.pk)
    existing = ContractBlock.objects.filter(contract=locked, reason=reason, lifted_at=None).first()
    if existing is not None:
        return existing
    user = actor if getattr(actor, "is_authenticated", False) else None
    block = ContractBlock.objects.create(
        contract=locked,
        reason=reason,
        blocked_on=timezone.localdate(),
        set_by=user,
        set_by_label=user.get_username() if user else "system",
        note=note,
    )
    write_audit(event="contract.blocked", subject=locked, actor=actor, after=snapshot(block),
                note=note)  # fmt: skip
    record_event(
        EventType.CONTRACT_BLOCKED,
        locked,
        {"contract": locked.number, "reason": reason, "blocked_on": block.blocked_on.isoformat()},
    )
    return block


@transaction.atomic
def lift_block(*, block: Any, actor: Any, note: str) -> Any:
    """Lift a block by hand: only staff with the dedicated permission, with a reason."""
    if not getattr(actor, "has_perm", None) or not actor.has_perm("accounts.unblock_contract"):
        raise PermissionDenied(_("You may not lift contract blocks."))
    if not note.strip():
        raise ValidationFailed(_("Lifting a block needs a reason."))
    block = lock_contract_block(block.pk)
    if block.lifted_at is not None:
        return block
    before = snapshot(block)
    block.lifted_at, block.lift_note = timezone.now(), note
    block.lifted_by_label = actor.get_username()
    block.save(update_fields=["lifted_at", "lift_note", "lifted_by_label"])
    write_audit(event="contract.unblocked", subject=block.contract, actor=actor, before=before,
                after=snapshot(block), note=note)  # fmt: skip
    record_event(
        EventType.CONTRACT_UNBLOCKED,
        block.contract,
        {"contract": block.contract.number, "reason": block.reason},
    )
    return block

"""Blocking contracts for overdue documents, unblocking them once paid, and revoking
the certificates of contracts unpaid for too long.

Blocking and payments both lock the contract row (after the payment's documents:
`billing_portal.lock_order`), so a blocking run that meets a payment being paired is
serialised with it: either the payment commits first and the contract is not blocked,
or the block commits first and the payment schedules the unblock. A paid contract is
never left blocked without a scheduled unblock.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from accounts.locks import lock_contract, lock_contracts
from accounts.models import AuditLog, Contract, ContractBlock
from accounts.outbox import defer, record_events
from accounts.services import job_run, write_audit
from billing_portal import db, hooks
from billing_portal.events import EventType
from billing_portal.workdays import unblock_date

from .models import Document, DocumentStatus
from .notices import SEND_NOTICES_TASK, claim_notices

logger = logging.getLogger(__name__)

BATCH = 20000


def _overdue_by_contract(contract_ids: list[int], *, today: date, older_than: date | None):
    """{contract id: [(document id, number)]} of receivables overdue at `today`
    (and due before `older_than` when given), read fresh."""
    documents = Document.objects.overdue(today).filter(contract_id__in=contract_ids)
    if older_than is not None:
        documents = documents.filter(due_date__lt=older_than)
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, contract_id, number in documents.values_list("pk", "contract_id", "number"):
        found[contract_id].append((pk, number))
    return found


def block_overdue_contracts(*, today: date | None = None) -> dict[str, int]:
    """Daily job: block every contract with a document more than BLOCK_AFTER_DAYS
    overdue, once; audit it and claim the block notices (sent after commit)."""

    today = today or timezone.localdate()
    cutoff = today - timedelta(days=settings.BILLING["BLOCK_AFTER_DAYS"])
    with job_run("block_overdue_contracts") as counts:
        counts["blocked"] = 0
        long_overdue = Document.objects.overdue(today).filter(
            contract_id=OuterRef("pk"), due_date__lt=cutoff
        )
        already_blocked = ContractBlock.objects.filter(
            contract_id=OuterRef("pk"), reason=ContractBlock.Reason.OVERDUE, lifted_at__isnull=True
        )
        to_block = Contract.objects.filter(Exists(long_overdue)).filter(~Exists(already_blocked))
        block_batch = _block_batch_sql if db.set_based_sql() else _block_batch
        while True:
            with transaction.atomic():
                # candidates and their lock in one statement; the batch re-reads the
                # documents in a later statement, after any payment holding them committed
                locked = lock_contracts(to_block, limit=BATCH)
                if locked:
                    counts["blocked"] += block_batch(locked, today, cutoff, claim_notices)
            if len(locked) < BATCH:
                break
    return dict(counts)


# One statement inserts the blocks, their audit rows and the block notices, set-based
# (the daily run over 200,000 contracts stays within 3x of a plain UPDATE). It runs
# after the contracts are locked, so it reads the documents as they are once any
# payment that held those rows has committed.
_BLOCK_SQL = """
WITH overdue AS (
    SELECT d.id, d.contract_id, d.number
    FROM invoices_document d
    WHERE d.contract_id = ANY(%(contracts)s)
      AND d.status IN ('open', 'partly_paid') AND d.kind <> 'credit_note'
      AND d.due_date < %(cutoff)s
      AND NOT EXISTS (
          SELECT 1 FROM accounts_contractblock b
          WHERE b.contract_id = d.contract_id AND b.reason = 'overdue' AND b.lifted_at IS NULL
      )
), blocks AS (
    INSERT INTO accounts_contractblock (contract_id, reason, blocked_on, created_at,
        set_by_label, note, documents, lifted_by_label, lift_note)
    SELECT contract_id, 'overdue', %(today)s, %(now)s, 'system', '',
           jsonb_agg(number), '', ''
    FROM overdue GROUP BY contract_id
    RETURNING contract_id, documents
), audit AS (
    INSERT INTO accounts_auditlog (created_at, actor_label, subject_type_id, subject_id,
        subject_repr, event, after, note)
    SELECT %(now)s, 'job:block_overdue_contracts', %(contract_type)s, b.contract_id::text,
           c.number, 'contract.blocked',
           jsonb_build_object('reason', 'overdue', 'documents', b.documents), ''
    FROM blocks b JOIN accounts_contract c ON c.id = b.contract_id
), events AS (
    INSERT INTO accounts_domainevent (type, subject_type, subject_id, payload, created_at)
    SELECT 'contract.blocked', 'accounts.contract', b.contract_id::text,
           jsonb_build_object('contract', c.number, 'reason', 'overdue',
               'blocked_on', %(today)s::text, 'documents', b.documents),
           %(now)s
    FROM blocks b JOIN accounts_contract c ON c.id = b.contract_id
), notices AS (
    INSERT INTO invoices_dunningnotice (document_id, level, claimed_at, claim, recipients)
    SELECT o.id, 'block', %(now)s, %(claim)s, '[]'::jsonb
    FROM overdue o JOIN blocks b ON b.contract_id = o.contract_id
    ORDER BY o.id
    ON CONFLICT DO NOTHING
    RETURNING 1
)
SELECT (SELECT count(*) FROM blocks), (SELECT count(*) FROM notices)
"""


def _block_batch_sql(locked: list[int], today: date, cutoff: date, _claim_notices) -> int:
    claim = uuid.uuid4()
    with connection.cursor() as cursor:
        cursor.execute(
            _BLOCK_SQL,
            {
                "contracts": locked,
                "cutoff": cutoff,
                "today": today,
                "now": timezone.now(),
                "contract_type": ContentType.objects.get_for_model(Contract).pk,
                "claim": claim,
            },
        )
        blocked, notices = cursor.fetchone()
    if notices:
        defer(SEND_NOTICES_TASK, str(claim))
    return blocked


def _block_batch(locked: list[int], today: date, cutoff: date, claim_notices) -> int:
    already = set(
        ContractBlock.objects.filter(
            contract_id__in=locked, reason=ContractBlock.Reason.OVERDUE, lifted_at__isnull=True
        ).values_list("contract_id", flat=True)
    )
    overdue = _overdue_by_contract(
        [pk for pk in locked if pk not in already], today=today, older_than=cutoff
    )
    if not overdue:
        return 0
    blocks = ContractBlock.objects.bulk_create(
        ContractBlock(
            contract_id=contract_id,
            reason=ContractBlock.Reason.OVERDUE,
            blocked_on=today,
            documents=[number for _pk, number in documents],
        )
        for contract_id, documents in sorted(overdue.items())
    )
    contract_type = ContentType.objects.get_for_model(Contract)
    numbers = dict(Contract.objects.filter(pk__in=overdue).values_list("pk", "number"))
    AuditLog.objects.bulk_create(
        AuditLog(
            actor_label="job:block_overdue_contracts",
            subject_type=contract_type,
            subject_id=str(block.contract_id),
            subject_repr=numbers.get(block.contract_id, ""),
            event="contract.blocked",
            after={"reason": block.reason, "documents": block.documents},
        )
        for block in blocks
    )
    record_events(
        EventType.CONTRACT_BLOCKED,
        "accounts.contract",
        (
            (
                block.contract_id,
                {
                    "contract": numbers.get(block.contract_id, ""),
                    "reason": block.reason,
                    "blocked_on": today.isoformat(),
                    "documents": block.documents,
                },
            )
            for block in blocks
        ),
    )
    claim_notices(
        document_ids=[pk for documents in overdue.values() for pk, _number in documents],
        level="block",
    )
    return len(blocks)


def schedule_unblock(*, contract_id: int, settled_on: date) -> None:
    """Called in the transaction that pays, cancels or credits a document of the
    contract. When no overdue document is left, the overdue block gets its unblock
    date: the second working day of the week after the week in which the last needed
    payment was credited — the latest settlement among the contract's documents that
    were due, whatever order the payments were paired in; while one is still overdue,
    no date is set."""
    contract = lock_contract(contract_id, related=("customer",))  # the customer is read only
    block = ContractBlock.objects.filter(
        contract=contract, reason=ContractBlock.Reason.OVERDUE, lifted_at__isnull=True
    ).first()
    if block is None:
        return
    today = timezone.localdate()
    if Document.objects.overdue(today).filter(contract=contract).exists():
        new_date = None
    else:
        was_due = Document.objects.filter(contract=contract, due_date__lt=today)
        credited = was_due.filter(paid_on__gte=block.blocked_on).aggregate(last=Max("paid_on"))
        cancelled = was_due.filter(
            status=DocumentStatus.CANCELLED, cancelled_at__date__gte=block.blocked_on
        ).exists()
        last = max(
            d for d in (credited["last"], settled_on if cancelled else None, block.blocked_on) if d
        )
        new_date = unblock_date(last, country=contract.customer.country)
    if block.unblock_on != new_date:
        before = {"unblock_on": block.unblock_on.isoformat() if block.unblock_on else None}
        block.unblock_on = new_date
        block.save(update_fields=["unblock_on"])
        write_audit(
            event="contract.unblock_scheduled",
            subject=contract,
            actor_label="payments",
            before=before,
            after={"unblock_on": new_date.isoformat() if new_date else None},
        )


def lift_due_blocks(*, today: date | None = None) -> dict[str, int]:
    """Daily job: lift the overdue blocks whose unblock date has come, if nothing of
    the contract became overdue meanwhile (then the date is withdrawn)."""
    today = today or timezone.localdate()
    with job_run("lift_due_blocks") as counts:
        counts["lifted"] = counts["postponed"] = 0
        due = list(
            ContractBlock.objects.filter(
                reason=ContractBlock.Reason.OVERDUE, lifted_at__isnull=True, unblock_on__lte=today
            ).values_list("contract_id", flat=True)
        )
        for start in range(0, len(due), BATCH):
            with transaction.atomic():
                ids = lock_contracts(due[start : start + BATCH])
                still = set(_overdue_by_contract(ids, today=today, older_than=None))
                blocks = ContractBlock.objects.filter(
                    contract_id__in=ids, reason=ContractBlock.Reason.OVERDUE,
                    lifted_at__isnull=True, unblock_on__lte=today,
                )  # fmt: skip
                counts["postponed"] += blocks.filter(contract_id__in=still).update(unblock_on=None)
                lifted = list(blocks.exclude(contract_id__in=still))
                now = timezone.now()
                for block in lifted:
                    block.lifted_at, block.lifted_by_label = now, "job:lift_due_blocks"
                    block.lift_note = "paid"
                ContractBlock.objects.bulk_update(
                    lifted, ["lifted_at", "lifted_by_label", "lift_note"]
                )
                contract_type = ContentType.objects.get_for_model(Contract)
                AuditLog.objects.bulk_create(
                    AuditLog(actor_label="job:lift_due_blocks", subject_type=contract_type,
                             subject_id=str(block.contract_id), event="contract.unblocked",
                             after={"unblock_on": block.unblock_on.isoformat()})
                    for block in lifted
                )  # fmt: skip
                numbers = dict(
                    Contract.objects.filter(pk__in=[b.contract_id for b in lifted]).values_list(
                        "pk", "number"
                    )
                )
                record_events(
                    EventType.CONTRACT_UNBLOCKED,
                    "accounts.contract",
                    (
                        (b.contract_id, {"contract": numbers.get(b.contract_id, ""),
                                         "reason": b.reason})
                        for b in lifted
                    ),
                )  # fmt: skip
                counts["lifted"] += len(lifted)
    return dict(counts)


def revoke_long_unpaid(*, today: date | None = None) -> dict[str, int]:
    """Daily job: REVOKE_AFTER_DAYS after an overdue block that is still in force, the
    contract's certificates are revoked through the `revoke_contract_certificates` hook (final)."""
    today = today or timezone.localdate()
    limit = today - timedelta(days=settings.BILLING["REVOKE_AFTER_DAYS"])
    with job_run("revoke_long_unpaid") as counts:
        counts["revoked"] = 0
        cutoff = today - timedelta(days=settings.BILLING["BLOCK_AFTER_DAYS"])
        still_long_overdue = Document.objects.overdue(today).filter(
            contract_id=OuterRef("contract_id"), due_date__lt=cutoff
        )
        due = ContractBlock.objects.filter(
            Exists(still_long_overdue),
            reason=ContractBlock.Reason.OVERDUE, lifted_at__isnull=True, unblock_on__isnull=True,
            revoked_at__isnull=True, blocked_on__lte=limit,
        ).order_by("pk")  # fmt: skip
        for block_id in list(due.values_list("pk", flat=True)):
            with transaction.atomic():
                block = (
                    due.select_for_update(no_key=True, skip_locked=True).filter(pk=block_id).first()
                )
                if block is None:
                    continue
                hooks.revoke_contract_certificates.call(contract_id=block.contract_id)
                block.revoked_at = timezone.now()
                block.save(update_fields=["revoked_at"])
                write_audit(event="contract.certificates_revoked", subject=block.contract,
                            actor_label="job:revoke_long_unpaid")  # fmt: skip
                counts["revoked"] += 1
    return dict(counts)

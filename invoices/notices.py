"""Dunning notices: reminders before and after the due date, and the block notice.

Levels come from `BILLING["DUNNING_LEVELS"]` (days relative to the due date, negative
before it), or from `BILLING["DUNNING_LEVELS_BY_KIND"]` for the first product kind on
a document's lines that has an override (an empty list there means no reminders).
A document is at level i on the days `due_date + d_i <= today < due_date + d_(i+1)`;
the last level runs until the document is more than `BLOCK_AFTER_DAYS` overdue, when
the blocking job (`invoices.dunning`) takes over with the "block" notice. So a job
that skipped days sends the current stage once, never the stages it missed. A
reminder due on or before the issue date is not sent (the customer has just received
the document itself).

Claiming and sending are separate. `claim_notices` inserts one `DunningNotice` row per
(document, level) with a fresh claim UUID, set-based and `ON CONFLICT DO NOTHING`, so
two runs (or a retry) claim each notice once; after commit it hands the claim to
`send_notices_task`. `send_notices` renders each e-mail (with the PDF) before taking
any lock, then locks the notice row only around the SMTP exchange and `sent_at`, so a
notice already sent is never sent again and a failed send stays claimed and unsent
for the task's retry.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import DurationField, Exists, ExpressionWrapper, F, OuterRef, Prefetch
from django.template.loader import render_to_string
from django.utils import timezone, translation

from accounts.models import AuthorizedPerson
from accounts.outbox import defer, queue_now
from accounts.services import job_run, write_audit
from billing_portal.db import require_transaction

from .models import Document, DocumentKind, DocumentLine, DunningNotice

logger = logging.getLogger(__name__)

BLOCK_LEVEL = "block"
SEND_NOTICES_TASK = "invoices.tasks.send_notices_task"
CLAIM_BATCH_SIZE = 2000
DUNNED_KINDS = (DocumentKind.PAYMENT_REQUEST, DocumentKind.TAX_INVOICE)

# The wording a notice gets (templates/email/dunning*): by the level's place among the
# document's levels, so a per-kind override with its own level names reads right too.
BEFORE_DUE, OVERDUE, FINAL, BLOCKED = "before_due", "overdue", "final", "block"

Levels = list[tuple[str, int]]


# --- levels -----------------------------------------------------------------------


def _sorted(levels: Iterable[Sequence]) -> Levels:
    return sorted(((str(name), int(days)) for name, days in levels), key=lambda lv: lv[1])


def _overrides() -> dict[str, Levels]:
    return {
        str(kind): _sorted(levels)
        for kind, levels in (settings.BILLING.get("DUNNING_LEVELS_BY_KIND") or {}).items()
    }


def levels_for(document: Document) -> Levels:
    """The document's dunning levels, sorted by days: the override of the first product
    kind on its lines (by position) that has one, else the default levels."""
    overrides = _overrides()
    if overrides:
        for line in document.lines.all():
            if line.product_kind in overrides:
                return overrides[line.product_kind]
    return _sorted(settings.BILLING["DUNNING_LEVELS"])


def _windows(levels: Levels) -> list[tuple[str, int, int]]:
    """(level, from_days, until_days): a document is at the level on the days
    `due_date + from_days <= today < due_date + until_days`."""
    block_from = settings.BILLING["BLOCK_AFTER_DAYS"] + 1
    return [
        (name, days, levels[i + 1][1] if i + 1 < len(levels) else block_from)
        for i, (name, days) in enumerate(levels)
    ]


def current_level(document: Document, *, today: date, levels: Levels | None = None) -> str | None:
    """The level a document is at today (None between stages or past the last one)."""
    for name, since, until in _windows(levels_for(document) if levels is None else levels):
        starts = document.due_date + timedelta(days=since)
        if starts <= today < document.due_date + timedelta(days=until):
            return name if document.issue_date < starts else None
    return None


def _stage(notice: DunningNotice) -> str:
    if notice.level == BLOCK_LEVEL:
        return BLOCKED
    levels = levels_for(notice.document)
    days = dict(levels).get(notice.level)
    if days is None:  # the configuration changed since the notice was claimed
        return {"before_due": BEFORE_DUE, "overdue_14": FINAL}.get(notice.level, OVERDUE)
    if days <= 0:
        return BEFORE_DUE
    return FINAL if notice.level == levels[-1][0] else OVERDUE


# --- claiming ---------------------------------------------------------------------


def _claim(document_ids: Iterable[int], level: str) -> tuple[uuid.UUID | None, int]:
    require_transaction("claim_notices")
    ids = sorted(set(document_ids))  # one insert order for every run: no deadlocks
    if not ids:
        return None, 0
    claim = uuid.uuid4()
    now = timezone.now()
    DunningNotice.objects.bulk_create(
        [DunningNotice(document_id=pk, level=level, claim=claim, claimed_at=now) for pk in ids],
        batch_size=CLAIM_BATCH_SIZE,
        ignore_conflicts=True,
    )
    claimed = DunningNotice.objects.filter(claim=claim).count()
    if not claimed:
        return None, 0
    defer(SEND_NOTICES_TASK, str(claim))
    return claim, claimed


def claim_notices(*, document_ids: list[int], level: str) -> uuid.UUID | None:
    """Claim the notice of `level` for each document that has none yet, and send the
    claimed ones after commit. Returns the claim, or None when nothing was left to
    claim. Runs inside the caller's transaction (the blocking job's, for "block")."""
    claim, _claimed = _claim(document_ids, level)
    return claim


# --- the daily job ----------------------------------------------------------------


def _dunned_documents():
    """Reminders go out for receivables of a contract; a customer who switched
    payment-request e-mails off gets none (the block notice is claimed elsewhere)."""
    return Document.objects.receivable().filter(
        contract__isnull=False, kind__in=DUNNED_KINDS, customer__payment_request_emails=True
    )


def _default_level_ids(level: str, since: int, until: int, *, today: date, exclude_kinds):
    documents = _dunned_documents().filter(
        due_date__lte=today - timedelta(days=since),
        due_date__gt=today - timedelta(days=until),
    )
    if since <= 0:  # not on or before the issue date: issue_date < due_date + since
        documents = documents.alias(
            lead=ExpressionWrapper(F("due_date") - F("issue_date"), output_field=DurationField())
        ).filter(lead__gt=timedelta(days=-since))
    if exclude_kinds:
        documents = documents.exclude(
            Exists(
                DocumentLine.objects.filter(document=OuterRef("pk"), product_kind__in=exclude_kinds)
            )
        )
    documents = documents.exclude(
        Exists(DunningNotice.objects.filter(document=OuterRef("pk"), level=level))
    )
    return list(documents.order_by("pk").values_list("pk", flat=True))


def _override_level_ids(overrides: dict[str, Levels], *, today: date) -> dict[str, list[int]]:
    """Documents with a line of a kind that has its own levels: few, so per document."""
    all_days = [days for levels in overrides.values() for _name, days in levels]
    if not all_days:
        return {}
    candidates = (
        _dunned_documents()
        .filter(
            due_date__lte=today - timedelta(days=min(all_days)),
            due_date__gt=today - timedelta(days=settings.BILLING["BLOCK_AFTER_DAYS"] + 1),
        )
        .filter(
            Exists(
                DocumentLine.objects.filter(
                    document=OuterRef("pk"), product_kind__in=list(overrides)
                )
            )
        )
        .only("pk", "due_date", "issue_date")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=DocumentLine.objects.only("document_id", "position", "product_kind"),
            ),
            Prefetch("notices", queryset=DunningNotice.objects.only("document_id", "level")),
        )
        .order_by("pk")
    )
    by_level: dict[str, list[int]] = defaultdict(list)
    for document in candidates:
        level = current_level(document, today=today)
        if level and level not in {notice.level for notice in document.notices.all()}:
            by_level[level].append(document.pk)
    return by_level


def send_reminders(*, today: date | None = None) -> dict:
    """Daily job: claim each document's notice for the stage it is at today and send
    the claims after commit. Safe to run twice, or twice at once."""
    today = today or timezone.localdate()
    overrides = _overrides()
    with job_run("send_reminders") as counts:
        due: dict[str, list[int]] = defaultdict(list)
        for level, since, until in _windows(_sorted(settings.BILLING["DUNNING_LEVELS"])):
            counts[level] = 0
            due[level] += _default_level_ids(
                level, since, until, today=today, exclude_kinds=list(overrides)
            )
        if overrides:
            for level, ids in _override_level_ids(overrides, today=today).items():
                counts.setdefault(level, 0)
                due[level] += ids
        for level, ids in due.items():
            for start in range(0, len(ids), CLAIM_BATCH_SIZE):
                batch = ids[start : start + CLAIM_BATCH_SIZE]
                try:
                    with transaction.atomic():
                        _claim_id, claimed = _claim(batch, level)
                    counts[level] += claimed
                except Exception as exc:  # one bad batch must not stop the others
                    logger.exception("claiming %s notices failed", level)
                    counts.error(f"{level} documents {batch[0]}..{batch[-1]}", str(exc))
    return dict(counts)


# --- sending ----------------------------------------------------------------------


def _unique(emails: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for email in emails:
        key = email.strip().lower()
        if key and key not in seen:
            seen.add(key)
            result.append(email.strip())
    return result


def notice_recipients(notice: DunningNotice) -> list[str]:
    """The contract's active authorized persons (else the customer's billing e-mail);
    for the block notice also the certificate applicants on the document's lines."""
    document = notice.document
    emails = list(
        AuthorizedPerson.objects.filter(contract_id=document.contract_id, active=True)
        .order_by("pk")
        .values_list("email", flat=True)
    )
    if not emails:
        emails = [document.customer.email]
    if notice.level == BLOCK_LEVEL:
        emails += list(
            DocumentLine.objects.filter(document_id=document.pk)
            .exclude(applicant_email="")
            .order_by("position")
            .values_list("applicant_email", flat=True)
        )
    return _unique(emails)


def notice_email(notice: DunningNotice, recipients: list[str]) -> EmailMultiAlternatives:
    """The notice in the document's (the customer's) language, with the PDF attached."""
    from .pdf import pdf_filename, render_document_pdf

    document = notice.document
    context = {
        "document": document,
        "seller": document.seller,
        "level": notice.level,
        "stage": _stage(notice),
        "contract_number": (
            document.contract.number
            if document.contract_id
            else document.buyer.get("contract_number", "")
        ),
        "block_after_days": settings.BILLING["BLOCK_AFTER_DAYS"],
    }
    with translation.override(document.language):
        subject = render_to_string("email/dunning_subject.txt", context)
        message = EmailMultiAlternatives(
            subject=" ".join(subject.split()),
            body=render_to_string("email/dunning.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=recipients,
        )
        message.attach_alternative(render_to_string("email/dunning.html", context), "text/html")
    message.attach(pdf_filename(document), render_document_pdf(document), "application/pdf")
    return message


def _still_dunned(notice: DunningNotice) -> bool:
    """A reminder of a document paid (or cancelled) since the claim is not sent; the
    block notice is, as the block happened."""
    return notice.level == BLOCK_LEVEL or (
        Document.objects.receivable().filter(pk=notice.document_id).exists()
    )


def send_notices(*, claim: str) -> int:
    """Send every unsent notice of a claim once; returns how many were sent.

    A failed notice stays claimed with `sent_at` NULL; the others are still sent, then
    the first error is raised so the task retries (which sends only the unsent ones).
    """
    notices = list(
        DunningNotice.objects.filter(claim=claim, sent_at__isnull=True)
        .select_related("document__customer", "document__contract")
        .order_by("pk")
    )
    sent = 0
    failures: list[Exception] = []
    for notice in notices:
        try:
            if not _still_dunned(notice):
                logger.info("notice %s skipped: %s is no longer due", notice.pk, notice.document)
                continue
            recipients = notice_recipients(notice)
            message = notice_email(notice, recipients)  # the PDF, before any lock
            with transaction.atomic():
                locked = (
                    DunningNotice.objects.select_for_update(no_key=True, skip_locked=True)
                    .filter(pk=notice.pk, sent_at__isnull=True)
                    .first()
                )
                if locked is None or not _still_dunned(locked):
                    continue  # sent (or being sent) by another worker, or paid meanwhile
                message.send()
                locked.recipients = recipients
                locked.sent_at = timezone.now()
                locked.save(update_fields=["recipients", "sent_at"])
                write_audit(
                    event="dunning_notice.sent",
                    subject=notice.document,
                    actor_label="dunning",
                    after={"level": notice.level, "recipients": recipients},
                    note=f"claim {claim}",
                )
        except Exception as exc:
            logger.exception("dunning notice %s (%s) failed", notice.pk, notice)
            failures.append(exc)
            continue
        sent += 1
        logger.info("dunning notice %s sent to %s", notice, ", ".join(recipients))
    if failures:
        raise failures[0]
    return sent


def resend_stale_claims(*, now=None) -> int:
    """Claims whose send task was lost (broker gone, retries exhausted) are sent again:
    unsent notices claimed more than an hour ago, within the last week. A notice is
    still sent at most once: `send_notices` skips what is sent or no longer due."""
    now = now or timezone.now()
    claims = set(
        DunningNotice.objects.filter(
            sent_at__isnull=True,
            claimed_at__lt=now - timedelta(hours=1),
            claimed_at__gte=now - timedelta(days=7),
        ).values_list("claim", flat=True)
    )
    for claim in sorted(map(str, claims)):
        queue_now(SEND_NOTICES_TASK, [claim])
    return len(claims)

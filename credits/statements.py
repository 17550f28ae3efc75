"""Wallet statements: the monthly statement e-mail (PDF: opening balance, every
entry, closing balance) and the CSV export of entries for any period.

Periods are calendar days in the business time zone (Europe/Prague): an entry
belongs to the day on which it was made there.
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Sum
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from accounts.outbox import defer
from accounts.services import job_run
from billing_portal.money import ZERO, quantize

from .models import LedgerEntry, MonthlyStatement, Wallet

logger = logging.getLogger(__name__)

STATEMENT_TASK = "credits.tasks.send_monthly_statement_task"


def _start_of(day: date) -> datetime:
    """Midnight at the start of `day` in the business time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def previous_month(today: date) -> tuple[date, date]:
    """The first and the last day of the month before `today`'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def entries_between(date_from: date, date_to: date) -> QuerySet[LedgerEntry]:
    """Entries made from the start of `date_from` to the end of `date_to`."""
    return LedgerEntry.objects.filter(
        created_at__gte=_start_of(date_from), created_at__lt=_start_of(date_to + timedelta(days=1))
    )


@dataclass(frozen=True)
class WalletStatement:
    wallet: Wallet
    date_from: date
    date_to: date
    opening: Decimal
    entries: list[LedgerEntry]
    closing: Decimal


def wallet_statement(wallet: Wallet, date_from: date, date_to: date) -> WalletStatement:
    """Opening balance (all entries before the period), the period's entries in the
    order they were made, and the closing balance."""
    before = LedgerEntry.objects.filter(wallet_id=wallet.pk, created_at__lt=_start_of(date_from))
    opening = before.aggregate(total=Sum("amount"))["total"]
    opening = quantize(opening) if opening is not None else ZERO
    entries = list(
        entries_between(date_from, date_to)
        .filter(wallet_id=wallet.pk)
        .select_related("document")
        .order_by("created_at", "pk")
    )
    closing = quantize(opening + sum((e.amount for e in entries), ZERO))
    return WalletStatement(wallet, date_from, date_to, opening, entries, closing)


# --- CSV ------------------------------------------------------------------------------

CSV_COLUMNS = (
    "time",
    "customer",
    "wallet",
    "kind",
    "amount",
    "currency",
    "balance_after",
    "document",
    "actor",
    "reason",
    "source",
)


def entries_csv(entries: QuerySet[LedgerEntry]) -> str:
    """RFC 4180 CSV for accounting software: a header of stable column names, ISO
    times in the business time zone, amounts with a decimal point and no grouping,
    the kind as its code. Streams through the entries in the order they were made."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    rows = entries.select_related("wallet__customer", "document").order_by("created_at", "pk")
    for entry in rows.iterator(chunk_size=2000):
        writer.writerow(
            (
                timezone.localtime(entry.created_at).isoformat(timespec="seconds"),
                entry.wallet.customer.name,
                entry.wallet_id,
                entry.kind,
                f"{entry.amount:.2f}",
                entry.wallet.currency,
                f"{entry.balance_after:.2f}",
                entry.document.number if entry.document_id else "",
                entry.actor_label,
                entry.reason,
                entry.source_key,
            )
        )
    return out.getvalue()


# --- PDF ------------------------------------------------------------------------------


SHOWN_REASONS = (LedgerEntry.Kind.ADJUSTMENT, LedgerEntry.Kind.REFUND)


def statement_context(statement: WalletStatement, language: str) -> dict[str, Any]:
    from invoices.pdf import FONTS, format_amount

    def money(amount: Decimal) -> str:
        return format_amount(amount, language)

    kinds = dict(LedgerEntry.Kind.choices)
    return {
        "document": {"language": language},
        "fonts": FONTS,
        "seller": settings.BILLING["SELLER"],
        "customer": statement.wallet.customer,
        "currency": statement.wallet.currency,
        "date_from": formats.date_format(statement.date_from, "SHORT_DATE_FORMAT"),
        "date_to": formats.date_format(statement.date_to, "SHORT_DATE_FORMAT"),
        "opening": money(statement.opening),
        "closing": money(statement.closing),
        "rows": [
            {
                "date": formats.date_format(timezone.localtime(e.created_at), "SHORT_DATE_FORMAT"),
                "kind": str(kinds.get(e.kind, e.kind)),
                "document": e.document.number if e.document_id else "",
                # staff's reason explains an adjustment or a refund; other entries
                # carry technical notes (a bank reference, a payment date)
                "reason": e.reason if e.kind in SHOWN_REASONS else "",
                "amount": money(e.amount),
                "balance": money(e.balance_after),
            }
            for e in statement.entries
        ],
    }


def statement_filename(statement: WalletStatement) -> str:
    return f"credit-statement-{statement.date_from}-{statement.date_to}.pdf"


def render_statement_pdf(statement: WalletStatement, language: str) -> bytes:
    from weasyprint import HTML

    from invoices.pdf import LocalOnlyFetcher

    with translation.override(language):
        html = render_to_string("pdf/credit_statement.html", statement_context(statement, language))
    return HTML(string=html, url_fetcher=LocalOnlyFetcher()).write_pdf()


# --- the monthly e-mail ---------------------------------------------------------------


def _wallets_with_a_statement(date_from: date, date_to: date) -> QuerySet[Wallet]:
    """Wallets whose owner wants the statement and has something to see: an entry in
    the month, or a balance at its start other than zero."""
    in_month = entries_between(date_from, date_to).filter(wallet=OuterRef("pk"))
    claimed = MonthlyStatement.objects.filter(wallet=OuterRef("pk"), period_start=date_from)
    opening = (
        LedgerEntry.objects.filter(wallet=OuterRef("pk"), created_at__lt=_start_of(date_from))
        .order_by("-created_at", "-pk")
        .values("balance_after")[:1]
    )
    return (
        Wallet.objects.filter(monthly_statement=True)
        .exclude(customer__email="")
        .annotate(opening=opening)
        .filter(Exists(in_month) | (Q(opening__isnull=False) & ~Q(opening=ZERO)))
        .filter(~Exists(claimed))
    )


def send_monthly_statements(*, today: date | None = None) -> dict:
    """Daily job (beat): on the 1st, claim the previous month's statement of every
    wallet that has one and e-mail each after commit; on later days it only catches
    up (a missed 1st, a lost task), since a claimed statement is never claimed again."""
    today = today or timezone.localdate()
    date_from, date_to = previous_month(today)
    started = timezone.now()
    with job_run("send_monthly_statements") as counts:
        counts["claimed"] = counts["queued"] = 0
        ids = list(_wallets_with_a_statement(date_from, date_to).values_list("pk", flat=True))
        for start in range(0, len(ids), 1000):
            with transaction.atomic():
                rows = MonthlyStatement.objects.bulk_create(
                    [
                        MonthlyStatement(wallet_id=pk, period_start=date_from)
                        for pk in ids[start : start + 1000]
                    ],
                    ignore_conflicts=True,
                )
                counts["claimed"] += len(rows)
        # claimed now, or claimed earlier and still unsent after an hour (a lost task)
        unsent = MonthlyStatement.objects.filter(
            Q(claimed_at__gte=started) | Q(claimed_at__lt=started - timedelta(hours=1)),
            period_start=date_from,
            sent_at__isnull=True,
        ).values_list("pk", flat=True)
        with transaction.atomic():
            for statement_id in unsent:
                defer(STATEMENT_TASK, statement_id)
                counts["queued"] += 1
    return dict(counts)


def send_monthly_statement(*, statement_id: int) -> bool:
    """Render and e-mail one claimed statement, once: the PDF first, then the e-mail
    under the claim's row lock (a second worker or a retry finds it sent)."""
    claim = MonthlyStatement.objects.select_related("wallet__customer").get(pk=statement_id)
    if claim.sent_at is not None:
        return False
    wallet, customer = claim.wallet, claim.wallet.customer
    date_from = claim.period_start
    date_to = previous_month(date_from + timedelta(days=32))[1]
    statement = wallet_statement(wallet, date_from, date_to)
    pdf = render_statement_pdf(statement, customer.language)
    with translation.override(customer.language):
        context = {
            "seller": settings.BILLING["SELLER"],
            "month": formats.date_format(date_from, "YEAR_MONTH_FORMAT"),
            "opening": statement.opening,
            "closing": statement.closing,
            "currency": wallet.currency,
            "entries": len(statement.entries),
        }
        subject = " ".join(render_to_string("email/credit_statement_subject.txt", context).split())
        message = EmailMessage(
            subject=subject,
            body=render_to_string("email/credit_statement.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[customer.email],
        )
        filename = _("credit-statement-%(month)s.pdf") % {"month": f"{date_from:%Y-%m}"}
    message.attach(filename, pdf, "application/pdf")
    with transaction.atomic():
        locked = (
            MonthlyStatement.objects.select_for_update(no_key=True, skip_locked=True)
            .filter(pk=statement_id, sent_at__isnull=True)
            .first()
        )
        if locked is None:
            return False
        message.send()
        locked.sent_at = timezone.now()
        locked.recipient = customer.email
        locked.save(update_fields=["sent_at", "recipient"])
    logger.info("credit statement %s sent to %s", claim, customer.email)
    return True

"""Auto-pay from the credit wallet, and the zero-amount tax invoice of a top-up
(domain.md, "Credit wallet").

- `charge_due_requests`: the daily job that charges renewal payment requests marked
  "automatically by credit" on day 10 after their issue date (or later, if the job
  missed days), unless the customer opted out of that one request;
- `opt_out_of_auto_charge`: the customer's one-time "do not charge automatically";
- `issue_zero_top_up_invoices`: the daily job that documents a paid top-up of a
  customer who is not a VAT payer by a zero-amount tax invoice.

The charging itself (locks, ledger, payment state) belongs to
`credits.services.charge_request`; this module only selects, spreads and reports.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.outbox import claim, claimed, defer, mark_claim_done
from accounts.services import job_run, snapshot, write_audit
from billing_portal import db
from billing_portal.db import pg_array
from billing_portal.errors import (
    CurrencyLocked,
    InsufficientCredit,
    InvalidDocumentState,
    ValidationFailed,
)
from billing_portal.kinds import NOT_PAYABLE_BY_CREDIT, ProductKind
from billing_portal.money import ZERO
from invoices.locks import lock_document
from invoices.models import Document, DocumentKind, DocumentLine, DocumentStatus
from invoices.services import LineSpec, issue_tax_invoice
from invoices.settlement import CreditCharge, record_credit_charges, settle_on_issue

from .locks import lock_wallets_of
from .models import LedgerEntry, Wallet
from .services import alert_low_balance, charge_request

logger = logging.getLogger(__name__)

CHARGE_AFTER_DAYS = 10  # charged on day 10 after the issue date
TOP_UP_INVOICE_DAYS = 15  # the tax document of a received top-up, within 15 days
INSUFFICIENT_EVENT = "credit.insufficient"  # claimed once per request, before e-mailing
INSUFFICIENT_EMAILED_EVENT = "credit.insufficient_emailed"  # claimed when e-mailed
INSUFFICIENT_EMAIL_TASK = "credits.tasks.send_insufficient_credit_email_task"
NOT_PAYABLE_KINDS = tuple(str(kind) for kind in NOT_PAYABLE_BY_CREDIT)
JOB = "job:charge_due_requests"


def _today() -> date:
    return timezone.localdate()  # Europe/Prague, read at call time


def due_requests(today: date) -> QuerySet[Document]:
    """Payment requests to charge today: marked for auto-pay, not opted out, nothing
    paid yet, issued at least 10 days ago, no line of a kind credit cannot pay, and
    never charged before (a reversed charge is not charged again automatically)."""
    not_payable = DocumentLine.objects.filter(
        document=OuterRef("pk"), product_kind__in=NOT_PAYABLE_KINDS
    )
    charged_before = LedgerEntry.objects.filter(
        document=OuterRef("pk"), kind=LedgerEntry.Kind.CHARGE
    )
    return Document.objects.filter(
        kind=DocumentKind.PAYMENT_REQUEST,
        charge_by_credit=True,
        credit_opt_out=False,
        status=DocumentStatus.OPEN,
        amount_paid=ZERO,
        issue_date__lte=today - timedelta(days=CHARGE_AFTER_DAYS),
    ).filter(~Exists(not_payable), ~Exists(charged_before))


def charge_due_requests(*, today: date | None = None, batch_size: int = 5000) -> dict:
    """Daily job: charge every due request from its customer's wallet.

    Requests are taken in bounded batches in id order (keyset on pk, so a request
    left open is not read again in the same run), each batch locked with SKIP LOCKED,
    so two concurrent runs spread the work instead of queueing behind each other.

    On PostgreSQL a batch is charged set-based (`_charge_batch_sql`): every wallet
    whose balance covers all of its requests in the batch is charged in a handful of
    statements. The rest — a short balance, an inactive wallet, another currency, no
    wallet — go one by one through `credits.services.charge_request` (locks, checks,
    idempotent on the request), in id order, exactly as on SQLite, where every request
    takes that path.

    Short balance: the request stays open (it is tried again the next days) and the
    customer is told once per request (an audit row claimed under the request's lock,
    the e-mail after commit). Another currency, an inactive wallet or a product that
    credit cannot pay: skipped.
    """
    today = today or _today()
    due = due_requests(today)
    set_based = db.set_based_sql()
    with job_run("charge_due_requests") as counts:
        counts["charged"] = counts["insufficient"] = counts["skipped"] = 0
        last_id = 0
        while True:
            if set_based:
                locked: list[tuple[int, int]] = []
                try:
                    with transaction.atomic():
                        locked = list(
                            due.filter(pk__gt=last_id)
                            .order_by("pk")
                            .select_for_update(no_key=True, skip_locked=True, of=("self",))
                            .values_list("pk", "customer_id")[:batch_size]
                        )
                        charged = _charge_batch_sql(locked) if locked else set()
                except DatabaseError as exc:
                    # rolled back whole: one by one, a bad request then fails alone
                    logger.exception("set-based auto-charge batch after %s failed", last_id)
                    counts.error(f"batch after document {last_id}", str(exc))
                    charged = set()
                ids = [pk for pk, _customer in locked]
                counts["charged"] += len(charged)
                rest = [pk for pk in ids if pk not in charged]
            else:
                ids = list(
                    due.filter(pk__gt=last_id)
                    .order_by("pk")
                    .values_list("pk", flat=True)[:batch_size]
                )
                rest = ids
            if not ids:
                break
            last_id = ids[-1]
            for request_id in rest:
                _charge_one(due, request_id, counts)
            if len(ids) < batch_size:
                break
    return dict(counts)


def _charge_one(due: QuerySet[Document], request_id: int, counts: Any) -> None:
    """Charge one request in its own transaction (the per-request path)."""
    try:
        with transaction.atomic():
            request = (
                due.select_for_update(no_key=True, skip_locked=True, of=("self",))
                .filter(pk=request_id)
                .first()
            )
            if request is None:  # another run has it, or it is no longer due
                counts["skipped"] += 1
                return
            charge_request(request=request)
        counts["charged"] += 1
    except InsufficientCredit:
        counts["insufficient"] += 1
        try:
            _claim_insufficient_notice(request_id)
        except Exception as exc:  # the notice must not stop the job
            logger.exception("insufficient-credit notice of %s failed", request_id)
            counts.error(f"document {request_id}", str(exc))
    except (ValidationFailed, CurrencyLocked, InvalidDocumentState) as exc:
        logger.info("auto-charge of document %s skipped: %s", request_id, exc)
        counts["skipped"] += 1
    except Exception as exc:  # one bad request must not stop the job
        logger.exception("auto-charge of document %s failed", request_id)
        counts.error(f"document {request_id}", str(exc))


# One statement charges the requests of every wallet that covers all of its requests
# in the batch: the amount per request (gross for a VAT payer, else net — the buyer
# snapshot decides, as in `charge_request`), the balance after each charge in id
# order, the wallet update with the low-balance flag (the same rule as `_post`: the
# alert is sent when the balance crosses the threshold downwards and no alert is
# pending), one ledger row and one `credit.charged` event per request. The requests
# and the wallets are locked by the caller; a wallet that does not cover its
# requests, or any request it cannot pay, is left to the per-request path. Each
# ledger row names the document payment of its charge by its source key; invoices
# writes those rows next (`record_credit_charges`), in the same transaction.
_CHARGE_SQL = """
WITH req AS (
    SELECT d.id, d.number, w.id AS wallet_id, w.balance,
           w.low_balance_threshold AS threshold, w.low_balance_alerted AS alerted,
           CASE WHEN COALESCE((d.buyer ->> 'vat_payer')::boolean, false)
                THEN d.total_gross - d.amount_paid ELSE d.total_net END AS amount
    FROM invoices_document d
    JOIN credits_wallet w ON w.customer_id = d.customer_id
    WHERE d.id = ANY(%(ids)s::bigint[]) AND w.active AND w.currency = d.currency
), wallets AS (
    SELECT wallet_id, MIN(balance) AS balance, bool_or(alerted) AS alerted,
           SUM(amount) AS total
    FROM req GROUP BY wallet_id
    HAVING SUM(amount) <= MIN(balance) AND MIN(amount) > 0
), charged AS (
    SELECT r.*, r.balance - SUM(r.amount) OVER (
               PARTITION BY r.wallet_id ORDER BY r.id ROWS UNBOUNDED PRECEDING
           ) AS balance_after
    FROM req r JOIN wallets USING (wallet_id)
), moved AS (
    UPDATE credits_wallet w
    SET balance = w.balance - s.total,
        low_balance_alerted = CASE
            WHEN w.low_balance_threshold IS NULL THEN w.low_balance_alerted
            WHEN w.balance >= w.low_balance_threshold
                 AND w.balance - s.total < w.low_balance_threshold THEN true
            WHEN w.balance - s.total >= w.low_balance_threshold THEN false
            ELSE w.low_balance_alerted END
    FROM wallets s
    WHERE w.id = s.wallet_id
    RETURNING w.id,
        (w.low_balance_threshold IS NOT NULL AND NOT s.alerted
         AND s.balance >= w.low_balance_threshold
         AND w.balance < w.low_balance_threshold) AS alert
), entries AS (
    INSERT INTO credits_ledgerentry (wallet_id, kind, amount, balance_after, source_key,
        document_id, document_payment_key, actor_label, reason, created_at)
    SELECT wallet_id, 'charge', -amount, balance_after, 'charge:' || id, id,
           'charge:' || id, 'system', '', %(now)s
    FROM charged ORDER BY id
    RETURNING 1
), events AS (
    INSERT INTO accounts_domainevent (type, subject_type, subject_id, payload, created_at)
    SELECT 'credit.charged', 'credits.wallet', wallet_id::text,
           jsonb_build_object('document', number, 'amount', amount::text,
               'balance_after', balance_after::text),
           %(now)s
    FROM charged
)
SELECT
    (SELECT COALESCE(string_agg(id::text, ',' ORDER BY id), '') FROM charged),
    (SELECT string_agg(amount::text, ',' ORDER BY id) FROM charged),
    (SELECT count(*) FROM entries),
    (SELECT COALESCE(array_agg(id), '{}') FROM moved WHERE alert)
"""


class BatchMismatch(DatabaseError):
    """The documents paid are not the requests charged: the batch is rolled back."""


def _charge_batch_sql(locked: list[tuple[int, int]]) -> set[int]:
    """Charge, set-based, the locked requests whose wallets cover them (PostgreSQL).

    Lock order as in `charge_request` (`billing_portal.lock_order`): the requests
    (locked by the caller), then the wallets (here, in id order, so two runs never
    deadlock), then the contracts with an overdue block (invoices schedules the
    unblock). Settlement and the low-balance e-mails are deferred to after commit.
    """
    lock_wallets_of(customer for _pk, customer in locked)
    # The batch travels as text both ways (`pg_array`, comma-separated results).
    with connection.cursor() as cursor:
        cursor.execute(
            _CHARGE_SQL,
            {"ids": pg_array(pk for pk, _customer in locked), "now": timezone.now()},
        )
        documents, amounts, _entries, alerts = cursor.fetchone()
    if not documents:
        return set()
    ids = [int(pk) for pk in documents.split(",")]
    payments = record_credit_charges(
        charges=[
            CreditCharge(document_id=pk, charged=Decimal(amount))
            for pk, amount in zip(ids, amounts.split(","), strict=True)
        ],
        paid_on=timezone.localdate(),
        actor_label=JOB,
    )
    if set(payments) != set(ids):
        raise BatchMismatch(f"charged {len(ids)} requests, paid {len(payments)}")
    for wallet in Wallet.objects.filter(pk__in=alerts).order_by("pk"):
        alert_low_balance(wallet=wallet)
    return set(ids)


def _claim_insufficient_notice(request_id: int) -> bool:
    """Record the short balance once per request and e-mail it after commit.

    The request's row lock serialises concurrent runs; the claim row makes it once.
    """
    with transaction.atomic():
        request = lock_document(request_id, related=("customer",))
        if not claim(INSUFFICIENT_EVENT, f"document:{request.pk}"):
            return False
        wallet = getattr(request.customer, "wallet", None)
        emails_on = request.customer.payment_request_emails
        write_audit(
            event=INSUFFICIENT_EVENT,
            subject=request,
            actor_label="charge_due_requests",
            after={
                "amount_due": str(request.amount_due),
                "balance": str(wallet.balance) if wallet is not None else None,
                "email": emails_on,
            },
        )
        if emails_on:  # the customer's "payment-request e-mails" switch mutes notices too
            defer(INSUFFICIENT_EMAIL_TASK, request.pk)
    return True


def send_insufficient_credit_email(*, document_id: int) -> bool:
    """The "your credit is not sufficient" e-mail, in the customer's language; sent at
    most once per request (a retried task finds the audit row and sends nothing), and
    not at all once the request is no longer open."""
    with transaction.atomic():
        request = lock_document(document_id, related=("customer",))
        emailed = claimed(INSUFFICIENT_EMAILED_EVENT, f"document:{request.pk}")
        if request.status != DocumentStatus.OPEN or emailed:
            return False
        customer = request.customer
        wallet = getattr(customer, "wallet", None)
        with translation.override(customer.language):
            context = {
                "document": request,
                "balance": wallet.balance if wallet is not None else ZERO,
                "seller": settings.BILLING["SELLER"],
            }
            subject = render_to_string("email/credit_insufficient_subject.txt", context)
            message = EmailMessage(
                subject=" ".join(subject.split()),
                body=render_to_string("email/credit_insufficient.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[customer.email],
            )
        message.send()
        mark_claim_done(INSUFFICIENT_EMAILED_EVENT, f"document:{request.pk}")
        write_audit(
            event=INSUFFICIENT_EMAILED_EVENT,
            subject=request,
            actor_label="charge_due_requests",
            after={"to": [customer.email]},
        )
    return True


@transaction.atomic
def opt_out_of_auto_charge(*, request: Document, actor: Any = None) -> Document:
    """The customer's one-time "do not charge automatically" on one request.

    Only an open request marked for auto-pay; a second click changes nothing.
    """
    locked = lock_document(request.pk)
    if locked.kind != DocumentKind.PAYMENT_REQUEST or not locked.charge_by_credit:
        raise InvalidDocumentState(
            _("This payment request is not charged automatically by credit."),
            document=locked.number,
        )
    if locked.status != DocumentStatus.OPEN:
        raise InvalidDocumentState(
            _("Only an unpaid payment request can be excluded from the automatic charge."),
            document=locked.number,
        )
    if locked.credit_opt_out:
        return locked
    before = snapshot(locked)
    Document.objects.filter(pk=locked.pk).update(credit_opt_out=True)
    locked.credit_opt_out = True
    write_audit(
        event="payment_request.credit_opt_out",
        subject=locked,
        actor=actor,
        actor_label=None if getattr(actor, "is_authenticated", False) else "customer",
        before=before,
        after=snapshot(locked),
    )
    return locked


def _top_ups_without_invoice() -> QuerySet[Document]:
    top_up_line = DocumentLine.objects.filter(
        document=OuterRef("pk"), product_kind=ProductKind.CREDIT_TOPUP
    )
    tax_invoice = Document.objects.filter(
        related_document=OuterRef("pk"), kind=DocumentKind.TAX_INVOICE
    )
    return Document.objects.filter(
        Exists(top_up_line),
        ~Exists(tax_invoice),
        Q(buyer__vat_payer=False),
        kind=DocumentKind.PAYMENT_REQUEST,
        status=DocumentStatus.PAID,
        paid_on__isnull=False,
    )


def issue_zero_top_up_invoices(*, today: date | None = None) -> dict:
    """Daily job: the zero-amount tax invoice of a paid top-up (customer not a VAT
    payer; the buyer snapshot of the request decides, as it decided the gross price).

    The approach: the tax invoice is dated by the payment (taxable supply = paid_on,
    issued on the first run after it, so within the 15 days) and has two lines at the
    top-up's own VAT rate: the top-up's net amount, and "Received advance payment"
    of minus the same amount. Its totals are zero (nothing more is owed); it documents
    the received payment and its VAT rate. related_document is the request; one per
    request (the request's row lock and a re-check inside it, as for the ordinary tax
    invoice, so settlement and this job never both issue one).

    A request paid more than 15 days ago is past the deadline: it is counted as
    `late` and left to accounting rather than back-dated in bulk.
    """
    today = today or _today()
    earliest = today - timedelta(days=TOP_UP_INVOICE_DAYS)
    candidates = _top_ups_without_invoice().filter(paid_on__lte=today)
    with job_run("issue_zero_top_up_invoices") as counts:
        counts["issued"] = 0
        counts["late"] = candidates.filter(paid_on__lt=earliest).count()
        ids = list(
            candidates.filter(paid_on__gte=earliest).order_by("pk").values_list("pk", flat=True)
        )
        for request_id in ids:
            try:
                with transaction.atomic():
                    request = (
                        _top_ups_without_invoice()
                        .select_for_update(no_key=True, skip_locked=True, of=("self",))
                        .select_related("customer", "contract")
                        .filter(pk=request_id)
                        .first()
                    )
                    if request is None:  # done meanwhile, or another run has it
                        continue
                    lines = []
                    for line in request.lines.select_related("product").order_by("position"):
                        common = {
                            "quantity": line.quantity,
                            "vat_rate": line.vat_rate,
                            "unit": line.unit,
                        }
                        lines.append(
                            LineSpec(
                                description=line.description,
                                unit_price=line.unit_price,
                                product=line.product,
                                **common,
                            )
                        )
                        lines.append(
                            LineSpec(
                                description=_in(
                                    request.language, gettext_noop("Received advance payment")
                                ),
                                unit_price=-line.unit_price,
                                **common,
                            )
                        )
                    invoice = issue_tax_invoice(
                        customer=request.customer,
                        contract=request.contract,
                        lines=lines,
                        vat_regime=request.vat_regime,
                        related_document=request,
                        issue_date=today,
                        taxable_supply_date=request.paid_on,
                        due_date=today,
                        note=_in(
                            request.language,
                            gettext_noop("Documents the credit top-up paid by %(number)s."),
                            number=request.number,
                        ),
                    )
                    settle_on_issue(document=invoice, paid_on=request.paid_on)
                counts["issued"] += 1
            except Exception as exc:  # one bad request must not stop the job
                logger.exception("zero top-up invoice of document %s failed", request_id)
                counts.error(f"document {request_id}", str(exc))
    return dict(counts)


def _in(language: str, message: str, **params: Any) -> str:
    with translation.override(language):
        text = _(message)
    return text % params if params else text

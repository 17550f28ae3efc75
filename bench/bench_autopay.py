"""The daily auto-pay run against a same-run baseline.

Builds 50,000 due payment requests (issued 10 days ago, marked "automatically by
credit", one hosting line each) of 20,000 customers who are not VAT payers and have
enough credit, in a database of its own (created next to the configured one, dropped
at the end), committed as the real job commits. Measures, in the same run:

- baseline: ONE raw set-based statement that subtracts the sum of the requests per
  wallet from the wallet balances and inserts a ledger row per request (INSERT ...
  SELECT), with its constraint checks made immediate (Django's foreign keys are
  deferred to commit, and the baseline is rolled back after each try);
- the run: `credits.autopay.charge_due_requests`, committed batch by batch (on
  PostgreSQL: requests and wallets locked, then one statement per batch for the
  ledger rows, the balances, the paid state and the audit trail);
- the second run, which must charge nothing.

Settlement after commit (the fulfilment, a VAT payer's tax invoice) is queued by the
job, one task per batch, and not part of either figure.

The last line printed is one JSON object: {"bench": "autopay", "ratio": run /
baseline, "target": 5, ...}. Needs PostgreSQL (DATABASE_URL) for meaningful numbers.

    PYTHONPATH=. .venv/bin/python bench/bench_autopay.py [--requests 50000 --wallets 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "billing_portal.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from accounts.models import Customer  # noqa: E402
from credits.autopay import charge_due_requests  # noqa: E402
from credits.models import LedgerEntry, Wallet  # noqa: E402
from invoices.models import BankAccount, Document, DocumentLine  # noqa: E402

TARGET = 5
TODAY = date(2026, 11, 24)
ISSUED = TODAY - timedelta(days=10)


class Rollback(Exception):
    pass


def build(requests: int, wallets: int) -> None:
    customers = Customer.objects.bulk_create(
        (Customer(kind="person", name=f"Zákazník {i}", country="CZ", language="cs",
                  currency="CZK", street="Ulice 1", city="Praha", postal_code="110 00",
                  email=f"c{i}@example.cz", vat_payer=False, auto_pay_by_credit=True)
         for i in range(wallets)),
        batch_size=5000,
    )  # fmt: skip
    Wallet.objects.bulk_create(
        (Wallet(customer=c, currency="CZK", balance=Decimal("100000.00")) for c in customers),
        batch_size=5000,
    )
    account = BankAccount.objects.create(name="CZK", iban="CZ6508000000192000145399",
                                         currency="CZK")  # fmt: skip
    documents = Document.objects.bulk_create(
        (Document(
            kind="payment_request", number=f"ZF2026{i:07d}", year=2026, sequence=i + 1,
            variable_symbol=f"8{i:08d}", customer_id=customers[i % wallets].pk,
            bank_account=account, currency="CZK", language="cs", issue_date=ISSUED,
            due_date=ISSUED + timedelta(days=14), vat_regime="domestic",
            total_net=Decimal("100.00"), total_vat=Decimal("21.00"),
            total_gross=Decimal("121.00"), seller={}, buyer={"vat_payer": False},
            charge_by_credit=True,
        ) for i in range(requests)),
        batch_size=5000,
    )  # fmt: skip
    DocumentLine.objects.bulk_create(
        (DocumentLine(document=d, position=1, product_kind="hosting", description="Hosting",
                      quantity=Decimal("1"), unit_price=Decimal("100.00"),
                      vat_rate=Decimal("21.00"), net_amount=Decimal("100.00"))
         for d in documents),
        batch_size=5000,
    )  # fmt: skip


BASELINE_SQL = """
WITH due AS (
    SELECT d.id, w.id AS wallet_id, d.total_net AS amount
    FROM invoices_document d JOIN credits_wallet w ON w.customer_id = d.customer_id
    WHERE d.kind = 'payment_request' AND d.charge_by_credit AND NOT d.credit_opt_out
      AND d.status = 'open' AND d.amount_paid = 0 AND d.issue_date <= %s
      AND NOT EXISTS (SELECT 1 FROM invoices_documentline l WHERE l.document_id = d.id
                      AND l.product_kind IN ('dedicated_server', 'credit_topup'))
), sums AS (
    SELECT wallet_id, SUM(amount) AS total FROM due GROUP BY wallet_id
), moved AS (
    UPDATE credits_wallet w SET balance = w.balance - sums.total FROM sums
    WHERE w.id = sums.wallet_id RETURNING w.id, w.balance
)
INSERT INTO credits_ledgerentry
    (wallet_id, kind, amount, balance_after, source_key, document_id, actor_label, reason,
     created_at)
SELECT due.wallet_id, 'charge', -due.amount, moved.balance, 'baseline:' || due.id, due.id,
       'system', '', now()
FROM due JOIN moved ON moved.id = due.wallet_id
"""


def timed(func) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def baseline() -> float:
    elapsed = 0.0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            start = time.perf_counter()
            cursor.execute(BASELINE_SQL, [TODAY - timedelta(days=10)])
            elapsed = time.perf_counter() - start
            raise Rollback
    except Rollback:
        pass
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50_000)
    parser.add_argument("--wallets", type=int, default=20_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("warning: the baseline SQL is written for PostgreSQL", file=sys.stderr)
    configured = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        build_s, _ = timed(lambda: build(args.requests, args.wallets))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        baseline_s = min(baseline() for _ in range(3))
        first_s, first = timed(lambda: charge_due_requests(today=TODAY))
        entries = LedgerEntry.objects.filter(kind="charge").count()
        second_s, second = timed(lambda: charge_due_requests(today=TODAY))
    finally:
        connection.creation.destroy_test_db(configured, verbosity=0)
    print(f"built {args.requests} requests on {args.wallets} wallets in {build_s:.1f} s")
    print(f"baseline {baseline_s * 1000:.1f} ms; run {first_s * 1000:.1f} ms "
          f"({first['charged']} charged); second run {second_s * 1000:.1f} ms "
          f"({second['charged']} charged)")  # fmt: skip
    print(
        json.dumps(
            {
                "bench": "autopay",
                "ratio": round(first_s / baseline_s, 2),
                "target": TARGET,
                "baseline_ms": round(baseline_s * 1000, 1),
                "run_ms": round(first_s * 1000, 1),
                "per_request_ms": round(first_s * 1000 / max(first["charged"], 1), 3),
                "second_run_ms": round(second_s * 1000, 1),
                "second_run_ratio": round(second_s / baseline_s, 2),
                "requests": args.requests,
                "wallets": args.wallets,
                "charged": first["charged"],
                "insufficient": first["insufficient"],
                "skipped": first["skipped"],
                "errors": first.get("errors", 0),
                "charged_second_run": second["charged"],
                "ledger_entries": entries,
                "build_s": round(build_s, 1),
                "database": connection.vendor,
            }
        )
    )


if __name__ == "__main__":
    main()

"""The daily blocking run against a same-run baseline.

Builds 200,000 contracts of which 5 % have a document more than 30 days overdue
(and a further 5 % one at a reminder stage), inside a transaction that is rolled
back at the end. Measures, in the same run:

- baseline: ONE raw SQL UPDATE that touches the contracts to block (the same rows);
- the run: `invoices.dunning.block_overdue_contracts` — lock, re-check, insert the
  blocks, the audit rows and the block notices (claimed; e-mails go after commit);
- the second run, which must change nothing and take no longer than the baseline.

The last line printed is one JSON object: {"bench": "dunning", "ratio": run /
baseline, "target": 3, ...}. Needs PostgreSQL (DATABASE_URL) for meaningful numbers.

    PYTHONPATH=. .venv/bin/python bench/bench_dunning.py [--contracts 200000]
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

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from accounts.models import Contract, ContractBlock, Customer  # noqa: E402
from invoices.dunning import block_overdue_contracts  # noqa: E402
from invoices.models import BankAccount, Document, DunningNotice  # noqa: E402

TARGET = 3
TODAY = date(2026, 11, 24)


class Rollback(Exception):
    pass


def build(contracts: int) -> None:
    customers = Customer.objects.bulk_create(
        Customer(kind="person", name=f"Zákazník {i}", country="CZ", language="cs",
                 currency="CZK", street="Ulice 1", city="Praha", postal_code="110 00",
                 email=f"c{i}@example.cz")
        for i in range(contracts // 10)
    )  # fmt: skip
    created = Contract.objects.bulk_create(
        (Contract(number=f"F{3000000000 + i:010d}", customer=customers[i % len(customers)])
         for i in range(contracts)),
        batch_size=5000,
    )  # fmt: skip
    account = BankAccount.objects.create(name="CZK", iban="CZ6508000000192000145399",
                                         currency="CZK")  # fmt: skip
    documents = []
    for i, contract in enumerate(created):
        if i % 20 == 0:  # 5 %: more than 30 days overdue
            due = TODAY - timedelta(days=31 + i % 40)
        elif i % 20 == 1:  # 5 %: at a reminder stage
            due = TODAY - timedelta(days=3)
        else:
            continue
        documents.append(Document(
            kind="payment_request", number=f"ZF2026{i:07d}", year=2026, sequence=i + 1,
            variable_symbol=f"9{i:08d}", customer_id=contract.customer_id, contract=contract,
            bank_account=account, currency="CZK", language="cs",
            issue_date=due - timedelta(days=14), due_date=due, vat_regime="domestic",
            total_net=Decimal("100.00"), total_vat=Decimal("21.00"),
            total_gross=Decimal("121.00"), seller={}, buyer={},
        ))  # fmt: skip
    Document.objects.bulk_create(documents, batch_size=5000)


def timed(func) -> tuple[float, object]:
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def baseline() -> float:
    cutoff = TODAY - timedelta(days=30)
    with connection.cursor() as cursor:
        start = time.perf_counter()
        cursor.execute(
            "UPDATE accounts_contract SET status = 'active' WHERE id IN ("
            " SELECT contract_id FROM invoices_document WHERE status IN ('open', 'partly_paid')"
            " AND kind <> 'credit_note' AND due_date < %s AND contract_id IS NOT NULL)",
            [cutoff],
        )
        elapsed = time.perf_counter() - start
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--contracts", type=int, default=200_000)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    figures: dict = {}
    try:
        with transaction.atomic():
            build_s, _ = timed(lambda: build(args.contracts))
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            baseline_s = min(baseline() for _ in range(3))
            first_s, first = timed(lambda: block_overdue_contracts(today=TODAY))
            blocks = ContractBlock.objects.count()
            notices = DunningNotice.objects.count()
            second_s, second = timed(lambda: block_overdue_contracts(today=TODAY))
            figures = {
                "bench": "dunning",
                "ratio": round(first_s / baseline_s, 2),
                "target": TARGET,
                "second_run_ratio": round(second_s / baseline_s, 2),
                "baseline_ms": round(baseline_s * 1000, 1),
                "run_ms": round(first_s * 1000, 1),
                "second_run_ms": round(second_s * 1000, 1),
                "contracts": args.contracts,
                "blocked": first["blocked"],
                "blocked_second_run": second["blocked"],
                "blocks": blocks,
                "block_notices": notices,
                "build_s": round(build_s, 1),
                "database": connection.vendor,
            }
            print(f"built {args.contracts} contracts in {build_s:.1f} s")
            print(f"baseline UPDATE {baseline_s * 1000:.1f} ms; run {first_s * 1000:.1f} ms "
                  f"({first['blocked']} blocked, {notices} notices); second run "
                  f"{second_s * 1000:.1f} ms ({second['blocked']} blocked)")  # fmt: skip
            raise Rollback
    except Rollback:
        pass
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

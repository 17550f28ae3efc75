"""Row locks are taken in one order (`billing_portal.lock_order`), by the helpers of
each app's `locks.py`.

The first tests read the source (no Django, no database): outside the `locks.py`
modules no app calls `select_for_update(` or writes "FOR UPDATE" SQL, except the
skip_locked claims of jobs and senders named in `INLINE_CLAIMS`. The last tests run
two transactions against PostgreSQL whose lock order used to cross, and show that
they now queue instead of deadlocking.
"""

from __future__ import annotations

import ast
import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection, connections

from billing_portal import lock_order

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "invoices", "payments", "credits", "certificates", "timestamps")
#: What an app's locks.py may import models from: its own, and the apps it may import.
LOCKS_MAY_IMPORT = {
    "accounts": (),
    "invoices": ("accounts",),
    "payments": ("accounts", "invoices"),
    "credits": ("accounts", "invoices"),
    "certificates": ("accounts", "invoices"),
    "timestamps": ("accounts", "invoices"),
}
ROW_LOCK_SQL = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b", re.I)

#: The select_for_update calls kept inline, by (file, function), each with the reason.
#: All are skip_locked claims: the first lock of their transaction, taken with a
#: filter that says which rows are due; a row held elsewhere is skipped, never waited
#: for, so the claim cannot close a deadlock, and what follows it uses the helpers.
INLINE_CLAIMS: dict[tuple[str, str], str] = {
    ("payments/pairing.py", "pair_transactions"): (
        "a run claims one unprocessed payment at a time; concurrent runs take others"
    ),
    ("invoices/services.py", "issue_renewal_requests"): (
        "a run claims one due subscription at a time, re-checked by the due filter"
    ),
    ("invoices/lifecycle.py", "_in_batches"): (
        "the expiry job claims a bounded batch of due subscriptions in pk order"
    ),
    ("invoices/dunning.py", "revoke_long_unpaid"): (
        "the revoke job claims one block still due for revocation at a time"
    ),
    ("invoices/notices.py", "send_notices"): (
        "a sender claims one unsent notice; another worker's notice is skipped"
    ),
    ("credits/autopay.py", "charge_due_requests"): (
        "the set-based auto-charge claims a keyset batch of due requests (then the "
        "wallets: credits.locks.lock_wallets_of)"
    ),
    ("credits/autopay.py", "_charge_one"): (
        "the per-request auto-charge claims one request still due, then charge_request"
    ),
    ("credits/autopay.py", "issue_zero_top_up_invoices"): (
        "the job claims one paid top-up still without its tax invoice at a time"
    ),
    ("credits/statements.py", "send_monthly_statement"): (
        "a sender claims one unsent statement; another worker's statement is skipped"
    ),
}


def _app_sources() -> Iterator[Path]:
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts and path.name != "locks.py":
                yield path


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (they describe locks; they take none)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _functions(tree: ast.AST) -> Iterator[tuple[str, ast.AST]]:
    """(name of the innermost enclosing function, node) for every node of the tree."""

    def visit(node: ast.AST, function: str) -> Iterator[tuple[str, ast.AST]]:
        for child in ast.iter_child_nodes(node):
            name = (
                child.name
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                else function
            )
            yield name, child
            yield from visit(child, name)

    return visit(tree, "<module>")


def _select_for_update_calls() -> Iterator[tuple[str, str, ast.Call]]:
    for path in _app_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for function, node in _functions(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "select_for_update"
            ):
                yield path.relative_to(ROOT).as_posix(), function, node


def _keyword(call: ast.Call, name: str) -> object:
    for keyword in call.keywords:
        if keyword.arg == name and isinstance(keyword.value, ast.Constant):
            return keyword.value.value
    return None


# --- the source ------------------------------------------------------------------------


def test_row_locks_are_taken_only_by_the_locks_modules():
    inline = [
        f"{path}:{call.lineno} in {function}()"
        for path, function, call in _select_for_update_calls()
        if (path, function) not in INLINE_CLAIMS
    ]
    assert inline == [], "lock rows through the app's locks.py (billing_portal.lock_order)"


def test_the_calls_kept_inline_are_skip_locked_claims_and_all_still_exist():
    seen = set()
    for path, function, call in _select_for_update_calls():
        if (path, function) in INLINE_CLAIMS:
            seen.add((path, function))
            assert _keyword(call, "skip_locked") is True, f"{path}:{call.lineno}"
            assert _keyword(call, "no_key") is True, f"{path}:{call.lineno}"
    assert seen == set(INLINE_CLAIMS), "remove the entries of claims that are gone"


def test_no_raw_row_lock_sql_outside_the_locks_modules():
    found = []
    for path in _app_sources():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and ROW_LOCK_SQL.search(node.value)
            ):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


def _locks_modules() -> Iterator[tuple[str, Path]]:
    for app in APPS:
        path = ROOT / app / "locks.py"
        if path.exists():
            yield app, path


def test_each_app_that_locks_rows_has_a_locks_module():
    assert [app for app, _path in _locks_modules()] == [
        "accounts",
        "invoices",
        "payments",
        "credits",
    ]


def test_locks_modules_import_only_models_they_may_and_lock_only_ordered_rows():
    for app, path in _locks_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            module = node.module or ""
            if node.level == 1 and module == "models":
                owner = app
            elif node.level == 0 and module.endswith(".models") and module.count(".") == 1:
                owner = module.partition(".")[0]
                assert owner in LOCKS_MAY_IMPORT[app], f"{app}/locks.py imports {module}"
            else:
                assert node.level == 0, f"{app}/locks.py: from {'.' * node.level}{module}"
                assert module == "__future__" or module.partition(".")[0] in (
                    "collections",
                    "typing",
                    "django",
                ), f"{app}/locks.py imports {module}"
                continue
            for alias in node.names:
                label = f"{owner}.{alias.name}"
                assert label in lock_order.ORDER, f"{app}/locks.py locks {label}: not in the order"


def test_every_lock_helper_points_at_the_one_order():
    for app, path in _locks_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        assert "billing_portal.lock_order" in (ast.get_docstring(tree) or ""), app
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                assert "billing_portal.lock_order" in (ast.get_docstring(node) or ""), (
                    f"{app}.locks.{node.name}"
                )


def test_the_order_names_every_row_kind_once_in_its_docstring():
    assert len(set(lock_order.ORDER)) == len(lock_order.ORDER)
    text = " ".join((lock_order.__doc__ or "").split())
    positions = [text.find(label) for label in lock_order.ORDER]
    assert -1 not in positions, "every label of ORDER is explained in the docstring"
    assert positions == sorted(positions), "the docstring and ORDER list the same order"


# --- behaviour (PostgreSQL) --------------------------------------------------------------


def _in_threads(*works) -> list[BaseException]:
    errors: list[BaseException] = []

    def wrap(work) -> None:
        try:
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return errors


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_a_credit_charge_and_the_customers_credit_settings_queue_without_deadlock(
    bank_accounts, monkeypatch
):
    """customer -> wallet (portal settings) against document -> wallet -> contract
    (a charge): the contract lock must not take the customer row with it."""
    from credits import services
    from invoices import settlement
    from invoices.models import DocumentStatus
    from invoices.services import LineSpec, issue_payment_request
    from tests.factories import ContractFactory, ProductFactory

    contract = ContractFactory()
    customer = contract.customer
    wallet = services.wallet_for(customer)
    services.adjust(wallet=wallet, amount=Decimal("500.00"), actor=None, reason="funding")
    product = ProductFactory(code="hosting-lock", kind="hosting")
    request = issue_payment_request(
        customer=customer,
        contract=contract,
        lines=[LineSpec(description="Hosting", unit_price=Decimal("10.00"), product=product)],
    )
    customer_locked = threading.Event()
    real_schedule_unblock = settlement.schedule_unblock
    real_wallet_for = services.wallet_for

    def schedule_unblock(**kwargs) -> None:
        # the charge holds the document and the wallet; the settings hold the customer
        assert customer_locked.wait(timeout=20)
        real_schedule_unblock(**kwargs)

    def wallet_for(who):
        if threading.current_thread().name == "settings":
            customer_locked.set()  # update_credit_settings locked the customer
        return real_wallet_for(who)

    monkeypatch.setattr(settlement, "schedule_unblock", schedule_unblock)
    monkeypatch.setattr(services, "wallet_for", wallet_for)

    def settings() -> None:
        threading.current_thread().name = "settings"
        services.update_credit_settings(
            customer=customer,
            actor=None,
            auto_pay_by_credit=True,
            payment_request_emails=False,
            monthly_statement=True,
            low_balance_threshold=None,
        )

    errors = _in_threads(lambda: services.charge_request(request=request), settings)
    assert errors == []
    request.refresh_from_db()
    wallet.refresh_from_db()
    customer.refresh_from_db()
    assert request.status == DocumentStatus.PAID
    assert wallet.balance == Decimal("487.90")  # 10.00 + 21 % VAT
    assert customer.auto_pay_by_credit is True


def _until_a_transaction_waits_for_a_lock(timeout: float = 20) -> bool:
    """Poll, on this thread's connection, until another backend waits for a row lock."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")  # live view
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.05)
    return False


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_a_payment_split_across_two_contracts_and_the_blocking_job_queue_without_deadlock(
    bank_accounts, monkeypatch
):
    """Staff split one payment across documents of two contracts, the later contract's
    document first, while the blocking job locks the same contracts in pk order: the
    payment locks its documents' contracts in pk order too, before paying either."""
    from accounts.models import ContractBlock
    from invoices import settlement
    from invoices.dunning import block_overdue_contracts
    from invoices.models import DocumentStatus
    from invoices.services import LineSpec, issue_payment_request
    from payments.models import TransactionStatus
    from payments.services import assign_transaction
    from tests.factories import BankTransactionFactory, ContractFactory

    contracts = [ContractFactory(), ContractFactory()]
    documents = [
        issue_payment_request(
            customer=contract.customer,
            contract=contract,
            lines=[LineSpec(description="Hosting", unit_price=Decimal("100.00"))],
            issue_date=date(2026, 8, 20),
            due_date=date(2026, 9, 1),
        )
        for contract in contracts
    ]
    tx = BankTransactionFactory(
        status=TransactionStatus.REVIEW,
        amount=sum(document.total_gross for document in documents),
        variable_symbol="",
    )
    paying = threading.Event()
    real_schedule_unblock = settlement.schedule_unblock

    def schedule_unblock(**kwargs) -> None:
        real_schedule_unblock(**kwargs)
        if threading.current_thread().name == "staff" and not paying.is_set():
            paying.set()  # the first part is paid; its contract is locked
            assert _until_a_transaction_waits_for_a_lock()  # the blocking job queues

    monkeypatch.setattr(settlement, "schedule_unblock", schedule_unblock)

    def staff() -> None:
        threading.current_thread().name = "staff"
        assign_transaction(
            tx=tx,
            splits=[(document, document.total_gross) for document in reversed(documents)],
            actor=None,
        )

    def blocking() -> None:
        assert paying.wait(timeout=20)
        block_overdue_contracts(today=date(2026, 11, 24))

    errors = _in_threads(staff, blocking)
    assert errors == []
    for document in documents:
        document.refresh_from_db()
        assert document.status == DocumentStatus.PAID
    for contract in contracts:  # blocked after the payment committed: never
        assert not ContractBlock.objects.filter(contract=contract, lifted_at=None).exists()

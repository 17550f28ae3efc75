"""Blocking after more than 30 days overdue, working-day unblocking, manual blocks,
revocation, and blocking racing with pairing."""

from __future__ import annotations

import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied
from django.db import connection, connections

from accounts.models import AuditLog, ContractBlock
from accounts.selectors import contract_blocking, ensure_not_blocked
from accounts.services import block_contract, lift_block
from billing_portal import hooks
from billing_portal.errors import ContractBlocked
from invoices.dunning import block_overdue_contracts, lift_due_blocks, revoke_long_unpaid
from invoices.models import DunningNotice
from invoices.services import LineSpec, issue_payment_request
from payments.pairing import pair_transactions
from tests.factories import AuthorizedPersonFactory, BankTransactionFactory, ContractFactory

# both paths of the blocking job: set-based (PostgreSQL) and one by one (as on SQLite)
pytestmark = pytest.mark.usefixtures("job_path")

PRAGUE = ZoneInfo("Europe/Prague")


def _overdue(contract, *, due: date, issued: date, amount: str = "100.00"):
    return issue_payment_request(
        customer=contract.customer,
        contract=contract,
        lines=[LineSpec(description="Kvalifikovaný certifikát", unit_price=Decimal(amount),
                        applicant_email="zadatel@example.cz")],
        issue_date=issued,
        due_date=due,
    )  # fmt: skip


def _pay(document, on: date):
    BankTransactionFactory(variable_symbol=document.variable_symbol, amount=document.total_gross,
                           booking_date=on, natural_key=f"ref:{document.number}:{on}")  # fmt: skip
    pair_transactions()


def _open_block(contract):
    return ContractBlock.objects.filter(contract=contract, lifted_at=None).first()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("due", "last_day_not_blocked", "blocked_on"),
    [
        (date(2026, 10, 20), date(2026, 11, 19), date(2026, 11, 20)),
        (date(2026, 1, 31), date(2026, 3, 2), date(2026, 3, 3)),  # across February
        (date(2026, 2, 27), date(2026, 3, 29), date(2026, 3, 30)),  # across the DST change
    ],
)
def test_blocked_on_the_31st_day_after_the_due_date(bank_accounts, due, last_day_not_blocked,
                                                     blocked_on):  # fmt: skip
    contract = ContractFactory()
    _overdue(contract, due=due, issued=date(due.year, due.month, 1))
    assert block_overdue_contracts(today=last_day_not_blocked)["blocked"] == 0
    assert block_overdue_contracts(today=blocked_on)["blocked"] == 1
    block = _open_block(contract)
    assert (block.reason, block.blocked_on, block.unblock_on) == ("overdue", blocked_on, None)


@pytest.mark.django_db
def test_overdue_is_counted_in_prague_time(bank_accounts):
    contract = ContractFactory()
    _overdue(contract, due=date(2026, 10, 20), issued=date(2026, 10, 1))
    # 23:30 UTC on 19 Nov is already 20 Nov in Prague: 31 days after the due date
    with time_machine.travel(datetime(2026, 11, 19, 23, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        assert block_overdue_contracts()["blocked"] == 1


@pytest.mark.django_db
def test_blocking_once_audited_with_notices_and_a_second_run_does_nothing(
    bank_accounts, django_capture_on_commit_callbacks
):
    contract = ContractFactory()
    AuthorizedPersonFactory(contract=contract)
    document = _overdue(contract, due=date(2026, 10, 1), issued=date(2026, 9, 17))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert block_overdue_contracts(today=date(2026, 11, 24))["blocked"] == 1
    assert len(callbacks) == 1  # the block notices, sent after commit
    assert DunningNotice.objects.get(level="block").document == document
    assert (
        AuditLog.objects.filter(event="contract.blocked", subject_id=str(contract.pk)).count() == 1
    )
    with django_capture_on_commit_callbacks(execute=False) as again:
        assert block_overdue_contracts(today=date(2026, 11, 24))["blocked"] == 0
        assert block_overdue_contracts(today=date(2026, 11, 25))["blocked"] == 0
    assert again == []
    assert ContractBlock.objects.count() == 1 and DunningNotice.objects.count() == 1


@pytest.mark.django_db
def test_a_payment_before_the_cutoff_prevents_the_block(bank_accounts):
    contract = ContractFactory()
    document = _overdue(contract, due=date(2026, 10, 20), issued=date(2026, 10, 1))
    _pay(document, date(2026, 11, 19))
    assert block_overdue_contracts(today=date(2026, 11, 20))["blocked"] == 0
    assert contract_blocking(contract) is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("paid_on", "unblock_on"),
    [
        (date(2026, 12, 24), date(2026, 12, 29)),  # Christmas Eve, a Thursday
        (date(2026, 4, 2), date(2026, 4, 8)),  # next week starts with Easter Monday
        (date(2026, 11, 30), date(2026, 12, 8)),  # paid on a Monday
    ],
)
def test_unblocked_on_the_second_working_day_of_the_next_week(bank_accounts, paid_on, unblock_on):
    contract = ContractFactory()
    document = _overdue(contract, due=date(2026, 1, 10), issued=date(2026, 1, 1))
    block_overdue_contracts(today=date(2026, 2, 20))
    with time_machine.travel(datetime(2026, 2, 21, 12, tzinfo=PRAGUE)):
        _pay(document, paid_on)
    blocking = contract_blocking(contract)
    assert blocking.expected_unblock_on == unblock_on  # the customer sees it in advance
    assert unblock_on.strftime("%d.%m.%Y") in blocking.message
    day_before = date.fromordinal(unblock_on.toordinal() - 1)
    assert lift_due_blocks(today=day_before)["lifted"] == 0
    with pytest.raises(ContractBlocked) as error:
        ensure_not_blocked(contract)
    assert error.value.as_dict()["details"]["expected_unblock_on"] == unblock_on.isoformat()
    assert lift_due_blocks(today=unblock_on)["lifted"] == 1
    assert contract_blocking(contract) is None
    assert lift_due_blocks(today=unblock_on)["lifted"] == 0


@pytest.mark.django_db
def test_no_unblock_while_another_document_is_overdue(bank_accounts):
    contract = ContractFactory()
    first = _overdue(contract, due=date(2026, 9, 10), issued=date(2026, 9, 1))
    second = _overdue(contract, due=date(2026, 10, 10), issued=date(2026, 10, 1))
    block_overdue_contracts(today=date(2026, 10, 20))
    with time_machine.travel(datetime(2026, 10, 21, 12, tzinfo=PRAGUE)):
        _pay(first, date(2026, 10, 21))
        assert contract_blocking(contract).expected_unblock_on is None
        _pay(second, date(2026, 10, 21))
        assert contract_blocking(contract).expected_unblock_on == date(2026, 10, 27)


@pytest.mark.django_db
def test_manual_blocks_are_not_lifted_by_payments_and_need_a_permission(
    bank_accounts, django_user_model
):
    contract = ContractFactory()
    document = _overdue(contract, due=date(2026, 9, 10), issued=date(2026, 9, 1))
    clerk = django_user_model.objects.create_user("clerk", password="x", is_staff=True)
    chief = django_user_model.objects.create_user("chief", password="x", is_staff=True)
    chief.user_permissions.add(Permission.objects.get(codename="unblock_contract"))
    manual = block_contract(contract=contract, reason="legal", actor=chief, note="insolvence")
    block_overdue_contracts(today=date(2026, 10, 20))
    with time_machine.travel(datetime(2026, 10, 21, 12, tzinfo=PRAGUE)):
        _pay(document, date(2026, 10, 21))
    lift_due_blocks(today=date(2026, 10, 27))
    blocking = contract_blocking(contract)
    assert blocking.reasons == ("legal",) and blocking.expected_unblock_on is None
    with pytest.raises(PermissionDenied):
        lift_block(block=manual, actor=clerk, note="prosím")
    lift_block(block=manual, actor=chief, note="insolvence skončila")
    assert contract_blocking(contract) is None
    assert AuditLog.objects.filter(event="contract.unblocked", actor=chief).count() == 1


@pytest.mark.django_db
def test_certificates_are_revoked_sixty_days_after_the_block_once(bank_accounts):
    revoked: list[int] = []

    def revoke(*, contract_id):
        revoked.append(contract_id)
        return 1

    with hooks.revoke_contract_certificates.temporarily(revoke):
        unpaid, paid = ContractFactory(), ContractFactory()
        _overdue(unpaid, due=date(2026, 8, 1), issued=date(2026, 7, 20))
        late = _overdue(paid, due=date(2026, 8, 1), issued=date(2026, 7, 20))
        block_overdue_contracts(today=date(2026, 9, 1))
        with time_machine.travel(datetime(2026, 10, 20, 12, tzinfo=PRAGUE)):
            _pay(late, date(2026, 10, 20))  # unblock scheduled: never revoked
        assert revoke_long_unpaid(today=date(2026, 10, 30))["revoked"] == 0
        assert revoke_long_unpaid(today=date(2026, 10, 31))["revoked"] == 1
        assert revoke_long_unpaid(today=date(2026, 11, 30))["revoked"] == 0
    assert revoked == [unpaid.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
@pytest.mark.django_db(transaction=True)
def test_blocking_racing_pairing_never_leaves_a_paid_contract_blocked(bank_accounts):
    contracts = [ContractFactory() for _ in range(30)]
    for contract in contracts:
        document = _overdue(contract, due=date(2026, 9, 1), issued=date(2026, 8, 20))
        BankTransactionFactory(
            variable_symbol=document.variable_symbol,
            amount=document.total_gross,
            booking_date=date(2026, 11, 24),
        )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(job) -> None:
        try:
            barrier.wait(timeout=30)
            with time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=PRAGUE)):
                job()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=run, args=(lambda: block_overdue_contracts(),)),
        threading.Thread(target=run, args=(pair_transactions,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    for contract in contracts:
        block = _open_block(contract)
        assert block is None or block.unblock_on == date(2026, 12, 1), contract.number


@pytest.mark.django_db
def test_the_unblock_date_follows_the_last_credit_not_the_last_pairing(bank_accounts):
    contract = ContractFactory()
    a = _overdue(contract, due=date(2026, 9, 1), issued=date(2026, 8, 20))
    b = _overdue(contract, due=date(2026, 9, 2), issued=date(2026, 8, 20))
    block_overdue_contracts(today=date(2026, 10, 20))
    with time_machine.travel(datetime(2026, 11, 10, 12, tzinfo=PRAGUE)):
        _pay(b, date(2026, 11, 9))  # credited 9 Nov, paired first
        _pay(a, date(2026, 10, 21))  # credited earlier, paired by hand later
    # the week after 9 Nov: Monday 16, then Wednesday 18 (17 Nov is a Czech holiday)
    assert contract_blocking(contract).expected_unblock_on == date(2026, 11, 18)


@pytest.mark.django_db
def test_paying_a_new_invoice_does_not_postpone_the_unblock(bank_accounts):
    contract = ContractFactory()
    overdue = _overdue(contract, due=date(2026, 9, 1), issued=date(2026, 8, 20))
    block_overdue_contracts(today=date(2026, 10, 20))
    with time_machine.travel(datetime(2026, 10, 21, 12, tzinfo=PRAGUE)):
        _pay(overdue, date(2026, 10, 21))
    fresh = _overdue(contract, due=date(2026, 11, 10), issued=date(2026, 10, 26))
    with time_machine.travel(datetime(2026, 10, 26, 12, tzinfo=PRAGUE)):
        _pay(fresh, date(2026, 10, 26))
    assert contract_blocking(contract).expected_unblock_on == date(2026, 10, 27)


@pytest.mark.django_db
def test_cancelling_the_overdue_request_schedules_the_unblock_and_prevents_revocation(
    bank_accounts,
):
    from invoices.services import cancel_payment_request

    contract = ContractFactory()
    request = _overdue(contract, due=date(2026, 9, 10), issued=date(2026, 9, 1))
    block_overdue_contracts(today=date(2026, 10, 20))
    with time_machine.travel(datetime(2026, 10, 22, 12, tzinfo=PRAGUE)):
        cancel_payment_request(document=request, reason="vystaveno omylem")
    assert contract_blocking(contract).expected_unblock_on == date(2026, 10, 27)
    assert revoke_long_unpaid(today=date(2026, 12, 20))["revoked"] == 0

"""A random walk over the wallet: the cached balance always equals the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from billing_portal.errors import InsufficientCredit, InvalidDocumentState
from credits import autopay, services
from credits.models import LedgerEntry
from credits.selectors import ledger_balance
from invoices.models import Document, DocumentStatus
from invoices.services import LineSpec, business_today, issue_payment_request
from tests.factories import PersonCustomerFactory, ProductFactory

amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("500"), places=2)


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self) -> None:
        self.customer = PersonCustomerFactory()
        self.wallet = services.wallet_for(self.customer)
        self.product = ProductFactory(code="stateful-hosting", kind="hosting")
        self.expected = Decimal("0.00")
        self.top_ups: list[Document] = []
        self.top_up_entries: list[LedgerEntry] = []
        self.charged: list[Document] = []
        self.pending: list[Document] = []  # marked "automatically by credit", due

    def _document(self, net: Decimal) -> Document:
        return issue_payment_request(
            customer=self.customer,
            lines=[LineSpec(description="Service", unit_price=net, product=self.product)],
        )

    @rule(amount=amounts)
    def top_up(self, amount: Decimal) -> None:
        document = self._document(Decimal("1"))
        entry = services.credit_top_up(document=document, amount=amount, paid_on=business_today())
        self.expected += amount
        self.top_ups.append(document)
        self.top_up_entries.append(entry)

    @rule(net=amounts)
    def charge_a_fresh_request(self, net: Decimal) -> None:
        request = self._document(net)
        try:
            entry = services.charge_request(request=request)
        except InsufficientCredit:
            assert net > self.expected
            request.refresh_from_db()
            assert request.status == DocumentStatus.OPEN
            return
        assert entry.amount == -net  # not a VAT payer: charged the net
        self.expected -= net
        self.charged.append(request)
        request.refresh_from_db()
        assert request.status == DocumentStatus.PAID and request.paid_by_credit

    @rule(net=amounts)
    def issue_an_auto_charged_request(self, net: Decimal) -> None:
        self.pending.append(
            issue_payment_request(
                customer=self.customer,
                lines=[LineSpec(description="Renewal", unit_price=net, product=self.product)],
                issue_date=business_today() - timedelta(days=autopay.CHARGE_AFTER_DAYS),
                charge_by_credit=True,
            )
        )

    @rule()
    def run_the_charge_job(self) -> None:
        """The day-10 job (replayed as often as the walk likes): small batches, so on
        PostgreSQL the set-based path and the one-by-one path both take part. Expected:
        the due requests charged in issue order while the balance covers each."""
        charges = LedgerEntry.objects.filter(wallet=self.wallet, kind="charge")
        before = set(charges.values_list("document_id", flat=True))
        autopay.charge_due_requests(batch_size=3)
        charged_now = []
        for request in sorted(self.pending, key=lambda r: r.pk):
            if request.total_net <= self.expected:
                self.expected -= request.total_net
                charged_now.append(request)
        new = set(charges.values_list("document_id", flat=True)) - before
        assert new == {r.pk for r in charged_now}
        for request in charged_now:
            self.pending.remove(request)
            self.charged.append(request)
            request.refresh_from_db()
            assert request.status == DocumentStatus.PAID and request.paid_by_credit
        for request in self.pending:
            request.refresh_from_db()
            assert request.status == DocumentStatus.OPEN and not request.paid_by_credit

    @precondition(lambda self: self.top_up_entries)
    @rule(data=st.data())
    def reverse_a_top_up(self, data) -> None:
        entry = data.draw(st.sampled_from(self.top_up_entries))
        already = LedgerEntry.objects.filter(reverses=entry).exists()
        try:
            reversal = services.reverse_entry(entry=entry, actor=None, reason="test")
        except InsufficientCredit:
            assert not already and entry.amount > self.expected
            return
        assert reversal.amount == -entry.amount
        if not already:
            self.expected -= entry.amount

    @precondition(lambda self: self.charged)
    @rule(data=st.data())
    def reversing_a_paid_charge_is_refused(self, data) -> None:
        request = data.draw(st.sampled_from(self.charged))
        entry = LedgerEntry.objects.get(source_key=f"charge:{request.pk}")
        try:
            services.reverse_entry(entry=entry, actor=None, reason="test")
        except InvalidDocumentState:
            return
        raise AssertionError("a charge of a paid request was reversed")

    @rule(amount=amounts)
    def refund(self, amount: Decimal) -> None:
        try:
            services.refund(wallet=self.wallet, amount=amount, actor=None, reason="test")
        except InsufficientCredit:
            assert amount > self.expected
            return
        self.expected -= amount

    @precondition(lambda self: self.top_ups)
    @rule(data=st.data())
    def replayed_top_up(self, data) -> None:
        document = data.draw(st.sampled_from(self.top_ups))
        entry = services.credit_top_up(
            document=document, amount=Decimal("999"), paid_on=business_today()
        )
        assert entry.source_key == f"top_up:{document.pk}"

    @precondition(lambda self: self.charged)
    @rule(data=st.data())
    def replayed_charge(self, data) -> None:
        request = data.draw(st.sampled_from(self.charged))
        entry = services.charge_request(request=request)
        assert entry.source_key == f"charge:{request.pk}"

    def teardown(self) -> None:
        # the examples share one database: leave no due request to the next example's job
        pending = [r.pk for r in getattr(self, "pending", [])]
        Document.objects.filter(pk__in=pending).update(credit_opt_out=True)

    @invariant()
    def balance_matches_the_ledger(self) -> None:
        self.wallet.refresh_from_db()
        assert self.wallet.balance == ledger_balance(self.wallet) == self.expected
        assert self.wallet.balance >= 0

    @invariant()
    def at_most_one_charge_per_request(self) -> None:
        for request in self.charged:
            assert LedgerEntry.objects.filter(kind="charge", document=request).count() == 1


@pytest.mark.django_db
def test_ledger_state_machine(bank_accounts):
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(max_examples=30, stateful_step_count=20, deadline=None),
    )

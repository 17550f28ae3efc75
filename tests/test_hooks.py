"""Typed hooks (`billing_portal.hooks`): one owner each, a default when nobody owns
one, and the hooks of the house registered by their owners' AppConfig.ready()."""

from __future__ import annotations

from decimal import Decimal

import pytest

from billing_portal import hooks
from billing_portal.money import ZERO


def test_a_hook_has_one_owner():
    hook = hooks.Hook("sample", default=0)

    def first(**kwargs):
        return 1

    def second(**kwargs):
        return 2

    hook.register(first, owner="one")
    hook.register(first, owner="one")  # ready() run twice: harmless
    with pytest.raises(hooks.DuplicateHandler, match="already handled by one"):
        hook.register(second, owner="two")
    assert hook.owner == "one"
    assert hook.call(x=1) == 1


def test_a_hook_nobody_owns_answers_its_default_or_refuses():
    assert hooks.Hook("sample", default=ZERO).call(anything=True) == ZERO
    with pytest.raises(hooks.HookNotRegistered, match="sample"):
        hooks.Hook("sample").call()


def test_temporarily_swaps_the_handler_and_restores_it():
    hook = hooks.Hook("sample", default=0)
    with hook.temporarily(lambda **kwargs: 5) as handler:
        assert hook.call() == 5 == handler()
        assert hook.owner == "tests"
    assert hook.owner is None
    assert hook.call() == 0


def test_the_house_hooks_and_their_owners():
    """Registered in ready(): credits takes surpluses, invoices cancels subscriptions;
    certificates do not exist yet, so revoking is a no-op that revokes nothing."""
    assert hooks.credit_payment_surplus.owner == "credits"
    assert hooks.request_cancellation.owner == "invoices"
    assert hooks.revoke_contract_certificates.owner is None
    assert hooks.revoke_contract_certificates.call(contract_id=1) == 0
    with hooks.credit_payment_surplus.temporarily(lambda **kwargs: Decimal("1.00")):
        assert hooks.credit_payment_surplus.call(
            customer=None, amount=Decimal("1.00"), currency="CZK", source_key="k",
            document=None, reason="",
        ) == Decimal("1.00")  # fmt: skip
    assert hooks.credit_payment_surplus.owner == "credits"

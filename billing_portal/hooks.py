"""Typed hooks: the few calls that must point up the dependency order.

`accounts` <- `invoices` <- `payments` / `credits` / `certificates` / `timestamps`:
an app never imports one after it. When it must still have something done that a
later app owns, it calls a hook declared here; the owning app registers the one
handler in its `AppConfig.ready()`, as with the fulfilment registry
(`billing_portal.fulfilment`). No Django signals, no string-keyed event bus:

- one hook, one owner: a second owner is refused (`DuplicateHandler`);
- the handler's signature is a Protocol, and `hook.call` is typed as it, so a type
  checker sees every call site and every handler;
- a hook nobody registered answers its `default` (e.g. nothing revoked, nothing
  credited), or raises `HookNotRegistered` when it has none (a handler that must
  be there);
- tests swap the handler for a while with `hook.temporarily(handler)`.

The hooks of the house (hook: who calls it -> who owns it):

- `revoke_contract_certificates`: `invoices.dunning`, a contract long unpaid ->
  certificates (nobody registers yet: a no-op that revokes 0);
- `credit_payment_surplus`: `payments.pairing`, an overpaid or staff-credited
  payment -> credits;
- `request_cancellation`: `accounts.admin`, the subscription action -> invoices.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar, cast

from billing_portal.fulfilment import DuplicateHandler
from billing_portal.money import ZERO

__all__ = [
    "DuplicateHandler",
    "Hook",
    "HookNotRegistered",
    "credit_payment_surplus",
    "request_cancellation",
    "revoke_contract_certificates",
]

H = TypeVar("H", bound=Callable[..., Any])  # the handler's Protocol

_REQUIRED: Any = object()


class HookNotRegistered(RuntimeError):
    """A hook without a default was called before its owner registered a handler."""


@dataclass(frozen=True)
class _Registration:
    handler: Any
    owner: str


class Hook(Generic[H]):
    """One named call with one owner; `hook.call(...)` runs the handler."""

    def __init__(self, name: str, *, default: Any = _REQUIRED) -> None:
        self.name = name
        self._default = default
        self._registration: _Registration | None = None

    def __repr__(self) -> str:
        return f"<Hook {self.name} owned by {self.owner or 'nobody'}>"

    def register(self, handler: H, *, owner: str) -> None:
        """Register the one handler; registering the same handler again is harmless."""
        existing = self._registration
        if existing is not None and existing.handler is not handler:
            raise DuplicateHandler(f"Hook {self.name!r} is already handled by {existing.owner}.")
        self._registration = _Registration(handler=handler, owner=owner)

    @property
    def owner(self) -> str | None:
        return self._registration.owner if self._registration else None

    @property
    def call(self) -> H:
        """The handler (typed as the hook's Protocol), or the default's stand-in."""
        if self._registration is not None:
            return cast(H, self._registration.handler)
        return cast(H, self._unregistered)

    def _unregistered(self, **kwargs: Any) -> Any:
        if self._default is _REQUIRED:
            raise HookNotRegistered(f"Hook {self.name!r} has no handler registered.")
        return self._default

    @contextmanager
    def temporarily(self, handler: H, *, owner: str = "tests") -> Iterator[H]:
        """Use `handler` within the block (tests), whoever owns the hook; restored after."""
        saved = self._registration
        self._registration = _Registration(handler=handler, owner=owner)
        try:
            yield handler
        finally:
            self._registration = saved


# --- the hooks -------------------------------------------------------------------------


class RevokeContractCertificates(Protocol):
    def __call__(self, *, contract_id: int) -> int:
        """Revoke every certificate of the contract (final); returns how many."""
        ...


revoke_contract_certificates: Hook[RevokeContractCertificates] = Hook(
    "revoke_contract_certificates", default=0
)


class CreditPaymentSurplus(Protocol):
    def __call__(
        self,
        *,
        customer: Any,
        amount: Decimal,
        currency: str,
        source_key: str,
        document: Any | None,
        reason: str,
        actor: Any = None,
    ) -> Decimal:
        """Take `amount` of a payment (the overpaid part of `document`, or a payment
        staff credit without one) into the customer's wallet, once per `source_key`;
        returns what was credited now (ZERO when the wallet does not take it)."""
        ...


credit_payment_surplus: Hook[CreditPaymentSurplus] = Hook("credit_payment_surplus", default=ZERO)


class RequestCancellation(Protocol):
    def __call__(
        self, *, subscription: Any, requested_on: date | None = None, actor: Any = None
    ) -> date:
        """Record a customer's cancellation of a subscription (withdrawing renewal
        requests after its last day); returns the last day of service."""
        ...


request_cancellation: Hook[RequestCancellation] = Hook("request_cancellation")

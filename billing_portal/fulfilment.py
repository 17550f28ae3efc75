"""The fulfilment registry: what happens when a document is paid.

`invoices` calls `fulfil(...)` for each line of a paid document; the app that owns
the product kind (accounts extends a subscription, credits tops up, certificates
issues a voucher...) registers its handler in its AppConfig.ready(). The registry
lives here, in the shared package, so apps before `invoices` in the dependency
order (accounts) can register without importing it. No Django signals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol


class FulfilmentHandler(Protocol):
    def __call__(self, *, line: Any, document: Any, paid_on: date) -> None: ...


@dataclass(frozen=True)
class _Registration:
    handler: Callable[..., None]
    owner: str


_registry: dict[str, _Registration] = {}


class DuplicateHandler(RuntimeError):
    pass


def register(kind: str, handler: FulfilmentHandler, *, owner: str) -> None:
    """Register the handler of a product kind; one owner per kind."""
    existing = _registry.get(kind)
    if existing is not None and existing.handler is not handler:
        raise DuplicateHandler(f"Product kind {kind!r} is already handled by {existing.owner}.")
    _registry[kind] = _Registration(handler=handler, owner=owner)


def handler_for(kind: str) -> Callable[..., None] | None:
    registration = _registry.get(kind)
    return registration.handler if registration else None


def registered_kinds() -> dict[str, str]:
    return {kind: reg.owner for kind, reg in _registry.items()}


def fulfil(*, line: Any, document: Any, paid_on: date) -> bool:
    """Run the handler for the line's product kind; False when nobody handles it."""
    handler = handler_for(line.product_kind)
    if handler is None:
        return False
    handler(line=line, document=document, paid_on=paid_on)
    return True


def unregister(kind: str) -> None:
    """For tests that register a temporary handler."""
    _registry.pop(kind, None)


# --- lifecycle events: what other apps do when a contract's state changes -------------
# e.g. "revoke_certificates": the certificates app revokes every certificate of a
# contract that stayed unpaid too long; "payment_surplus": the credits app takes the
# overpaid part of a payment into the customer's wallet. Several apps may listen.

_lifecycle: dict[str, list[Callable[..., None]]] = {}


def on_lifecycle(event: str, handler: Callable[..., None]) -> None:
    handlers = _lifecycle.setdefault(event, [])
    if handler not in handlers:
        handlers.append(handler)


def emit_lifecycle(event: str, **kwargs: Any) -> int:
    """Call every handler of the event; returns how many there were."""
    handlers = list(_lifecycle.get(event, ()))
    for handler in handlers:
        handler(**kwargs)
    return len(handlers)


def ask_lifecycle(event: str, **kwargs: Any) -> list[Any]:
    """Call every handler of the event and return their answers (e.g. how much of a
    payment's surplus the credits app took)."""
    return [handler(**kwargs) for handler in list(_lifecycle.get(event, ()))]


def off_lifecycle(event: str, handler: Callable[..., None]) -> None:
    """For tests that listen temporarily."""
    if handler in _lifecycle.get(event, []):
        _lifecycle[event].remove(handler)

"""The fulfilment registry: what happens when a document is paid.

`invoices` calls `fulfil(...)` for each line of a paid document; the app that owns
the product kind (accounts extends a subscription, credits tops up, certificates
issues a voucher...) registers its handler in its AppConfig.ready(). The registry
lives here, in the shared package, so apps before `invoices` in the dependency
order (accounts) can register without importing it. No Django signals. The other
calls that point up the dependency order are the typed hooks of
`billing_portal.hooks`, one owner each, registered the same way.
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

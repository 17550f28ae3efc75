"""Small database helpers every app shares (the kernel: no app imported)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection


def require_transaction(what: str) -> None:
    """Refuse to run outside the caller's transaction (the callers' locks and the rows
    written must commit or roll back together)."""
    if not connection.in_atomic_block:
        raise RuntimeError(f"{what} must run inside the caller's transaction")


def set_based_sql() -> bool:
    """Whether the daily jobs run their set-based SQL (PostgreSQL, production) or go
    one by one (SQLite, `make run`). Tests force either path through this one switch."""
    return connection.vendor == "postgresql"


def pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of numbers ('{1,2,3}'): a set-based batch travels as
    one string, since adapting 5,000-item Python lists costs more than the statement."""
    return "{" + ",".join(str(value) for value in values) + "}"

"""Idempotent requests: the first answer to (scope, key) is stored with a fingerprint
of the request, and a repeat gets that same answer without doing anything again.

Concurrency (PostgreSQL): the first request inserts its key row and does its work in
one transaction; a concurrent request with the same key blocks on the unique index
until the first commits, then finds the stored answer. If the first fails, nothing
is stored (its work rolled back too) and the next request with the key does the work.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from billing_portal.errors import IdempotencyKeyReused

from .models import IdempotencyRecord

Answer = tuple[int, dict[str, Any]]


def fingerprint(*parts: Any) -> str:
    """A stable digest of what makes a request the same request (method, path, body)."""
    text = json.dumps(parts, sort_keys=True, cls=DjangoJSONEncoder, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def answer_once(
    *, scope: str, key: str, request_fingerprint: str, produce: Callable[[], Answer]
) -> tuple[int, dict[str, Any], bool]:
    """(status, body, replayed): the stored answer of this key, or `produce()`'s,
    stored in the same transaction as the work it did. Another request under the same
    key answers `IdempotencyKeyReused` (422) and does nothing."""
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope, key=key, fingerprint=request_fingerprint, response_status=0
            )
    except IntegrityError:  # answered before, or just now by a request we waited for
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
        if record.fingerprint != request_fingerprint:
            raise IdempotencyKeyReused(key=key) from None
        return record.response_status, record.response_body, True
    status, body = produce()
    body = json.loads(json.dumps(body, cls=DjangoJSONEncoder))
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        response_status=status, response_body=body
    )
    return status, body, False

"""Shared fixtures: our bank accounts and a place for outbound e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.factories import BankAccountFactory

SHARED = Path(__file__).resolve().parents[2] / "shared"


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus; tests that read it skip cleanly where it is absent."""
    path = SHARED / "corpus"
    if not path.is_dir():
        pytest.skip("../shared/corpus is absent")
    return path


@pytest.fixture
def bank_accounts(db):
    return {
        "CZK": BankAccountFactory(),
        "EUR": BankAccountFactory(name="Účet EUR", iban="SK3112000000198742637541", currency="EUR"),
        "GBP": BankAccountFactory(
            name="GBP account", iban="GB33BUKB20201555555555", currency="GBP"
        ),
    }


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Login throttling lives in the cache (Redis under `make test`): start clean."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()

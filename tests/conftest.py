"""Shared fixtures: our bank accounts, a place for outbound e-mail, the shared corpus,
and both paths of the batch jobs that choose their SQL by database."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from billing_portal.test_settings import SQLITE_OPT_IN
from tests.factories import BankAccountFactory

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPUS = SHARED / "corpus"


def in_ci(environ: Mapping[str, str] | None = None) -> bool:
    """CI=true (or 1/yes), as CI services set it."""
    value = (os.environ if environ is None else environ).get("CI", "")
    return value.strip().lower() in {"1", "true", "yes"}


def require_corpus(path: Path | None = None, *, environ: Mapping[str, str] | None = None) -> Path:
    """`path` (default ../shared/corpus; or a file in it) when it exists. Where it is
    absent the test is skipped, but under CI it fails: a CI run must not go green by
    skipping the ~160 tests that read the corpus."""
    path = CORPUS if path is None else path
    if path.exists():
        return path
    if in_ci(environ):
        pytest.fail(
            f"{path} is absent and CI is set: the corpus tests must run in CI. "
            f"Check out the shared folder next to the repository ({SHARED}).",
            pytrace=False,
        )
    pytest.skip(f"{path} is absent (../shared/corpus)")


@pytest.fixture
def corpus() -> Path:
    """../shared/corpus; tests that read it skip where it is absent (fail under CI)."""
    return require_corpus()


@pytest.fixture(params=["set-based", "one-by-one"])
def job_path(request, monkeypatch) -> str:
    """Run the daily jobs that pick their SQL by `billing_portal.db.set_based_sql` both
    ways on PostgreSQL: set-based, as production does, and one by one, the path every
    run on SQLite (`make run`) takes."""
    from billing_portal import db

    if request.param == "set-based":
        if not db.set_based_sql():
            pytest.skip("the set-based SQL exists only on PostgreSQL")
    else:
        monkeypatch.setattr(db, "set_based_sql", lambda: False)
    return request.param


def pytest_report_header(config) -> list[str]:
    from django.db import connection

    settings = connection.settings_dict
    lines = [f"database: {connection.vendor} {settings.get('HOST') or ''} {settings['NAME']}"]
    if connection.vendor != "postgresql":
        lines.append(f"SQLite on purpose ({SQLITE_OPT_IN}): {os.environ.get(SQLITE_OPT_IN)}")
    if not CORPUS.is_dir():
        lines.append(f"corpus: {CORPUS} absent: " + ("FAIL (CI)" if in_ci() else "skipped"))
    return lines


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

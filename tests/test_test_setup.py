"""The test run itself: PostgreSQL unless SQLite is asked for with a reason, the
corpus required under CI, and the SQLite paths of `make run` still tested."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

from billing_portal.test_settings import SQLITE_OPT_IN, database_refusal
from tests.conftest import in_ci, require_corpus

ROOT = Path(__file__).resolve().parents[1]
PG = "django.db.backends.postgresql"
SQLITE = "django.db.backends.sqlite3"
ARGV = [".venv/bin/pytest", "-q", "tests/test_workdays.py"]

# The tests of what `make run` does on SQLite: the daily jobs one by one, the ledger
# (REAL arithmetic, rounded), the demo data. Run on real SQLite in a child pytest.
MAKE_RUN_TESTS = [
    "tests/credits/test_autopay.py",
    "tests/credits/test_autopay_batch.py",
    "tests/invoices/test_blocking.py",
    "tests/credits/test_ledger.py",
    "tests/test_seed_demo.py",
]


def _env(**changes: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", SQLITE_OPT_IN)}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


# --- the database ---------------------------------------------------------------------


def test_postgresql_is_accepted():
    assert database_refusal(PG, {"DATABASE_URL": "postgres://h/d"}, ARGV) is None


def test_no_database_url_is_refused_with_the_commands_that_start_postgresql():
    refusal = database_refusal(SQLITE, {}, ARGV)
    assert "DATABASE_URL is not set" in refusal
    assert "make test PYTEST_ARGS='-q tests/test_workdays.py'" in refusal
    assert "bash .ci/services.sh .venv/bin/pytest -q tests/test_workdays.py" in refusal
    assert f'{SQLITE_OPT_IN}="why"' in refusal


def test_a_database_url_that_is_not_postgresql_is_refused():
    refusal = database_refusal(SQLITE, {"DATABASE_URL": "sqlite:///x.db"}, ARGV)
    assert "DATABASE_URL is not PostgreSQL (django.db.backends.sqlite3)" in refusal
    mysql = "django.db.backends.mysql"
    assert database_refusal(mysql, {"DATABASE_URL": "mysql://h/d", SQLITE_OPT_IN: "x"}, ARGV)


def test_sqlite_only_with_a_stated_reason():
    assert database_refusal(SQLITE, {SQLITE_OPT_IN: "checking make run"}, ARGV) is None
    assert database_refusal(SQLITE, {SQLITE_OPT_IN: "  "}, ARGV)


def test_a_plain_pytest_without_database_url_stops_with_one_clear_message():
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "tests/test_workdays.py"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == pytest.ExitCode.USAGE_ERROR, result.stdout + result.stderr
    assert "ERROR: The tests run on PostgreSQL and DATABASE_URL is not set" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_test_settings_refuse_sqlite_outside_pytest_too():
    result = subprocess.run(
        [sys.executable, "-c", "import billing_portal.test_settings"],
        cwd=ROOT,
        env=_env(DATABASE_URL="sqlite:///unused.sqlite3"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: The tests run on PostgreSQL" in result.stderr


@pytest.mark.skipif(connection.vendor != "postgresql", reason="this run is the SQLite run")
def test_the_make_run_paths_pass_on_sqlite():
    """The SQLite code paths of `make run` (one by one where PostgreSQL runs set-based
    SQL, REAL arithmetic) on real SQLite, in a child run that opts in."""
    moved = [name for name in MAKE_RUN_TESTS if not (ROOT / name).is_file()]
    assert not moved, f"update MAKE_RUN_TESTS: {moved} moved or gone"
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *MAKE_RUN_TESTS],
        cwd=ROOT,
        env=_env(REDIS_URL=None, **{SQLITE_OPT_IN: "the SQLite paths of make run"}),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert f"SQLite on purpose ({SQLITE_OPT_IN}): the SQLite paths of make run" in output
    assert " passed" in output and " failed" not in output


# --- the corpus -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("yes", True), ("", False), ("false", False)],
)
def test_ci_is_recognised(value, expected):
    assert in_ci({"CI": value}) is expected
    assert in_ci({}) is False


def test_a_present_corpus_is_returned(tmp_path):
    assert require_corpus(tmp_path, environ={"CI": "true"}) == tmp_path
    assert require_corpus(tmp_path, environ={}) == tmp_path


def test_an_absent_corpus_skips_outside_ci(tmp_path):
    with pytest.raises(pytest.skip.Exception, match="is absent"):
        require_corpus(tmp_path / "corpus", environ={})


def test_an_absent_corpus_fails_under_ci(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="the corpus tests must run in CI"):
        require_corpus(tmp_path / "corpus", environ={"CI": "true"})


@pytest.mark.parametrize(
    ("ci", "outcome"), [("true", pytest.fail.Exception), ("", pytest.skip.Exception)]
)
def test_the_corpus_fixture_follows_ci(request, monkeypatch, tmp_path, ci, outcome):
    monkeypatch.setattr("tests.conftest.CORPUS", tmp_path / "absent")
    monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="absent"):
        request.getfixturevalue("corpus")

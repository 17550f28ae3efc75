"""Settings for the test suite: the production settings with test-only defaults.

Everything else (DATABASE_URL, REDIS_URL) still comes from the environment, so
`make test` runs against real PostgreSQL and Redis.

The tests run on PostgreSQL, as production does: the set-based SQL of the daily
jobs, row locks and the triggers exist only there. Without a PostgreSQL
DATABASE_URL the run stops and says how to start one (`make test`, or
`bash .ci/services.sh .venv/bin/pytest ...`) instead of silently using the SQLite
file of `make run`. A run may use SQLite only when it says why:
TEST_SQLITE_REASON="..." (the reason is printed in the run's header).
"""

import os
import shlex
import sys
from collections.abc import Mapping

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOW_IN_PROCESS_TASKS", "1")  # a run without REDIS_URL

from django.core.exceptions import ImproperlyConfigured

from .settings import *  # noqa: F403
from .settings import DATABASES

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

SQLITE_OPT_IN = "TEST_SQLITE_REASON"
POSTGRESQL_ENGINE = "django.db.backends.postgresql"


def database_refusal(engine: str, environ: Mapping[str, str], argv: list[str]) -> str | None:
    """Why the tests must not run on the database `engine`; None when they may."""
    if engine == POSTGRESQL_ENGINE:
        return None
    if engine == "django.db.backends.sqlite3" and environ.get(SQLITE_OPT_IN, "").strip():
        return None
    args = shlex.join(argv[1:]) if argv and "pytest" in argv[0] else ""
    make_test = f"make test PYTEST_ARGS={shlex.quote(args)}" if args else "make test"
    run = f".venv/bin/pytest {args}".rstrip()
    problem = (
        "DATABASE_URL is not set"
        if not environ.get("DATABASE_URL", "").strip()
        else f"DATABASE_URL is not PostgreSQL ({engine})"
    )
    return (
        f"The tests run on PostgreSQL and {problem}. Start throw-away PostgreSQL and Redis "
        "for the run with\n"
        f"    {make_test}\n"
        "or\n"
        f"    bash .ci/services.sh {run}\n"
        "or point DATABASE_URL at a PostgreSQL database of your own "
        "(postgres://USER:PASSWORD@HOST:PORT/NAME; the user needs CREATEDB).\n"
        f'SQLite only for a stated reason: {SQLITE_OPT_IN}="why" {run}'
    )


_refusal = database_refusal(DATABASES["default"].get("ENGINE", ""), os.environ, sys.argv)
if _refusal:
    if "pytest" in sys.modules:  # a clean one-message stop instead of a traceback
        import pytest

        raise pytest.UsageError(_refusal)
    raise ImproperlyConfigured(_refusal)

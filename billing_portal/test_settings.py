"""Settings for the test suite: the production settings with test-only defaults.

Everything else (DATABASE_URL, REDIS_URL) still comes from the environment, so
`make test` runs against real PostgreSQL and Redis.
"""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("ALLOW_IN_PROCESS_TASKS", "1")  # a plain `pytest` without Redis

from .settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests

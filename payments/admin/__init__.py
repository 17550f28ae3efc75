"""Django admin of the payments app, split by sub-domain."""

from . import feeds, imports, returns, transactions  # noqa: F401  (registers the admins)

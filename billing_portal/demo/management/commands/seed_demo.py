"""`manage.py seed_demo`: demo data for development, once; prints the logins every time."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.urls import reverse
from django.utils.translation import gettext as _

from ...builder import DemoLogins, build_demo_data


class Command(BaseCommand):
    @property
    def help(self) -> str:  # a property: argparse needs a str, translated at call time
        return _(
            "Create brand-neutral demo data (customers, contracts, products, documents in "
            "every state, portal logins) unless it exists, and print the demo logins. "
            "Refuses to run with DEBUG off unless --force is given."
        )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help=_("Run even with DEBUG off (never on a production database)."),
        )
        parser.add_argument(
            "--base-url",
            default="http://127.0.0.1:8000",
            help=_("Where the printed admin and portal URLs point (default: %(default)s)."),
        )

    def handle(self, *args: Any, force: bool, base_url: str, **options: Any) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                _(
                    "seed_demo creates users with published demo passwords and runs only "
                    "with DEBUG on; use --force to run it anyway."
                )
            )
        with _quiet("fontTools", "weasyprint"):  # PDF rendering of the e-mailed documents
            logins = build_demo_data()
        if logins.created:
            self.stdout.write(self.style.SUCCESS(_("Demo data created.")))
        else:
            self.stdout.write(_("Demo data already exists; nothing was created."))
        for line in login_lines(logins, base_url=base_url.rstrip("/")):
            self.stdout.write(line)


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """Raise these loggers to WARNING for a while (their INFO is per-glyph chatter)."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


def login_lines(logins: DemoLogins, *, base_url: str) -> list[str]:
    admin_url = base_url + reverse("admin:index")
    portal_url = base_url + reverse("portal:documents")
    if logins.admin_password is not None:
        admin = _("Admin: %(url)s  user %(user)s  password %(password)s") % {
            "url": admin_url,
            "user": logins.admin_username,
            "password": logins.admin_password,
        }
    else:
        admin = _("Admin: %(url)s  user %(user)s  (existing user, password not changed)") % {
            "url": admin_url,
            "user": logins.admin_username,
        }
    lines = [admin]
    for login in logins.portal:
        lines.append(
            _("Portal: %(url)s  contract %(contract)s  e-mail %(email)s  password %(password)s")
            % {
                "url": portal_url,
                "contract": login.contract_number,
                "email": login.email,
                "password": logins.portal_password,
            }
        )
    return lines

"""Import one bank statement file: python manage.py import_statement PATH [--json]."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from payments.importing import import_statement
from payments.models import StatementImport

FORMATS = ("auto", "camt053", "camt054", "gpc", "mt940", "fio-json", "csv")


class Command(BaseCommand):
    help = "Import a bank statement (camt.053/054, GPC, MT940, Fio JSON, CSV)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("path")
        parser.add_argument("--format", default="auto", choices=FORMATS)
        parser.add_argument(
            "--register-account",
            action="store_true",
            help="Register the statement's account as ours when it is not known yet.",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, path: str, format: str, register_account: bool, **options):
        file = Path(path)
        try:
            content = file.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        mapping = None
        if format == "csv":
            mapping = _csv_mapping_for(content)
        result = import_statement(
            content=content,
            source=StatementImport.Source.COMMAND,
            filename=file.name,
            format=format,
            register_account=register_account,
            csv_mapping=mapping,
        )
        payload = result.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(payload, ensure_ascii=False))
        elif result.ok:
            self.stdout.write(
                f"import {payload['import_id']}: {payload['format']}, "
                f"{payload['transactions']} transactions, {payload['new']} new, "
                f"{payload['duplicates']} duplicates"
            )
        if not result.ok:
            if not options["json"]:
                self.stderr.write(f"rejected: {payload['error']['message']}")
            raise SystemExit(1)


def _csv_mapping_for(content: bytes) -> dict | None:
    """CSV needs the column mapping saved on one of our accounts; with exactly one
    account that has a mapping, that one is used."""
    from payments.models import AccountFeed

    feeds = list(AccountFeed.objects.exclude(csv_mapping=None))
    if len(feeds) != 1:
        raise CommandError("CSV import needs exactly one bank account with a saved CSV mapping.")
    return feeds[0].csv_mapping

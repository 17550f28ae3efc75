"""Pair unprocessed payments now: python manage.py pair_payments [--json]."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from payments.pairing import pair_transactions


class Command(BaseCommand):
    help = "Pair received bank payments to open documents."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = pair_transactions()
        if options["json"]:
            self.stdout.write(json.dumps(counts))
        else:
            self.stdout.write(", ".join(f"{key}: {value}" for key, value in sorted(counts.items())))

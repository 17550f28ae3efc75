"""Downloading new transactions from the Fio banka API for every account of ours
that has a token: a window that overlaps what we already have (not only the
bank's cursor, which moves even when we fail to store), each response stored as
received and imported like any statement, so overlaps add nothing."""

from __future__ import annotations

import logging
from datetime import date, timedelta

import requests
from django.conf import settings
from django.utils import timezone
from fiobank import FioBank
from fiobank.exceptions import ThrottlingError

from accounts.services import job_run

from .importing import import_statement
from .models import AccountFeed, StatementImport

logger = logging.getLogger(__name__)


class FioClient(FioBank):
    """The fiobank client, asked for the response bytes instead of parsed dicts:
    we store what the bank sent and parse it with our own importer."""

    def period_response(self, date_from: date, date_to: date) -> bytes:
        url = self.base_url + self._actions["periods"].format(
            token=self.token, from_date=date_from.isoformat(), to_date=date_to.isoformat()
        )
        return self._request(url).content


def fetch_fio_statements(*, today: date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    overlap = timedelta(days=settings.BILLING["FIO_OVERLAP_DAYS"])
    with job_run("fetch_fio") as counts:
        for key in ("accounts", "new", "duplicates", "rejected"):
            counts[key] = 0
        feeds = AccountFeed.objects.exclude(fio_token="").select_related("bank_account")
        for feed in feeds.order_by("pk"):
            counts["accounts"] += 1
            since = (feed.fio_fetched_until or today) - overlap
            try:
                client = FioClient(feed.fio_token, decimal=True, request_timeout=60)
                content = client.period_response(since, today)
            except (requests.RequestException, ThrottlingError, ValueError) as exc:
                logger.warning("Fio download for %s failed: %s", feed.bank_account, exc)
                counts.error(str(feed.bank_account), str(exc).replace(feed.fio_token, "***"))
                continue
            result = import_statement(
                content=content,
                source=StatementImport.Source.FIO_API,
                filename=f"fio-{feed.bank_account.iban}-{since}-{today}.json",
            )
            if not result.ok:
                counts["rejected"] += 1
                counts.error(str(feed.bank_account), result.statement_import.error_message)
                continue
            counts["new"] += result.statement_import.new
            counts["duplicates"] += result.statement_import.duplicates
            AccountFeed.objects.filter(pk=feed.pk).update(fio_fetched_until=today)
    return dict(counts)

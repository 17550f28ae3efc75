"""Job runs: what every periodic job records (started, finished, counts, errors)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from django.utils import timezone

from .models import JobRun


class JobCounts(Counter):
    """Counts and errors a periodic job reports into its JobRun."""

    def __init__(self) -> None:
        super().__init__()
        self.errors: list[dict[str, str]] = []

    def error(self, subject: str, message: str) -> None:
        self.errors.append({"subject": subject, "message": message})
        self["errors"] += 1


@contextmanager
def job_run(job_name: str) -> Iterator[JobCounts]:
    """Record a JobRun around a periodic job (started, finished, counts, errors).

    The row is written outside the job's own transactions so it survives a failure.
    """
    run = JobRun.objects.create(job_name=job_name, started_at=timezone.now())
    counts = JobCounts()
    try:
        yield counts
    except Exception as exc:
        counts.error(job_name, repr(exc))
        _finish(run, counts, JobRun.Status.FAILED)
        raise
    _finish(run, counts, JobRun.Status.SUCCEEDED)


def _finish(run: JobRun, counts: JobCounts, status: str) -> None:
    run.finished_at = timezone.now()
    run.status = status
    run.counts = dict(counts)
    run.errors = counts.errors
    run.save(update_fields=["finished_at", "status", "counts", "errors"])
